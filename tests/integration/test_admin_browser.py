"""The admin dashboard in Debian's Chromium at 390 px and 1440 px, over a state holding thousands
of events: nothing scrolls sideways, no console error, no serious or critical axe-core violation,
charts drawn at the page's width, filters and paging working without any script."""

from __future__ import annotations

import json
import os
import random
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from integration.browser import chromium
from integration.pagecheck import WIDTHS, Watched, checked_context
from proxy.live_server import LiveProxy, live_proxy
from proxy.test_admin import stamp

from skillport_build.proxy.audit_queries import AuditLog, execute_many
from skillport_build.proxy.state import State

pytestmark = pytest.mark.integration
SCREENSHOTS = Path(os.environ.get("SKILLPORT_SCREENSHOTS") or tempfile.gettempdir()) / "skillport-screenshots"
PAGES = (
    "/admin",
    "/admin/skills",
    "/admin/skills/incident-postmortem",
    "/admin/access?who=sam@acme.example",
    "/admin/audit",
    "/admin/audit?event=download&skill=release-notes",
)


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProxy]:
    with live_proxy(tmp_path_factory.mktemp("admin-browser")) as live:
        lively(live.state)
        yield live


def lively(state: State, days: int = 45) -> None:
    """A few thousand events that look like a real month: more on weekdays, growing, a new version
    of one skill taking over from the old one, a few dozen people."""
    rng = random.Random(18)
    now = datetime.now(UTC).replace(microsecond=0)
    skills = {"release-notes": 5, "csv-profiler": 3, "pr-review": 2, "incident-postmortem": 1}
    rows = []
    for back in range(days, -1, -1):
        day = now - timedelta(days=back)
        busy = (1.0 if day.weekday() < 5 else 0.35) * (1 + (days - back) / days)
        for skill, weight in skills.items():
            for _ in range(rng.randint(0, int(6 * weight * busy) + 1)):
                who = f"person{rng.randrange(60)}@acme.example"
                at = stamp(min(now, day.replace(hour=rng.randrange(7, 19), minute=rng.randrange(60))))
                version = (
                    "1.0.0" if skill != "release-notes" or rng.random() > (days - back) / days else "1.1.0"
                )
                rows.append((at, "read", who, {"skill": skill, "version": version, "via": "site"}))
                if rng.random() < 0.6:
                    rows.append((at, "download", who, {"kind": "skill", "name": skill, "version": version}))
    rows.sort(key=lambda r: r[0])
    with state.transaction() as db:
        execute_many(
            db,
            "INSERT INTO audit (at, event, actor, detail) VALUES (?, ?, ?, ?)",
            [(at, event, who, json.dumps(detail, sort_keys=True)) for at, event, who, detail in rows],
        )
        counts: dict[tuple[str, str], int] = {}
        for _, event, _, detail in rows:
            if event == "download":
                key = (detail["name"], detail["version"])
                counts[key] = counts.get(key, 0) + 1
        execute_many(db, "INSERT INTO downloads VALUES (?, ?, ?)", [(*k, n) for k, n in counts.items()])
    AuditLog(state).fold()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as running:
        yield running


def sign_in_admin(page: Any, proxy: LiveProxy, then: str) -> None:
    """The admin signs in through the development form and lands on `then`."""
    page.goto(f"{proxy.url}/login?next={then}")
    page.fill("input[name=email]", "ada@acme.example")
    page.fill("input[name=groups]", "platform")
    page.click("form[action='/login/dev'] button[type=submit]")
    page.wait_for_url(f"{proxy.url}{then}")


@pytest.mark.parametrize("width", WIDTHS)
def test_every_admin_page_fits_logs_nothing_and_passes_axe(
    browser: Any, proxy: LiveProxy, width: int
) -> None:
    with checked_context(browser, width) as context:
        page = context.new_page()
        watched = Watched(page)
        sign_in_admin(page, proxy, "/admin")
        for path in PAGES:
            page.goto(proxy.url + path)
            watched.check(f"{path} at {width} px")
        page.goto(f"{proxy.url}/admin")
        charts = page.eval_on_selector_all(
            "svg.chart", "els => els.map(e => e.getBoundingClientRect().width)"
        )
        assert len(charts) == 2 and all(100 < w <= width for w in charts), charts
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        # the store is the test's temporary folder: the docs' picture shows a deployment's address
        page.eval_on_selector(".facts-grid code", "e => { e.textContent = 's3://acme-skills/catalog'; }")
        page.screenshot(path=str(SCREENSHOTS / f"admin-dashboard-{width}.png"), full_page=width == 1440)
        page.goto(f"{proxy.url}/admin/skills/release-notes")
        page.screenshot(path=str(SCREENSHOTS / f"admin-skill-{width}.png"), full_page=width == 1440)


def test_filters_and_paging_work_without_script(browser: Any, proxy: LiveProxy) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in_admin(page, proxy, "/admin/audit")
        page.select_option("select[name=event]", "download")
        page.fill("input[name=skill]", "csv-profiler")
        with page.expect_navigation():
            page.click("form.filters button[type=submit]")
        assert "event=download" in page.url and "skill=csv-profiler" in page.url
        events = page.eval_on_selector_all(
            "tr[data-seq] td[data-label=Event]", "els => els.map(e => e.innerText)"
        )
        assert len(events) == 50 and set(events) == {"download"}
        first = page.eval_on_selector_all("tr[data-seq]", "els => els.map(e => +e.dataset.seq)")
        with page.expect_navigation():
            page.click("a[rel=next]")
        second = page.eval_on_selector_all("tr[data-seq]", "els => els.map(e => +e.dataset.seq)")
        assert second and max(second) < min(first)
        with page.expect_navigation():
            page.click("a[rel=prev]")
        assert page.eval_on_selector_all("tr[data-seq]", "els => els.map(e => +e.dataset.seq)") == first
        with page.expect_download() as download:
            page.click("a[href^='/admin/audit.csv']")
        lines = Path(download.value.path()).read_text().splitlines()
        assert lines[0] == "seq,at,event,actor,detail" and len(lines) > 100
    finally:
        context.close()
