"""The admin dashboard over a big audit log: how fast `/admin` and the audit pages answer.

Usage: python benchmarks/admin_bench.py [--skills N] [--audit-rows R] [--repeat K] [--json] [--scale]

The synthetic marketplace the other benchmarks use is built, signed and published to a local
store; the state database gets R audit events (default 100,000) over the last 90 days — downloads,
reads, lists and sign-ins of R/200 people across the catalog's skills — and their download counts.
Then `skillport serve` (one uvicorn process, the dev sign-in, on 127.0.0.1) is started, an admin
signs in through the form as a browser would, and each page is fetched K times over keep-alive
HTTP after one warm-up request; p50 and p95 of the whole answer (headers and body read) are printed.

- the first `/admin` after the start, and how long the background fold of every event into the
  daily roll-ups takes (the page answers at once meanwhile, saying the charts catch up); apart;
- `/admin`: health, both charts, top skills, latest events (target p95 < 200 ms);
- `/admin/audit`: the newest page; a deep page (keyset cursor half-way down); filtered by event
  and skill; filtered by a skill nobody touched (the worst case: every row is looked at);
  (target p95 < 200 ms for each);
- `/admin/skills` (the inventory) and `/admin/skills/<skill>` (readers, per-version chart);
- the whole log as CSV (`/admin/audit.csv`), once, in seconds.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from integration.registry import free_port  # noqa: E402
from scale import bench_parser, parse_args  # noqa: E402
from serving import publish_synthetic, run_stoppable, serve_settings, serving  # noqa: E402

from skillport_build.proxy.audit_queries import execute_many, query  # noqa: E402
from skillport_build.proxy.state import State  # noqa: E402
from skillport_build.stores import current_catalog  # noqa: E402

TARGET_MS = 200.0
ADMIN, ADMIN_GROUP = "admin@bench.example", "platform"
POLICY = 'defaults:\n  read: ["*"]\nadmins: ["group:platform"]\n'


def fill_audit(db: Path, skills: list[str], rows: int, now: datetime, seed: int = 7) -> None:
    """`rows` audit events over the last 90 days, oldest first, with their download counts."""
    rng = random.Random(seed)
    people = [f"person{i}@bench.example" for i in range(max(10, rows // 200))]
    span = 90 * 86400
    events, downloads = [], {}
    for i in range(rows):
        at = (now - timedelta(seconds=span - i * span // rows)).strftime("%Y-%m-%dT%H:%M:%SZ")
        who, skill, kind = rng.choice(people), rng.choice(skills), rng.random()
        if kind < 0.3:
            version = rng.choice(("1.0.0", "1.1.0", "1.2.0"))
            detail = {"kind": "skill", "name": skill, "version": version}
            events.append((at, "download", who, detail))
            downloads[(skill, version)] = downloads.get((skill, version), 0) + 1
        elif kind < 0.6:
            events.append((at, "read", who, {"skill": skill, "version": "1.0.0"}))
        elif kind < 0.85:
            events.append((at, "list", who, {"q": skill[:6]}))
        else:
            events.append((at, "signin", who, {"via": "oidc", "groups": ["engineering"]}))
    state = State(db)
    with state.transaction() as tx:
        execute_many(
            tx,
            "INSERT INTO audit (at, event, actor, detail) VALUES (?, ?, ?, ?)",
            [(at, event, who, json.dumps(detail, sort_keys=True)) for at, event, who, detail in events],
        )
        execute_many(tx, "INSERT INTO downloads VALUES (?, ?, ?)", [(*k, n) for k, n in downloads.items()])
        execute_many(
            tx,
            "INSERT INTO people VALUES (?, ?, ?)",
            [(p, json.dumps(["engineering"]), events[-1][0]) for p in people],
        )
    state.close()


class Browser:
    """One keep-alive HTTP connection with a cookie, as a signed-in admin's browser."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookie = ""

    def get(self, path: str) -> tuple[int, bytes]:
        return self.request("GET", path)

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        headers = {"Accept": "text/html", "Cookie": self.cookie}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                self.cookie = value.split(";", 1)[0]
        return response.status, data

    def sign_in(self) -> None:
        page = self.get("/login")[1].decode()
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        if csrf is None:
            raise SystemExit("the sign-in page has no form")
        form = urlencode({"email": ADMIN, "groups": ADMIN_GROUP, "csrf": csrf[1], "next": "/admin"})
        status, _ = self.request("POST", "/login/dev", form)
        if status != 303:
            raise SystemExit(f"dev sign-in answered {status}")


def timed(browser: Browser, path: str, repeat: int) -> dict[str, float]:
    """p50 and p95 in ms of `repeat` GETs of `path` after one warm-up; exits on any non-200."""
    samples = []
    for i in range(repeat + 1):
        start = time.perf_counter()
        status, body = browser.get(path)
        elapsed = (time.perf_counter() - start) * 1000
        if status != 200:
            raise SystemExit(f"{path} answered {status}: {body[:300]!r}")
        if i:
            samples.append(elapsed)
    samples.sort()
    return {
        "p50_ms": statistics.median(samples),
        "p95_ms": samples[max(0, round(0.95 * len(samples)) - 1)],
        "bytes": len(body),
    }


def run(args: argparse.Namespace) -> dict[str, object]:
    """Publish, fill, serve, sign in, measure."""
    with tempfile.TemporaryDirectory(prefix="skillport-admin-bench-") as tmp:
        work = Path(tmp)
        store, public = publish_synthetic(work, args.skills, policy=POLICY)
        catalog = current_catalog(store)
        assert catalog is not None
        skills = [s.ref for s in catalog.skills]
        started = time.perf_counter()
        fill_audit(work / "state.db", skills, args.audit_rows, datetime.now(UTC))
        fill_s = time.perf_counter() - started
        port = free_port()
        with serving(work, "serve", serve_settings(work, store, public, port)):
            browser = Browser(port)
            browser.sign_in()
            start = time.perf_counter()
            status, body = browser.get("/admin")
            cold_ms = (time.perf_counter() - start) * 1000
            if status != 200:
                raise SystemExit(f"/admin answered {status} to an admin")
            while b"The charts are catching up" in body:  # the start-up fold of the whole log
                time.sleep(0.5)
                body = browser.get("/admin")[1]
            folded_s = time.perf_counter() - start
            half = query(State(work / "state.db"), "SELECT MAX(seq) FROM audit")[0][0] // 2
            busy, quiet = skills[0], "never-touched-skill"
            pages = {
                "admin": "/admin",
                "audit": "/admin/audit",
                "audit_deep": f"/admin/audit?before={half}",
                "audit_filtered": f"/admin/audit?event=download&skill={busy}",
                "audit_person": "/admin/audit?person=person3@bench.example",
                "audit_no_match": f"/admin/audit?skill={quiet}",
                "inventory": "/admin/skills",
                "skill": f"/admin/skills/{busy}",
            }
            figures = {name: timed(browser, path, args.repeat) for name, path in pages.items()}
            start = time.perf_counter()
            status, csv_body = browser.get("/admin/audit.csv")
            export_s = time.perf_counter() - start
    return {
        "skills": args.skills,
        "audit_rows": args.audit_rows,
        "fill_s": round(fill_s, 2),
        "cold_admin_ms": round(cold_ms, 1),
        "folded_s": round(folded_s, 1),
        "export_csv_s": round(export_s, 2),
        "export_csv_rows": csv_body.count(b"\n") - 1,
        **{f"{name}_{k}": round(v, 2) for name, m in figures.items() for k, v in m.items()},
    }


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--audit-rows", type=int, default=100_000, help="audit events in the state")
    parser.add_argument("--repeat", type=int, default=40, help="timed requests per page")
    args = parse_args(parser, __file__)
    if args is None:
        return
    f = run_stoppable(run, args, "the server stopped")
    if args.json:
        print(json.dumps(f))
        return
    met = {True: "met", False: "MISSED"}
    print(
        f"{f['skills']} skills, {f['audit_rows']:,} audit rows (written in {f['fill_s']} s); one uvicorn "
        f"process, {args.repeat} sequential keep-alive requests per page after one warm-up"
    )
    print(
        f"first /admin after start: {f['cold_admin_ms']:.0f} ms (charts catching up); the background fold "
        f"of every event into the daily roll-ups done after {f['folded_s']} s"
    )
    print(f"{'page':18}{'p50':>10}{'p95':>10}{'bytes':>10}  target p95 < {TARGET_MS:.0f} ms")
    for name in (
        "admin",
        "audit",
        "audit_deep",
        "audit_filtered",
        "audit_person",
        "audit_no_match",
        "inventory",
        "skill",
    ):
        p50, p95, size = f[f"{name}_p50_ms"], f[f"{name}_p95_ms"], f[f"{name}_bytes"]
        verdict = met[float(p95) < TARGET_MS]  # type: ignore[arg-type]
        print(f"{name:18}{p50:>8.1f}ms{p95:>8.1f}ms{size:>10}  {verdict}")
    print(f"/admin/audit.csv: {f['export_csv_rows']:,} rows in {f['export_csv_s']} s")


if __name__ == "__main__":
    main()
