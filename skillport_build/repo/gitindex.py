"""What git already knows about a work tree, so that the build cache need not walk it.

`git ls-files --stage` gives every tracked file's mode and blob id from the index, which git keeps
true against the disk with its own stat cache; `git ls-files --modified --others --directory` names
the few paths the index does not vouch for (edited, deleted, untracked or ignored files, untracked
folders). A folder's fingerprint is its index entries plus what `lstat` says of those few paths:
no walk of the tree in Python, and the same in a fresh clone, where every mtime and inode is new.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

FolderPrint = Callable[[Path, frozenset[str]], str]  # how an untracked folder is fingerprinted


@dataclass(frozen=True)
class GitIndex:
    """The index entries and the unvouched paths of the work tree under `root`, sorted by path."""

    root: Path
    paths: tuple[str, ...]  # root-relative; an untracked folder ends with "/"
    lines: tuple[bytes, ...]  # per path: b"mode blob stage\tpath" from the index, or b"? path" when unvouched
    modified: bool = False  # a tracked file differs from the index or is gone: the tree is dirty
    # Where the few unvouched paths are, found once (each fingerprint then looks at its own only).
    _loose_at: tuple[int, ...] = field(init=False, repr=False, compare=False)  # indexes, ascending
    _untracked: frozenset[str] = field(init=False, repr=False, compare=False)  # folders, no "/"

    def __post_init__(self) -> None:
        loose = tuple(i for i, line in enumerate(self.lines) if line.startswith((b"? ", b"160000 ")))
        folders = frozenset(self.paths[i][:-1] for i in loose if self.paths[i].endswith("/"))
        object.__setattr__(self, "_loose_at", loose)
        object.__setattr__(self, "_untracked", folders)

    @classmethod
    def read(cls, root: Path) -> GitIndex | None:
        """The index of the work tree `root` is in; None when it is not one or git says no."""
        with cls.start(root) as reading:
            return reading.result()

    @staticmethod
    def start(root: Path) -> GitIndexReading:
        """Ask git now and take the answer later (`GitIndexReading.result`): the second command
        walks every folder for untracked files (most of a second at 10,000 skills), which the
        CLI overlaps with its own imports."""
        # Both at once: the second stats every tracked file, the first only reads the index.
        return GitIndexReading(
            root,
            _git_all(
                root,
                ("ls-files", "-z", "--stage"),
                ("ls-files", "-z", "--modified", "--others", "--directory"),
            ),
        )

    @classmethod
    def parse(cls, root: Path, staged: bytes | None, loose: bytes | None) -> GitIndex | None:
        """The index from the two commands' output (None for one that failed)."""
        if staged is None or loose is None or loose.startswith(b"./\0"):
            return None  # not a work tree, or `root` is untracked as a whole
        entries: dict[str, bytes] = {}
        for record in staged.split(b"\0"):  # b"mode blob stage\tpath", kept whole as the path's line
            tab = record.find(b"\t")
            if tab > 0:
                entries[record[tab + 1 :].decode("utf-8", "surrogateescape")] = record
        modified = False
        for name in filter(None, loose.split(b"\0")):
            path = name.decode("utf-8", "surrogateescape")
            modified = modified or path in entries
            entries[path] = b"? " + name  # after: it wins
        paths = tuple(sorted(entries))
        return cls(root, paths, tuple(entries[p] for p in paths), modified)

    def fingerprint(self, folder: str, skip: Iterable[str], walk: FolderPrint) -> str | None:
        """Hash a root-relative folder ("." for the root) as git sees it, less the `skip` paths
        inside it: unvouched paths add their `lstat`, untracked folders and submodules `walk`'s
        print. None when git does not know the folder at all (it is inside an untracked one)."""
        if folder != "." and self._untracked and any(up in self._untracked for up in _ancestors(folder)):
            return None
        prefix = "" if folder == "." else f"{folder}/"
        digest = hashlib.sha256()
        loose = self._loose_at
        for lo, hi in self._spans(prefix, skip):
            digest.update(b"\n".join(self.lines[lo:hi]))
            for index in loose[bisect.bisect_left(loose, lo) : bisect.bisect_left(loose, hi)]:
                digest.update(self._loose(self.paths[index], walk))
        return digest.hexdigest()

    def _spans(self, prefix: str, skip: Iterable[str]) -> list[tuple[int, int]]:
        """Index ranges of the paths under `prefix`, less the `prefix + skip` paths and folders."""
        lo, hi = self._under(prefix)
        holes = sorted(hole for s in skip for hole in self._named(f"{prefix}{s}"))
        spans, start = [], lo
        for hole_lo, hole_hi in holes:
            if hole_lo > start:
                spans.append((start, min(hole_lo, hi)))
            start = max(start, hole_hi)
        if start < hi:
            spans.append((start, hi))
        return spans

    def _under(self, prefix: str) -> tuple[int, int]:
        """Index range of the paths that start with `prefix` (a folder's, ending with "/")."""
        if not prefix:
            return 0, len(self.paths)
        lo = bisect.bisect_left(self.paths, prefix)
        return lo, bisect.bisect_left(self.paths, f"{prefix[:-1]}0", lo)  # "0" sorts right after "/"

    def _named(self, path: str) -> list[tuple[int, int]]:
        """Index ranges of `path` itself and of everything under it."""
        at = bisect.bisect_left(self.paths, path)
        exact = [(at, at + 1)] if at < len(self.paths) and self.paths[at] == path else []
        return [*exact, self._under(f"{path}/")]

    def _loose(self, path: str, walk: FolderPrint) -> bytes:
        full = self.root / path.rstrip("/")
        try:
            st = os.lstat(full)
        except OSError:
            return b"\0gone\n"
        if os.path.isdir(full) and not os.path.islink(full):
            return walk(full, frozenset()).encode()
        return f"\0{st.st_mode}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}\n".encode()


class GitIndexReading:
    """The git commands of one `GitIndex.start`, under way; a context manager that stops them if
    their answer is never taken."""

    def __init__(self, root: Path, processes: list[subprocess.Popen[bytes] | None]) -> None:
        self.root = root
        self._processes = processes
        self._index: GitIndex | None = None
        self._done = False

    def result(self) -> GitIndex | None:
        """The index (None when `root` is not in a work tree or git says no); waits for git once."""
        if not self._done:
            staged, loose = (_output(process) for process in self._processes)
            self._index, self._done = GitIndex.parse(self.root, staged, loose), True
        return self._index

    def __enter__(self) -> GitIndexReading:
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self._processes:
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()


def _ancestors(folder: str) -> list[str]:
    """ "a/b/c" -> ["a", "a/b", "a/b/c"]."""
    parts = folder.split("/")
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _git_all(root: Path, *commands: tuple[str, ...]) -> list[subprocess.Popen[bytes] | None]:
    """Each git command in `root`, started side by side (None for one git cannot be started for);
    `_output` gives what it printed, None when it failed (git says no, or `root` is not in a work
    tree)."""
    started: list[subprocess.Popen[bytes] | None] = []
    for args in commands:
        try:
            started.append(
                subprocess.Popen(
                    ["git", "-C", str(root), *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
                )
            )
        except OSError:
            started.append(None)
    return started


def _output(process: subprocess.Popen[bytes] | None) -> bytes | None:
    if process is None:
        return None
    try:
        out, _ = process.communicate(timeout=60)
    except subprocess.SubprocessError:
        process.kill()
        process.wait()
        return None
    return out if process.returncode == 0 else None
