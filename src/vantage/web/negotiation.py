"""Whether a request asks for HTML (a browser) rather than JSON (a script)."""

from __future__ import annotations


def _quality(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def prefers_html(accept: str | None) -> bool:
    """True when ``text/html`` is named and ranks above ``application/json``.

    Browsers name ``text/html`` first; HTTP libraries send ``*/*`` or ask for JSON, and keep
    getting JSON.
    """
    if not accept:
        return False
    html = json = -1.0
    for item in accept.split(","):
        media_type, *parameters = item.split(";")
        media_type = media_type.strip().lower()
        if media_type == "text/html":
            html = max(html, _quality(parameters))
        elif media_type == "application/json":
            json = max(json, _quality(parameters))
    return html > 0 and html > json
