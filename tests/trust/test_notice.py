"""Publish notices: an HMAC over the time and the body, refused when forged, stale or malformed."""

from __future__ import annotations

import pytest

from skillport_build.errors import SignatureError
from skillport_build.trust.notice import sign_notice, verify_notice

SECRET, BODY, AT = b"the-notify-secret", b'{"catalog_version": 7}', 1_900_000_000


def test_a_signed_notice_verifies_within_its_window() -> None:
    header = sign_notice(SECRET, BODY, AT)
    assert header.startswith(f"t={AT},v1=") and len(header) == len(f"t={AT},v1=") + 64
    assert verify_notice(SECRET, BODY, header, AT + 299, 300) == header.split("v1=")[1]
    assert verify_notice(SECRET, BODY, header, AT - 299, 300)  # a sender's clock a little ahead


@pytest.mark.parametrize(
    ("secret", "body", "now", "message"),
    [
        (
            b"another-secret",
            BODY,
            AT,
            "the notice's signature does not match: sender and proxy hold different",
        ),
        (SECRET, b'{"catalog_version": 8}', AT, "the notice's signature does not match"),
        (SECRET, BODY, AT + 301, "the notice was signed 301 s from now, outside the 300 s window"),
    ],
)
def test_a_forged_changed_or_stale_notice_is_refused(
    secret: bytes, body: bytes, now: int, message: str
) -> None:
    with pytest.raises(SignatureError, match=message):
        verify_notice(secret, body, sign_notice(SECRET, BODY, AT), now, 300)


@pytest.mark.parametrize("header", [None, "", "t=1,v1=zz", f"v1={'0' * 64}", f"t=x,v1={'0' * 64}"])
def test_a_missing_or_malformed_header_is_refused(header: str | None) -> None:
    with pytest.raises(SignatureError, match="the notice has no valid Skillport-Signature header"):
        verify_notice(SECRET, BODY, header, AT, 300)
