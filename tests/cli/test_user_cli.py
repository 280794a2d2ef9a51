"""The user commands through `skillport_build.cli.main`, against the real proxy on 127.0.0.1, with
HOME, the config folder and Claude's folder inside tmp_path."""

from __future__ import annotations

import json
import webbrowser
from collections.abc import Iterator
from pathlib import Path

import pytest
from clirun import Run
from integration.registry import free_port
from proxy.live_server import LiveProxy, browser_sign_in, live_proxy
from proxy.served import SEES
from releasing import change

from skillport_build.cli.user import skills_table, update_line
from skillport_build.client.credentials import load
from skillport_build.client.trust import load_pins
from skillport_build.models.api import SkillSummary, UpdateStatus
from skillport_build.trust.minisign import generate


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProxy]:
    with live_proxy(tmp_path_factory.mktemp("live")) as proxy:
        yield proxy


@pytest.fixture(autouse=True)
def user_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Path]:
    places = {"HOME": tmp_path / "home", "SKILLPORT_CONFIG_DIR": tmp_path / "config"}
    places["CLAUDE_CONFIG_DIR"] = places["HOME"] / ".claude"
    for name, path in places.items():
        monkeypatch.setenv(name, str(path))
    for name in ("SKILLPORT_URL", "SKILLPORT_TOKEN", "SKILLPORT_STATE_DIR", "SKILLPORT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.setattr(webbrowser, "open", lambda url: pytest.fail("no browser in these tests"))
    return places


def login(run: Run, live: LiveProxy, who: str) -> None:
    assert run("login", live.url, "--token", stdin=live.tokens[who] + "\n")[0] == 0


def test_login_with_a_token(run: Run, shared: LiveProxy) -> None:
    code, out, err = run("login", shared.url + "/", "--token", stdin=shared.tokens["anyone"] + "\n")
    assert (code, out) == (0, f"signed in to {shared.url} as ann@acme.example\n")
    key = shared.key.public().id_hex
    assert err == (
        f"warning: trusting the signing key {key} that {shared.url} names (first use). Compare it with "
        f"the key your admin publishes; to pin that file instead run `skillport login {shared.url} "
        "--key FILE`\n"
    )
    assert load_pins()[shared.url].keys == [shared.key.public().to_text()]
    stored = load()
    assert stored.default == shared.url and stored.servers[shared.url].token == shared.tokens["anyone"]
    assert stored.servers[shared.url].user == "ann@acme.example"


def test_login_takes_the_token_as_a_value_or_from_stdin(run: Run, shared: LiveProxy) -> None:
    token = shared.tokens["anyone"]
    assert run("login", shared.url, "--token", token)[:2] == (
        0,
        f"signed in to {shared.url} as ann@acme.example\n",
    )
    assert load().servers[shared.url].token == token
    assert run("login", shared.url, "--token", "-", stdin=token + "\n")[0] == 0
    code, _, err = run("login", shared.url, "--token", "-", stdin="\n")
    assert (code, err) == (
        2,
        f"error: no token given; create one on {shared.url}/tokens and paste it, or pipe it in\n",
    )
    code, _, err = run("login", shared.url, "--token", "sp_not_a_token")
    assert code == 1 and "did not accept the token" in err


def test_login_with_the_admins_key_pins_it(run: Run, shared: LiveProxy, tmp_path: Path) -> None:
    published = tmp_path / "acme.pub"
    published.write_text(shared.key.public().to_text())
    token = shared.tokens["anyone"] + "\n"
    code, out, err = run("login", shared.url, "--token", "--key", str(published), stdin=token)
    key = shared.key.public().id_hex
    assert (code, err) == (0, "")
    assert out.endswith(f"trusting the signing key {key} for {shared.url}\n")
    assert run("install", "skillport", "--claude-code")[0] == 0


def test_a_catalog_signed_by_another_key_installs_nothing(
    run: Run, shared: LiveProxy, tmp_path: Path, user_env: dict[str, Path]
) -> None:
    stranger = generate().public()
    other = tmp_path / "other.pub"
    other.write_text(stranger.to_text())
    run("login", shared.url, "--token", "--key", str(other), stdin=shared.tokens["anyone"] + "\n")
    code, out, err = run("install", "csv-profiler", "--claude-code")
    assert (code, out) == (1, "")
    assert err == (
        f"error: {shared.url}: skill csv-profiler 1.0.0 is signed by key {shared.key.public().id_hex}, "
        f"which you do not trust (trusted: {stranger.id_hex}); nothing was installed\n"
    )
    assert not (user_env["CLAUDE_CONFIG_DIR"] / "skills").exists()


def test_login_with_a_bad_token_saves_nothing(run: Run, shared: LiveProxy, user_env: dict[str, Path]) -> None:
    code, out, err = run("login", shared.url, "--token", stdin="sp_wrong_token\n")
    assert (code, out) == (1, "")
    assert err == (
        f"error: {shared.url} did not accept the token (the token is unknown or revoked; create a new "
        f"one on /tokens); run `skillport login {shared.url}` again\n"
    )
    assert not user_env["SKILLPORT_CONFIG_DIR"].exists()
    assert run("login", shared.url, "--token")[2] == (
        f"error: no token given; create one on {shared.url}/tokens and paste it, or pipe it in\n"
    )


def test_login_in_the_browser(run: Run, shared: LiveProxy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webbrowser, "open", lambda url: browser_sign_in(url, "Sam@acme.example", "sre"))
    code, out, err = run("login", shared.url)
    assert (code, out) == (0, f"signed in to {shared.url} as sam@acme.example\n")
    assert err.startswith(f"Sign in at: {shared.url}/cli/login?port=")
    token = load().servers[shared.url].token
    assert token not in out + err
    assert "incident-postmortem" in run("search", "--json")[1]


def test_search_table_and_json(run: Run, shared: LiveProxy) -> None:
    login(run, shared, "anyone")
    code, out, _ = run("search")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["NAME", "VERSION", "PLUGIN", "DESCRIPTION"]
    assert {line.split()[0] for line in lines[1:]} == {
        "release-notes",
        "csv-profiler",
        "pr-review",
        "skillport",
    }
    assert all(len(line) <= 100 for line in lines) and any(line.endswith("…") for line in lines)
    found = json.loads(run("search", "profile", "--json")[1])
    assert found["skills"][0]["name"] == "csv-profiler" and "score" in found["skills"][0]
    assert "deprecated" in found["skills"][0]
    assert run("search", "--category", "nothing-like-this") == (0, "no skills match\n", "")
    desktop = json.loads(run("search", "--surface", "desktop", "--json")[1])
    assert {s["name"] for s in desktop["skills"]} == {"release-notes", "csv-profiler", "skillport"}
    assert run("search", "--surface", "CC")[0] == 2


def test_search_shows_the_first_page_and_all_follows_the_cursor(run: Run, shared: LiveProxy) -> None:
    login(run, shared, "anyone")
    code, out, err = run("search", "--limit", "3")
    assert (code, len(out.splitlines()), err) == (
        0,
        4,
        "… and 1 more; narrow the query, or add --all to list every one\n",
    )
    code, out, err = run("search", "--limit", "3", "--all")
    assert (code, err) == (0, "")
    assert [line.split()[0] for line in out.splitlines()[1:]] == sorted(SEES["anyone"])
    every = json.loads(run("search", "--limit", "1", "--all", "--json")[1])
    assert (every["count"], every["total"], every["next"]) == (4, 4, None)


@pytest.mark.parametrize(
    ("answer", "line"),
    [
        ({"status": "current", "installed": "1.0.0", "latest": "1.0.0"}, None),
        (
            {"status": "update", "installed": "1.0.0", "latest": "1.1.0"},
            "x: 1.0.0 -> 1.1.0  (skillport install x --claude-code)",
        ),
        (
            {"status": "yanked", "installed": "1.0.0", "latest": "1.0.1", "reason": "leaks"},
            "x: 1.0.0 was withdrawn (leaks); install 1.0.1: skillport install x --claude-code",
        ),
        (
            {"status": "deprecated", "installed": "1.0.0", "reason": "old", "replacement": "y"},
            "x: deprecated (old); use y instead",
        ),
        (
            {"status": "removed", "last_version": "2.0.0"},
            "x: removed from the catalog after 2.0.0; delete /s/x",
        ),
        ({"status": "unknown"}, "x: not in the catalog, or no longer yours to read"),
    ],
)
def test_update_lines(answer: dict[str, str], line: str | None) -> None:
    assert update_line(UpdateStatus.model_validate({"name": "x", **answer}), Path("/s")) == line


def test_install_for_claude_code(run: Run, shared: LiveProxy, user_env: dict[str, Path]) -> None:
    login(run, shared, "anyone")
    skills = user_env["CLAUDE_CONFIG_DIR"] / "skills"
    code, out, err = run("install", "skillport", "--claude-code")
    assert (code, out, err) == (0, f"installed skillport 1.0.0 into {skills / 'skillport'}\n", "")
    record = json.loads((skills / "skillport/.skillport.json").read_text())
    assert (record["name"], record["version"], record["source"]) == ("skillport", "1.0.0", shared.url)
    (skills / "skillport/SKILL.md").write_text("edited by hand")
    assert run("install", "skillport", "--claude-code")[0] == 0
    assert (skills / "skillport/SKILL.md").read_text() != "edited by hand"
    assert sorted(p.name for p in skills.iterdir()) == ["skillport"]
    refused = run("install", "csv-profiler", "--claude-code")  # tagged for Claude.ai and Desktop only
    assert refused[0] == 1 and "csv-profiler is offered for Claude.ai and Claude Desktop only" in refused[2]
    assert sorted(p.name for p in skills.iterdir()) == ["skillport"]


def test_install_an_upload_zip(run: Run, shared: LiveProxy, tmp_path: Path) -> None:
    login(run, shared, "anyone")
    code, out, _ = run("install", "pr-review", "--zip", str(tmp_path))
    written = tmp_path / "pr-review-1.0.0.zip"
    assert (code, out) == (
        0,
        f"saved pr-review 1.0.0 to {written}; upload it in Claude.ai or Claude Desktop\n",
    )
    assert written.read_bytes()[:2] == b"PK"


def test_install_zip_into_a_missing_folder_is_an_error(
    run: Run, shared: LiveProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    login(run, shared, "anyone")
    monkeypatch.chdir(tmp_path)
    assert run("install", "pr-review", "--zip", "nodir/") == (
        1,
        "",
        "error: nodir: no such folder; create it first, or give --zip another path\n",
    )
    assert run("install", "pr-review", "--zip", "gone/pr.zip")[0] == 1
    assert not (tmp_path / "nodir").exists() and not (tmp_path / "gone").exists()
    assert run("install", "pr-review", "--zip", "pr.zip")[0] == 0
    assert (tmp_path / "pr.zip").read_bytes()[:2] == b"PK"


def test_a_misspelt_name_gets_a_suggestion_but_never_a_hidden_one(run: Run, shared: LiveProxy) -> None:
    login(run, shared, "anyone")
    assert run("install", "csv-profilr", "--claude-code") == (
        1,
        "",
        "error: no skill named csv-profilr that you may read (did you mean `csv-profiler`?); "
        "`skillport search` lists the skills you can\n",
    )
    assert run("install", "data-tools/csv-profilr", "--claude-code")[2].startswith(
        "error: no skill named data-tools/csv-profilr that you may read (did you mean `data-tools/csv-profiler`?)"
    )
    # incident-postmortem is there, but not for this person: no hint gives its name away.
    assert "did you mean" not in run("install", "incident-postmortm", "--claude-code")[2]
    login(run, shared, "sre")
    assert "did you mean `incident-postmortem`" in run("install", "incident-postmortm", "--claude-code")[2]


def test_install_needs_one_destination(run: Run, shared: LiveProxy, tmp_path: Path) -> None:
    login(run, shared, "anyone")
    message = (
        "error: say where: --agent AGENT (or --claude-code), or --zip PATH for Claude.ai and Claude Desktop\n"
    )
    assert run("install", "pr-review") == (2, "", message)
    assert run("install", "pr-review", "--claude-code", "--zip", str(tmp_path)) == (2, "", message)


def test_a_hidden_skill(run: Run, shared: LiveProxy, user_env: dict[str, Path]) -> None:
    login(run, shared, "anyone")
    assert run("install", "incident-postmortem", "--claude-code") == (
        1,
        "",
        "error: no skill named incident-postmortem that you may read; `skillport search` lists "
        "the skills you can\n",
    )
    assert not (user_env["CLAUDE_CONFIG_DIR"] / "skills").exists()


def test_updates(run: Run, tmp_path: Path) -> None:
    with live_proxy(tmp_path / "proxy") as live:
        login(run, live, "anyone")
        assert run("updates") == (
            0,
            f"no skills installed from {live.url} in {tmp_path}/home/.claude/skills\n",
            "",
        )
        for name in ("release-notes", "skillport"):
            assert run("install", name, "--claude-code")[0] == 0
        current = "release-notes: 1.0.0, up to date\nskillport: 1.0.0, up to date\n"
        assert run("updates") == (0, current + "2 of 2 up to date\n", "")
        change(live.repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
        live.republish()
        code, out, _ = run("updates")
        assert (code, out) == (
            0,
            "release-notes: 1.0.0 -> 1.0.1  (skillport install release-notes --claude-code)\n"
            "skillport: 1.0.0, up to date\n"
            "1 of 2 up to date\n",
        )
        answers = json.loads(run("updates", "--json")[1])["results"]
        assert {a["name"]: a["status"] for a in answers} == {
            "release-notes": "update",
            "skillport": "current",
        }


def test_install_for_agents_and_their_updates(
    run: Run, tmp_path: Path, user_env: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "repo"
    project.mkdir()
    monkeypatch.chdir(project)
    with live_proxy(tmp_path / "proxy") as live:
        login(run, live, "anyone")
        code, out, err = run("install", "release-notes", "--agent", "codex", "--agent", "cursor", "--project")
        shared_folder = project / ".agents/skills"
        assert (code, out, err) == (
            0,
            f"installed release-notes 1.0.0 into {shared_folder / 'release-notes'}\n",
            "",
        )
        mine = user_env["HOME"] / ".agents/skills"
        assert run("install", "release-notes", "--agent", "gemini-cli")[1] == (
            f"installed release-notes 1.0.0 into {mine / 'release-notes'}\n"
        )
        both = (
            f"{mine} (gemini-cli):\nrelease-notes: 1.0.0, up to date\n1 of 1 up to date\n"
            f"{shared_folder} (codex, cursor):\nrelease-notes: 1.0.0, up to date\n1 of 1 up to date\n"
        )
        assert run("updates") == (0, both, "")
        change(live.repo, "plugins/writing/skills/release-notes/SKILL.md", "writing")
        live.republish()
        monkeypatch.chdir(tmp_path)
        code, out, _ = run("updates")
        assert (code, out) == (
            0,
            f"{mine} (gemini-cli):\n"
            "release-notes: 1.0.0 -> 1.0.1  (skillport install release-notes --agent gemini-cli)\n"
            "0 of 1 up to date\n"
            f"{shared_folder} (codex, cursor):\n"
            "release-notes: 1.0.0 -> 1.0.1  (skillport install release-notes --agent codex --agent cursor --project)\n"
            "0 of 1 up to date\n",
        )
        answers = json.loads(run("updates", "--json")[1])["results"]
        assert [(a["folder"], a["status"]) for a in answers] == [
            (str(mine), "update"),
            (str(shared_folder), "update"),
        ]


def test_an_unknown_agent_is_a_usage_error(run: Run) -> None:
    code, _, err = run("install", "pr-review", "--agent", "vim")
    assert code == 2 and "'vim' is not one of 'claude-code', 'amp'" in err


def test_claude_code_sync_prints_the_one_command(
    run: Run, shared: LiveProxy, user_env: dict[str, Path]
) -> None:
    login(run, shared, "sre")
    folder = user_env["HOME"] / ".local/share/skillport/claude-code/acme-skills"
    code, out, err = run("claude-code", "sync")
    listed = json.loads((folder / ".claude-plugin/marketplace.json").read_text())["plugins"]
    installs = [f"claude plugin install {plugin['name']}@acme-skills\n" for plugin in listed]
    assert len(installs) == 4
    assert (code, out) == (0, f"claude plugin marketplace add {folder}\n" + "".join(installs))
    assert err == f"synced acme-skills into {folder} (4 added, 0 updated, 0 removed, 0 unchanged)\n"
    known = user_env["CLAUDE_CONFIG_DIR"] / "plugins/known_marketplaces.json"
    known.parent.mkdir(parents=True)
    known.write_text(json.dumps({"acme-skills": {"source": {"source": "directory", "path": str(folder)}}}))
    code, out, err = run("claude-code", "sync")
    assert (code, out) == (0, "claude plugin marketplace update acme-skills\n")
    assert err.endswith("(0 added, 0 updated, 0 removed, 4 unchanged)\n")
    other = user_env["HOME"] / "my market"
    added = run("claude-code", "sync", "--dir", str(other))[1]
    assert added == f"claude plugin marketplace add '{other}'\n" + "".join(installs)


def test_claude_code_settings_needs_a_proxy_claude_code_can_download_from(
    run: Run, shared: LiveProxy
) -> None:
    login(run, shared, "sre")
    code, out, err = run("claude-code", "settings")
    assert (code, out) == (1, "")
    assert err.startswith(
        f"error: {shared.url} is not an https address: Claude Code downloads plugin archives"
    )
    assert err.endswith("use `skillport claude-code sync` instead\n")


def test_auth_header_logout_and_not_signed_in(run: Run, shared: LiveProxy) -> None:
    login(run, shared, "anyone")
    header = json.loads(run("auth-header")[1])
    assert header == {"Authorization": f"Bearer {shared.tokens['anyone']}"}
    assert json.loads(run("auth-header", shared.url)[1]) == header
    assert run("logout", "--url", shared.url) == (
        0,
        f"signed out of {shared.url}; the token stays valid until you revoke it on {shared.url}/tokens\n",
        "",
    )
    message = (
        "error: not signed in to any skillport proxy; run `skillport login URL` (or set SKILLPORT_URL and "
        "SKILLPORT_TOKEN)\n"
    )
    for command in (["search"], ["updates"], ["auth-header"], ["claude-code", "sync"]):
        assert run(*command) == (1, "", message)
    assert run("logout") == (1, "", "error: not signed in to any proxy (signed in to: none)\n")
    assert run("logout", "https://a.example", "--url", "https://b.example")[0] == 2


def test_url_option_and_environment(run: Run, shared: LiveProxy, monkeypatch: pytest.MonkeyPatch) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("SKILLPORT_URL", nowhere)
    monkeypatch.setenv("SKILLPORT_TOKEN", shared.tokens["engineer"])
    assert run("search") == (
        1,
        "",
        f"error: cannot connect to {nowhere}: is the proxy running at {nowhere}?\n",
    )
    code, out, _ = run("search", "--url", shared.url, "--json")
    assert code == 0 and "decision-record" in out
    assert run("search", "--url", "not a url") == (
        2,
        "",
        "error: 'not a url' is not a proxy URL; give one like https://skills.acme.example\n",
    )


def test_skills_table_cuts_descriptions_to_the_width() -> None:
    common = {"digest": "d", "sha256": "s", "size": 1}
    skills = [
        SkillSummary(name="a", plugin="p", version="1.0.0", description="Short.", **common),
        SkillSummary(
            name="long-name",
            plugin="plug",
            version="10.2.3",
            description="A much\nlonger description that will not fit",
            deprecated={"reason": "old"},
            **common,
        ),
    ]
    assert skills_table(skills, 60).splitlines() == [
        "NAME       VERSION  PLUGIN  DESCRIPTION",
        "a          1.0.0    p       Short.",
        "long-name  10.2.3   plug    (deprecated) A much longer desc…",
    ]


def test_terminal_escapes_from_the_proxy_never_reach_the_terminal() -> None:
    hostile = SkillSummary(
        name="x\u202eevil",
        plugin="p",
        version="1.0.0",
        description="Sets the title\x1b]0;owned\x07 and\u200b hides\rthis",
        digest="d",
        sha256="s",
        size=1,
    )
    table = skills_table([hostile], 200)
    assert not any(ch in table for ch in "\x1b\x07\r\u202e\u200b")
    assert table.splitlines()[1].split("  ")[0] == "xevil"
