"""Pages of a list answer: a limit (50 unless asked, 200 at most) and an opaque cursor naming where
the next page starts, so no request returns a whole catalog of ten thousand skills by default.

The cursor is base64url of the catalog version, the offset and a short hash of the query and
filters it was made for. One made for another catalog (the list moved under it), another query, or
that does not decode, is refused with 400 rather than answered with a page of something else.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from skillport_build.errors import Refused

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class Page:
    """Which slice of a ranked list one request asks for."""

    offset: int
    limit: int


def _asked(catalog_version: int, asked: str) -> str:
    return hashlib.sha256(f"{catalog_version}\n{asked}".encode()).hexdigest()[:16]


def cursor(catalog_version: int, asked: str, offset: int) -> str:
    """The cursor of the page starting at `offset` of the list `asked` names (query and filters)."""
    text = json.dumps([catalog_version, offset, _asked(catalog_version, asked)], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def _offset(text: str, catalog_version: int, asked: str) -> int:
    try:
        version, offset, check = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, TypeError) as exc:
        raise Refused(400, "the cursor is not one this proxy made; start again without it") from exc
    if not isinstance(version, int) or not isinstance(offset, int) or offset < 0:
        raise Refused(400, "the cursor is not one this proxy made; start again without it")
    if version != catalog_version:
        raise Refused(
            400,
            f"the cursor is for catalog {version}, but catalog {catalog_version} is served now; "
            "start again from the first page",
        )
    if check != _asked(catalog_version, asked):
        raise Refused(400, "the cursor was made for another query or filters; start again without it")
    return offset


def page(params: Mapping[str, str], catalog_version: int, asked: str) -> Page:
    """The page a request's `limit` and `cursor` ask for; Refused (400) when either is wrong."""
    limit_text = params.get("limit", "")
    if limit_text and not (limit_text.isdigit() and 1 <= int(limit_text) <= MAX_LIMIT):
        raise Refused(400, f"limit must be a whole number from 1 to {MAX_LIMIT}")
    limit = int(limit_text) if limit_text else DEFAULT_LIMIT
    text = params.get("cursor")
    return Page(_offset(text, catalog_version, asked) if text else 0, limit)


def next_cursor(catalog_version: int, asked: str, current: Page, total: int) -> str | None:
    """The cursor of the page after `current`, None when it was the last."""
    start = current.offset + current.limit
    return cursor(catalog_version, asked, start) if start < total else None
