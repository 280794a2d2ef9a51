"""`skillport install` and `skillport updates`: a skill from a proxy into Claude Code's skills folder
(or into an upload zip for Claude.ai and Claude Desktop), with a record of what was installed, and
the update check over those records.

    <an agent's skills folder (client/agents.py)>/<name>/
        SKILL.md, ...        the skill, exactly as its signed zip holds it
        .skillport.json      {"name", "version", "digest", "sha256", "source", "installed_at", "agents"}

The zip's sha256 is checked against the skill's record as the CI signed it (trust/records.py), with
the organisation's pinned keys, before anything is written, and a skill
is unpacked beside its folder and renamed into place, so an install either happens whole or not.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import semver
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from skillport_build.client.agents import AGENTS, folders_for, remember_folder
from skillport_build.client.api import Client
from skillport_build.client.trust import Verifier
from skillport_build.client.unpack import extract_zip, staging, swap_in, write_atomic
from skillport_build.errors import ClientError, UnknownSkill
from skillport_build.models.api import Link, UpdateStatus
from skillport_build.models.catalog import Bundle, SkillRecord
from skillport_build.models.marketplace import SURFACE_LABELS
from skillport_build.models.names import KEBAB, SKILL_NAME_MAX, did_you_mean

RECORD = ".skillport.json"


class InstallRecord(BaseModel):
    """What `skillport install` put in a skill folder."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    version: str
    digest: str | None = Field(default=None, description="content digest, when the API named it")
    sha256: str = Field(description="hex sha256 of the zip it was unpacked from")
    source: str = Field(description="the proxy's base URL")
    installed_at: str
    agents: list[str] = Field(default_factory=list, description="the agents it was installed for")


@dataclass(frozen=True)
class Fetched:
    """A skill's zip, checked against the skill's signed catalog record."""

    skill: SkillRecord
    link: Link
    data: bytes

    def record(self, source: str, now: datetime, agents: Sequence[str] = ()) -> InstallRecord:
        """The install record for these bytes."""
        current = self.link.version == self.skill.version
        return InstallRecord(
            name=self.skill.name,
            version=self.link.version,
            digest=self.skill.digest if current else None,
            sha256=self.link.sha256,
            source=source,
            installed_at=now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            agents=list(agents),
        )


@dataclass(frozen=True)
class UpdateReport:
    """The update check: the proxy's answers, and the records it was not asked about."""

    results: list[UpdateStatus]
    elsewhere: list[InstallRecord]
    unreadable: list[str]


def skills_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """Claude Code's personal skills folder."""
    return AGENTS["claude-code"].user(environ)


def fetch(
    client: Client, verifier: Verifier, name: str, version: str | None = None, agents: Sequence[str] = ()
) -> Fetched:
    """Download a skill's zip and check it against the skill's record as the CI signed it (and,
    before downloading, that the record offers it to Claude Code when `agents` name it)."""
    try:
        answer = client.skill(name)
    except UnknownSkill as exc:
        raise UnknownSkill(name, did_you_mean(name, visible_names(client))) from exc
    skill = verifier.skill(answer.proof, name)
    if "claude-code" in agents and "claude-code" not in skill.surfaces:
        raise ClientError(not_for_claude_code(skill))
    link = client.link(name, version)
    bundle = _signed_bundle(skill, version or skill.version)
    if bundle is None or link.version != (version or skill.version) or link.sha256 != bundle.sha256:
        raise ClientError(
            f"{client.base_url} offered {name} {link.version} with sha256 {link.sha256}, which the "
            f"signed record of {name} does not list for {version or 'its current version'}; nothing "
            "was installed. Tell your skillport admin"
        )
    data = client.download(link.url, bundle.sha256, f"{name} {link.version}")
    return Fetched(skill, link, data)


def visible_names(client: Client) -> frozenset[str]:
    """Every skill name the proxy lists for this person, and `plugin/skill` for each (never a
    hidden one: the listing is the person's own)."""
    skills = client.search(limit=200, follow=True).skills
    return frozenset(n for s in skills for n in (s.name, f"{s.plugin}/{s.name}" if s.plugin else s.name))


def not_for_claude_code(skill: SkillRecord) -> str:
    """Why a skill is not installed for Claude Code: what the website and the connector say too."""
    where = " and ".join(SURFACE_LABELS.get(s, s) for s in skill.surfaces)
    return (
        f"{skill.ref} is offered for {where} only, not Claude Code (its marketplace entry's surface tag); "
        f"nothing was installed. Save its upload zip instead: skillport install {skill.ref} --zip ."
    )


def _signed_bundle(skill: SkillRecord, version: str) -> Bundle | None:
    """The bundle a signed record gives a version (None for one it does not list, or withdrew)."""
    if version == skill.version:
        return skill.bundle
    release = skill.release(version)
    return release.bundle if release is not None and release.yanked is None else None


def _refuse_rollback(fetched: Fetched, asked: str | None, folder: Path) -> None:
    """A proxy cannot move an installed skill to an older version unless the person asked for it."""
    try:
        before = InstallRecord.model_validate_json((folder / RECORD).read_bytes())
    except (OSError, ValidationError):
        return
    if asked is None and _older(fetched.link.version, before.version):
        raise ClientError(
            f"{fetched.skill.name} {before.version} is installed and the proxy offers the older "
            f"{fetched.link.version} as current; nothing was installed. To go back on purpose, pass "
            f"--version {fetched.link.version}"
        )


def _older(candidate: str, than: str) -> bool:
    try:
        return bool(semver.Version.parse(candidate) < semver.Version.parse(than))
    except ValueError:
        return False


def install_skill(
    client: Client, verifier: Verifier, name: str, version: str | None, skills: Path
) -> InstallRecord:
    """Install a skill into `skills`/<name>/, replacing any installed version in one rename."""
    return install_into(client, verifier, name, version, {skills: []})[0]


def install_into(
    client: Client,
    verifier: Verifier,
    name: str,
    version: str | None,
    folders: Mapping[Path, Sequence[str]],
) -> list[InstallRecord]:
    """Install a skill into each skills folder (with the agents that read it), downloading and
    checking it once; no folder is written before every one has passed the rollback check."""
    bare = folder_name(name)
    fetched = fetch(client, verifier, name, version, [a for readers in folders.values() for a in readers])
    for skills in folders:
        _refuse_rollback(fetched, version, skills / bare)
    now = datetime.now(UTC)
    return [
        _unpack(fetched, fetched.record(client.base_url, now, agents), skills, bare)
        for skills, agents in folders.items()
    ]


def install_for(
    client: Client,
    verifier: Verifier,
    name: str,
    version: str | None,
    agents: Sequence[str],
    project: Path | None = None,
    environ: Mapping[str, str] = os.environ,
) -> list[tuple[Path, InstallRecord]]:
    """Install a skill for the named agents (in the project folder, else the person's), and
    remember each folder so `skillport updates` checks it."""
    folders = folders_for(agents, project, environ)
    records = install_into(client, verifier, name, version, folders)
    for folder, readers in folders.items():
        remember_folder(folder, readers, "user" if project is None else "project", environ)
    return list(zip(folders, records, strict=True))


def _unpack(fetched: Fetched, record: InstallRecord, skills: Path, bare: str) -> InstallRecord:
    """Unpack checked bytes into `skills`/<bare>/ with their record, in one rename."""
    what = f"{record.name} {record.version}"
    try:
        with staging(skills) as stage:
            extract_zip(fetched.data, stage, what)
            folder = _skill_folder(stage, bare, what)
            write_atomic(folder / RECORD, record.model_dump_json(indent=2).encode() + b"\n")
            swap_in(folder, skills / bare)
    except OSError as exc:
        raise ClientError(f"cannot install {what} into {skills}: {exc.strerror or exc}") from exc
    return record


def folder_name(name: str) -> str:
    """The folder a skill installs into: its bare name (plugin/skill and plugin:skill say which
    plugin's), and only ever a name, never a path."""
    bare = name.replace(":", "/").rsplit("/", 1)[-1]
    if not KEBAB.match(bare) or len(bare) > SKILL_NAME_MAX:
        raise ClientError(f"{name!r} is not a skill name (or plugin/skill); `skillport search` lists them")
    return bare


def zip_name(name: str, version: str) -> str:
    """The file an upload zip is saved as in a folder: made here from the skill's name and version,
    never taken from the proxy's answer (a name from the network is never a path)."""
    if not semver.Version.is_valid(version):
        raise ClientError(
            f"the proxy offered {name} at version {version!r}, which is not a version; nothing was written"
        )
    return f"{folder_name(name)}-{version}.zip"


def _skill_folder(stage: Path, name: str, what: str) -> Path:
    """The one top folder a skill zip holds, named after the skill, with its SKILL.md."""
    found = sorted(p.name for p in stage.iterdir())
    if found != [name] or not (stage / name / "SKILL.md").is_file():
        raise ClientError(
            f"{what}: the zip should hold one folder {name}/ with SKILL.md in it, not {found}; "
            "nothing was installed. Tell your skillport admin"
        )
    return stage / name


def save_zip(
    client: Client, verifier: Verifier, name: str, version: str | None, path: Path, into: bool = False
) -> tuple[InstallRecord, Path]:
    """Write a skill's upload zip to `path`: into it when it is a folder (or `into`, when the person
    wrote it with a trailing slash: a folder that must exist), else as that file."""
    folder = path if into or path.is_dir() else path.parent
    if not folder.is_dir():
        raise ClientError(f"{folder}: no such folder; create it first, or give --zip another path")
    fetched = fetch(client, verifier, name, version)
    target = path / zip_name(name, fetched.link.version) if folder == path else path
    try:
        write_atomic(target, fetched.data)
    except OSError as exc:
        raise ClientError(f"cannot write {target}: {exc.strerror or exc}") from exc
    return fetched.record(client.base_url, datetime.now(UTC)), target


def installed(skills: Path) -> tuple[list[InstallRecord], list[str]]:
    """The install records under `skills`, and the record files that cannot be read."""
    records, unreadable = [], []
    for path in sorted(skills.glob(f"*/{RECORD}")):
        try:
            record = InstallRecord.model_validate_json(path.read_bytes())
        except (OSError, ValidationError):
            unreadable.append(str(path))
            continue
        if record.name == path.parent.name:
            records.append(record)
        else:
            unreadable.append(str(path))
    return records, unreadable


def check_updates(client: Client, verifier: Verifier, skills: Path) -> UpdateReport:
    """Ask the proxy about every skill installed from it, and hold its answers to the signed records."""
    records, unreadable = installed(skills)
    mine = [r for r in records if r.source.rstrip("/") == client.base_url]
    elsewhere = [r for r in records if r not in mine]
    results = client.updates([{"name": r.name, "version": r.version} for r in mine]).results if mine else []
    in_catalog = [r.name for r in results if r.status not in ("removed", "unknown")]
    if in_catalog:
        proofs = {_ref_of(p.record): p for p in client.proofs(skills=in_catalog).proofs}
        for result in results:
            if result.name in in_catalog:
                _agrees(result, verifier.skill(proofs.get(result.name), result.name), client.base_url)
    return UpdateReport(results, elsewhere, unreadable)


def _ref_of(record: Mapping[str, object]) -> str:
    return str(record.get("id") or record.get("name"))


def _agrees(result: UpdateStatus, skill: SkillRecord, source: str) -> None:
    """Refuse an update answer its signed record contradicts (a newer version hidden, a yank kept quiet)."""
    installed_release = skill.release(result.installed) if result.installed else None
    yanked = installed_release is not None and installed_release.yanked is not None
    wrong = (
        result.latest != skill.version
        or yanked != (result.status == "yanked")
        or (result.status == "current" and result.installed != skill.version)
    )
    if wrong:
        raise ClientError(
            f"{source} says {result.name} is {result.status} (latest {result.latest}), which its signed "
            f"record (latest {skill.version}) contradicts. Tell your skillport admin"
        )


def check_folders(
    client: Client, verifier: Verifier, folders: Iterable[Path]
) -> list[tuple[Path, UpdateReport]]:
    """The update check of each skills folder that holds install records (one proxy request per
    folder: the same skill may be at different versions in two projects)."""
    reports = [(folder, check_updates(client, verifier, folder)) for folder in folders]
    return [(folder, r) for folder, r in reports if r.results or r.elsewhere or r.unreadable]
