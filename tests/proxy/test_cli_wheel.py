"""The proxy serves the skillport wheel of the version it runs: a stable link, the versioned file pip
and uv need, a RECORD that matches every file, and the install lines on the Tokens page."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from pathlib import Path

from proxy.served import Served
from proxy.test_access_matrix import sign_in

from skillport_build import __version__
from skillport_build.proxy.cli_wheel import CliWheel, install_lines, pack_running, wheel_name


def test_the_stable_link_leads_to_the_versioned_wheel_without_a_token(served: Served) -> None:
    moved = served.get(None, "/cli/skillport.whl", follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (303, f"/cli/{wheel_name()}")
    wheel = served.get(None, f"/cli/skillport-{__version__}-py3-none-any.whl")
    assert wheel.status_code == 200 and wheel.content[:2] == b"PK"
    # No other file under /cli/ (another version, a path trick): those fall to the signed-in pages.
    for other in ("/cli/skillport-0.0.1-py3-none-any.whl", "/cli/..%2Fcatalog.json"):
        assert served.get(None, other, follow_redirects=False).status_code in (303, 404)
    # The CLI's loopback sign-in under /cli/ still answers.
    assert served.get(None, "/cli/login?port=80", follow_redirects=False).status_code != 200


def test_the_wheel_holds_the_running_code_and_a_true_record() -> None:
    data = pack_running()
    assert data == pack_running()  # reproducible
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    info = f"skillport-{__version__}.dist-info"
    assert names[-1] == f"{info}/RECORD"
    assert {"skillport_build/__init__.py", "skillport_build/_templates/base.html", f"{info}/METADATA"} <= set(
        names
    )
    assert any(n.startswith("skillport_build/marketplace_template/.claude-plugin/") for n in names)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert f"Version: {__version__}" in archive.read(f"{info}/METADATA").decode()
    assert "skillport = skillport_build.cli:main" in archive.read(f"{info}/entry_points.txt").decode()
    for line in archive.read(f"{info}/RECORD").decode().splitlines()[:-1]:
        name, digest, size = line.split(",")
        body = archive.read(name)
        expected = base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()
        assert (digest, int(size)) == (f"sha256={expected}", len(body))


def test_a_given_wheel_must_be_the_running_version(tmp_path: Path) -> None:
    wrong = tmp_path / "skillport-9.9.9-py3-none-any.whl"
    wrong.write_bytes(b"PK")
    try:
        CliWheel(wrong).data()
    except Exception as exc:
        assert f"is not {wheel_name()}" in str(exc)
    else:
        raise AssertionError("a wheel of another version was accepted")
    right = tmp_path / wheel_name()
    right.write_bytes(b"PK\x03\x04 given")
    assert CliWheel(right).data() == b"PK\x03\x04 given"


def test_the_tokens_page_shows_the_install_lines(served: Served) -> None:
    sign_in(served, "anyone")
    page = served.client.get("/tokens").text
    for line in install_lines("http://127.0.0.1:8000"):
        assert f"<code>{line}</code>" in page
