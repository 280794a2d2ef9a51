"""Read a folder of the repo once: every regular file's bytes, size, digest and mode.

Symlinks are resolved but never followed out of the repo; loops and dangling links are reported,
as are junk (caches, OS litter), which is skipped, and special files, which are never opened.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from skillport_build.repo.diagnostics import Diagnostic
from skillport_build.repo.marketplace import FileEntry
from skillport_build.repo.rules import rule

SKIPPED_DIRS = frozenset({".git", ".hg", ".svn"})
JUNK_DIRS = frozenset({"__pycache__", "node_modules", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".venv"})
JUNK_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
JUNK_SUFFIXES = (".pyc", ".pyo")
_CHUNK = 1 << 20


def is_junk(name: str, is_dir: bool) -> bool:
    """Tell whether a file or folder name is litter that never belongs in a bundle."""
    if is_dir:
        return name in JUNK_DIRS
    return name in JUNK_FILES or name.endswith(JUNK_SUFFIXES) or name.startswith("._")


@dataclass
class TreeReader:
    """Reads folders under `root`, collecting problems instead of raising."""

    root: Path
    max_file_bytes: int
    problems: list[Diagnostic] = field(default_factory=list)
    large_files: frozenset[str] = frozenset()  # repo-relative paths allowed past the limit
    label: str = ""  # what names `root` in paths: a remote plugin's `remote:<entry>`; "" for the repo
    _resolved: dict[str, str] = field(default_factory=dict, init=False, repr=False)  # folder -> realpath

    def rel(self, path: Path | str) -> str:
        """Return a path relative to the repo root (or to the label), with forward slashes."""
        rel = os.path.relpath(path, self.root).replace(os.sep, "/")
        if not self.label:
            return rel
        return self.label if rel == "." else f"{self.label}/{rel}"

    def read_folder(self, folder: Path) -> list[FileEntry]:
        """Read every file below `folder`; paths in the result are relative to it."""
        files: list[FileEntry] = []
        self._walk(folder, "", files, {os.path.realpath(folder)}, os.path.realpath(folder))
        files.sort(key=lambda f: f.path)
        return files

    def inside(self, path: Path | str) -> bool:
        """Tell whether a path, once symlinks are resolved, stays inside the repo."""
        real = self._realpath(os.fspath(path))
        root = str(self.root)
        return real == root or real.startswith(root + os.sep)

    def _realpath(self, path: str) -> str:
        """os.path.realpath, with each parent folder resolved once: ten thousand entries under
        plugins/ cost one lstat each, not a walk up the whole path each."""
        parent, name = os.path.split(os.path.abspath(path))
        if not name or name in (".", "..") or ".." in path.split(os.sep):
            return os.path.realpath(path)
        if parent not in self._resolved:
            self._resolved[parent] = os.path.realpath(parent)
        full = os.path.join(self._resolved[parent], name)
        return os.path.realpath(full) if os.path.islink(full) else full

    def _walk(self, folder: Path, prefix: str, out: list[FileEntry], chain: set[str], real: str) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            self.problems.append(
                rule("file-unreadable")(self.rel(folder), None, f"cannot list folder: {exc.strerror}")
            )
            return
        for entry in entries:
            rel_path = prefix + entry.name
            try:
                self._visit(entry, rel_path, out, chain, real)
            except OSError as exc:
                self.problems.append(
                    rule("file-unreadable")(self.rel(entry.path), None, f"cannot read: {exc.strerror}")
                )

    def _visit(
        self, entry: os.DirEntry[str], rel_path: str, out: list[FileEntry], chain: set[str], parent: str
    ) -> None:
        if entry.name in SKIPPED_DIRS and entry.is_dir(follow_symlinks=False):
            return
        link = entry.is_symlink()
        if link and not self._link_ok(entry):
            return
        st = os.stat(entry.path)  # follows an (already checked) in-repo symlink
        if stat.S_ISDIR(st.st_mode):
            if is_junk(entry.name, True):
                self._junk(entry.path, "folder")
                return
            # Only a symlink can lead back up; a plain folder's real path is its parent's plus its name.
            real = os.path.realpath(entry.path) if link else f"{parent}/{entry.name}"
            if real in chain:
                self.problems.append(
                    rule("symlink-broken")(
                        self.rel(entry.path),
                        None,
                        "symlink loops back to a folder that contains it",
                    )
                )
                return
            self._walk(Path(entry.path), rel_path + "/", out, chain | {real}, real)
        elif not stat.S_ISREG(st.st_mode):
            self.problems.append(
                rule("file-unreadable")(
                    self.rel(entry.path),
                    None,
                    "is not a regular file (a pipe, socket or device); remove it",
                )
            )
        elif is_junk(entry.name, False):
            self._junk(entry.path, "file")
        else:
            out.append(self._read(entry.path, rel_path, st))

    def _link_ok(self, entry: os.DirEntry[str]) -> bool:
        target = os.readlink(entry.path)
        if not self.inside(entry.path):
            self.problems.append(
                rule("symlink-escape")(
                    self.rel(entry.path),
                    None,
                    f"symlink points outside the repository ({target}); copy the file in instead",
                )
            )
            return False
        if not os.path.exists(entry.path):
            self.problems.append(
                rule("symlink-broken")(
                    self.rel(entry.path),
                    None,
                    f"symlink is broken or loops ({target}); fix or remove it",
                )
            )
            return False
        self.problems.append(
            rule("symlink")(
                self.rel(entry.path),
                None,
                f"is a symlink ({target}); bundles copy what it points to, but Claude Code does not "
                "follow it when it reads the plugin in place: replace it with the real file or folder",
            )
        )
        return True

    def _junk(self, path: str, kind: str) -> None:
        self.problems.append(
            rule("bundle-junk")(
                self.rel(path),
                None,
                f"{kind} is left out of bundles; delete it and add it to .gitignore",
            )
        )

    def _read(self, path: str, rel_path: str, st: os.stat_result) -> FileEntry:
        executable = bool(st.st_mode & 0o111)
        if st.st_size > self.max_file_bytes and self.rel(path) not in self.large_files:
            digest = hashlib.sha256()
            with open(path, "rb") as handle:
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
            return FileEntry(rel_path, st.st_size, digest.hexdigest(), executable, None)
        with open(path, "rb") as handle:
            data = handle.read()
        return FileEntry(rel_path, len(data), hashlib.sha256(data).hexdigest(), executable, data)
