"""The UI's pages (the core's and the packs') and the Jinja environment that renders them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape
from starlette.responses import HTMLResponse

from vantage import PRODUCT_NAME, __version__
from vantage.core.packs import Pack
from vantage.web.assets import StaticAssets, pack_script_path

TEMPLATE_DIRECTORY = Path(__file__).parent / "templates"
# Every page is rendered per request from data the browser fetches afterwards; never cache it,
# so a new deployment's asset version reaches the next page load.
PAGE_HEADERS = {"Cache-Control": "no-cache"}


@dataclass(frozen=True)
class ShellPage:
    """A page of the shell: the template holding its markup and the module that fills it."""

    key: str
    title: str
    url: str
    template: str
    script: str
    signed_in: bool = True


CORE_PAGES = (
    ShellPage("home", "Overview", "/", "home.html", "pages/home.js"),
    ShellPage("sign-in", "Sign in", "/ui/sign-in", "sign_in.html", "pages/sign-in.js", False),
    ShellPage("admin/users", "Users", "/ui/admin/users", "admin_users.html",
              "pages/admin-users.js"),
    ShellPage("admin/api-keys", "API keys", "/ui/admin/api-keys", "admin_api_keys.html",
              "pages/admin-api-keys.js"),
    ShellPage("admin/jobs", "Jobs", "/ui/admin/jobs", "admin_jobs.html", "pages/admin-jobs.js"),
)  # fmt: skip


def pack_page(pack: Pack) -> ShellPage | None:
    """The shell page of a pack that declares one."""
    if pack.web is None:
        return None
    return ShellPage(
        key=f"packs/{pack.name}",
        title=pack.web.title,
        url=f"/ui/packs/{pack.name}",
        template=f"packs/{pack.name}/{pack.web.template.name}",
        script=pack_script_path(pack.name),
    )


def _environment(packs: Iterable[Pack]) -> Environment:
    pack_loaders = {
        pack.name: FileSystemLoader(pack.web.template.parent)
        for pack in packs
        if pack.web is not None
    }
    loader = ChoiceLoader(
        [FileSystemLoader(TEMPLATE_DIRECTORY), PrefixLoader({"packs": PrefixLoader(pack_loaders)})]
    )
    return Environment(loader=loader, autoescape=select_autoescape(default=True))


class Pages:
    """Renders the shell around each page with the current static asset version."""

    def __init__(self, packs: Iterable[Pack], assets: StaticAssets) -> None:
        packs = list(packs)
        self.assets = assets
        self._environment = _environment(packs)
        self.by_pack = {page.key.removeprefix("packs/"): page for page in
                        filter(None, map(pack_page, packs))}  # fmt: skip
        self.by_key = {page.key: page for page in (*CORE_PAGES, *self.by_pack.values())}

    def render(self, page: ShellPage) -> HTMLResponse:
        """The page's HTML: its template inside the shell (or the bare layout to sign in)."""
        layout = "shell.html" if page.signed_in else "bare.html"
        html = self._environment.get_template(layout).render(
            page=page,
            product=PRODUCT_NAME,
            version=__version__,
            static=self.assets.url,
            pack_pages=" ".join(sorted(self.by_pack)),
        )
        return HTMLResponse(html, headers=PAGE_HEADERS)
