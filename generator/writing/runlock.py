"""One `glossary generate` per repository at a time: a lock file that names its holder.

Two runs on one repository would plan the same pairs and send every request twice. The lock is
an advisory `flock` on `<cache_dir>/generate.lock`, so the system releases it when its holder
exits, however it exits; the file says who holds it (process, host, start time) for the message
the second run stops with.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from generator.errors import GlossaryError

LOCK_FILE = "generate.lock"


class Busy(GlossaryError):
    """Another run holds the repository's lock."""


@contextmanager
def held(folder: Path, command: str = "glossary generate") -> Iterator[Path]:
    """Hold the lock of the repository whose cache folder is `folder`, or raise Busy naming the holder."""
    import fcntl

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError as exc:  # a symbolic link planted where the lock goes is never followed
        raise Busy(
            f"cannot take the repository's lock {path} ({exc.strerror}); if it is a symbolic link, delete it"
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(
                f"another {_holder(fd, command)} is running on this repository; wait for it to finish (or stop it), then run again. "
                f"The lock is {path}; it is released when that process exits."
            ) from None
        started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        record = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "started": started, "command": command})
        os.ftruncate(fd, 0)
        os.pwrite(fd, (record + "\n").encode(), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the lock


def _holder(fd: int, command: str) -> str:
    """`glossary generate` (process 123 on host, started 2026-11-30T04:05:00+00:00), as far as the file says."""
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode("utf-8", "replace") or "{}")
    except ValueError:
        data = {}
    if not isinstance(data, dict) or "pid" not in data:
        return f"`{command}`"
    return f"`{data.get('command', command)}` (process {data.get('pid')} on {data.get('host', '?')}, started {data.get('started', '?')})"
