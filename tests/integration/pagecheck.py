"""What every page must pass in a real browser: no sideways scrolling at its width, no console
error, and no serious or critical axe-core violation (axe injected by the test, not the page)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

AXE = Path(__file__).resolve().parents[2] / ".tools/axe/node_modules/axe-core/axe.min.js"
WIDTHS = (390, 1440)
RUN_AXE = """async () => {
  const found = await axe.run(document, {resultTypes: ["violations"]});
  return found.violations.filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map(n => n.target.join(" ")).slice(0, 3).join(", ")}`);
}"""


def axe_source() -> Path:
    """axe-core's script (`make tools` installs it into .tools/axe)."""
    if AXE.is_file():
        return AXE
    if os.environ.get("SKILLPORT_INTEGRATION") == "1":
        pytest.fail("axe-core is not installed; `make tools` installs it into .tools/axe")
    pytest.skip("axe-core not installed: run the suite with `make test`")


@contextmanager
def checked_context(browser: Any, width: int, **kw: Any) -> Iterator[Any]:
    """A browser context at `width` px whose pages get axe before their own scripts (through the
    DevTools protocol, so the pages' CSP stays as it is)."""
    context = browser.new_context(viewport={"width": width, "height": 900}, **kw)
    context.add_init_script(path=str(axe_source()))
    try:
        yield context
    finally:
        context.close()


class Watched:
    """A page whose console errors and uncaught exceptions are collected."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))

    def _console(self, message: Any) -> None:
        if message.type != "error":
            return
        # The document itself answering 403/404 is what an error page is: not a broken resource.
        if "Failed to load resource" in message.text and message.location.get("url") == self.page.url:
            return
        self.errors.append(message.text)

    def check(self, what: str) -> None:
        """Assert the page fits its width, logged no error and has no serious accessibility issue."""
        page = self.page
        page.wait_for_load_state("networkidle")
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"{what}: {width[0]} px wide in a {width[1]} px window"
        assert self.errors == [], f"{what}: console errors {self.errors}"
        violations = page.evaluate(RUN_AXE)
        assert violations == [], f"{what}: {violations}"
