"""Do the tests notice when a security check breaks? A small mutation run over the modules that
decide who gets what: access, links, signing and verifying, record proofs, unpacking, the client's
trust and install checks, publishing, and the MCP connector's OAuth.

Usage: python benchmarks/mutation_run.py [--only PATTERN] [--strict] [--list]

Each mutation below is one plausible slip, written by hand: (file, the exact original text, what
it becomes). For each, HEAD is checked out into a temporary git worktree (never the working
checkout), the one change is made there, and the tests covering that module run against the copy
(`pytest -x -q`); a failing run kills the mutant. Before any mutant, the same tests run once
unchanged, so a mutant is only counted killed by tests that pass without it. Prints a table and
"killed K of N"; with --strict, exits 1 if any mutant survived.

Commit first: the copy is HEAD, not the working tree.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = "skillport_build"


@dataclass(frozen=True)
class Mutation:
    """One slip: `original` (exactly once in `file`) becomes `replacement`."""

    name: str
    file: str
    original: str
    replacement: str


# The tests that cover each module (paths under tests/).
COVERING: dict[str, tuple[str, ...]] = {
    "proxy/access.py": (
        "proxy/test_access.py",
        "proxy/test_access_matrix.py",
        "proxy/test_security.py",
        "proxy/test_service.py",
        "proxy/test_repeated_names.py",
    ),
    "models/access.py": ("models/test_access.py", "proxy/test_access_matrix.py", "proxy/test_access.py"),
    "proxy/links.py": ("proxy/test_links.py", "proxy/test_security.py", "proxy/test_service.py"),
    "proxy/api.py": ("proxy/connector/test_oauth_security.py", "client/test_login.py"),
    "trust/minisign.py": ("trust/test_minisign.py", "trust/test_verify.py", "trust/test_records.py"),
    "trust/verify.py": ("trust/test_verify.py", "release/test_publish.py", "proxy/test_live.py"),
    "trust/records.py": ("trust/test_records.py", "client/test_trust.py", "client/test_install.py"),
    "client/unpack.py": ("client/test_unpack.py",),
    "client/trust.py": ("client/test_trust.py", "client/test_install.py", "client/test_sync.py"),
    "client/install.py": ("client/test_install.py", "client/test_trust.py"),
    "release/publish.py": ("release/test_publish.py", "release/test_maintain.py"),
    "proxy/connector/grants.py": (
        "proxy/connector/test_grants.py",
        "proxy/connector/test_oauth_security.py",
        "proxy/connector/test_oauth_flow.py",
    ),
    "proxy/connector/provider.py": (
        "proxy/connector/test_provider.py",
        "proxy/connector/test_oauth_security.py",
        "proxy/connector/test_oauth_flow.py",
        "proxy/connector/test_client_documents.py",
        "proxy/connector/test_client_id_documents.py",
    ),
}

M = Mutation
MUTATIONS: tuple[Mutation, ...] = (
    # proxy/access.py
    M("yanked releases downloadable via bundle_refs", "proxy/access.py",
      "if release.yanked is None:", "if release.yanked is None or release.version:"),
    M("a plugin shown when any of its skills is", "proxy/access.py",
      "and all(n in skills for n in p.skills)", "and any(n in skills for n in p.skills)"),
    M("a hidden skill found by name", "proxy/access.py",
      "return found if found is not None and found.ref in self.skill_names else None", "return found"),
    M("a bundle visible if a skill or a plugin of its name is", "proxy/access.py",
      'visible = self.skill_names if ref.kind == "skill" else self.plugin_names',
      "visible = self.skill_names | self.plugin_names"),
    M("audiences told apart by skills only", "proxy/access.py",
      'text += "\\n--\\n" + "\\n".join(sorted(self.plugin_names))', 'text += "\\n--\\n"'),
    # models/access.py
    M("`read: []` falling through to the defaults", "models/access.py",
      "if rule is not None and rule.read is not None:", "if rule is not None and rule.read:"),
    M("domain: matched as a suffix", "models/access.py",
      'or (kind == "domain" and rest.lower() == domain)',
      'or (kind == "domain" and email.endswith(rest.lower()))'),
    # proxy/links.py
    M("link signature compared by prefix", "proxy/links.py",
      "if not hmac.compare_digest(signature, self._mac(path, sha256, user, groups, expires)):",
      "if not self._mac(path, sha256, user, groups, expires).startswith(signature):"),
    M("a link honoured five minutes past its expiry", "proxy/links.py",
      "if expires < self._time():", "if expires + 300 < self._time():"),
    M("a link not bound to the bundle's sha256", "proxy/links.py",
      'message = f"{path}\\n{sha256}\\n{user.lower()}\\n{groups}\\n{expires}".encode()',
      'message = f"{path}\\n{user.lower()}\\n{groups}\\n{expires}".encode()'),
    M("a link not bound to the groups", "proxy/links.py",
      'message = f"{path}\\n{sha256}\\n{user.lower()}\\n{groups}\\n{expires}".encode()',
      'message = f"{path}\\n{sha256}\\n{user.lower()}\\n{expires}".encode()'),
    # proxy/api.py (the CLI sign-in's PKCE)
    M("PKCE accepting verifier == challenge", "proxy/api.py",
      "if found is None or found[2] != challenge:",
      "if found is None or found[2] not in (challenge, verifier):"),
    # trust/minisign.py
    M("the trusted comment's signature not checked", "trust/minisign.py",
      "public.verify(signature.global_signature, signature.signature + signature.trusted_comment.encode())",
      "pass"),
    M("any trusted key tried, whatever the key id", "trust/minisign.py",
      "key = next((k for k in keys if hmac.compare_digest(k.key_id, signature.key_id)), None)",
      "key = next(iter(keys), None)"),
    M("a secret key's checksum skipped when it is zero", "trust/minisign.py",
      "unchecked = kdf == KDF_NONE and checksum == bytes(32)",
      "unchecked = kdf == KDF_NONE or checksum == bytes(32)"),
    # trust/verify.py
    M("verify skipping a missing current bundle", "trust/verify.py",
      "if bundle.path in current:", "if bundle.path in current and False:"),
    M("rollback by one catalog accepted", "trust/verify.py",
      "if last is not None and catalog.catalog_version < last:",
      "if last is not None and catalog.catalog_version < last - 1:"),
    M("expiry checked only when a trust state is kept", "trust/verify.py",
      "if catalog.is_expired(now):", "if catalog.is_expired(now) and state:"),
    M("trusted comment compared on its first word", "trust/verify.py",
      "if checked.trusted_comment.split() != trusted_comment(catalog).split():",
      "if checked.trusted_comment.split()[0] != trusted_comment(catalog).split()[0]:"),
    M("a bundle checked by size only", "trust/verify.py",
      "if len(data) != bundle.size or actual != bundle.sha256:", "if len(data) != bundle.size:"),
    M("record proofs not checked by verify", "trust/verify.py",
      "    check_proofs(catalog, keys)\n", "    None\n"),
    M("the trust state lowered", "trust/verify.py",
      "data[marketplace] = max(version, data.get(marketplace, 0))", "data[marketplace] = version"),
    # trust/records.py
    M("record proof: expiry check skipped", "trust/records.py",
      "if now >= parse_time(proof.expires):", "if now >= parse_time(proof.expires) and False:"),
    M("record proof: rollback check skipped", "trust/records.py",
      "if newest_seen is not None and proof.catalog_version < newest_seen:",
      "if newest_seen is not None and proof.catalog_version < newest_seen and False:"),
    M("record proof: kind/ref check skipped", "trust/records.py",
      'if proof.kind != kind or ref.replace(":", "/", 1) not in names:',
      'if (proof.kind != kind or ref.replace(":", "/", 1) not in names) and False:'),
    M("record proof: kind not compared", "trust/records.py",
      'if proof.kind != kind or ref.replace(":", "/", 1) not in names:',
      'if ref.replace(":", "/", 1) not in names:'),
    M("record proof: marketplace check skipped", "trust/records.py",
      "if marketplace is not None and proof.marketplace != marketplace:",
      "if marketplace is not None and proof.marketplace != marketplace and False:"),
    # client/unpack.py
    M("an absolute entry path unpacked", "client/unpack.py",
      'if "\\\\" in name or "\\0" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):',
      'if "\\\\" in name or "\\0" in name or (len(name) > 1 and name[1] == ":"):'),
    M("a leading .. entry unpacked", "client/unpack.py",
      'elif any(part == ".." for part in path.parts) or not path.parts:',
      'elif any(part == ".." for part in path.parts[1:]) or not path.parts:'),
    M("a symbolic link unpacked", "client/unpack.py",
      "elif kind == stat.S_IFLNK:", "elif kind == stat.S_IFLNK and info.file_size > 4096:"),
    M("the entry cap ten times too high", "client/unpack.py",
      "if len(entries) > MAX_ENTRIES:", "if len(entries) > MAX_ENTRIES * 10:"),
    M("a zip bomb sized by its compressed bytes", "client/unpack.py",
      "if sum(info.file_size for info in entries) > MAX_UNPACKED:",
      "if sum(info.compress_size for info in entries) > MAX_UNPACKED:"),
    M("a failed swap not put back", "client/unpack.py",
      "            os.rename(old, target)\n", "            remove(old)\n"),
    # client/trust.py
    M("the newest catalog seen not remembered", "client/trust.py",
      "            save_pin(self.url, self.pin, self.environ)\n", "            None\n"),
    M("the client's rollback bound not passed", "client/trust.py",
      "newest_seen=self.pin.catalog_version,", "newest_seen=None,"),
    M("the client's pinned marketplace not passed", "client/trust.py",
      "marketplace=self.pin.marketplace,", "marketplace=None,"),
    # client/install.py (the signed-record checks)
    M("an offered sha256 not compared with the signed record", "client/install.py",
      "if bundle is None or link.version != (version or skill.version) or link.sha256 != bundle.sha256:",
      "if bundle is None or link.version != (version or skill.version):"),
    M("a yanked release installable by version", "client/install.py",
      "return release.bundle if release is not None and release.yanked is None else None",
      "return release.bundle if release is not None else None"),
    M("a yank kept quiet by an update answer", "client/install.py",
      '        or yanked != (result.status == "yanked")\n', "        or False\n"),
    # release/publish.py
    M("publishing a build planned against catalog 2 onto a store at 1", "release/publish.py",
      "if current.catalog_version != catalog.catalog_version - 1:",
      "if current.catalog_version > catalog.catalog_version - 1:"),
    M("a first publish of a later catalog onto an empty store", "release/publish.py",
      "if catalog.catalog_version != 1:", "if catalog.catalog_version < 1:"),
    M("uploads not read back", "release/publish.py",
      "            store.read_verified(key, sha256)\n", "            store.digest(key)\n"),
    M("a store bundle with other bytes accepted", "release/publish.py",
      "elif store.digest(bundle.path) != bundle.sha256:", "elif store.digest(bundle.path) is None:"),
    M("another catalog of the same number taken as published", "release/publish.py",
      "if current.catalog_version == catalog.catalog_version and pointer.catalog == catalog.to_bytes():",
      "if current.catalog_version == catalog.catalog_version:"),
    # proxy/connector/grants.py
    M("Grants.token accepting expired tokens", "proxy/connector/grants.py",
      "if expires <= self.clock():", "if expires <= 0:"),
    M("a refresh token used twice ends nothing", "proxy/connector/grants.py",
      '            self.revoke_grant(grant_id, reason="refresh token used twice")\n', "            None\n"),
    M("an expired code exchanged for an hour", "proxy/connector/grants.py",
      '"DELETE FROM oauth_codes WHERE hash = ? AND expires >= ? "',
      '"DELETE FROM oauth_codes WHERE hash = ? AND expires >= ? - 3600 "'),
    M("a refresh token rotated twice in a race", "proxy/connector/grants.py",
      "\"UPDATE oauth_tokens SET used = 1 WHERE hash = ? AND kind = 'refresh' AND used = 0\",",
      "\"UPDATE oauth_tokens SET used = 1 WHERE hash = ? AND kind = 'refresh'\","),
    M("a parked request used after its expiry", "proxy/connector/grants.py",
      "if not rows or rows[0][2] < self.clock():", "if not rows:"),
    # proxy/connector/provider.py
    M("a code exchanged twice", "proxy/connector/provider.py",
      "code = self.grants.take_code(authorization_code.code)",
      "code = self.grants.code(authorization_code.code)"),
    M("a code exchanged by another client", "proxy/connector/provider.py",
      "if code is None or code.client_id != client.client_id:\n            raise TokenError",
      "if code is None:\n            raise TokenError"),
    M("a refresh token used by another client", "proxy/connector/provider.py",
      "if grant is None or grant.client_id != client.client_id:", "if grant is None:"),
    M("a PKCE challenge matched by prefix", "proxy/connector/provider.py",
      "if not PKCE_CHALLENGE.fullmatch(params.code_challenge):",
      "if not PKCE_CHALLENGE.match(params.code_challenge):"),
    M("tokens issued for another resource", "proxy/connector/provider.py",
      "if resource != self.resource:", "if not resource.startswith(self.resource):"),
    M("plain http redirects anywhere", "proxy/connector/provider.py",
      'return parts.hostname in ("127.0.0.1", "localhost", "::1")', "return bool(parts.hostname)"),
    M("a redirect with a user-info part", "proxy/connector/provider.py",
      'if "#" in uri or "@" in parts.netloc or', 'if "#" in uri or'),
)  # fmt: skip


@dataclass
class Outcome:
    """What one mutant's tests did."""

    mutation: Mutation
    killed: bool
    seconds: float
    detail: str


def worktree(into: Path) -> Path:
    """A detached checkout of HEAD under `into` (the system temp dir), never the working checkout."""
    copy = into / "skillport"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(copy), "HEAD"], check=True
    )
    return copy


def run_tests(copy: Path, files: tuple[str, ...]) -> tuple[bool, str]:
    """Run `files` against the copy; True when they pass. The copy's package comes first on the
    path (for the `python -m skillport_build` the tests start too)."""
    env = {k: v for k, v in os.environ.items() if k != "SKILLPORT_INTEGRATION"}
    env["PYTHONPATH"] = str(copy)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    detail = ""
    for batch in _batches(files):
        command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *batch]
        done = subprocess.run(command, check=False, cwd=copy, env=env, capture_output=True, text=True)
        lines = [line for line in done.stdout.splitlines() if line.strip()]
        detail = lines[-1] if lines else done.stderr.strip()[-200:]
        if done.returncode != 0:
            return False, detail
    return True, detail


def _batches(files: tuple[str, ...]) -> list[list[str]]:
    """The test files in as few pytest runs as can hold them: two test modules of one name
    (tests/models/test_access.py, tests/proxy/test_access.py) cannot be collected by one run."""
    batches: list[list[str]] = []
    for file in files:
        name = Path(file).name
        batch = next((b for b in batches if all(Path(f).name != name for f in b)), None)
        if batch is None:
            batches.append(batch := [])
        batch.append(f"tests/{file}")
    return batches


def check_copy(copy: Path) -> None:
    """Make sure the tests import the copy's package, not the working checkout's."""
    env = {**os.environ, "PYTHONPATH": str(copy)}
    where = subprocess.run(
        [sys.executable, "-c", f"import {PKG}; print({PKG}.__file__)"],
        check=False,
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not Path(where).is_relative_to(copy):
        raise SystemExit(f"the copy's tests would import {where}, not the copy's package")


def mutate(copy: Path, mutation: Mutation) -> Path:
    """Apply one mutation in the copy; return the file (restore it with `git checkout`)."""
    path = copy / PKG / mutation.file
    text = path.read_text()
    if text.count(mutation.original) != 1:
        raise SystemExit(f"{mutation.file}: the original text of {mutation.name!r} is not there exactly once")
    path.write_text(text.replace(mutation.original, mutation.replacement))
    return path


def run(selected: list[Mutation]) -> list[Outcome]:
    """Baseline each covering set once, then every mutant."""
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="skillport-mutation-") as tmp:
        copy = worktree(Path(tmp))
        try:
            check_copy(copy)
            for files in sorted({COVERING[m.file] for m in selected}):
                ok, detail = run_tests(copy, files)
                if not ok:
                    raise SystemExit(f"the unmutated tests fail ({' '.join(files)}): {detail}")
            for mutation in selected:
                path = mutate(copy, mutation)
                start = time.monotonic()
                try:
                    passed, detail = run_tests(copy, COVERING[mutation.file])
                finally:
                    subprocess.run(["git", "-C", str(copy), "checkout", "-q", "--", str(path)], check=True)
                outcomes.append(Outcome(mutation, not passed, time.monotonic() - start, detail))
                mark = "killed" if not passed else "SURVIVED"
                print(f"  {mark:8} {mutation.file}: {mutation.name}", file=sys.stderr, flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(copy)], check=False)
    return outcomes


def table(outcomes: list[Outcome]) -> str:
    """The outcomes as a text table, then the score."""
    rows = [("result", "module", "mutation", "seconds")]
    rows += [
        ("killed" if o.killed else "SURVIVED", o.mutation.file, o.mutation.name, f"{o.seconds:.1f}")
        for o in outcomes
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]:>7}" for r in rows]
    killed = sum(o.killed for o in outcomes)
    lines.append(f"\nkilled {killed} of {len(outcomes)}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", help="run the mutations whose name or module matches this glob (or substring)"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when any mutant survives")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    args = parser.parse_args()
    selected = [m for m in MUTATIONS if _matches(m, args.only)]
    if args.list or not selected:
        print("\n".join(f"{m.file}: {m.name}" for m in selected) or f"no mutation matches {args.only!r}")
        return 0 if selected else 2
    outcomes = run(selected)
    print(table(outcomes))
    return 1 if args.strict and not all(o.killed for o in outcomes) else 0


def _matches(mutation: Mutation, pattern: str | None) -> bool:
    if not pattern:
        return True
    haystack = f"{mutation.file} {mutation.name}"
    return pattern.lower() in haystack.lower() or fnmatch.fnmatch(haystack, pattern)


if __name__ == "__main__":
    sys.exit(main())
