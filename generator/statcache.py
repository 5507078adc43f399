"""A stat cache: a file is parsed once, and its result reused while its size, times and inode stay the same.

`glossary status` on 10,000 concepts x 6 personas reads 70,000 files. Parsing them is most of the
cost, and between two runs almost none of them change. Each parsed result is stored in the user's
cache folder (see below) keyed by the file's path and its stamp (size, mtime_ns, ctime_ns, inode); a file
whose stamp differs is parsed again. `Store.write` replaces files through a rename, so every write
gets a new inode, and a file modified less than two seconds before it was parsed is never cached
(a coarse clock could give two writes the same mtime). Losing the cache costs time, never correctness:
an unreadable or foreign cache is a cold start.

The cache is a pickle, so it is never read from a folder a pull request can write (a pickle runs
code when it is read): it lives in the user's cache folder, `$XDG_CACHE_HOME/glossary-generator/stat/`
(else `~/.cache/glossary-generator/stat/`, or GLOSSARY_STAT_CACHE_DIR), one subfolder per
repository, written by this code only; a location inside the repository turns the cache off. It is
keyed by a hash of the package's source, so a code change is a cold start too. Set
GLOSSARY_STAT_CACHE=0 to turn it off.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

FORMAT = 1
RACY_NS = 2_000_000_000  # files younger than this are parsed every time
_locations: dict[Path, Path] = {}


def register(root: Path) -> None:
    """A site whose parsed files may be cached (called when its settings are resolved)."""
    resolved = Path(root).resolve()
    _locations[resolved] = _user_folder(resolved)


def _user_folder(root: Path) -> Path:
    """This repository's folder in the user's cache, outside every working tree."""
    base = os.environ.get("GLOSSARY_STAT_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "glossary-generator",
        "stat",
    )
    return Path(base) / hashlib.sha256(os.fsencode(root)).hexdigest()[:20]


def location(root: Path) -> Path | None:
    """The stat cache folder of a site, or None when none was registered, the cache is off, or the
    folder would be in the repository (where a pull request could plant a pickle)."""
    if os.environ.get("GLOSSARY_STAT_CACHE", "").lower() in ("0", "false", "no", "off"):
        return None
    resolved = Path(root).resolve()
    folder = _locations.get(resolved)
    if folder is None:
        return None
    real, base = os.path.realpath(folder), str(resolved)
    if real == base or real.startswith(base.rstrip(os.sep) + os.sep):
        return None
    return folder


def stamp(st: os.stat_result) -> int:
    """One number for (size, mtime_ns, ctime_ns, inode): a changed file gets another (but for a 2**-64 chance)."""
    return hash((st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))


@lru_cache(maxsize=1)
def code_salt() -> str:
    """A hash of the package's source and of the versions that shape what is cached: any code change is a cold start."""
    import pydantic
    import yaml

    package = Path(__file__).resolve().parent
    digest = hashlib.sha256(
        f"{FORMAT}|{sys.version}|{sys.hash_info.algorithm}|{pydantic.VERSION}|{yaml.__version__}".encode()
    )
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class StatCache:
    """One cache file: `get` a parsed result by key and stat, `put` a new one, `save` what this run saw.

    Entries not looked up during a run (files deleted since) are dropped when it saves. Open a
    new StatCache for every run over the files: results handed out may be changed by their users.
    """

    def __init__(self, folder: Path | None, name: str):
        self.file = None if folder is None else folder / f"{name}.pickle"
        self.entries: dict[str, tuple[int, Any]] = {}
        self.seen: dict[str, tuple[int, Any]] = {}
        self.dirty = False
        self.missed = 0
        self._prefetched: dict[str, tuple[int, Any]] = {}
        if self.file is not None:
            self._load()

    @classmethod
    def for_root(cls, root: Path, name: str) -> StatCache:
        return cls(location(root), name)

    @property
    def enabled(self) -> bool:
        return self.file is not None

    def _load(self) -> None:
        try:
            with open(self.file, "rb") as handle:
                salt, entries = pickle.load(handle)
        except FileNotFoundError:
            return
        except Exception:  # corrupt, truncated, from another version: a cold start
            return
        if salt == code_salt() and isinstance(entries, dict):
            self.entries = entries

    def get(self, key: str, st: os.stat_result) -> Any | None:
        hit = self.entries.get(key)
        if hit is not None and hit[0] == stamp(st):
            self.seen[key] = hit
            return hit[1]
        self.missed += 1
        if self._prefetched and key in self._prefetched:
            was, value = self._prefetched.pop(key)
            if was == stamp(st):
                return value
        return None

    def knows(self, key: str, st: os.stat_result) -> bool:
        """Whether `get` would give a result without parsing."""
        hit = self.entries.get(key)
        return hit is not None and hit[0] == stamp(st)

    def prefetched(self, key: str, st: os.stat_result, value: Any) -> None:
        """A result parsed ahead of time (in another process), for the next `get` of this file; kept
        like `put` keeps one (a failure is handed out once, never kept)."""
        self._prefetched[key] = (stamp(st), value)
        if type(value) is tuple:
            self.put(key, st, value)

    def prefetch(
        self, files: list[tuple[str, str, os.stat_result]], parse: Callable[[list[str]], list], *, at_least: int
    ) -> int:
        """Parse the files this cache does not know yet in forked worker processes, when there are many.

        `files` are (key, path, stat); `parse(paths)` runs in a worker and gives one value per path,
        as `put` would keep it (None: the caller parses that file again itself, to report why).
        A cold run over thousands of files then takes about 1/cores of the time. Only from a
        process with a single thread (forking a threaded one, such as `mkdocs serve`, is not
        safe), and only with at least `at_least` files to parse; anything unexpected leaves the
        files to the caller. Returns how many were parsed."""
        if self.file is None:
            return 0
        todo = [(key, path, st) for key, path, st in files if not self.knows(key, st)]
        workers = min(cores(), 8)
        if (
            len(todo) < at_least
            or workers < 2
            or threading.active_count() > 1
            or "fork" not in multiprocessing.get_all_start_methods()
        ):
            return 0
        size = -(-len(todo) // (workers * 4))
        chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
        results = in_processes(parse, [[path for _, path, _ in chunk] for chunk in chunks], workers)
        if results is None:
            return 0
        for chunk, parsed in zip(chunks, results):
            for (key, _, st), value in zip(chunk, parsed):
                if value is not None:
                    self.prefetched(key, st, value)
        return len(todo)

    def all_hits(self) -> bool:
        """Whether every key looked up this run was a hit, and every key of the last run was looked up."""
        return not self.missed and not self.dirty and len(self.seen) == len(self.entries)

    def put(self, key: str, st: os.stat_result, value: Any, now_ns: int | None = None) -> None:
        now_ns = time.time_ns() if now_ns is None else now_ns
        if now_ns - max(st.st_mtime_ns, st.st_ctime_ns) < RACY_NS:
            return  # too young to trust its stamp: parse it again next time
        self.seen[key] = (stamp(st), value)
        self.dirty = True

    def save(self) -> None:
        """Write what this run saw, if anything changed; a cache that cannot be written is no error."""
        if self.file is None or not (self.dirty or len(self.seen) != len(self.entries)):
            return
        try:
            self.file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.file.parent, prefix=f".{self.file.name}.", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    pickle.dump((code_salt(), self.seen), handle, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(tmp, self.file)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError:
            return
        self.entries, self.dirty = self.seen, False


def in_processes(parse: Callable[[list[str]], list], chunks: list[list[str]], workers: int) -> list | None:
    """`parse` over every chunk in a pool of forked processes that this call starts and shuts down.

    None when the pool failed (a worker that died, a result that would not pickle): the caller then
    reads the files one by one."""
    from concurrent.futures import ProcessPoolExecutor  # only a cold run over thousands of files needs it

    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(parse, chunks))
    except Exception:
        return None


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
