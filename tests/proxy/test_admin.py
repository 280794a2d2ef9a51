"""The admin dashboard against a state holding thousands of events: admins only (anyone else gets
the missing page's answer), charts that count what the log holds, filters, keyset paging both
ways, CSV/JSON export (formula cells neutralised) and the retention prune."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from proxy.served import Served
from proxy.test_access_matrix import sign_in

from skillport_build.errors import ConfigError, UsageError
from skillport_build.proxy.audit_queries import AuditFilter, AuditLog, execute_many, query, run_retention
from skillport_build.proxy.config import load_config
from skillport_build.proxy.state import State

PAGES = ("/admin", "/admin/skills", "/admin/skills/release-notes", "/admin/access", "/admin/audit")
EXPORTS = ("/admin/audit.csv", "/admin/audit.json")
PEOPLE = [f"p{i}@acme.example" for i in range(40)]
SKILLS = ["release-notes", "csv-profiler", "pr-review", "incident-postmortem"]
EVENTS = 6000


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def fill(
    state: State, count: int = EVENTS, days: int = 40, fold: bool = True
) -> list[tuple[str, str, str, dict[str, str]]]:
    """`count` events over the last `days` days, oldest first, folded into the roll-ups as the
    proxy's background fold would (unless `fold` is false); returns them as written."""
    now = datetime.now(UTC).replace(microsecond=0)
    rows = []
    for i in range(count):
        at = stamp(now - timedelta(seconds=(count - i) * days * 86400 // count))
        skill, person = SKILLS[i % len(SKILLS)], PEOPLE[i % len(PEOPLE)]
        if i % 3 == 0:
            rows.append((at, "download", person, {"kind": "skill", "name": skill, "version": f"1.{i % 2}.0"}))
        elif i % 3 == 1:
            rows.append((at, "read", person, {"skill": skill, "version": "1.0.0"}))
        else:
            rows.append((at, "list", person, {"q": skill}))
    with state.transaction() as db:
        execute_many(
            db,
            "INSERT INTO audit (at, event, actor, detail) VALUES (?, ?, ?, ?)",
            [(at, event, actor, json.dumps(detail, sort_keys=True)) for at, event, actor, detail in rows],
        )
    if fold:
        AuditLog(state).fold()
    return rows


@pytest.fixture
def admin(served: Served) -> Served:
    sign_in(served, "admin")
    return served


def test_anyone_but_an_admin_gets_the_answer_a_missing_page_gets(served: Served) -> None:
    sign_in(served, "engineer")
    missing = served.client.get("/no-such-page.html", headers={"accept": "text/html"})
    assert missing.status_code == 404
    for path in (*PAGES, *EXPORTS, "/admin/skills/no-such-skill", "/admin/audit.xml"):
        response = served.client.get(path, headers={"accept": "text/html"})
        assert (response.status_code, response.text) == (404, missing.text), path
        answer = served.client.get(path, headers={"accept": "application/json"})
        assert answer.json() == {"error": "no such page", "status": 404}, path
    refused = [e for e in served.state.audit_tail(50) if e["event"] == "admin.refused"]
    assert {e["path"] for e in refused} >= {*PAGES, *EXPORTS}
    assert {e["actor"] for e in refused} == {"eve@acme.example"}


def test_admin_pages_need_a_signed_in_session_not_a_token(served: Served) -> None:
    for path in (*PAGES, *EXPORTS):
        response = served.get("admin", path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next="), path


def test_the_dashboard_puts_health_first_and_counts_what_the_log_holds(admin: Served) -> None:
    rows = fill(admin.state)
    page = admin.client.get("/admin")
    assert page.status_code == 200
    text = page.text
    assert text.index('Catalog health <span class="badge">good</span>') < text.index("Downloads per day")
    assert re.search(
        r"<dt>Expires</dt><dd><time datetime=\"[\dTZ:-]+\">[\d: -]+ UTC</time> \(in \d+ days\)", text
    )
    assert "<dt>Audit kept</dt><dd>forever" in text
    today = datetime.now(UTC).date()
    first = (today - timedelta(days=29)).isoformat()
    downloads = sum(1 for at, event, _, _ in rows if event == "download" and at[:10] >= first)
    logged = query(admin.state, "SELECT at, event, actor FROM audit")  # with the tokens and the sign-in
    active_days = {(at[:10], who) for at, event, who in logged if who and at[:10] >= first}
    assert f"{downloads} in the last 30 days." in text
    desc = re.findall(r'<desc id="chart\d+-d">([^<]*)</desc>', text)
    assert desc[0].startswith(f"{downloads} downloads from {first} to {today.isoformat()}")
    assert desc[1].startswith(f"{len(active_days)} people from {first}")
    for skill in SKILLS:
        assert f'<a href="/admin/skills/{skill}">{skill}</a>' in text
    assert text.count("<svg") == 2 + len(SKILLS)  # two charts and a sparkline per downloaded skill


def test_the_charts_take_only_new_events_after_the_first_fold(admin: Served) -> None:
    rows = fill(admin.state, 3000, fold=False)
    log = AuditLog(admin.state)
    log.fold()
    assert log.backlog() == 0 and log.fold() == 0
    downloads = sum(1 for r in rows if r[1] == "download")
    assert sum(log.daily("download", "2000-01-01").values()) == downloads
    admin.state.audit(
        "download", "x@acme.example", {"kind": "skill", "name": "pr-review", "version": "9.9.9"}
    )
    assert log.backlog() == 1 and log.fold() == 1
    day = datetime.now(UTC).date().isoformat()
    assert log.daily("download", day, "pr-review")[(day, "9.9.9")] == 1
    assert sum(log.daily("download", "2000-01-01").values()) == downloads + 1


def test_a_page_never_waits_for_a_big_backlog_and_says_the_charts_lag(admin: Served) -> None:
    fill(admin.state, 6000, fold=False)
    page = admin.client.get("/admin").text
    assert re.search(r"The charts are catching up with \d+ older events", page)
    assert ">0 in the last 30 days." in page
    audit = admin.client.get("/admin/audit?skill=pr-review").text
    assert "The skill filter does not see the newest" in audit
    AuditLog(admin.state).fold()  # what the proxy's background fold does
    page = admin.client.get("/admin").text
    assert "catching up" not in page and ">0 in the last 30 days." not in page


def test_one_skills_page_names_its_readers_and_charts_each_version(admin: Served) -> None:
    rows = fill(admin.state)
    page = admin.client.get("/admin/skills/incident-postmortem").text
    assert "The policy's <strong>plugin</strong> rule decides:" in page
    assert "group:sre, group:engineering-managers, group:platform." in page
    assert ">ada@acme.example</a>" in page and "sam@acme.example" not in page  # only ada signed in
    first = (datetime.now(UTC).date() - timedelta(days=29)).isoformat()
    per_version: dict[str, int] = {}
    for at, event, _, detail in rows:
        if event == "download" and detail["name"] == "incident-postmortem" and at[:10] >= first:
            per_version[detail["version"]] = per_version.get(detail["version"], 0) + 1
    for version, count in per_version.items():
        assert f"{version} ({count})" in page
    assert admin.client.get("/admin/skills/no-such-skill").status_code == 404


def test_the_inventory_lists_every_skill_with_its_readers(admin: Served) -> None:
    page = admin.client.get("/admin/skills").text
    assert "6 skills;" in page
    assert '<strong>anyone signed in</strong> <span class="meta">(defaults)</span>' in page
    filtered = admin.client.get("/admin/skills?q=group:sre").text
    assert (
        "1 skill match" in filtered
        and "incident-postmortem" in filtered
        and "release-notes</a>" not in filtered
    )
    empty = admin.client.get("/admin/skills?q=zzz").text
    assert "No skill matches." in empty
    assert admin.client.get("/admin/skills?page=x").status_code == 400


def test_the_access_explorer_says_what_a_person_can_read(admin: Served) -> None:
    sam = admin.client.get("/admin/access?who=sam@acme.example&groups=sre").text
    assert "incident-postmortem</a>" in sam and "decision-record</a>" not in sam and "1 skill hidden" in sam
    ada = admin.client.get("/admin/access?who=ada@acme.example").text  # groups from her sign-in
    assert "Last signed in" in ada and "<strong>An admin:</strong>" in ada and "0 skills hidden" in ada
    nobody = admin.client.get("/admin/access?who=new@acme.example").text
    assert "Has not signed in here" in nobody and "2 skills hidden" in nobody
    bad = admin.client.get("/admin/access?who=not-an-email", headers={"accept": "application/json"})
    assert bad.status_code == 400 and "is not an email address" in bad.json()["error"]
    assert admin.client.get("/admin/access?who=a@b.example&groups=<x>").status_code == 400


def seqs(html: str) -> list[int]:
    return [int(s) for s in re.findall(r'data-seq="(\d+)"', html)]


def links(html: str, rel: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
    return found[1].replace("&amp;", "&") if found else None


def expected(state: State, **where: str) -> list[int]:
    return [e.seq for e in AuditLog(state).export(AuditFilter(**where))]


@pytest.mark.parametrize(
    "where",
    [
        {},
        {"event": "download"},
        {"person": "p7@acme.example"},
        {"skill": "csv-profiler"},
        {"event": "read", "skill": "pr-review", "since": "2000-01-01"},
    ],
    ids=lambda w: ",".join(w) or "all",
)
def test_audit_pages_follow_the_filter_down_and_back_up(admin: Served, where: dict[str, str]) -> None:
    fill(admin.state)
    query = "&".join(f"{k}={v}" for k, v in where.items())
    url: str | None = f"/admin/audit?{query}"
    pages: list[list[int]] = []
    while url:
        html = admin.client.get(url).text
        pages.append(seqs(html))
        url = links(html, "next")
        assert len(pages) < 200
    assert [s for p in pages for s in p] == expected(admin.state, **where)
    assert all(len(p) == 50 for p in pages[:-1])
    # back up from the second page: Newer gives the first page again
    if len(pages) > 1:
        second = admin.client.get(f"/admin/audit?{query}&before={pages[0][-1]}").text
        newer = links(second, "prev")
        assert newer is not None
        assert seqs(admin.client.get(newer).text) == pages[0]


def test_every_row_shown_matches_the_filter(admin: Served) -> None:
    rows = fill(admin.state)
    day = rows[len(rows) // 2][0][:10]
    html = admin.client.get(
        f"/admin/audit?event=download&person=p3@acme.example&since={day}&until={day}"
    ).text
    want = [r for r in rows if r[1] == "download" and r[2] == "p3@acme.example" and r[0][:10] == day]
    assert len(seqs(html)) == min(len(want), 50) > 0
    assert html.count('<a href="/admin/audit?event=download">download</a>') == len(seqs(html))


def test_the_detail_column_shows_keys_and_values_not_a_python_dict(admin: Served) -> None:
    admin.state.audit("signin", "zed@acme.example", {"via": "oidc", "groups": ["a", "b"], "n": 3})
    html = admin.client.get("/admin/audit?person=zed@acme.example").text
    assert "<dt>groups</dt><dd>a, b</dd>" in html and "<dt>via</dt><dd>oidc</dd>" in html
    assert "<dt>n</dt><dd>3</dd>" in html
    assert "{&#39;" not in html and "{'" not in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=yesterday", "the 'since' filter 'yesterday' is not a day like 2026-12-01"),
        ("until=2026-02-30", "the 'until' filter '2026-02-30' is not a day of the calendar"),
        ("event=DROP%20TABLE", "the 'event' filter 'DROP TABLE' is not a plain name"),
        ("skill=../x", "the 'skill' filter '../x' is not a plain name"),
        ("before=abc", "the 'before' cursor 'abc' is not one this page made"),
    ],
)
def test_a_bad_filter_is_a_clear_400(admin: Served, query: str, message: str) -> None:
    response = admin.client.get(f"/admin/audit?{query}", headers={"accept": "application/json"})
    assert response.status_code == 400
    assert message in response.json()["error"]
    if not query.startswith("before="):  # an export takes the filter only, never a cursor
        assert admin.client.get(f"/admin/audit.csv?{query}").status_code == 400


def test_a_skill_filter_is_a_literal_name_not_a_pattern(admin: Served) -> None:
    admin.state.audit("read", "a@acme.example", {"skill": "csv-profiler"})
    assert seqs(admin.client.get("/admin/audit?skill=csv_profiler").text) == []
    assert seqs(admin.client.get("/admin/audit?skill=csv-profile").text) == []
    assert len(seqs(admin.client.get("/admin/audit?skill=csv-profiler").text)) == 1


def test_the_csv_export_holds_every_match_and_neutralises_formulas(admin: Served) -> None:
    fill(admin.state, 3000)
    for evil in ('=HYPERLINK("http://evil.example")', "+1+1", "-2+3", "@SUM(A1)", "\tx"):
        admin.state.audit("read", evil, {"skill": evil})
    response = admin.client.get("/admin/audit.csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="skillport-audit-[\dT-]+Z\.csv"', response.headers["content-disposition"]
    )
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[0] == ["seq", "at", "event", "actor", "detail"]
    assert [int(r[0]) for r in table[1:]] == expected(admin.state)  # its own admin.export line first
    assert table[1][2] == "admin.export"
    actors = {r[3] for r in table[1:] if r[2] == "read"}
    assert {'\'=HYPERLINK("http://evil.example")', "'+1+1", "'-2+3", "'@SUM(A1)", "'\tx"} <= actors
    assert not any(cell[:1] in "=+-@\t\r" for row in table[1:] for cell in row if cell)


def test_the_json_export_follows_the_filter(admin: Served) -> None:
    fill(admin.state, 3000)
    response = admin.client.get("/admin/audit.json?event=download&skill=pr-review")
    assert response.headers["content-type"] == "application/json"
    events = response.json()
    assert [e["seq"] for e in events] == expected(admin.state, event="download", skill="pr-review")
    assert all(e["detail"]["name"] == "pr-review" and e["event"] == "download" for e in events)
    exported = [e for e in admin.state.audit_tail(5) if e["event"] == "admin.export"]
    assert exported[-1]["actor"] == "ada@acme.example"
    assert exported[-1]["format"] == "json"
    assert exported[-1]["filter"] == {"event": "download", "skill": "pr-review"}


def test_export_links_carry_the_filter(admin: Served) -> None:
    html = admin.client.get("/admin/audit?event=read&person=p1@acme.example").text
    found = re.search(
        r'<a class="button secondary small" href="(/admin/audit\.csv\?[^"]+)" download>CSV</a>', html
    )
    assert (
        found
        and unquote(found[1].replace("&amp;", "&")) == "/admin/audit.csv?event=read&person=p1@acme.example"
    )


def test_retention_prunes_old_events_keeps_the_daily_counts_and_audits_itself(tmp_path: Path) -> None:
    state = State(tmp_path / "state.db")
    rows = fill(state, 4000, days=40, fold=False)
    log = AuditLog(state)
    now = datetime.now(UTC)
    cutoff = stamp(now - timedelta(days=10))
    old = sum(1 for at, *_ in rows if at < cutoff)
    before = log.daily("download", "2000-01-01")
    assert log.prune(10, now) == old
    assert query(state, "SELECT COUNT(*) FROM audit WHERE at < ?", (cutoff,)) == [(0,)]
    assert before == {}  # nothing folded before the prune: it folds first, so no event goes uncounted
    assert sum(log.daily("download", "2000-01-01").values()) == sum(1 for r in rows if r[1] == "download")
    assert min(log.active("2000-01-01")) >= cutoff[:10]
    last = state.audit_tail(1)[0]
    assert last["event"] == "audit.prune" and last["removed"] == old and last["days"] == 10
    assert log.prune(10, now) == 0  # nothing more to remove: not audited again
    assert [e["event"] for e in state.audit_tail(2)] == [
        "download" if rows[-1][1] == "download" else rows[-1][1],
        "audit.prune",
    ]
    with pytest.raises(UsageError, match="audit_days must be 1 or more"):
        log.prune(0, now)
    state.close()


def test_the_retention_loop_prunes_at_once_then_waits(tmp_path: Path) -> None:
    state = State(tmp_path / "state.db")
    fill(state, 500, days=40)
    stop = threading.Event()
    stop.set()
    run_retention(AuditLog(state), 30, lambda: datetime.now(UTC), stop, interval=0.01)
    assert state.audit_tail(1)[0]["event"] == "audit.prune"
    state.close()


def test_audit_days_is_a_setting_with_its_environment_variable(tmp_path: Path) -> None:
    base = {"store": "x", "keys": ("k",), "dev": True}
    assert load_config(None, {}, base).audit_days is None
    assert load_config(None, {"SKILLPORT_AUDIT_DAYS": "90"}, base).audit_days == 90
    with pytest.raises(ConfigError, match="audit_days: Input should be greater than or equal to 1"):
        load_config(None, {"SKILLPORT_AUDIT_DAYS": "0"}, base)


def test_the_dashboard_says_the_retention(published: tuple[Path, object, Path], tmp_path: Path) -> None:
    from proxy.served import config
    from starlette.testclient import TestClient

    from skillport_build.proxy.app import create_app
    from skillport_build.trust.keys import load_public_keys

    _, store, public = published
    settings = config(tmp_path, store, public, audit_days=7)  # type: ignore[arg-type]
    state = State(settings.db)
    fill(state, 1000, days=20)
    app = create_app(settings, store, load_public_keys(settings.keys), state, refresh=False)  # type: ignore[arg-type]
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        served = Served(client, state, store)  # type: ignore[arg-type]
        sign_in(served, "admin")
        html = client.get("/admin").text
        assert "<dt>Audit kept</dt><dd>7 days (older events pruned hourly)" in html
        # the prune runs on its own thread from start-up; wait for it, not for a fixed time
        cutoff = stamp(datetime.now(UTC) - timedelta(days=7, minutes=1))
        deadline = time.monotonic() + 20
        while (oldest := query(state, "SELECT MIN(at) FROM audit")[0][0]) < cutoff:
            assert time.monotonic() < deadline, f"events from {oldest} are still kept"
            time.sleep(0.05)
    state.close()


def test_serve_takes_audit_days_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from skillport_build.cli import main
    from skillport_build.proxy import server

    seen: list[int | None] = []
    monkeypatch.setattr(server, "serve", lambda config: seen.append(config.audit_days))
    base = ["serve", "--store", str(tmp_path), "--key", __file__, "--dev"]
    with pytest.raises(SystemExit) as exited:
        main([*base, "--audit-days", "30"])
    assert exited.value.code == 0 and seen == [30]
    with pytest.raises(SystemExit) as exited:
        main([*base, "--audit-days", "0"])
    assert exited.value.code == 2 and "0 is not in the range x>=1" in capsys.readouterr().err


def test_a_skills_page_lists_a_hundred_readers_and_counts_the_rest(admin: Served) -> None:
    with admin.state.transaction() as db:
        execute_many(
            db,
            "INSERT INTO people VALUES (?, ?, ?)",
            [(f"r{i:03}@acme.example", json.dumps(["sre"]), "2026-12-01T00:00:00Z") for i in range(150)],
        )
    page = admin.client.get("/admin/skills/incident-postmortem").text
    assert page.count('<a href="/admin/access?who=') == 100
    assert "and 51 more;" in page  # 150 in sre, and ada (the admin) signed in too


def test_the_latest_events_leave_out_admins_page_views(admin: Served) -> None:
    for _ in range(20):
        admin.client.get("/admin")
    admin.state.audit("read", "zed@acme.example", {"skill": "pr-review"})
    page = admin.client.get("/admin").text
    latest = page[page.index('id="events-h"') :]
    assert "?person=zed%40acme.example" in latest and ">admin.view</a>" not in latest
    assert len(seqs(admin.client.get("/admin/audit?event=admin.view").text)) == 21
