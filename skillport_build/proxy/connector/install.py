"""One click on Claude.ai and Desktop: what `install_skill` and `check_updates` tell Claude to do.

There, Claude has a code-execution sandbox and a `present_files` tool. It runs one command that
downloads the skill's bundle from a short-lived signed link, refuses it unless its size and sha256
are the ones the signed catalog names, and writes `<skill>.skill` (the same zip) into the folder
`present_files` shares from; then it presents that file and the person clicks "Copy to your
skills". When the sandbox cannot run the command or reach the proxy (the admin has not allowed
the proxy's domain in Claude's network egress settings), the link itself is the fallback: the
person downloads the zip and uploads it under Settings.

The command is Python from the standard library only (every sandbox has `python3`; `sha256sum` and
`curl` are not promised), with the link, digest, size and name passed as arguments, each quoted
for the shell. Nothing is left behind on a refusal: the bytes are written to a `.part` file only
after they matched, then renamed.
"""

from __future__ import annotations

import shlex
from typing import Any
from urllib.parse import urlsplit

from skillport_build.models.api import Link

OUTPUTS = "/mnt/user-data/outputs"  # where Claude.ai's sandbox keeps files present_files can share
EXTENSION = ".skill"
SCRIPT = f"""\
import hashlib, os, sys, urllib.request
url, sha256, size, name = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
folder = {OUTPUTS!r} if os.path.isdir({OUTPUTS!r}) else os.getcwd()
try:
    with urllib.request.urlopen(url, timeout=60) as answer:
        data = answer.read(size + 1)
except OSError as error:
    sys.exit(f"download failed: {{error}}; nothing was written. If the link expired ask for a new one; "
             f"if the sandbox cannot reach the proxy, give the person the link instead.")
got = hashlib.sha256(data).hexdigest()
if len(data) != size or got != sha256:
    sys.exit(f"refused: the download is {{len(data)}} bytes with sha256 {{got}}, not {{size}} bytes with "
             f"sha256 {{sha256}}; nothing was written. Ask for a new link.")
path = os.path.join(folder, name + {EXTENSION!r})
with open(path + ".part", "wb") as out:
    out.write(data)
os.replace(path + ".part", path)
print("SKILL_FILE=" + path)
"""


def skill_file(name: str) -> str:
    """The file the command writes for a skill (its bare name: the zip's top folder)."""
    return name.rsplit("/", 1)[-1] + EXTENSION


def sandbox_command(link: Link, name: str) -> str:
    """The one shell line that downloads, checks and writes `<name>.skill`, printing SKILL_FILE=path."""
    arguments = (link.url, link.sha256, str(link.size), name.rsplit("/", 1)[-1])
    return "python3 -c " + shlex.quote(SCRIPT) + " " + " ".join(shlex.quote(a) for a in arguments)


def one_click(link: Link, name: str, base_url: str) -> dict[str, Any]:
    """The command, the file it writes and the steps around it, for Claude.ai and Desktop."""
    host = urlsplit(base_url).hostname or base_url
    file = skill_file(name)
    return {
        "command": sandbox_command(link, name),
        "file": file,
        "steps": [
            f"Run the command in your code-execution sandbox before {link.expires}: it downloads {file}, "
            "refuses it unless its sha256 matches, and prints SKILL_FILE=<path>.",
            "Call present_files with that path, and tell the person to click 'Copy to your skills', "
            "then start a new conversation to use the skill.",
            f"If you cannot run commands, or the command cannot reach {host} (the organisation's admin "
            "allows that domain in Claude's network egress settings), give the person the url instead: it "
            "is theirs alone and expires soon. They upload the zip under Settings > Capabilities > Skills "
            "> Upload skill, then turn it on.",
        ],
    }
