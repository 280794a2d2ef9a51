"""The skillport CLI as a wheel, served by the proxy, so people install the version that matches it.

    GET /cli/skillport.whl                          303 to the versioned name below (a stable link)
    GET /cli/skillport-<version>-py3-none-any.whl   the wheel (pip and uv need this name)

Which wheel: the file the admin names (`--cli-wheel PATH`, `cli_wheel:` in the config), or else the
code this proxy runs, packed once on first request: from an installed wheel (the Docker image, a
`pip install`), the files its RECORD lists; from a checkout, the folders the wheel target of
pyproject.toml takes. No build backend is needed at run time, and the wheel served is always the
running version.

Both answers need no sign-in: the wheel is the program, it holds nothing of the catalog, and
`pipx install URL` sends no token.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import threading
import zipfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

import skillport_build
from skillport_build import __version__
from skillport_build.errors import ConfigError

DIST = "skillport"
STABLE = "/cli/skillport.whl"
# Where a checkout's top folders go in the wheel (pyproject.toml's [tool.hatch.build] sources).
CHECKOUT_SOURCES = {
    "skillport_build": "skillport_build",
    "templates": "skillport_build/_templates",
    "marketplace-template": "skillport_build/marketplace_template",
}
SKIPPED_DIST_INFO = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
EPOCH = (1980, 1, 1, 0, 0, 0)
WHEEL = b"Wheel-Version: 1.0\nGenerator: skillport\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def wheel_name(version: str = __version__) -> str:
    """The wheel's file name, as pip and uv require it."""
    return f"{DIST}-{version}-py3-none-any.whl"


def install_lines(base_url: str) -> list[str]:
    """The one-line installs people copy (pipx and uv)."""
    url = f"{base_url}/cli/{wheel_name()}"
    return [f"pipx install {url}", f"uv tool install {url}"]


class CliWheel:
    """The wheel bytes, made (or read) once."""

    def __init__(self, given: Path | None = None) -> None:
        self.given = given
        self._data: bytes | None = None
        self._lock = threading.Lock()

    def data(self) -> bytes:
        """The wheel."""
        with self._lock:
            if self._data is None:
                self._data = self._read_given() if self.given else pack_running()
            return self._data

    def _read_given(self) -> bytes:
        assert self.given is not None
        if self.given.name != wheel_name():
            raise ConfigError(
                f"cli_wheel {self.given} is not {wheel_name()}: give the wheel of the skillport this "
                "proxy runs, or leave cli_wheel out to serve the running code"
            )
        try:
            return self.given.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cli_wheel {self.given}: cannot read it ({exc.strerror})") from exc

    def routes(self) -> list[Route]:
        """GET /cli/skillport.whl and GET /cli/<wheel name>."""

        async def stable(request: Request) -> Response:
            return RedirectResponse(f"/cli/{wheel_name()}", status_code=303)

        async def wheel(request: Request) -> Response:
            return Response(
                self.data(),
                media_type="application/octet-stream",
                headers={"Cache-Control": "public, max-age=300"},
            )

        # Exact paths: the rest of /cli/ (the CLI's loopback sign-in) belongs to the pages.
        return [Route(STABLE, stable), Route(f"/cli/{wheel_name()}", wheel)]


def pack_running() -> bytes:
    """The running skillport as a wheel (see the module docstring)."""
    dist = importlib.metadata.distribution(DIST)
    package = Path(skillport_build.__file__).resolve().parent
    installed = [f for f in dist.files or () if str(f) == "skillport_build/__init__.py"]
    if installed and Path(str(installed[0].locate())).resolve().parent == package:
        files = dict(_installed_files(dist))
    else:
        files = dict(_checkout_files(package.parent))
    info = f"{DIST}-{__version__}.dist-info"
    files[f"{info}/METADATA"] = _metadata(dist).encode()
    files[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: skillport\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    files[f"{info}/entry_points.txt"] = (dist.read_text("entry_points.txt") or "").encode()
    return _zip(files, info)


def _installed_files(dist: importlib.metadata.Distribution) -> Iterator[tuple[str, bytes]]:
    for entry in dist.files or ():
        name = str(entry)
        parts = Path(name).parts
        if name.startswith("..") or "__pycache__" in parts or name.endswith(".pyc"):
            continue
        if parts[0].endswith(".dist-info"):
            continue  # written afresh, with this version's name
        yield name, Path(str(entry.locate())).read_bytes()


def _checkout_files(root: Path) -> Iterator[tuple[str, bytes]]:
    for folder, target in CHECKOUT_SOURCES.items():
        for path in sorted((root / folder).rglob("*")):
            parts = path.relative_to(root).parts
            if path.is_file() and "__pycache__" not in parts and path.suffix != ".pyc":
                yield "/".join([target, *path.relative_to(root / folder).parts]), path.read_bytes()


def _metadata(dist: importlib.metadata.Distribution) -> str:
    text = dist.read_text("METADATA") or f"Metadata-Version: 2.1\nName: {DIST}\n"
    lines = [f"Version: {__version__}" if line.startswith("Version:") else line for line in text.splitlines()]
    return "\n".join(lines) + "\n"


def _zip(files: dict[str, bytes], info: str) -> bytes:
    """A reproducible zip: sorted names, fixed times, RECORD last."""
    buffer = BytesIO()
    record = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            data = files[name]
            _write(archive, name, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{name},sha256={digest},{len(data)}")
        record.append(f"{info}/RECORD,,")
        _write(archive, f"{info}/RECORD", ("\n".join(record) + "\n").encode())
    return buffer.getvalue()


def _write(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    entry = zipfile.ZipInfo(name, EPOCH)
    entry.external_attr = 0o644 << 16
    entry.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(entry, data)
