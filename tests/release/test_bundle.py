from __future__ import annotations

import zipfile

import pytest
import yaml

from skillport_build.release.bundle import ZIP_MIN_EPOCH, Entry, source_date_epoch, stamp_skill_md, zip_bytes

ENTRIES = [
    Entry("s/b.md", b"b" * 5000),
    Entry("s/SKILL.md", b"---\nname: s\n---\n"),
    Entry("s/x/run.sh", b"#!/bin/sh\n", True),
]


def test_same_entries_in_any_order_give_the_same_bytes() -> None:
    assert zip_bytes(ENTRIES, 1_700_000_000) == zip_bytes(list(reversed(ENTRIES)), 1_700_000_000)


def test_entries_are_sorted_with_folders_modes_and_fixed_times() -> None:
    with zipfile.ZipFile(__import__("io").BytesIO(zip_bytes(ENTRIES, 1_700_000_000))) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == ["s/", "s/x/", "s/SKILL.md", "s/b.md", "s/x/run.sh"]
        modes = {i.filename: i.external_attr >> 16 for i in infos}
        assert modes["s/x/run.sh"] == 0o100755 and modes["s/b.md"] == 0o100644 and modes["s/"] == 0o40755
        assert {i.date_time for i in infos} == {(2023, 11, 14, 22, 13, 20)}
        assert archive.testzip() is None


def test_times_before_1980_are_clamped() -> None:
    assert zip_bytes(ENTRIES, 0) == zip_bytes(ENTRIES, ZIP_MIN_EPOCH)


def test_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234567890")
    assert source_date_epoch() == 1234567890
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    assert source_date_epoch(7) == 7


def test_stamp_adds_version_and_digest_and_keeps_the_body() -> None:
    raw = b'---\nname: s\ndescription: "Does: things"\nmetadata:\n  owner: team\n---\n# Body\n\nText [x](y.md)\n'
    out = stamp_skill_md(raw, "1.2.0", "sha256:abc").decode()
    front, body = out.split("---\n")[1], out.split("---\n", 2)[2]
    assert yaml.safe_load(front) == {
        "name": "s",
        "description": "Does: things",
        "metadata": {"owner": "team", "version": "1.2.0", "digest": "sha256:abc"},
    }
    assert body == "# Body\n\nText [x](y.md)\n"
