"""Editors propose a change to a skill through the connector: check it offline, then open one pull request.

`check_proposal` overlays the proposed files on the skill's current files and runs the core validator
over a minimal marketplace holding only that plugin and skill, so nothing reaches GitHub that the pull
request check would refuse. `open_pull_request` then writes one commit on a new branch through GitHub's
Git Data API and opens a pull request into the default branch, which it never writes to.
"""

from __future__ import annotations

import json
import secrets
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skillport_build.errors import ProposalError
from skillport_build.models.catalog import Catalog, PluginRecord, skill_ref
from skillport_build.models.marketplace import SURFACE_PREFIX, SURFACE_TAGS
from skillport_build.models.names import KEBAB, SKILL_NAME_MAX
from skillport_build.models.text import human_size
from skillport_build.repo.diagnostics import Diagnostic, Report
from skillport_build.repo.paths import MARKETPLACE_JSON, PLUGIN_JSON

if TYPE_CHECKING:  # PyGithub, the loader and the validator only once someone proposes (about 30 MB)
    from github import Github, InputGitTreeElement
    from github.GitRef import GitRef
    from github.Repository import Repository

__all__ = ["Checked", "Opened", "Proposal", "check_proposal", "open_pull_request"]

MAX_FILE_BYTES = 1 << 20  # one proposed file
MAX_TOTAL_BYTES = 5 << 20  # all proposed files together
MAX_FILES = 200
MAX_FINDINGS = 20  # validation errors quoted in a refusal
BRANCH_PREFIX = "skillport/propose/"
PERMISSIONS = "contents:write and pull-requests:write"


@dataclass(frozen=True)
class Proposal:
    """A change to one skill, as an editor asked for it."""

    plugin: str  # the plugin, which must be in the catalog
    skill: str  # an existing skill of that plugin, or a new one
    files: Mapping[str, str | None]  # path inside the skill folder -> new UTF-8 text; None deletes it
    title: str  # the pull request's title
    description: str  # why; goes into the pull request's body
    author: str  # the proposer's email, named in the pull request and the commit


@dataclass(frozen=True)
class Checked:
    """A proposal the validator passed: what to write, and the report for the pull request."""

    proposal: Proposal
    changes: Mapping[str, str | None]  # only what differs from the current files; None deletes
    new_skill: bool  # the skill is not in the catalog yet
    report: Report  # findings inside the skill folder, paths relative to it
    markdown: str  # the report as Markdown


@dataclass(frozen=True)
class Opened:
    """The pull request a proposal became."""

    number: int
    url: str
    branch: str
    commit: str
    report: str  # the validation report's Markdown, as in the pull request's body


def check_proposal(
    proposal: Proposal,
    base_files: Mapping[str, bytes],
    catalog: Catalog,
    *,
    readable: frozenset[str] | None = None,
) -> Checked:
    """Validate the skill as it would be after the change, with the core validator and no network.

    `base_files` are the skill's current files (empty for a new skill). `readable` are the skill refs
    the proposer may read (None: all): any other skill is, in every answer, one that does not exist.
    Raise ProposalError, listing every problem, when the change cannot become a pull request.
    """
    plugin = catalog.plugin(proposal.plugin)
    problems = _proposal_problems(proposal, catalog, plugin, readable)
    changes = _changes(proposal, base_files, problems)
    folder = _overlay(base_files, changes)
    problems += _folder_problems(folder)
    if problems or plugin is None:
        raise ProposalError(_refusal(proposal, problems))
    from skillport_build.release.pr_report import validation_markdown

    report = _validate(catalog, plugin, proposal.skill, folder)
    if report.errors:
        raise ProposalError(_invalid(proposal, report))
    found = catalog.skill(skill_ref(proposal.plugin, proposal.skill))
    new_skill = found is None or (readable is not None and found.ref not in readable)
    return Checked(proposal, changes, new_skill, report, "\n".join(validation_markdown(report)))


def _proposal_problems(
    proposal: Proposal, catalog: Catalog, plugin: PluginRecord | None, readable: frozenset[str] | None
) -> list[str]:
    """What is wrong with the proposal itself, before looking at any file's content."""
    problems = []
    if plugin is None:
        known = ", ".join(f"`{p.name}`" for p in catalog.plugins) if readable is None else ""
        problems.append(
            f"there is no plugin `{proposal.plugin}` in the catalog; use one of: {known or 'none'}"
        )
    if not KEBAB.match(proposal.skill) or len(proposal.skill) > SKILL_NAME_MAX:
        problems.append(
            f"`{proposal.skill}` is not a skill name; use 1-{SKILL_NAME_MAX} lowercase letters, "
            "digits and single hyphens"
        )
    elif (
        (owner := catalog.skill(proposal.skill)) is not None
        and owner.plugin != proposal.plugin
        and (readable is None or owner.ref in readable)
    ):
        problems.append(
            f"the skill `{proposal.skill}` belongs to the plugin `{owner.plugin}`; propose the change there"
        )
    if not proposal.title.strip():
        problems.append("the title is empty; give the pull request a short title")
    problems += [
        f"`{path}`: {why}" if path else why for path in sorted(proposal.files) if (why := _bad_path(path))
    ]
    return problems + _size_problems(proposal.files)


def _bad_path(path: str) -> str | None:
    """Why a path cannot name a file inside the skill folder, or None if it can."""
    if not path:
        return "a file has an empty path; name each file by its path inside the skill folder, e.g. `SKILL.md`"
    if "\\" in path:
        return "contains a backslash; separate folders with `/`"
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        return "is absolute; give the path inside the skill folder, e.g. `references/notes.md`"
    if any(part in ("", ".", "..") for part in path.split("/")):
        return "has an empty, `.` or `..` part; give a plain path inside the skill folder"
    return None


def _size_problems(files: Mapping[str, str | None]) -> list[str]:
    sizes = {path: len(text.encode()) for path, text in files.items() if text is not None}
    problems = [
        f"`{path}` is {size:,} bytes; a proposed file may be at most {human_size(MAX_FILE_BYTES)}"
        for path, size in sorted(sizes.items())
        if size > MAX_FILE_BYTES
    ]
    if (total := sum(sizes.values())) > MAX_TOTAL_BYTES:
        problems.append(
            f"the files come to {human_size(total)}; one proposal may carry at most "
            f"{human_size(MAX_TOTAL_BYTES)}: split it, or open the pull request in the repository"
        )
    if len(files) > MAX_FILES:
        problems.append(f"{len(files)} files; one proposal may change at most {MAX_FILES}: split it")
    return problems


def _changes(
    proposal: Proposal, base_files: Mapping[str, bytes], problems: list[str]
) -> dict[str, str | None]:
    """The proposed files that differ from the current ones; deleting a missing file is a problem."""
    changes: dict[str, str | None] = {}
    for path, text in sorted(proposal.files.items()):
        if text is None and path not in base_files:
            problems.append(f"`{path}`: cannot delete it, the skill has no such file")
        elif text is None or base_files.get(path) != text.encode():
            changes[path] = text
    if not changes and not problems:
        problems.append("the proposal changes nothing: every file is as it already is")
    return changes


def _overlay(base_files: Mapping[str, bytes], changes: Mapping[str, str | None]) -> dict[str, bytes]:
    folder = dict(base_files)
    for path, text in changes.items():
        if text is None:
            folder.pop(path, None)
        else:
            folder[path] = text.encode()
    return folder


def _folder_problems(folder: Mapping[str, bytes]) -> list[str]:
    """What makes the new skill folder impossible to write or to load."""
    problems = []
    if "SKILL.md" not in folder:
        problems.append("the skill would have no `SKILL.md`; every skill needs one at the top of its folder")
    parts = [path.split("/") for path in folder]
    folders = {"/".join(names[:depth]) for names in parts for depth in range(1, len(names))}
    problems += [
        f"`{path}` would be a file and a folder at once; rename the file or the folder"
        for path in sorted(folders.intersection(folder))
    ]
    return problems


def _refusal(proposal: Proposal, problems: list[str]) -> str:
    listed = "\n".join(f"  - {problem}" for problem in problems)
    return f"cannot propose this change to the skill `{proposal.skill}`; nothing was written:\n{listed}"


def _invalid(proposal: Proposal, report: Report) -> str:
    errors = report.errors
    lines = [f"  {d.location()}: {d.rule}: {d.message}" for d in errors[:MAX_FINDINGS]]
    if len(errors) > MAX_FINDINGS:
        lines.append(f"  … and {len(errors) - MAX_FINDINGS} more")
    count = f"{len(errors)} validation error{'s' if len(errors) != 1 else ''}"
    return (
        f"the skill `{proposal.skill}` would have {count} after this change; fix them and propose "
        "again (nothing was written):\n" + "\n".join(lines)
    )


# Validation ------------------------------------------------------------------------------------


def _validate(catalog: Catalog, plugin: PluginRecord, skill: str, folder: Mapping[str, bytes]) -> Report:
    """Run the validator over a marketplace of this one plugin; keep the findings inside the skill."""
    from skillport_build.repo.loader import load
    from skillport_build.validate import validate

    prefix = f"plugins/{plugin.name}/skills/{skill}/"
    with tempfile.TemporaryDirectory(prefix="skillport-propose-") as tmp:
        root = Path(tmp)
        _write(root / MARKETPLACE_JSON, _json(_marketplace_doc(catalog, plugin)))
        _write(root / "plugins" / plugin.name / PLUGIN_JSON, _json(_plugin_doc(plugin)))
        for path, data in folder.items():
            _write(root / prefix / path, data)
        report = validate(load(root))
    inside = [
        Diagnostic(d.path[len(prefix) :], d.line, d.rule, d.severity, d.message)
        for d in report.diagnostics
        if d.path.startswith(prefix)
    ]
    return Report.of(inside, skill, plugins=1, skills=1)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _json(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, indent=2).encode()


def _marketplace_doc(catalog: Catalog, plugin: PluginRecord) -> dict[str, Any]:
    owner = catalog.marketplace.owner.model_dump(exclude_none=True)
    entry = {
        "name": plugin.name,
        "source": f"./plugins/{plugin.name}",
        "description": plugin.description,
        "version": plugin.version,
        "category": plugin.category,
        "tags": [*plugin.tags, *_surface_tags(plugin.surfaces)],
    }
    entry = {key: value for key, value in entry.items() if value is not None}
    return {"name": catalog.marketplace.name, "owner": owner, "plugins": [entry]}


def _plugin_doc(plugin: PluginRecord) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": plugin.name, "version": plugin.version}
    if plugin.description:
        doc["description"] = plugin.description
    if plugin.author:
        doc["author"] = plugin.author.model_dump(exclude_none=True)
    return doc


def _surface_tags(surfaces: tuple[str, ...]) -> list[str]:
    """The `surface:` tags meaning exactly these surfaces (upload-only rules depend on them)."""
    wanted = frozenset(surfaces)
    exact = [tag for tag, meant in SURFACE_TAGS.items() if meant == wanted]
    tags = exact[:1] or [tag for tag, meant in SURFACE_TAGS.items() if len(meant) == 1 and meant <= wanted]
    return [SURFACE_PREFIX + tag for tag in tags]


# The pull request ------------------------------------------------------------------------------


def open_pull_request(
    gh: Github, repository: str, checked: Checked, *, now: datetime | None = None
) -> Opened:
    """Open one pull request into the default branch: one new branch, one commit, never the default branch.

    The commit is made with the Git Data API on top of the default branch's head. If the pull request
    cannot be opened, the branch is deleted again. GitHub's refusals become ProposalError.
    """
    proposal = checked.proposal
    with _asking(repository, "read the default branch"):
        repo = gh.get_repo(repository)
        base = repo.default_branch
        parent = repo.get_git_commit(repo.get_git_ref(f"heads/{base}").object.sha)
        folder = _skill_folder(repo, parent.sha, proposal)
        modes = {e.path: e.mode for e in repo.get_git_tree(parent.tree.sha, recursive=True).tree}
    _check_target(folder, modes, checked, base)
    branch = f"{BRANCH_PREFIX}{proposal.skill}-{_stamp(now)}-{secrets.token_hex(3)}"
    with _asking(repository, "write the proposal's commit and branch"):
        tree = repo.create_git_tree(_tree(folder, checked.changes, modes), base_tree=parent.tree)
        commit = repo.create_git_commit(_message(proposal), tree, [parent])
        ref = repo.create_git_ref(f"refs/heads/{branch}", commit.sha)
    body = _body(checked, folder, modes)
    try:
        with _asking(repository, "open the pull request"):
            pull = repo.create_pull(base=base, head=branch, title=proposal.title.strip(), body=body)
    except ProposalError as exc:
        raise ProposalError(f"{exc}; {_delete(ref, branch)}") from None
    return Opened(pull.number, pull.html_url, branch, commit.sha, checked.markdown)


@contextmanager
def _asking(repository: str, doing: str) -> Iterator[None]:
    """Turn GitHub's refusals into a ProposalError that says which permissions the token needs."""
    from github import GithubException
    from requests import RequestException

    try:
        yield
    except GithubException as exc:
        message = exc.data.get("message") if isinstance(exc.data, dict) else None
        status = f"HTTP {exc.status}" + (f": {message}" if message else "")
        if exc.status in (401, 403, 404):
            raise ProposalError(
                f"GitHub refused to {doing} in {repository} ({status}); the connector's GitHub token "
                f"needs {PERMISSIONS} on {repository}"
            ) from None
        raise ProposalError(f"GitHub could not {doing} in {repository} ({status}); try again later") from None
    except RequestException as exc:
        raise ProposalError(f"cannot reach GitHub to {doing} in {repository}: {exc}") from None


def _skill_folder(repo: Repository, sha: str, proposal: Proposal) -> str:
    """Where the skill lives in the repository, from the plugin's entry in marketplace.json."""
    from github.ContentFile import ContentFile

    content = repo.get_contents(MARKETPLACE_JSON, ref=sha)
    try:
        raw = content.decoded_content if isinstance(content, ContentFile) else b""
        plugins = json.loads(raw)["plugins"]
        entry = next(p for p in plugins if isinstance(p, dict) and p.get("name") == proposal.plugin)
    except (ValueError, KeyError, TypeError, StopIteration):
        raise ProposalError(
            f"{MARKETPLACE_JSON} on the default branch does not list the plugin `{proposal.plugin}`; "
            "it may have been renamed or removed since the catalog was published"
        ) from None
    source = entry.get("source")
    if not isinstance(source, str) or not source.startswith("./") or ".." in source.split("/"):
        raise ProposalError(
            f"the plugin `{proposal.plugin}` is not a folder of this repository (its source is "
            f"{json.dumps(source)}); propose the change in the repository the plugin comes from"
        )
    plugin_folder = source[2:].strip("/")
    return f"{plugin_folder}/skills/{proposal.skill}" if plugin_folder else f"skills/{proposal.skill}"


def _check_target(folder: str, modes: Mapping[str, str], checked: Checked, base: str) -> None:
    """Refuse when the repository disagrees with the catalog about whether the skill exists."""
    exists = f"{folder}/SKILL.md" in modes
    if checked.new_skill and any(path.startswith(folder + "/") for path in modes):
        raise ProposalError(
            f"`{folder}` already exists on {base} although the catalog has no skill "
            f"`{checked.proposal.skill}`; wait until it is published, then propose the change to it"
        )
    if not checked.new_skill and not exists:
        raise ProposalError(
            f"there is no `{folder}/SKILL.md` on {base}; the skill may have moved or been removed since "
            "the catalog was published"
        )


def _tree(
    folder: str, changes: Mapping[str, str | None], modes: Mapping[str, str]
) -> list[InputGitTreeElement]:
    """Tree entries on top of the base tree: text inline (one request), deletions as `sha: null`."""
    from github import InputGitTreeElement

    elements = []
    for path, text in sorted(changes.items()):
        full = f"{folder}/{path}"
        if text is None:
            if full in modes:
                elements.append(InputGitTreeElement(full, "100644", "blob", sha=None))
            continue
        mode = "100755" if modes.get(full) == "100755" else "100644"
        elements.append(InputGitTreeElement(full, mode, "blob", content=text))
    return elements


def _message(proposal: Proposal) -> str:
    paragraphs = [f"{proposal.skill}: {proposal.title.strip()}", proposal.description.strip()]
    trailer = f"Proposed-by: {proposal.author} (through the Skillport connector)"
    return "\n\n".join([p for p in paragraphs if p] + [trailer]) + "\n"


def _body(checked: Checked, folder: str, modes: Mapping[str, str]) -> str:
    proposal = checked.proposal
    files = [
        f"- `{path}` ({'deleted' if text is None else 'changed' if f'{folder}/{path}' in modes else 'added'})"
        for path, text in sorted(checked.changes.items())
    ]
    kind = "a new skill" if checked.new_skill else "a change to the skill"
    return "\n".join(
        [
            f"**{proposal.author}** proposed {kind} `{proposal.skill}` in the plugin `{proposal.plugin}` "
            "through the Skillport connector.",
            "",
            proposal.description.strip() or "_No description given._",
            "",
            f"### Files in `{folder}/`",
            "",
            *files,
            "",
            "### Validation",
            "",
            checked.markdown.rstrip(),
            "",
        ]
    )


def _delete(ref: GitRef, branch: str) -> str:
    """Delete the branch again after a failure; say what was left behind."""
    from github import GithubException
    from requests import RequestException

    try:
        ref.delete()
    except (GithubException, RequestException):
        return f"the branch `{branch}` could not be deleted: delete it by hand"
    return f"the branch `{branch}` was deleted again, nothing is left behind"


def _stamp(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
