"""The credentials file: where it lives, its mode, the default proxy, the environment overrides."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from skillport_build.client import credentials
from skillport_build.errors import ClientError, UsageError


def env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(tmp_path / "home"), **extra}


def test_where_the_file_lives(tmp_path: Path) -> None:
    assert credentials.config_dir(env(tmp_path)) == tmp_path / "home/.config/skillport"
    assert credentials.config_dir(env(tmp_path, XDG_CONFIG_HOME="/x")) == Path("/x/skillport")
    both = env(tmp_path, XDG_CONFIG_HOME="/x", SKILLPORT_CONFIG_DIR="/y")
    assert credentials.config_dir(both) == Path("/y")


def test_remember_writes_an_owner_only_file(tmp_path: Path) -> None:
    environ = env(tmp_path)
    path = credentials.remember("https://a.example", "sp_a", "ann@acme.example", environ)
    credentials.remember("https://b.example", "sp_b", None, environ)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert json.loads(path.read_text()) == {
        "servers": {
            "https://a.example": {"token": "sp_a", "user": "ann@acme.example"},
            "https://b.example": {"token": "sp_b"},
        },
        "default": "https://b.example",
    }
    assert [p.name for p in path.parent.iterdir()] == ["credentials.json"]


def test_resolve_picks_the_default_or_the_given_url(tmp_path: Path) -> None:
    environ = env(tmp_path)
    credentials.remember("https://a.example", "sp_a", "ann@acme.example", environ)
    credentials.remember("https://b.example", "sp_b", None, environ)
    assert credentials.resolve(None, environ).url == "https://b.example"
    chosen = credentials.resolve("https://a.example/", environ)
    assert (chosen.url, chosen.token, chosen.user) == ("https://a.example", "sp_a", "ann@acme.example")
    assert "sp_a" not in repr(chosen)


def test_environment_overrides(tmp_path: Path) -> None:
    environ = env(tmp_path, SKILLPORT_URL="https://ci.example", SKILLPORT_TOKEN="sp_ci")
    found = credentials.resolve(None, environ)
    assert (found.url, found.token) == ("https://ci.example", "sp_ci")
    credentials.remember("https://a.example", "sp_a", None, env(tmp_path))
    assert credentials.resolve(None, env(tmp_path, SKILLPORT_URL="https://a.example")).token == "sp_a"
    assert credentials.resolve(None, env(tmp_path, SKILLPORT_TOKEN="sp_env")).token == "sp_env"


def test_not_signed_in(tmp_path: Path) -> None:
    with pytest.raises(ClientError) as nowhere:
        credentials.resolve(None, env(tmp_path))
    assert str(nowhere.value) == (
        "not signed in to any skillport proxy; run `skillport login URL` (or set SKILLPORT_URL and "
        "SKILLPORT_TOKEN)"
    )
    with pytest.raises(ClientError) as elsewhere:
        credentials.resolve("https://c.example", env(tmp_path))
    assert (
        str(elsewhere.value) == "not signed in to https://c.example; run `skillport login https://c.example`"
    )


def test_forget(tmp_path: Path) -> None:
    environ = env(tmp_path)
    credentials.remember("https://a.example", "sp_a", None, environ)
    credentials.remember("https://b.example", "sp_b", None, environ)
    assert credentials.forget(None, environ) == "https://b.example"
    assert credentials.load(environ).default == "https://a.example"
    assert credentials.forget("https://a.example", environ) == "https://a.example"
    assert credentials.load(environ) == credentials.CredentialsFile()
    with pytest.raises(ClientError, match=r"not signed in to any proxy \(signed in to: none\)"):
        credentials.forget(None, environ)


def test_a_broken_file_says_what_to_do(tmp_path: Path) -> None:
    environ = env(tmp_path)
    folder = credentials.config_dir(environ)
    folder.mkdir(parents=True)
    (folder / "credentials.json").write_text('{"servers": []}')
    with pytest.raises(ClientError, match=r"credentials.json: not a skillport credentials file .*delete it"):
        credentials.load(environ)


@pytest.mark.parametrize(
    ("url", "normal"),
    [
        ("https://skills.acme.example/", "https://skills.acme.example"),
        (" http://127.0.0.1:8000 ", "http://127.0.0.1:8000"),
    ],
)
def test_urls_are_normalised(url: str, normal: str) -> None:
    assert credentials.normalize_url(url) == normal


@pytest.mark.parametrize(
    "url", ["skills.acme.example", "ftp://x.example", "https://x.example/?token=1", "http://"]
)
def test_bad_urls_are_usage_errors(url: str) -> None:
    with pytest.raises(UsageError):
        credentials.normalize_url(url)
