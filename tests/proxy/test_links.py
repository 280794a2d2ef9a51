"""Signed download links: the whole signature must match, never a prefix of it."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from skillport_build.proxy.links import LinkSigner

PATH, SHA = "bundles/release-notes/1.0.0/release-notes-1.0.0.zip", "ab" * 32


def made(signer: LinkSigner) -> dict[str, str]:
    path, _ = signer.make(PATH, SHA, "ann@acme.example", 300)
    return dict(parse_qsl(urlsplit(path).query))


def test_a_valid_link_checks() -> None:
    signer = LinkSigner(b"secret")
    claims = signer.check(PATH, SHA, made(signer))
    assert claims is not None and claims.user == "ann@acme.example"


@pytest.mark.parametrize(
    "forge",
    [
        lambda s: s[:1],  # a one-character guess
        lambda s: s[:-1],  # all but the last character
        lambda s: s + "0",  # one character too many
        lambda s: s.upper(),  # the same hex in capitals is another string
    ],
)
def test_a_signature_that_is_not_exactly_the_mac_is_refused(forge: object) -> None:
    signer = LinkSigner(b"secret")
    query = made(signer)
    query["s"] = forge(query["s"])  # type: ignore[operator]
    assert signer.check(PATH, SHA, query) is None
