"""Claude Code's own route: the proxy's marketplace URL in Claude Code's settings, nothing else.

The real `skillport serve` answers over https at 192.0.2.10 inside a network namespace of the
tests' own (see netns.py), and the pinned Claude Code runs in the same namespace with a throwaway
HOME: it adds the marketplace when a session starts, fetching it and every archive with the header
`skillport auth-header` prints, and installs, lists and updates plugins by itself.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from integration.claude_code import Claude, claude_binary
from integration.netns import ADDRESS, BIN, HttpsProxy, Namespace, https_proxy, network_namespace
from proxy.served import PEOPLE
from releasing import change

from skillport_build.proxy.state import TOKEN_CACHE_SECONDS

pytestmark = pytest.mark.integration

MARKET = "acme-skills"
RESTRICTED = "operations"  # readable by group:sre (and engineering-managers) only


@pytest.fixture(scope="module")
def namespace() -> Iterator[Namespace]:
    with network_namespace() as made:
        yield made


@pytest.fixture(scope="module")
def proxy(namespace: Namespace, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpsProxy]:
    with https_proxy(namespace, tmp_path_factory.mktemp("https-proxy")) as served:
        yield served


def person(proxy: HttpsProxy, tmp_path: Path, token: str, url: str | None = None) -> Claude:
    """Claude Code for one person: their HOME, `skillport` on PATH (for the helper) with their
    token, the test CA trusted, and the settings `skillport claude-code settings` printed for them
    (for the proxy, or for `url` standing in front of it)."""
    home = tmp_path / "home"
    (home / ".claude").mkdir(parents=True)
    extra = proxy.environ(token) | {"PATH": f"{BIN}:/usr/bin:/bin"} | ({"SKILLPORT_URL": url} if url else {})
    printed = proxy.namespace.run(
        str(BIN / "skillport"), "claude-code", "settings", env=extra | {"HOME": str(home)}
    )
    assert printed.returncode == 0, printed.stderr
    (home / ".claude/settings.json").write_text(printed.stdout)
    extra["NODE_EXTRA_CA_CERTS"] = str(proxy.tls.ca)
    return Claude(claude_binary(), home, tuple(proxy.namespace.command()), extra)


# Claude Code 2.1.332 reads managed settings only from /etc/claude-code/managed-settings.json on
# Linux (the path is built in; no variable or flag moves it). So the admin's file is put there for
# Claude Code alone: each run gets a private mount namespace whose /etc is an overlay (upper layer
# on a tmpfs) holding the file; the machine's /etc is never written.
MANAGED_ETC = """\
set -e
mount --make-rprivate /
mount -t tmpfs skillport-test "$1"
mkdir "$1/upper" "$1/work"
mount -t overlay skillport-test -o "lowerdir=/etc,upperdir=$1/upper,workdir=$1/work" /etc
mkdir -p /etc/claude-code
cp "$2" /etc/claude-code/managed-settings.json
shift 2
exec "$@"
"""


def managed_person(proxy: HttpsProxy, tmp_path: Path, token: str) -> Claude:
    """Claude Code for one person whose machine the admin set up: no user settings at all, and in
    managed settings the fragment `skillport claude-code settings --managed` printed."""
    home = tmp_path / "home"
    (home / ".claude").mkdir(parents=True)
    extra = proxy.environ(token) | {"PATH": f"{BIN}:/usr/bin:/bin"}
    printed = proxy.namespace.run(
        str(BIN / "skillport"), "claude-code", "settings", "--managed", env=extra | {"HOME": str(home)}
    )
    assert printed.returncode == 0, printed.stderr
    assert "/etc/claude-code/managed-settings.json (Linux)" in printed.stderr
    managed = tmp_path / "managed-settings.json"
    managed.write_text(printed.stdout)
    (tmp_path / "etc-layer").mkdir()
    extra["NODE_EXTRA_CA_CERTS"] = str(proxy.tls.ca)
    wrapper = ("unshare", "-m", "sh", "-c", MANAGED_ETC, "sh", str(tmp_path / "etc-layer"), str(managed))
    return Claude(claude_binary(), home, (*proxy.namespace.command(), *wrapper), extra)


def start_session(claude: Claude) -> Path:
    """What opening Claude Code does first: add the marketplaces its settings declare. A headless
    session with the install made synchronous; it then stops at "Not logged in" (no model here).
    Returns where Claude Code keeps its copy of the marketplace, as `marketplace list` says."""
    session = replace(claude, extra_env=claude.extra_env | {"CLAUDE_CODE_SYNC_PLUGIN_INSTALL": "1"})
    session.run("-p", "hello", timeout=60)
    listed = claude.run("plugin", "marketplace", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    added = {m["name"]: m for m in json.loads(listed.stdout)}
    assert added[MARKET]["source"] == "url"
    assert added[MARKET]["url"] == f"{claude.extra_env['SKILLPORT_URL']}/claude-code/marketplace.json"
    return Path(added[MARKET]["installLocation"])


def listed_plugins(copy: Path) -> dict[str, str]:
    """Name → version of the marketplace's plugins in Claude Code's copy of it."""
    return {p["name"]: p["version"] for p in json.loads(copy.read_text())["plugins"]}


def admin(*args: str) -> subprocess.CompletedProcess[str]:
    """The admin's `skillport` on the proxy's host (it only touches the state database)."""
    return subprocess.run([str(BIN / "skillport"), *args], capture_output=True, text=True, check=False)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_served_marketplace_passes_strict_validation(proxy: HttpsProxy, tmp_path: Path) -> None:
    folder = tmp_path / "served/.claude-plugin"
    folder.mkdir(parents=True)
    (folder / "marketplace.json").write_text(json.dumps(proxy.marketplace("admin")))
    claude = Claude(claude_binary(), tmp_path / "home")
    claude.home.mkdir()
    passed, report = claude.validate(folder.parent, strict=True)
    assert passed, report


def test_a_person_in_the_group_installs_the_restricted_plugin(proxy: HttpsProxy, tmp_path: Path) -> None:
    claude = person(proxy, tmp_path, proxy.tokens["sre"])
    copy = start_session(claude)
    entry = next(p for p in proxy.marketplace("sre")["plugins"] if p["name"] == RESTRICTED)
    assert RESTRICTED in listed_plugins(copy)
    ok(claude.run("plugin", "install", f"{RESTRICTED}@{MARKET}"))
    installed = claude.installed(MARKET)
    assert installed[RESTRICTED]["version"] == entry["version"]
    assert claude.inventory(f"{RESTRICTED}@{MARKET}")["Skills"] == ["incident-postmortem"]
    status, archive = proxy.get(entry["source"]["url"].removeprefix(proxy.url), proxy.tokens["sre"])
    assert status == 200
    assert hashlib.sha256(archive).hexdigest() == entry["source"]["sha256"]  # the pin Claude Code checked


def test_the_admins_managed_settings_add_the_marketplace_and_install(
    proxy: HttpsProxy, tmp_path: Path
) -> None:
    claude = managed_person(proxy, tmp_path, proxy.tokens["sre"])
    copy = start_session(claude)  # the marketplace comes from managed settings: there are no others
    assert (
        not (claude.home / ".claude/settings.json").exists()
        or "extraKnownMarketplaces" not in (claude.home / ".claude/settings.json").read_text()
    )
    assert RESTRICTED in listed_plugins(copy)
    ok(claude.run("plugin", "install", f"{RESTRICTED}@{MARKET}"))
    entry = next(p for p in proxy.marketplace("sre")["plugins"] if p["name"] == RESTRICTED)
    assert claude.installed(MARKET)[RESTRICTED]["version"] == entry["version"]
    assert not Path("/etc/claude-code").exists()  # the machine's /etc was never touched
    # The same person and machine without the admin's file: Claude Code adds no marketplace.
    (tmp_path / "bare/.claude").mkdir(parents=True)
    bare = Claude(claude_binary(), tmp_path / "bare", tuple(proxy.namespace.command()), claude.extra_env)
    bare.run("-p", "hello", timeout=60)
    listed = bare.run("plugin", "marketplace", "list", "--json")
    assert listed.returncode == 0 and MARKET not in {m["name"] for m in json.loads(listed.stdout)}


def test_a_person_outside_the_group_sees_neither_entry_nor_archive(proxy: HttpsProxy, tmp_path: Path) -> None:
    assert PEOPLE["anyone"][1] == ()
    claude = person(proxy, tmp_path, proxy.tokens["anyone"])
    copy = start_session(claude)
    assert RESTRICTED not in listed_plugins(copy)
    assert "data-tools" in listed_plugins(copy)
    refused = claude.run("plugin", "install", f"{RESTRICTED}@{MARKET}")
    assert refused.returncode != 0
    assert f'Plugin "{RESTRICTED}" not found in marketplace "{MARKET}"' in refused.stdout + refused.stderr
    assert RESTRICTED not in claude.installed(MARKET)
    path = next(p for p in proxy.marketplace("sre")["plugins"] if p["name"] == RESTRICTED)["source"]["url"]
    hidden = proxy.get(path.removeprefix(proxy.url), proxy.tokens["anyone"])
    missing = proxy.get(
        "/bundles/plugins/no-such-plugin/1.0.0/no-such-plugin-1.0.0.zip", proxy.tokens["anyone"]
    )
    assert hidden == missing
    assert hidden[0] == 404


def test_a_new_publish_reaches_claude_code_through_update(proxy: HttpsProxy, tmp_path: Path) -> None:
    claude = person(proxy, tmp_path, proxy.tokens["sre"])
    copy = start_session(claude)
    ok(claude.run("plugin", "install", f"{RESTRICTED}@{MARKET}"))
    before = claude.installed(MARKET)[RESTRICTED]["version"]
    change(proxy.repo, "plugins/operations/skills/incident-postmortem/SKILL.md", RESTRICTED)
    proxy.republish()
    after = next(p for p in proxy.marketplace("sre")["plugins"] if p["name"] == RESTRICTED)["version"]
    assert after != before
    ok(claude.run("plugin", "marketplace", "update", MARKET))
    assert listed_plugins(copy)[RESTRICTED] == after
    assert claude.installed(MARKET)[RESTRICTED]["version"] == before  # listed, not yet installed
    ok(claude.run("plugin", "update", f"{RESTRICTED}@{MARKET}"))
    assert claude.installed(MARKET)[RESTRICTED]["version"] == after


def test_a_revoked_token_stops_further_downloads(proxy: HttpsProxy, tmp_path: Path) -> None:
    token = ok(
        admin("tokens", "create", "--db", str(proxy.db), "--user", "sam@acme.example", "--groups", "sre")
    ).strip()
    claude = person(proxy, tmp_path, token)
    start_session(claude)
    ok(claude.run("plugin", "install", f"data-tools@{MARKET}"))
    ok(admin("tokens", "revoke", "--db", str(proxy.db), token))
    # Revoked from another process (the admin CLI on the database): the running proxy drops it from
    # its token cache within TOKEN_CACHE_SECONDS, the bound docs/proxy.md states.
    time.sleep(TOKEN_CACHE_SECONDS + 0.5)
    refused = claude.run("plugin", "install", f"{RESTRICTED}@{MARKET}")
    assert refused.returncode != 0
    assert "401" in refused.stdout + refused.stderr
    assert set(claude.installed(MARKET)) == {"data-tools"}
    assert claude.run("plugin", "marketplace", "update", MARKET).returncode != 0


def test_a_tampered_archive_is_refused_by_claude_code(proxy: HttpsProxy, tmp_path: Path) -> None:
    mirror_url = f"https://{ADDRESS}:8444"
    script = Path(__file__).with_name("tamper_mirror.py")
    tls = proxy.tls
    argv = [
        str(BIN / "python"),
        str(script),
        ADDRESS,
        "8444",
        str(tls.cert),
        str(tls.key),
        str(tls.ca),
        proxy.url,
    ]
    mirror = subprocess.Popen(proxy.namespace.command(*argv), stdout=subprocess.PIPE, text=True)
    try:
        assert mirror.stdout is not None and mirror.stdout.readline().strip() == "READY"
        claude = person(proxy, tmp_path, proxy.tokens["sre"], url=mirror_url)
        start_session(claude)
        entry = next(p for p in proxy.marketplace("sre")["plugins"] if p["name"] == "data-tools")
        refused = claude.run("plugin", "install", f"data-tools@{MARKET}")
        assert refused.returncode != 0
        assert entry["source"]["sha256"] in refused.stdout + refused.stderr, refused.stdout + refused.stderr
        assert "data-tools" not in claude.installed(MARKET)
    finally:
        mirror.terminate()
        mirror.wait(10)
        if mirror.stdout is not None:
            mirror.stdout.close()
