"""Requests per second of `skillport serve` against Debian's nginx serving the same bytes from disk.

Usage: python benchmarks/serve_bench.py [--skills N] [--seconds S] [--concurrency C] [--json]

The synthetic marketplace the other benchmarks use is built, signed and published to a local
store. Then, side by side on this machine, with the same load generator (wrk, keep-alive, C open
connections, S seconds after a warm-up) and the same `Authorization: Bearer` header:
- API: `GET /api/skills` from the proxy (a personal token, the answer cached per audience) against
  nginx sending the identical JSON body as a static file (target: the proxy at 0.25 of nginx or more),
  with one uvicorn worker and with `--workers 2` (target: 0.5 of nginx or more with 2);
- Claude Code marketplace: `GET /claude-code/marketplace.json` (one plugin per skill, so 1,000
  plugins at the default size; archive sources with their sha256) against nginx sending the same
  bytes (target: 0.25 of nginx or more);
- downloads: `GET /bundles/<one skill zip>` from the proxy (verified, kept in memory) against nginx
  sending the same zip from the store folder (target: 0.5 of nginx's MB/s or more), and beside it
  the two modes that keep the access check in the proxy but not the bytes: `downloads: x-accel`
  (nginx in front of a second proxy, which answers X-Accel-Redirect; nginx sends the file) and
  `downloads: redirect` (a third proxy over the same build in an S3 store on moto's server: what is
  measured is its 302 answers per second, since the bytes then come from the object store).
nginx checks the header too (a static `if ($http_authorization != "Bearer …")`), so both refuse a
request without the token; it runs with `worker_processes auto`, the proxy as one uvicorn process
(and, for the 2-worker row, as two).
wrk rather than ApacheBench: `ab -k` speaks HTTP/1.0, and uvicorn closes HTTP/1.0 connections
after each answer, so ab would time the proxy reconnecting against nginx keeping connections open.
Both servers listen on 127.0.0.1 only and are stopped (temp dirs removed) on exit or Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from integration.nginx import running_nginx  # noqa: E402
from integration.registry import free_port  # noqa: E402
from integration.s3 import ACCESS_KEY, REGION, SECRET_KEY, running_s3  # noqa: E402
from scale import bench_parser, parse_args  # noqa: E402
from serving import make_token, publish_synthetic, run_stoppable, serve_settings, serving  # noqa: E402

from skillport_build.release.publish import publish  # noqa: E402
from skillport_build.stores import current_catalog, open_store  # noqa: E402

API_TARGET, DOWNLOAD_TARGET, WORKERS_TARGET = 0.25, 0.5, 0.5
MARKETPLACE = "/claude-code/marketplace.json"
BYTES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}  # wrk's units
MILLISECONDS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # 127.0.0.1 only, never a proxy
NGINX_HTTP = """\
sendfile on;
tcp_nopush on;
keepalive_requests 1000000;
types {{ application/zip zip; }}
server {{
    listen 127.0.0.1:{port};
    if ($http_authorization != "Bearer {token}") {{ return 401; }}
    location = /api/skills {{ default_type application/json; root {www}; }}
    location = /claude-code/marketplace.json {{ default_type application/json; root {www}; }}
    location /bundles/ {{ alias {store}/; }}
}}
server {{
    listen 127.0.0.1:{accel_port};
    location / {{ proxy_pass http://accel; proxy_http_version 1.1; proxy_set_header Connection ""; }}
    location /_skillport/store/ {{
        internal;
        alias {store}/;
        add_header X-Content-SHA256 $upstream_http_x_content_sha256;
    }}
}}
upstream accel {{ server 127.0.0.1:{accel_upstream}; keepalive 64; }}
"""


def _find(pattern: str, text: str) -> re.Match[str]:
    found = re.search(pattern, text)
    if found is None:
        raise SystemExit(f"cannot read wrk's output (no {pattern!r}):\n{text}")
    return found


def _wrk(url: str, token: str, seconds: int, connections: int) -> dict[str, float]:
    """Requests/s, MB/s (decimal) received and the median latency; exits when any request failed."""
    threads = min(connections, os.cpu_count() or 1)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    out = subprocess.run(
        [*command, "-H", f"Authorization: Bearer {token}", url], capture_output=True, text=True, check=True
    ).stdout
    errors = re.search(r"Socket errors: (.*)", out)
    if "Non-2xx" in out or (errors and any(int(n) for n in re.findall(r"\d+", errors.group(1)))):
        raise SystemExit(f"wrk saw failed requests on {url}:\n{out}")
    rate = _find(r"Transfer/sec:\s+([\d.]+)([KMG]?B)", out)
    p50 = _find(r"50%\s+([\d.]+)(us|ms|s)\b", out)
    return {
        "rps": float(_find(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "mbps": float(rate.group(1)) * BYTES[rate.group(2)] / 1e6,
        "p50_ms": float(p50.group(1)) * MILLISECONDS[p50.group(2)],
    }


def _measure(url: str, token: str, args: argparse.Namespace) -> dict[str, float]:
    _wrk(url, token, args.warmup, args.concurrency)
    figures = _wrk(url, token, args.seconds, args.concurrency)
    print(f"measured {url}: {figures}", file=sys.stderr)  # kept if a later run fails
    return figures


def _get(url: str, headers: dict[str, str]) -> tuple[int, bytes]:
    try:
        with DIRECT.open(urllib.request.Request(url, headers=headers), timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def with_wrk_flags(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """`parser` with wrk's run settings added: seconds measured, warm-up, connections."""
    parser.add_argument("--seconds", type=int, default=10, help="each measured run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of load before each measured run")
    parser.add_argument("--concurrency", type=int, default=50, help="open keep-alive connections")
    return parser


def run(args: argparse.Namespace) -> dict[str, float]:
    """Publish, serve with both, measure; returns the figures."""
    if shutil.which("wrk") is None or shutil.which("nginx") is None:
        raise SystemExit(
            "serve_bench needs Debian's nginx and wrk: apt-get install -y nginx wrk "
            "(`make bench` installs them when missing)"
        )
    with tempfile.TemporaryDirectory(prefix="skillport-serve-bench-") as tmp:
        work = Path(tmp)
        store, public = publish_synthetic(work, args.skills)
        catalog = current_catalog(store)
        assert catalog is not None
        by_size = sorted(catalog.skills, key=lambda s: s.bundle.size)
        bundle = by_size[len(by_size) // 2].bundle  # a skill zip of median size
        zip_bytes = store.get(bundle.path)
        proxy_port, nginx_port, accel_port, accel_upstream, redirect_port, workers_port = (
            free_port() for _ in range(6)
        )
        settings = serve_settings(work, store, public, proxy_port)
        token = make_token(work / "state.db")
        auth = {"Authorization": f"Bearer {token}"}
        accel = f"http://127.0.0.1:{accel_port}"
        s3 = running_s3(work / "s3")
        os.environ.update(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY, AWS_REGION=REGION)
        with (
            s3 as server,
            serving(work, "serve", settings) as proxy,
            serving(work, "accel", {**settings, "port": accel_upstream, "downloads": "x-accel"}),
            serving(work, "workers", {**settings, "port": workers_port, "workers": 2}) as two_workers,
        ):
            os.environ["SKILLPORT_S3_ENDPOINT_URL"] = server.endpoint
            s3_store = open_store(f"s3://{server.bucket()}/bench")
            publish(work / "dist", s3_store)
            redirect_settings = {**settings, "store": s3_store.url, "port": redirect_port}
            redirect_settings |= {"downloads": "redirect", "db": str(work / "state.db")}
            body = _get(f"{proxy}/api/skills", auth)[1]
            (work / "www/api").mkdir(parents=True)
            (work / "www/api/skills").write_bytes(body)
            market = _get(proxy + MARKETPLACE, auth)[1]
            (work / "www/claude-code").mkdir()
            (work / "www/claude-code/marketplace.json").write_bytes(market)
            http = NGINX_HTTP.format(
                port=nginx_port,
                token=token,
                www=work / "www",
                store=store.root,
                accel_port=accel_port,
                accel_upstream=accel_upstream,
            )
            with (
                running_nginx(work / "nginx", http, nginx_port, workers="auto") as nginx,
                serving(work, "redirect", redirect_settings) as redirect,
            ):
                for base in (accel, redirect):  # followed to the store: the same bytes, the same refusal
                    path = f"/bundles/{bundle.path}"
                    if _get(base + path, auth) != (200, zip_bytes) or _get(base + path, {})[0] != 401:
                        raise SystemExit(f"{base}{path} does not answer as the proxy does")
                for base in (proxy, nginx):  # the same bytes, and the same refusal without the token
                    pairs = (
                        ("/api/skills", body),
                        (MARKETPLACE, market),
                        (f"/bundles/{bundle.path}", zip_bytes),
                    )
                    for path, expected in pairs:
                        if _get(base + path, auth) != (200, expected) or _get(base + path, {})[0] != 401:
                            raise SystemExit(f"{base}{path} does not answer as the other server does")
                figures = {
                    "api": _measure(f"{proxy}/api/skills", token, args),
                    "nginx_api": _measure(f"{nginx}/api/skills", token, args),
                    "api_2w": _measure(f"{two_workers}/api/skills", token, args),
                    "marketplace": _measure(proxy + MARKETPLACE, token, args),
                    "nginx_marketplace": _measure(nginx + MARKETPLACE, token, args),
                    "download": _measure(f"{proxy}/bundles/{bundle.path}", token, args),
                    "nginx_download": _measure(f"{nginx}/bundles/{bundle.path}", token, args),
                    "accel_download": _measure(f"{accel}/bundles/{bundle.path}", token, args),
                    "redirect": _measure(f"{redirect}/bundles/{bundle.path}", token, args),
                }
    return {
        "skills": args.skills,
        "api_bytes": len(body),
        "marketplace_bytes": len(market),
        "bundle_bytes": bundle.size,
        **{f"{name}_{k}": v for name, m in figures.items() for k, v in m.items()},
    }


def main() -> None:
    parser = with_wrk_flags(bench_parser(__doc__))
    args = parse_args(parser, __file__)
    if args is None:
        return
    f = run_stoppable(run, args, "both servers stopped")
    api_ratio = f["api_rps"] / f["nginx_api_rps"]
    workers_ratio = f["api_2w_rps"] / f["nginx_api_rps"]
    download_ratio = f["download_mbps"] / f["nginx_download_mbps"]
    market_ratio = f["marketplace_rps"] / f["nginx_marketplace_rps"]
    accel_ratio = f["accel_download_mbps"] / f["nginx_download_mbps"]
    if args.json:
        result = {
            "api_rps": round(f["api_rps"], 1),
            "nginx_api_rps": round(f["nginx_api_rps"], 1),
            "api_ratio": round(api_ratio, 3),
            "api_2_workers_rps": round(f["api_2w_rps"], 1),
            "api_2_workers_ratio": round(workers_ratio, 3),
            "marketplace_bytes": f["marketplace_bytes"],
            "marketplace_rps": round(f["marketplace_rps"], 1),
            "nginx_marketplace_rps": round(f["nginx_marketplace_rps"], 1),
            "marketplace_ratio": round(market_ratio, 3),
            "download_mbps": round(f["download_mbps"], 1),
            "nginx_download_mbps": round(f["nginx_download_mbps"], 1),
            "download_ratio": round(download_ratio, 3),
            "accel_download_mbps": round(f["accel_download_mbps"], 1),
            "accel_ratio": round(accel_ratio, 3),
            "redirect_rps": round(f["redirect_rps"], 1),
        }
        print(json.dumps(result))
        return
    met = {True: "met", False: "MISSED"}
    print(
        f"{args.skills} skills; wrk, {args.concurrency} keep-alive connections, {args.seconds} s per run "
        f"after {args.warmup} s of warm-up; {os.cpu_count()} CPUs shared by servers and load generator"
    )
    sizes = f"{f['api_bytes'] / 1e3:.0f} KB of JSON; download: a skill zip of {f['bundle_bytes']} B"
    print(f"GET /api/skills: {sizes}")
    print(f"{'':22}{'proxy':>12}{'nginx':>12}{'ratio':>8}  target")
    print(
        f"{'API requests/s':22}{f['api_rps']:12.0f}{f['nginx_api_rps']:12.0f}{api_ratio:8.3f}  "
        f"≥ {API_TARGET}: {met[api_ratio >= API_TARGET]}"
    )
    print(
        f"{'API req/s, 2 workers':22}{f['api_2w_rps']:12.0f}{f['nginx_api_rps']:12.0f}{workers_ratio:8.3f}  "
        f"≥ {WORKERS_TARGET}: {met[workers_ratio >= WORKERS_TARGET]}"
    )
    print(f"{'API median latency':22}{f['api_p50_ms']:10.2f}ms{f['nginx_api_p50_ms']:10.2f}ms")
    print(f"GET {MARKETPLACE}: {f['skills']} plugins, {f['marketplace_bytes'] / 1e3:.0f} KB of JSON")
    print(
        f"{'marketplace req/s':22}{f['marketplace_rps']:12.0f}{f['nginx_marketplace_rps']:12.0f}"
        f"{market_ratio:8.3f}  ≥ {API_TARGET}: {met[market_ratio >= API_TARGET]}"
    )
    mbps = f"{f['download_mbps']:12.1f}{f['nginx_download_mbps']:12.1f}"
    print(
        f"{'download MB/s':22}{mbps}{download_ratio:8.3f}  "
        f"≥ {DOWNLOAD_TARGET}: {met[download_ratio >= DOWNLOAD_TARGET]}"
    )
    print(f"{'download requests/s':22}{f['download_rps']:12.0f}{f['nginx_download_rps']:12.0f}")
    accel = f"{f['accel_download_mbps']:12.1f}{f['nginx_download_mbps']:12.1f}"
    print(
        f"{'x-accel download MB/s':22}{accel}{accel_ratio:8.3f}  "
        f"≥ {DOWNLOAD_TARGET}: {met[accel_ratio >= DOWNLOAD_TARGET]}  (nginx → proxy check → nginx file)"
    )
    print(
        f"{'redirect answers/s':22}{f['redirect_rps']:12.0f}{'':12}{'':8}  "
        f"(302 to a presigned S3 URL; median {f['redirect_p50_ms']:.2f} ms)"
    )


if __name__ == "__main__":
    main()
