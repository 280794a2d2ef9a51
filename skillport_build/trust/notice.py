"""Publish notices: the release workflow tells the proxy "a new catalog is in the store" with an
HMAC-SHA256 over the time and the body, in one header (`Skillport-Signature: t=<unix>,v1=<hex>`).

A notice only makes the proxy look at the store sooner; what it then serves is still the signed
catalog, verified as always. The HMAC keeps strangers from making every replica re-read the store
on demand; the time bounds a replay, and the proxy remembers the signatures it took."""

from __future__ import annotations

import hashlib
import hmac
import re

from skillport_build.errors import SignatureError

HEADER = "Skillport-Signature"
SECRET_ENV = "SKILLPORT_NOTIFY_SECRET"
_FORMAT = re.compile(r"t=(\d{1,12}),v1=([0-9a-f]{64})")


def _mac(secret: bytes, at: int, body: bytes) -> str:
    return hmac.new(secret, str(at).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign_notice(secret: bytes, body: bytes, at: int) -> str:
    """The header value for `body` sent at Unix time `at`."""
    return f"t={at},v1={_mac(secret, at, body)}"


def verify_notice(secret: bytes, body: bytes, header: str | None, now: float, window: float) -> str:
    """The notice's signature when `header` signs `body` with `secret` within `window` seconds of
    `now`; SignatureError saying why not (compared in constant time)."""
    found = _FORMAT.fullmatch((header or "").strip())
    if found is None:
        raise SignatureError(f"the notice has no valid {HEADER} header (t=<unix time>,v1=<hex HMAC-SHA256>)")
    at, given = int(found[1]), found[2]
    if not hmac.compare_digest(_mac(secret, at, body), given):
        raise SignatureError("the notice's signature does not match: sender and proxy hold different secrets")
    if abs(now - at) > window:
        raise SignatureError(
            f"the notice was signed {int(now - at)} s from now, outside the {int(window)} s window: "
            "check the sender's clock"
        )
    return given
