"""`skillport serve --check` against a real OpenID provider (oidc-provider on 127.0.0.1) and a
published local store: one line per check, exit 1 when one fails, nothing served."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from integration.oidc import running_oidc_provider
from integration.registry import free_port
from proxy.served import publish_template

from skillport_build.cli import main
from skillport_build.trust.minisign import generate

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A published store and a running provider; yields the folder and the issuer."""
    tmp = tmp_path_factory.mktemp("check")
    publish_template(tmp)
    client = {"client_id": "skillport", "client_secret": "s3cret", "redirect_uris": ["https://x/auth/oidc"]}
    with running_oidc_provider(tmp / "idp", [client], {}) as issuer:
        yield tmp, issuer


def settings(tmp: Path, issuer: str, **changes: object) -> Path:
    data: dict[str, object] = {
        "store": str(tmp / "store"),
        "keys": [str(tmp / "trusted.pub")],
        "host": "0.0.0.0",
        "public_url": "https://skills.acme.example",
        "oidc": {"issuer": issuer, "client_id": "skillport", "client_secret": "s3cret"},
    }
    data.update(changes)
    path = tmp / f"serve-{len(list(tmp.glob('serve-*.yaml')))}.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def check(path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--check", "--config", str(path)])
    return int(exited.value.code or 0), capsys.readouterr().out


def test_a_good_deployment_passes_every_check(
    deployment: tuple[Path, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp, issuer = deployment
    path = settings(tmp, issuer)
    code, out = check(path, capsys, monkeypatch)
    lines = out.splitlines()
    assert code == 0, out
    assert [line.split(":")[0] for line in lines] == [
        "✓ config",
        "✓ store",
        "✓ catalog",
        "✓ sign-in",
        "✓ public URL",
    ]
    assert lines[0] == f"✓ config: read from {path}; serving https://skills.acme.example"
    assert lines[2].startswith("✓ catalog: catalog 1 verifies with key ")
    assert lines[3] == f"✓ sign-in: OpenID discovery answers for {issuer}"
    assert lines[4] == (
        "✓ public URL: https://skills.acme.example (the redirect URI to register: "
        "https://skills.acme.example/auth/oidc)"
    )


def test_each_failure_is_one_line_and_exit_one(
    deployment: tuple[Path, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp, issuer = deployment
    other = tmp / "other.pub"
    other.write_text(generate().public().to_text())
    code, out = check(settings(tmp, issuer, keys=[str(other)]), capsys, monkeypatch)
    assert code == 1 and "✗ catalog: " in out and out.count("✗") == 1

    code, out = check(settings(tmp, issuer + "/"), capsys, monkeypatch)
    assert code == 1 and f"✗ sign-in: {issuer}/.well-known/openid-configuration names the issuer" in out

    down = f"http://127.0.0.1:{free_port()}"
    code, out = check(
        settings(tmp, issuer, oidc={"issuer": down, "client_id": "a", "client_secret": "b"}),
        capsys,
        monkeypatch,
    )
    assert code == 1 and f"✗ sign-in: {down}/.well-known/openid-configuration does not answer" in out

    code, out = check(settings(tmp, issuer, store=str(tmp / "empty")), capsys, monkeypatch)
    assert code == 1 and "✗ store: " in out and "✗ catalog: not checked" in out

    code, out = check(settings(tmp, issuer, public_url="http://skills.acme.example"), capsys, monkeypatch)
    assert code == 1 and "✗ public URL: http://skills.acme.example is plain http" in out
