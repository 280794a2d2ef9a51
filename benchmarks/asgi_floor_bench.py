"""The floor under serve_bench's API figure: what uvicorn itself answers on this machine.

Usage: python benchmarks/asgi_floor_bench.py [--skills N] [--seconds S] [--concurrency C] [--json]

The same wrk load as serve_bench (keep-alive, C connections, the same Authorization header), against
three servers sending the same bytes as the proxy's `GET /api/skills` for the synthetic catalog of N
skills: a bare ASGI callable under uvicorn (one process, httptools: no framework at all), a bare
Starlette app with one route, and `skillport serve` itself. The proxy's ratio against the bare
uvicorn answer is the part of its time that is ours; the bare answer against nginx (serve_bench) is
the part no Python code of ours can win back.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]
from integration.processes import running_process  # noqa: E402
from integration.registry import free_port  # noqa: E402
from scale import bench_parser, parse_args  # noqa: E402
from serve_bench import _get, _measure, with_wrk_flags  # noqa: E402
from serving import make_token, publish_synthetic, serve_settings, serving  # noqa: E402

APPS = """
import os
from pathlib import Path
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

BODY = Path(os.environ["FLOOR_BODY"]).read_bytes()
TOKEN = ("Bearer " + os.environ["FLOOR_TOKEN"]).encode()
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]
REFUSED = [(b"content-length", b"0")]


async def bare(scope, receive, send):
    if scope["type"] != "http":
        return
    authorized = (b"authorization", TOKEN) in scope["headers"]
    start = (200, HEADERS) if authorized else (401, REFUSED)
    await send({"type": "http.response.start", "status": start[0], "headers": start[1]})
    await send({"type": "http.response.body", "body": BODY if authorized else b""})


async def skills(request):
    if request.headers.get("authorization", "").encode() != TOKEN:
        return Response(status_code=401)
    return Response(BODY, media_type="application/json")


starlette = Starlette(routes=[Route("/api/skills", skills)])
"""


def run(args: argparse.Namespace) -> dict[str, float]:
    """Publish, serve with all three, measure each; returns requests/s by server."""
    with tempfile.TemporaryDirectory(prefix="skillport-floor-bench-") as tmp:
        work = Path(tmp)
        store, public = publish_synthetic(work, args.skills)
        port, bare_port, starlette_port = free_port(), free_port(), free_port()
        token_text = make_token(work / "state.db")
        auth = {"Authorization": f"Bearer {token_text}"}
        (work / "floor_apps.py").write_text(APPS)
        figures: dict[str, float] = {}
        with serving(work, "serve", serve_settings(work, store, public, port)) as proxy:
            body = _get(f"{proxy}/api/skills", auth)[1]
            (work / "body.json").write_bytes(body)
            os.environ.update(FLOOR_BODY=str(work / "body.json"), FLOOR_TOKEN=token_text)
            uvicorn = [sys.executable, "-m", "uvicorn", "--app-dir", str(work), "--log-level", "warning"]
            uvicorn += ["--no-access-log", "--host", "127.0.0.1"]
            bare = [*uvicorn, "--port", str(bare_port), "floor_apps:bare"]
            starlette = [*uvicorn, "--port", str(starlette_port), "floor_apps:starlette"]
            urls = {
                "bare_asgi": f"http://127.0.0.1:{bare_port}/api/skills",
                "starlette": f"http://127.0.0.1:{starlette_port}/api/skills",
            }
            with (
                running_process(bare, work / "bare.log", urls["bare_asgi"], headers=auth),
                running_process(starlette, work / "starlette.log", urls["starlette"], headers=auth),
            ):
                for name, url in urls.items():
                    if _get(url, auth) != (200, body) or _get(url, {})[0] != 401:
                        raise SystemExit(f"{url} does not answer as the proxy does")
                    figures[name] = _measure(url, token_text, args)["rps"]
                figures["proxy"] = _measure(f"{proxy}/api/skills", token_text, args)["rps"]
        figures["api_bytes"] = len(body)
    return figures


def main() -> None:
    parser = with_wrk_flags(bench_parser(__doc__))
    args = parse_args(parser, __file__)
    if args is None:
        return
    f = run(args)
    if args.json:
        print(json.dumps({k: round(v, 1) for k, v in f.items()}))
        return
    print(
        f"{args.skills} skills; GET /api/skills ({f['api_bytes'] / 1e3:.0f} KB); wrk, {args.concurrency} "
        f"keep-alive connections, {args.seconds} s per run; {os.cpu_count()} CPUs shared"
    )
    print(f"{'':28}{'requests/s':>12}{'vs bare':>9}")
    for name, label in (
        ("bare_asgi", "bare ASGI on uvicorn"),
        ("starlette", "Starlette, one route"),
        ("proxy", "skillport serve"),
    ):
        print(f"{label:28}{f[name]:12.0f}{f[name] / f['bare_asgi']:9.3f}")


if __name__ == "__main__":
    main()
