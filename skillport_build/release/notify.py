"""Tell proxies a catalog was just published (`skillport publish --notify URL`): one signed POST
each, so people see it within a second instead of at the next poll."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx

from skillport_build.errors import ClientError
from skillport_build.trust.notice import HEADER, sign_notice

NOTIFY_PATH = "/api/notify"


def notify_proxy(
    url: str,
    secret: bytes,
    catalog_version: int,
    client: httpx.Client | None = None,
    clock: Callable[[], float] = time.time,
) -> int:
    """POST a signed notice to the proxy at `url` (its base URL or the notify URL itself); the
    catalog version it now serves."""
    target = url if url.rstrip("/").endswith(NOTIFY_PATH) else url.rstrip("/") + NOTIFY_PATH
    body = json.dumps({"catalog_version": catalog_version}, sort_keys=True).encode()
    headers = {HEADER: sign_notice(secret, body, int(clock())), "Content-Type": "application/json"}
    http = client or httpx.Client(timeout=30)
    try:
        answer = http.post(target, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise ClientError(f"{target}: cannot reach the proxy ({exc})") from exc
    finally:
        if client is None:
            http.close()
    if answer.status_code != 202:
        raise ClientError(f"{target}: the proxy refused the notice ({answer.status_code}: {_reason(answer)})")
    served = answer.json().get("catalog_version")
    return int(served) if isinstance(served, int) else 0


def _reason(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("error", answer.text[:200]))
    except ValueError:
        return answer.text[:200]
