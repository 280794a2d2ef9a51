from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from stores.contract import CONTRACT

from skillport_build.errors import StoreError, UsageError
from skillport_build.stores import LocalStore, open_store
from skillport_build.stores.base import Store


@pytest.mark.parametrize("check", CONTRACT, ids=lambda c: c.__name__)
def test_local_store_contract(check: Callable[[Store], None], tmp_path: Path) -> None:
    check(LocalStore(tmp_path / "store"))


def test_urls(tmp_path: Path) -> None:
    assert isinstance(open_store(str(tmp_path)), LocalStore)
    assert open_store(f"file://{tmp_path}").url == str(tmp_path)  # type: ignore[union-attr]
    with pytest.raises(UsageError):
        open_store("ftp://example.com/x")


@pytest.mark.parametrize("key", ["../x", "/etc/passwd", "a//b", "a/./b", ""])
def test_keys_cannot_escape(tmp_path: Path, key: str) -> None:
    with pytest.raises(StoreError, match="refusing the store key"):
        LocalStore(tmp_path).put_new(key, b"x")


def test_blobs_are_world_readable_and_no_temp_files_remain(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    store.put_new("bundles/a/1.0.0/a-1.0.0.zip", b"a")
    path = tmp_path / "bundles/a/1.0.0/a-1.0.0.zip"
    assert oct(path.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in path.parent.iterdir()] == ["a-1.0.0.zip"]
    assert not any(name.startswith(".tmp") for _, _, names in os.walk(tmp_path) for name in names)
