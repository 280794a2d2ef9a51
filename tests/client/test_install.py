"""Installing skills from the real proxy on 127.0.0.1, and checking them for updates."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from client.proofs import CANNED_KEY, signed_proof
from proxy.live_server import LiveProxy, Tamper, live_proxy
from releasing import change

from skillport_build.client.agents import claude_dir, known_folders
from skillport_build.client.api import Client
from skillport_build.client.install import (
    RECORD,
    check_folders,
    check_updates,
    install_for,
    install_skill,
    installed,
    save_zip,
    skills_dir,
)
from skillport_build.client.trust import Pin, Verifier
from skillport_build.errors import ClientError, SignatureError, UnknownSkill
from skillport_build.models.catalog import SkillRecord
from skillport_build.release.bundle import Entry, zip_bytes
from skillport_build.trust.minisign import SecretKey


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProxy]:
    with live_proxy(tmp_path_factory.mktemp("live")) as proxy:
        yield proxy


@pytest.fixture
def connect(shared: LiveProxy) -> Iterator[Callable[..., Client]]:
    opened: list[Client | httpx.Client] = []

    def make(who: str, live: LiveProxy = shared, http: httpx.Client | None = None) -> Client:
        client = Client(live.url, live.tokens[who], http)
        opened.extend([client] if http is None else [client, http])
        return client

    yield make
    for client in opened:
        client.close()


@pytest.fixture
def trust(shared: LiveProxy, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Verifier]:
    """A verifier pinned to the organisation's key (the one the live proxy's catalog is signed with)."""

    def make(live: LiveProxy = shared, key: SecretKey | None = None) -> Verifier:
        pin = Pin(keys=[(key or live.key).public().to_text()])
        return Verifier(live.url, pin, {"SKILLPORT_CONFIG_DIR": str(tmp_path_factory.mktemp("config"))})

    return make


def test_skills_dir_follows_claude_config_dir(tmp_path: Path) -> None:
    assert skills_dir({"HOME": str(tmp_path)}) == tmp_path / ".claude/skills"
    assert skills_dir({"HOME": str(tmp_path), "CLAUDE_CONFIG_DIR": "/cc"}) == Path("/cc/skills")
    assert claude_dir({"HOME": str(tmp_path)}) == tmp_path / ".claude"


def test_install_unpacks_the_skill_with_its_record(
    connect: Callable[..., Client], tmp_path: Path, trust: Callable[..., Verifier]
) -> None:
    client = connect("sre")
    skills = tmp_path / "skills"
    record = install_skill(client, trust(), "incident-postmortem", None, skills)
    folder = skills / "incident-postmortem"
    assert (folder / "SKILL.md").is_file() and (folder / "assets/postmortem-template.md").is_file()
    detail = client.skill("incident-postmortem")
    saved = json.loads((folder / RECORD).read_text())
    assert saved == {
        "name": "incident-postmortem",
        "version": detail.version,
        "digest": detail.digest,
        "sha256": detail.sha256,
        "source": client.base_url,
        "installed_at": record.installed_at,
        "agents": [],
    }
    assert sorted(p.name for p in skills.iterdir()) == ["incident-postmortem"]


def test_install_for_agents_in_a_project(
    connect: Callable[..., Client], tmp_path: Path, trust: Callable[..., Verifier]
) -> None:
    env = {"HOME": str(tmp_path / "home"), "SKILLPORT_CONFIG_DIR": str(tmp_path / "config")}
    client, project = connect("sre"), tmp_path / "repo"
    done = install_for(
        client, trust(), "incident-postmortem", None, ["codex", "claude-code", "cursor"], project, env
    )
    assert [(folder, record.agents) for folder, record in done] == [
        (project / ".agents/skills", ["codex", "cursor"]),
        (project / ".claude/skills", ["claude-code"]),
    ]
    for folder, _ in done:
        saved = json.loads((folder / "incident-postmortem" / RECORD).read_text())
        assert saved["sha256"] == client.skill("incident-postmortem").sha256
        assert (folder / "incident-postmortem/assets/postmortem-template.md").is_file()
    assert not (tmp_path / "home").exists()
    folders = known_folders(env)
    assert folders[project / ".agents/skills"].scope == "project"
    checked = check_folders(client, trust(), folders)
    assert [(folder, [r.status for r in report.results]) for folder, report in checked] == [
        (project / ".agents/skills", ["current"]),
        (project / ".claude/skills", ["current"]),
    ]


def test_a_skill_not_offered_for_claude_code_is_not_installed_there(
    connect: Callable[..., Client], tmp_path: Path, trust: Callable[..., Verifier]
) -> None:
    env = {"HOME": str(tmp_path / "home"), "SKILLPORT_CONFIG_DIR": str(tmp_path / "config")}
    with pytest.raises(ClientError) as refused:  # the template tags data-tools surface:CDAI
        install_for(connect("anyone"), trust(), "csv-profiler", None, ["codex", "claude-code"], None, env)
    assert str(refused.value) == (
        "csv-profiler is offered for Claude.ai and Claude Desktop only, not Claude Code (its marketplace "
        "entry's surface tag); nothing was installed. Save its upload zip instead: "
        "skillport install csv-profiler --zip ."
    )
    assert not (tmp_path / "home").exists()
    done = install_for(connect("anyone"), trust(), "csv-profiler", None, ["codex"], None, env)
    assert [record.agents for _, record in done] == [["codex"]]  # other agents are not surfaces


def test_reinstall_replaces_the_folder(
    connect: Callable[..., Client], tmp_path: Path, trust: Callable[..., Verifier]
) -> None:
    skills = tmp_path / "skills"
    install_skill(connect("anyone"), trust(), "csv-profiler", None, skills)
    (skills / "csv-profiler/stale.txt").write_text("from before")
    install_skill(connect("anyone"), trust(), "csv-profiler", None, skills)
    assert not (skills / "csv-profiler/stale.txt").exists()
    assert (skills / "csv-profiler/scripts/profile_csv.py").stat().st_mode & 0o111
    assert sorted(p.name for p in skills.iterdir()) == ["csv-profiler"]


def test_tampered_download_writes_nothing(
    connect: Callable[..., Client], tmp_path: Path, trust: Callable[..., Verifier]
) -> None:
    skills = tmp_path / "skills"
    install_skill(connect("anyone"), trust(), "release-notes", None, skills)
    before = (skills / "release-notes/SKILL.md").read_bytes()
    tampering = connect("anyone", http=httpx.Client(transport=Tamper()))
    with pytest.raises(SignatureError, match="nothing was written"):
        install_skill(tampering, trust(), "release-notes", None, skills)
    with pytest.raises(SignatureError):
        install_skill(tampering, trust(), "csv-profiler", None, skills)
    with pytest.raises(SignatureError):
        save_zip(tampering, trust(), "csv-profiler", None, tmp_path / "upload.zip")
    assert sorted(p.name for p in skills.iterdir()) == ["release-notes"]
    assert (skills / "release-notes/SKILL.md").read_bytes() == before
    assert not (tmp_path / "upload.zip").exists()


def test_a_hidden_skill_cannot_be_installed(
    connect: Callable[..., Client], tmp_path: Path, trust: Callable[..., Verifier]
) -> None:
    with pytest.raises(UnknownSkill, match=r"^no skill named decision-record that you may read; `skillport"):
        install_skill(connect("anyone"), trust(), "decision-record", None, tmp_path / "skills")
    assert not (tmp_path / "skills").exists()


def test_save_zip_to_a_file_or_a_folder(
    connect: Callable[..., Client], tmp_path: Path, trust: Callable[..., Verifier]
) -> None:
    client = connect("engineer")
    record, written = save_zip(client, trust(), "decision-record", None, tmp_path / "adr.zip")
    assert written == tmp_path / "adr.zip"
    assert hashlib.sha256(written.read_bytes()).hexdigest() == record.sha256
    assert zipfile.ZipFile(written).namelist()[0] == "decision-record/"
    _, into = save_zip(client, trust(), "decision-record", None, tmp_path)
    assert into == tmp_path / f"decision-record-{record.version}.zip"


def canned_skill(data: bytes, link_sha: str | None = None, filename: str = "x.zip") -> Client:
    """A proxy (canned) offering skill x 1.0.0 as `data`, with its record signed by CANNED_KEY; its
    link may name other bytes."""
    sha = hashlib.sha256(data).hexdigest()
    skill = {"name": "x", "plugin": "p", "version": "1.0.0", "description": "d", "digest": "d"}
    link = {"name": "x", "version": "1.0.0", "url": "http://p.test/bundles/x.zip?s=1", "expires": "-"}
    bundle = {"path": "bundles/x/1.0.0/x-1.0.0.zip", "sha256": sha, "size": len(data)}
    record = SkillRecord.model_validate(
        skill | {"surfaces": [], "bundle": bundle, "files": [], "history": []}
    )
    proof = signed_proof(record)

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/skills/x":
            return httpx.Response(200, json=skill | {"sha256": sha, "size": len(data), "proof": proof.dump()})
        if request.url.path == "/api/skills/x/link":
            extra = {"sha256": link_sha or sha, "size": len(data), "filename": filename}
            return httpx.Response(200, json=link | extra)
        return httpx.Response(200, content=data)

    return Client("http://p.test", "sp_t", httpx.Client(transport=httpx.MockTransport(answer)))


def test_a_zip_without_the_skill_folder_is_not_installed(
    tmp_path: Path, trust: Callable[..., Verifier]
) -> None:
    client = canned_skill(zip_bytes([Entry("other/SKILL.md", b"x")], 0))
    with pytest.raises(ClientError) as refused:
        install_skill(client, trust(key=CANNED_KEY), "x", None, tmp_path / "skills")
    assert str(refused.value) == (
        "x 1.0.0: the zip should hold one folder x/ with SKILL.md in it, not ['other']; nothing was "
        "installed. Tell your skillport admin"
    )
    assert list((tmp_path / "skills").iterdir()) == []


def test_a_link_to_bytes_the_catalog_does_not_name_is_refused(
    tmp_path: Path, trust: Callable[..., Verifier]
) -> None:
    client = canned_skill(zip_bytes([Entry("x/SKILL.md", b"x")], 0), link_sha="0" * 64)
    with pytest.raises(ClientError) as refused:
        install_skill(client, trust(key=CANNED_KEY), "x", None, tmp_path / "skills")
    assert str(refused.value) == (
        f"http://p.test offered x 1.0.0 with sha256 {'0' * 64}, which the signed record of x does not "
        "list for its current version; nothing was installed. Tell your skillport admin"
    )
    assert not (tmp_path / "skills").exists()


def test_updates_after_a_new_release(
    connect: Callable[..., Client], tmp_path: Path, trust: Callable[..., Verifier]
) -> None:
    with live_proxy(tmp_path / "proxy") as live:
        client = connect("anyone", live)
        skills = tmp_path / "skills"
        verifier = trust(live)
        old = install_skill(client, verifier, "release-notes", None, skills)
        install_skill(client, verifier, "csv-profiler", None, skills)
        assert {(r.name, r.status) for r in check_updates(client, verifier, skills).results} == {
            ("release-notes", "current"),
            ("csv-profiler", "current"),
        }
        change(live.repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
        live.republish()
        report = check_updates(client, verifier, skills)
        statuses = {r.name: (r.status, r.installed, r.latest) for r in report.results}
        assert statuses["release-notes"] == ("update", old.version, "1.0.1")
        assert statuses["csv-profiler"][0] == "current"
        pinned = install_skill(client, verifier, "release-notes", old.version, skills)
        assert (pinned.version, pinned.digest) == (old.version, None)
        assert install_skill(client, verifier, "release-notes", None, skills).version == "1.0.1"


def test_installed_reads_records_and_skips_others(
    connect: Callable[..., Client], tmp_path: Path, trust: Callable[..., Verifier]
) -> None:
    client = connect("anyone")
    skills = tmp_path / "skills"
    verifier = trust()
    install_skill(client, verifier, "pr-review", None, skills)
    (skills / "mine").mkdir()  # a skill made by hand: no record, not ours
    (skills / "mine/SKILL.md").write_text("x")
    (skills / "broken").mkdir()
    (skills / "broken" / RECORD).write_text("{")
    moved = json.loads((skills / "pr-review" / RECORD).read_text()) | {"source": "https://other.example"}
    (skills / "elsewhere").mkdir()
    (skills / "elsewhere" / RECORD).write_text(json.dumps(moved | {"name": "elsewhere"}))
    records, unreadable = installed(skills)
    assert [r.name for r in records] == ["elsewhere", "pr-review"]
    assert unreadable == [str(skills / "broken" / RECORD)]
    report = check_updates(client, verifier, skills)
    assert [r.name for r in report.results] == ["pr-review"]
    assert [r.name for r in report.elsewhere] == ["elsewhere"]
    assert check_updates(client, verifier, tmp_path / "none").results == []


@pytest.mark.parametrize("filename", ["../../x.zip", "/tmp/evil.zip", "..", "sub/x.zip"])
def test_a_proxy_cannot_choose_where_an_upload_zip_is_written(
    filename: str, tmp_path: Path, trust: Callable[..., Verifier]
) -> None:
    data = zip_bytes([Entry("x/SKILL.md", b"x")], 0)
    client = canned_skill(data, filename=filename)
    folder = tmp_path / "downloads"
    folder.mkdir()
    _, written = save_zip(client, trust(key=CANNED_KEY), "x", None, folder)
    assert written == folder / "x-1.0.0.zip" and written.read_bytes() == data
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["downloads", "x-1.0.0.zip"]
