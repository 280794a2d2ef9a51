"""Catalog answers encoded as the client accepts (zstd, gzip), decoding to the very bytes sent to a
client that accepts neither; pages and answers holding secrets never compressed. (The in-process test client decodes gzip
only; zstd answers are decoded here by hand, and by the real client in tests/client/test_api.py.)"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import zstandard
from proxy.served import SEES, Served

from skillport_build.models.api import RecordProof
from skillport_build.proxy.compress import Encoded, chosen
from skillport_build.trust.keys import load_public_keys
from skillport_build.trust.records import check_signature

ANSWERS = ["/api/skills", "/api/skills/release-notes", "/claude-code/marketplace.json"]


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [
        ("zstd, gzip", "zstd"),
        ("gzip, deflate, br, zstd", "zstd"),
        ("gzip", "gzip"),
        ("gzip;q=0.5, zstd;q=0", "gzip"),
        ("*", "zstd"),
        ("*;q=0", None),
        ("identity", None),
        ("", None),
        ("gzip;q=oops", None),
    ],
)
def test_the_encoding_is_one_the_client_accepts(accept: str, encoding: str | None) -> None:
    assert chosen(accept) == encoding


@pytest.mark.parametrize("url", ANSWERS)
def test_an_encoded_answer_decodes_to_the_plain_one(served: Served, url: str) -> None:
    plain = served.get("sre", url, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert "accept-encoding" in plain.headers["vary"].lower()
    decode = {
        "zstd": lambda b: zstandard.ZstdDecompressor().decompressobj().decompress(b),
        "gzip": gzip.decompress,
    }
    for encoding, unpack in decode.items():
        with served.client.stream(
            "GET",
            url,
            headers={"Authorization": f"Bearer {served.tokens['sre']}", "Accept-Encoding": encoding},
        ) as response:
            raw = b"".join(response.iter_raw())
        assert response.headers["content-encoding"] == encoding
        assert int(response.headers["content-length"]) == len(raw) < len(plain.content)
        assert unpack(raw) == plain.content


def test_a_signed_record_in_an_encoded_answer_still_checks(
    served: Served, published: tuple[Path, object, Path]
) -> None:
    detail = served.get("anyone", "/api/skills/release-notes", headers={"Accept-Encoding": "gzip"})
    assert detail.headers["content-encoding"] == "gzip"
    check_signature(RecordProof.model_validate(detail.json()["proof"]), load_public_keys([published[2]]))


def test_each_audience_decodes_its_own_answer(served: Served) -> None:
    for _ in range(2):  # the second time from the encoded-answer cache
        for who in ("anyone", "sre"):
            answer = served.get(who, "/api/skills?limit=100", headers={"Accept-Encoding": "gzip"})
            assert answer.headers["content-encoding"] == "gzip"
            assert {s["name"] for s in answer.json()["skills"]} == SEES[who]


def test_pages_and_answers_with_secrets_are_never_compressed(served: Served) -> None:
    for url in ("/", "/login", "/tokens", "/api/me", "/healthz"):
        answer = served.get("sre", url, headers={"Accept-Encoding": "zstd, gzip", "Accept": "text/html"})
        assert "content-encoding" not in answer.headers, url
    token = served.post("sre", "/api/skills/release-notes/link", headers={"Accept-Encoding": "gzip"})
    assert token.status_code == 200 and "content-encoding" not in token.headers


def test_refusals_are_not_encoded(served: Served) -> None:
    missing = served.get("anyone", "/api/skills/incident-postmortem", headers={"Accept-Encoding": "zstd"})
    assert missing.status_code == 404 and "content-encoding" not in missing.headers


def test_the_cache_never_answers_one_body_with_another_of_the_same_hash() -> None:
    class Colliding(bytes):
        def __hash__(self) -> int:
            return 7

    cache = Encoded(limit=1 << 20)
    first, second = Colliding(b"a" * 2000), Colliding(b"b" * 2000)
    assert gzip.decompress(cache.encode("gzip", first)) == first
    assert gzip.decompress(cache.encode("gzip", second)) == second
    assert gzip.decompress(cache.encode("gzip", first)) == first
