"""Drive an MCP server with the real MCP Inspector CLI (pinned, installed by `make test`).

The CLI is `mcp-inspector --cli URL --transport http` (streamable HTTP) with `--format json`: it prints
`{"result": ...}` on stdout and exits 0, or prints `{"error": {"code", "message"}}` on stderr and exits
non-zero: 1 protocol or usage error, 3 `auth_required` (a 401; never interactive here), 4
`unreachable`, 5 `tool_is_error` (the tool's result, with `isError: true`, is still on stdout), 7
`skills_nonconformant` (`--verify` found a wrong digest or size).

    from integration.inspector import inspector_failure, run_inspector

    tools = run_inspector(url, "--method", "tools/list", token=token)["tools"]
    found = run_inspector(
        url, "--method", "tools/call", "--tool-name", "search_skills",
        "--tool-arg", "query=release notes", "limit=5", token=token,
    )
    body = json.loads(found["content"][0]["text"])
    denied = inspector_failure(url, "--method", "tools/list")
    assert denied.returncode == 3 and denied.error["code"] == "auth_required"
    refused = inspector_failure(url, "--method", "tools/call", "--tool-name", "get_skill",
                                "--tool-arg", "name=hidden", token=token)
    assert "no skill named" in refused.result["content"][0]["text"]

`--tool-arg key=value ...` coerces values that look like numbers, booleans or JSON (`limit=5` is an
integer, `installed={"pdf":"1.2.0"}` an object); pass `--tool-args-json '{"query": "42"}'` to send
arguments verbatim. `resources/read --uri skill://NAME/SKILL.md` works as is; the Skills extension
(`skills/list`, `skills/get --uri ...`) needs `--protocol-era auto`, and with `--verify` the CLI
checks every advertised digest and prints one report per skill (a list is returned).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

VERSION = "2.12.0"


def inspector_binary() -> str:
    """The CLI from SKILLPORT_INSPECTOR (set by `make test`); skip outside make, fail under it."""
    path = os.environ.get("SKILLPORT_INSPECTOR")
    if not path:
        if os.environ.get("SKILLPORT_INTEGRATION") == "1":
            pytest.fail("SKILLPORT_INSPECTOR is not set; run the suite with `make test`")
        pytest.skip("MCP Inspector CLI not configured: run the suite with `make test`")
    if not Path(path).is_file():
        pytest.fail(f"SKILLPORT_INSPECTOR={path} does not exist; run `make tools`")
    return path


@dataclass(frozen=True)
class Failure:
    """A run that exited non-zero: its exit code, error envelope and, for a tool error, the result."""

    returncode: int
    error: dict[str, Any]
    result: dict[str, Any] | list[dict[str, Any]] | None


def run_inspector(
    url: str, *args: str, token: str | None = None, timeout: float = 60
) -> dict[str, Any] | list[dict[str, Any]]:
    """Run the Inspector CLI against the MCP endpoint `url`; the `result` it printed."""
    completed = _run(url, args, token, timeout)
    if completed.returncode != 0:
        raise AssertionError(f"mcp-inspector {' '.join(args)} failed:\n{_describe(completed)}")
    return _result(completed)


def inspector_failure(url: str, *args: str, token: str | None = None, timeout: float = 60) -> Failure:
    """Run the Inspector CLI expecting it to fail; how it failed."""
    completed = _run(url, args, token, timeout)
    if completed.returncode == 0:
        raise AssertionError(f"mcp-inspector {' '.join(args)} succeeded:\n{_describe(completed)}")
    lines = completed.stderr.strip().splitlines()
    envelope = _json(lines[-1] if lines else "", completed)
    if not isinstance(envelope, dict) or not isinstance(envelope.get("error"), dict):
        raise AssertionError(f"mcp-inspector printed no error envelope:\n{_describe(completed)}")
    result = _result(completed) if completed.stdout.strip() else None
    return Failure(completed.returncode, envelope["error"], result)


def _run(
    url: str, args: tuple[str, ...], token: str | None, timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run the CLI with a throwaway HOME (it keeps a catalog and OAuth secrets there)."""
    command = [inspector_binary(), "--cli", url, "--transport", "http", "--format", "json"]
    # Never start an interactive OAuth sign-in: a 401 fails at once as `auth_required`.
    command.append("--stored-auth-only")
    if token is not None:
        command += ["--header", f"Authorization: Bearer {token}"]
    with tempfile.TemporaryDirectory(prefix="inspector-home-") as home:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "NO_COLOR": "1"}
        try:
            return subprocess.run(
                [*command, *args],
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise AssertionError(f"mcp-inspector {' '.join(args)} timed out after {timeout} s") from exc


def _result(completed: subprocess.CompletedProcess[str]) -> dict[str, Any] | list[dict[str, Any]]:
    """`result` of the object on stdout, or the list of objects printed one a line (`--verify`)."""
    output = _json(completed.stdout, completed)
    if isinstance(output, dict) and isinstance(output.get("result"), dict):
        return output["result"]
    if isinstance(output, list):
        return output
    raise AssertionError(f"mcp-inspector printed no result:\n{_describe(completed)}")


def _json(text: str, completed: subprocess.CompletedProcess[str]) -> Any:
    """One JSON value, or the list of JSON lines; an AssertionError showing the output otherwise."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        return [json.loads(line) for line in text.splitlines() if line.strip()] or None
    except json.JSONDecodeError:
        raise AssertionError(f"mcp-inspector printed no JSON:\n{_describe(completed)}") from None


def _describe(completed: subprocess.CompletedProcess[str]) -> str:
    """Exit code, stdout and stderr of a run, for a failure message."""
    return f"exit {completed.returncode}\nstdout: {completed.stdout}\nstderr: {completed.stderr}"
