"""Proposing a change to a skill: checked offline by the core validator, then one branch, one commit and
one pull request through the real PyGithub client against the local GitHub API server."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from factory import TEMPLATE
from fakes.github_api import TOKEN, FakeGitHub
from github import Auth, Github, GithubException, InputGitTreeElement
from releasing import build_at

from skillport_build.errors import ProposalError
from skillport_build.models.catalog import Catalog
from skillport_build.proxy.connector.propose import (
    BRANCH_PREFIX,
    Opened,
    Proposal,
    check_proposal,
    open_pull_request,
)

REPOSITORY = "acme/skill-store"
CSV = "plugins/data-tools/skills/csv-profiler"
NOW = datetime(2026, 11, 2, 9, 30, 5, tzinfo=UTC)
NEW_SKILL_MD = """\
---
name: meeting-notes
description: "Turns a meeting transcript into notes with decisions and action items. Use when asked to
  summarise a meeting."
---

# Meeting notes

1. List the decisions.
2. List the action items with owners, using [the template](assets/notes-template.md).
"""


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the template, so the catalog and the seeded repository agree."""
    root = tmp_path_factory.mktemp("propose") / "repo"
    shutil.copytree(TEMPLATE, root)
    return root


@pytest.fixture(scope="module")
def catalog(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    out = tmp_path_factory.mktemp("catalog")
    build_at(repo, out)
    return Catalog.load(out)


@pytest.fixture
def github(repo: Path) -> Iterator[FakeGitHub]:
    with FakeGitHub() as api:
        api.seed(repo)
        api.requests.clear()
        yield api


def client(api: FakeGitHub, token: str = TOKEN) -> Github:
    return Github(
        auth=Auth.Token(token),
        base_url=api.api_url,
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )


def files_of(repo: Path, folder: str) -> dict[str, bytes]:
    """A skill's current files, as the connector takes them from the published bundle."""
    root = repo / folder
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def proposal(
    files: dict[str, str | None], plugin: str = "data-tools", skill: str = "csv-profiler"
) -> Proposal:
    return Proposal(
        plugin=plugin,
        skill=skill,
        files=files,
        title="Explain lost leading zeros",
        description="People keep asking why ZIP codes lose their zeros.",
        author="eve@acme.example",
    )


def propose(api: FakeGitHub, repo: Path, catalog: Catalog, change: Proposal, base: str = CSV) -> Opened:
    """What the connector does: check against the current files, then open the pull request."""
    checked = check_proposal(change, files_of(repo, base) if (repo / base).is_dir() else {}, catalog)
    return open_pull_request(client(api), REPOSITORY, checked, now=NOW)


def test_a_change_is_one_branch_one_commit_and_one_pull_request_into_the_default_branch(
    github: FakeGitHub, repo: Path, catalog: Catalog
) -> None:
    main = github.branches["main"]
    before = github.files_at("main")
    skill_md = (repo / CSV / "SKILL.md").read_text() + "\nLeading zeros: see the reference.\n"
    script = (repo / CSV / "scripts/profile_csv.py").read_text() + "# keep leading zeros\n"
    change = proposal(
        {
            "SKILL.md": skill_md,
            "references/leading-zeros.md": "# Leading zeros\n\nRead ZIP codes as text.\n",
            "references/interpreting-profiles.md": None,
            "scripts/profile_csv.py": script,
        }
    )

    opened = propose(github, repo, catalog, change)

    assert re.fullmatch(rf"{BRANCH_PREFIX}csv-profiler-20261102T093005Z-[0-9a-f]{{6}}", opened.branch)
    assert github.branches == {"main": main, opened.branch: opened.commit}
    assert github.commits[opened.commit].parents == (main,)
    assert [m for m, _ in github.writes()] == ["POST"] * 4  # one tree, one commit, one ref, one pull request
    assert github.files_at("main") == before
    after = github.files_at(opened.branch)
    assert after[f"{CSV}/SKILL.md"] == skill_md.encode()
    assert after[f"{CSV}/references/leading-zeros.md"].startswith(b"# Leading zeros")
    assert f"{CSV}/references/interpreting-profiles.md" not in after
    assert github.tree_at(opened.branch)[f"{CSV}/scripts/profile_csv.py"][0] == "100755"
    changed = {f"{CSV}/{p}" for p in ("SKILL.md", "references/leading-zeros.md", "scripts/profile_csv.py")}
    changed.add(f"{CSV}/references/interpreting-profiles.md")
    assert {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)} == changed

    [pull] = github.pulls.values()
    assert (pull.number, pull.base, pull.head, pull.head_sha) == (
        opened.number,
        "main",
        opened.branch,
        opened.commit,
    )
    assert opened.url == f"https://github.example/{REPOSITORY}/pull/{opened.number}"
    assert pull.title == "Explain lost leading zeros"
    assert pull.body.startswith(
        "**eve@acme.example** proposed a change to the skill `csv-profiler` in the plugin `data-tools` "
        "through the Skillport connector.\n\nPeople keep asking why ZIP codes lose their zeros.\n"
    )
    assert f"### Files in `{CSV}/`" in pull.body
    assert "- `references/interpreting-profiles.md` (deleted)" in pull.body
    assert "- `references/leading-zeros.md` (added)" in pull.body
    assert "- `SKILL.md` (changed)" in pull.body
    assert "### Validation\n\n⚠️ **0 error(s)**, 1 warning(s); nothing blocks the merge." in pull.body
    assert (
        "| warning | `SKILL.md:63` | `skill-link` | link 'references/interpreting-profiles.md' points"
        in pull.body
    )
    assert opened.report in pull.body
    message = github.commits[opened.commit].message
    assert message.startswith("csv-profiler: Explain lost leading zeros\n\n")
    assert "Proposed-by: eve@acme.example" in message


def test_a_new_skill_in_an_existing_plugin(github: FakeGitHub, repo: Path, catalog: Catalog) -> None:
    files: dict[str, str | None] = {
        "SKILL.md": NEW_SKILL_MD,
        "assets/notes-template.md": "# Notes\n\n## Decisions\n\n## Action items\n",
    }
    change = proposal(files, plugin="writing", skill="meeting-notes")

    opened = propose(github, repo, catalog, change, base="plugins/writing/skills/meeting-notes")

    after = github.files_at(opened.branch)
    assert after["plugins/writing/skills/meeting-notes/SKILL.md"] == NEW_SKILL_MD.encode()
    assert "plugins/writing/skills/meeting-notes/assets/notes-template.md" in after
    assert len(after) == len(github.files_at("main")) + 2
    [pull] = github.pulls.values()
    assert "proposed a new skill `meeting-notes` in the plugin `writing`" in pull.body
    assert "- `SKILL.md` (added)" in pull.body


def test_two_proposals_in_the_same_second_get_their_own_branches(
    github: FakeGitHub, repo: Path, catalog: Catalog
) -> None:
    change = proposal({"references/a.md": "# A\n"})
    first = propose(github, repo, catalog, change)
    second = propose(github, repo, catalog, replace(change, files={"references/b.md": "# B\n"}))
    assert first.branch != second.branch
    assert len(github.pulls) == 2


def test_the_plugins_surfaces_decide_what_is_an_error(catalog: Catalog, repo: Path) -> None:
    # `when_to_use` is Claude Code only: a warning in a surface:CC plugin, an error where skills are uploaded.
    folder = "plugins/engineering/skills/pr-review"
    skill_md = (
        (repo / folder / "SKILL.md").read_text().replace("metadata:", "when_to_use: reviews\nmetadata:", 1)
    )
    checked = check_proposal(
        proposal({"SKILL.md": skill_md}, plugin="engineering", skill="pr-review"),
        files_of(repo, folder),
        catalog,
    )
    assert [(d.path, d.rule, d.severity) for d in checked.report.diagnostics] == [
        ("SKILL.md", "frontmatter-unknown-key", "warning")
    ]
    assert "⚠️" in checked.markdown and "`SKILL.md:4`" in checked.markdown

    skill_md = (repo / CSV / "SKILL.md").read_text().replace("metadata:", "when_to_use: csv\nmetadata:", 1)
    with pytest.raises(ProposalError, match=r"SKILL.md:\d+: frontmatter-unknown-key: `when_to_use`"):
        check_proposal(proposal({"SKILL.md": skill_md}), files_of(repo, CSV), catalog)


@pytest.mark.parametrize(
    ("plugin", "files", "expected"),
    [
        (
            "data-tools",
            {"SKILL.md": "---\nname: csv-profiler\nversion: 2\n---\n\nBody.\n"},
            "the skill `csv-profiler` would have 2 validation errors after this change; fix them and propose "
            "again (nothing was written):\n"
            "  SKILL.md:2: skill-description: `description` is required (what the skill does and when to use it)\n"
            "  SKILL.md:3: frontmatter-unknown-key: `version` is not a portable key",
        ),
        (
            "data-tools",
            {"../evil.md": "x", "/etc/x": "x", "a\\b.md": "x", "": "x"},
            "cannot propose this change to the skill `csv-profiler`; nothing was written:\n"
            "  - a file has an empty path; name each file by its path inside the skill folder, e.g. `SKILL.md`\n"
            "  - `../evil.md`: has an empty, `.` or `..` part; give a plain path inside the skill folder\n"
            "  - `/etc/x`: is absolute; give the path inside the skill folder, e.g. `references/notes.md`\n"
            "  - `a\\b.md`: contains a backslash; separate folders with `/`",
        ),
        (
            "data-tools",
            {"SKILL.md": None},
            "cannot propose this change to the skill `csv-profiler`; nothing was written:\n"
            "  - the skill would have no `SKILL.md`; every skill needs one at the top of its folder",
        ),
        (
            "nope",
            {"SKILL.md": "x"},
            "  - there is no plugin `nope` in the catalog; use one of: `data-tools`, ",
        ),
        (
            "data-tools",
            {"references/big.md": "x" * ((1 << 20) + 1)},
            "  - `references/big.md` is 1,048,577 bytes; a proposed file may be at most 1.0 MB",
        ),
        (
            "data-tools",
            {f"references/{n}.md": f"# {n}\n" for n in range(201)},
            "  - 201 files; one proposal may change at most 200: split it",
        ),
        (
            "data-tools",
            {"references/missing.md": None},
            "  - `references/missing.md`: cannot delete it, the skill has no such file",
        ),
        (
            "data-tools",
            {"references": "a file where a folder is"},
            "  - `references` would be a file and a folder at once; rename the file or the folder",
        ),
        (
            "writing",
            {"SKILL.md": "---\nname: csv-profiler\ndescription: Profiles.\n---\n"},
            "  - the skill `csv-profiler` belongs to the plugin `data-tools`; propose the change there",
        ),
    ],
    ids=[
        "bad-front-matter",
        "bad-paths",
        "no-skill-md",
        "unknown-plugin",
        "oversized",
        "too-many-files",
        "delete-missing",
        "file-and-folder",
        "other-plugins-skill",
    ],
)
def test_refused_proposals_write_nothing(
    github: FakeGitHub, repo: Path, catalog: Catalog, plugin: str, files: dict[str, str | None], expected: str
) -> None:
    with pytest.raises(ProposalError) as refused:
        propose(github, repo, catalog, proposal(files, plugin=plugin))
    assert expected in str(refused.value)
    assert github.requests == []  # refused before any call to GitHub
    assert list(github.branches) == ["main"] and not github.pulls


def test_a_proposal_that_changes_nothing_is_refused(github: FakeGitHub, repo: Path, catalog: Catalog) -> None:
    same = (repo / CSV / "SKILL.md").read_text()
    with pytest.raises(ProposalError, match="the proposal changes nothing: every file is as it already is"):
        propose(github, repo, catalog, proposal({"SKILL.md": same}))


def test_a_failed_pull_request_deletes_its_branch(github: FakeGitHub, repo: Path, catalog: Catalog) -> None:
    github.fail_on(f"/repos/{REPOSITORY}/pulls", status=422)
    with pytest.raises(ProposalError) as failed:
        propose(github, repo, catalog, proposal({"references/a.md": "# A\n"}))
    message = str(failed.value)
    assert message.startswith(
        f"GitHub could not open the pull request in {REPOSITORY} (HTTP 422: Failing on purpose"
    )
    assert re.search(
        rf"the branch `{BRANCH_PREFIX}csv-profiler-\S+` was deleted again, nothing is left", message
    )
    assert list(github.branches) == ["main"] and not github.pulls
    assert github.writes()[-1][0] == "DELETE"


@pytest.mark.parametrize("failing", ["git/trees", "pulls"])
def test_refusals_name_the_permissions_the_token_needs(
    github: FakeGitHub, repo: Path, catalog: Catalog, failing: str
) -> None:
    github.fail_on(f"/repos/{REPOSITORY}/{failing}", status=403)
    with pytest.raises(ProposalError) as refused:
        propose(github, repo, catalog, proposal({"references/a.md": "# A\n"}))
    assert (
        "(HTTP 403: Failing on purpose (403)); the connector's GitHub token needs contents:write and "
        in str(refused.value)
    )
    assert f"pull-requests:write on {REPOSITORY}" in str(refused.value)
    assert list(github.branches) == ["main"] and not github.pulls


def test_a_bad_token_is_refused_before_anything_is_written(
    github: FakeGitHub, repo: Path, catalog: Catalog
) -> None:
    checked = check_proposal(proposal({"references/a.md": "# A\n"}), files_of(repo, CSV), catalog)
    with pytest.raises(
        ProposalError, match=r"GitHub refused to read the default branch in acme/skill-store "
    ):
        open_pull_request(client(github, "wrong"), REPOSITORY, checked)
    assert github.writes() == []


def test_a_plugin_from_elsewhere_is_refused(
    github: FakeGitHub, repo: Path, catalog: Catalog, tmp_path: Path
) -> None:
    moved = tmp_path / "moved"
    shutil.copytree(repo, moved)
    manifest = moved / ".claude-plugin/marketplace.json"
    manifest.write_text(
        manifest.read_text().replace(
            '"./plugins/data-tools"', '{"source": "github", "repo": "acme/data-tools"}'
        )
    )
    github.seed(moved, message="Move data-tools to its own repository")
    with pytest.raises(
        ProposalError, match=r'its source is \{"source": "github", "repo": "acme/data-tools"\}'
    ):
        propose(github, repo, catalog, proposal({"references/a.md": "# A\n"}))
    assert [m for m, _ in github.writes()] == []


def test_a_skill_gone_from_the_repository_is_refused(
    github: FakeGitHub, repo: Path, catalog: Catalog, tmp_path: Path
) -> None:
    gone = tmp_path / "gone"
    shutil.copytree(repo, gone)
    shutil.rmtree(gone / CSV)
    github.seed(gone)
    with pytest.raises(
        ProposalError, match=f"there is no `{CSV}/SKILL.md` on main; the skill may have moved"
    ):
        propose(github, repo, catalog, proposal({"references/a.md": "# A\n"}))
    assert github.writes() == []


def test_the_fake_serves_contents_and_trees_as_github_does(github: FakeGitHub) -> None:
    repo = client(github).get_repo(REPOSITORY)
    listing = repo.get_contents(CSV, ref="main")
    assert isinstance(listing, list)
    assert sorted((c.name, c.type) for c in listing) == [
        ("SKILL.md", "file"),
        ("references", "dir"),
        ("scripts", "dir"),
    ]
    root = repo.get_git_tree(github.commits[github.branches["main"]].tree)
    assert ".claude-plugin" in {e.path for e in root.tree if e.type == "tree"}
    assert all("/" not in e.path for e in root.tree)


def test_the_fake_takes_blobs_refs_and_lists_pull_requests_as_github_does(github: FakeGitHub) -> None:
    repo = client(github).get_repo(REPOSITORY)
    main = repo.get_git_commit(repo.get_git_ref("heads/main").object.sha)
    blob = repo.create_git_blob("aGVsbG8=", "base64")
    assert blob.sha == "b6fc4c620b67d95f953a5c1c1230aaab5db5a1b0"  # git hash-object of "hello"
    element = InputGitTreeElement("notes/hello.txt", "100644", "blob", sha=blob.sha)
    tree = repo.create_git_tree([element], base_tree=main.tree)
    commit = repo.create_git_commit("Add hello", tree, [main])
    ref = repo.create_git_ref("refs/heads/topic", commit.sha)
    assert github.files_at("topic")["notes/hello.txt"] == b"hello"
    pull = repo.create_pull(base="main", head="topic", title="Hello")
    assert [p.number for p in repo.get_pulls(state="open", head="acme:topic")] == [pull.number]
    assert list(repo.get_pulls(base="other")) == []
    with pytest.raises(GithubException) as again:
        repo.create_pull(base="main", head="topic", title="Hello again")
    assert again.value.status == 422
    ref.delete()
    assert list(github.branches) == ["main"]
