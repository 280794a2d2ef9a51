"""SKILL.md to safe HTML: nothing in skill content can run script or load a remote resource.

Raw HTML is escaped (markdown-it with `html` off), `javascript:`-style links are refused by
markdown-it's link validation, images never load (remote ones become links, bundled ones become
their alt text), relative links to files of the skill become plain text, and outside links open
with `rel="noopener noreferrer nofollow"`. The page's Content-Security-Policy backs all of this up.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

_EXTERNAL = re.compile(r"^(https?:|mailto:)", re.IGNORECASE)


def _link_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    href = str(token.attrGet("href") or "")
    if href.startswith("#"):
        return self.renderToken(tokens, idx, options, env)
    if _EXTERNAL.match(href):
        token.attrSet("rel", "noopener noreferrer nofollow")
        return self.renderToken(tokens, idx, options, env)
    env.setdefault("inert_links", []).append(idx)
    return f'<span class="bundled-file" title="{_escape(href)}: a file in the skill bundle">'


def _link_close(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    opening = _matching_open(tokens, idx)
    if opening is not None and opening in env.get("inert_links", []):
        return "</span>"
    return self.renderToken(tokens, idx, options, env)


def _image(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env)
    if _EXTERNAL.match(src):
        return f'<a href="{_escape(src)}" rel="noopener noreferrer nofollow">[image: {_escape(alt)}]</a>'
    return f'<span class="bundled-file">[image: {_escape(alt)}]</span>'


def _heading(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    """Shift SKILL.md headings under the page's own (# becomes h3), so a page has one h1."""
    token = tokens[idx]
    level = min(int(token.tag[1]) + 2, 6)
    return f"<h{level}>" if token.nesting == 1 else f"</h{level}>\n"


def _matching_open(tokens: Sequence[Token], close: int) -> int | None:
    depth = 0
    for index in range(close - 1, -1, -1):
        if tokens[index].type == "link_close":
            depth += 1
        elif tokens[index].type == "link_open":
            if depth == 0:
                return index
            depth -= 1
    return None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def make_renderer() -> MarkdownIt:
    """A CommonMark renderer with tables and strikethrough, and the safety rules above."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.add_render_rule("link_open", _link_open)
    md.add_render_rule("link_close", _link_close)
    md.add_render_rule("image", _image)
    md.add_render_rule("heading_open", _heading)
    md.add_render_rule("heading_close", _heading)
    return md


_MD = make_renderer()


def render(text: str) -> str:
    """Render a SKILL.md body to safe HTML."""
    return render_with_text(text)[0]


def plain_text(text: str) -> str:
    """Markdown reduced to words, for the search index."""
    return render_with_text(text)[1]


def render_with_text(text: str) -> tuple[str, str]:
    """Safe HTML and the plain words of a SKILL.md body, from one parse."""
    env: dict[str, object] = {}
    tokens = _MD.parse(text, env)
    html = str(_MD.renderer.render(tokens, _MD.options, env))
    words: list[str] = []
    for token in tokens:
        if token.type == "inline":
            words += [
                child.content for child in token.children or [] if child.type in ("text", "code_inline")
            ]
        elif token.type in ("fence", "code_block"):
            words.append(token.content)
    return html, re.sub(r"\s+", " ", " ".join(words)).strip()
