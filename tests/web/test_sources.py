"""The UI's files keep the rules the strict CSP depends on, and every declared page exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vantage.core.packs import discover_packs
from vantage.web.assets import STATIC_DIRECTORY
from vantage.web.pages import TEMPLATE_DIRECTORY

PACK_PAGES = [pack.web for pack in discover_packs().values() if pack.web is not None]
TEMPLATES = [*TEMPLATE_DIRECTORY.glob("*.html"), *(page.template for page in PACK_PAGES)]
SCRIPTS = [*STATIC_DIRECTORY.glob("*.js"), *STATIC_DIRECTORY.glob("pages/*.js"),
           *(page.script for page in PACK_PAGES)]  # fmt: skip
# What 'script-src/style-src self' refuses: inline scripts, style attributes, handler attributes.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
STYLE_OR_HANDLER_ATTRIBUTE = re.compile(r"<[^>]+\s(style|on[a-z]+)\s*=", re.I)


def test_the_bundled_packs_declare_pages() -> None:
    assert {page.title for page in PACK_PAGES} >= {"Commerce", "Trading", "LLM gateway"}
    for page in PACK_PAGES:
        assert page.template.is_file() and page.script.is_file()


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_templates_hold_no_inline_script_or_style(template: Path) -> None:
    text = template.read_text()
    assert not INLINE_SCRIPT.search(text)
    assert not STYLE_OR_HANDLER_ATTRIBUTE.search(text)
    assert "<style" not in text


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.as_posix().split("/")[-2] + "/"
                         + path.name)  # fmt: skip
def test_scripts_never_parse_text_as_html(script: Path) -> None:
    text = script.read_text()
    assert "innerHTML" not in text and "insertAdjacentHTML" not in text
    assert "eval(" not in text and "new Function" not in text
