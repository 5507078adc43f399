"""Files a pull request can write, read and written without following a link out of the repository.

Git commits symbolic links, so `concepts/lora/child.md -> /proc/self/environ` is one file in a pull
request; read as it is, it would publish the build's environment (the API key with it). Every file
the glossary reads or writes in the repository goes through here: a path that is, or passes through,
a symbolic link resolving outside the repository is refused with a message naming the link and
where it points. Links that stay inside the repository are followed as usual.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path


class Unsafe(Exception):
    """A path that leaves the repository through a symbolic link, or a file too big to read."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path  # relative to the repository where it is in it
        self.reason = reason


def inside(path: Path | str, root: Path | str) -> bool:
    """Whether `path`, every link resolved, is `root` or under it."""
    real, base = os.path.realpath(path), os.path.realpath(root)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def written_under(path: Path | str, root: Path | str) -> bool:
    """Whether `path` as written (no link resolved) is under `root`."""
    absolute, base = os.path.abspath(path), os.path.abspath(root)
    return absolute == base or absolute.startswith(base.rstrip(os.sep) + os.sep)


def check(path: Path | str, root: Path | str) -> str:
    """`path` if it stays inside `root` once every link is resolved; else Unsafe naming the link."""
    path = os.fspath(path)
    if inside(path, root):
        return path
    link = _first_link_out(path, root)
    if link is None:
        raise Unsafe(_shown(path, root), f"outside the repository ({os.path.realpath(path)})")
    what = (
        "is a symbolic link"
        if os.path.abspath(link) == os.path.abspath(path)
        else f"is under {_shown(link, root)}, a symbolic link"
    )
    raise Unsafe(
        _shown(path, root),
        f"{what} to {os.readlink(link)}, outside the repository; "
        "links out of the repository are never followed: replace the link with the file or folder itself",
    )


def _shown(path: str, root: Path | str) -> str:
    absolute, base = os.path.abspath(path), os.path.abspath(root)
    return absolute[len(base.rstrip(os.sep)) + 1 :] if absolute.startswith(base.rstrip(os.sep) + os.sep) else path


def _first_link_out(path: str, root: Path | str) -> str | None:
    """The first component of `path` (as written) that is a link whose target leaves `root`."""
    absolute = Path(os.path.abspath(path))
    for candidate in [*reversed(absolute.parents), absolute]:
        if os.path.islink(candidate) and not inside(candidate, root):
            return str(candidate)
    return None


def read_bytes(path: Path | str, root: Path | str, limit: int | None = None) -> bytes:
    """A file's bytes; Unsafe if it leaves `root` or has more than `limit` bytes."""
    path = check(path, root)
    with open(path, "rb") as handle:
        return _bounded(handle, path, root, limit)


def _bounded(handle, path: str, root: Path | str, limit: int | None) -> bytes:
    data = handle.read() if limit is None else handle.read(limit + 1)  # /proc files report no size
    if limit is not None and len(data) > limit:
        raise Unsafe(_shown(path, root), f"more than {limit:,} bytes, the most a file of this kind may have")
    return data


class Confined:
    """Many files read under one root, as read_bytes reads each, with each folder's links resolved once.

    A file that is no link itself, in a folder that resolves inside the root, is inside the root:
    it is opened with O_NOFOLLOW (a file that turns out to be a link is checked in full). Made for
    one pass over thousands of files (a cold `glossary status` reads 70,000); made again for the
    next, so a folder replaced by a link since is seen."""

    def __init__(self, root: Path | str):
        self.root = root
        self._base = os.path.realpath(root)
        self._folders: dict[str, bool] = {}

    def read_bytes(self, path: Path | str, limit: int | None = None) -> bytes:
        """What read_bytes(path, root, limit) gives."""
        path = os.fspath(path)
        folder, name = os.path.split(path)
        inside_folder = self._folders.get(folder)
        if inside_folder is None:
            real = os.path.realpath(folder)
            inside_folder = self._folders[folder] = real == self._base or real.startswith(
                self._base.rstrip(os.sep) + os.sep
            )
        if not inside_folder or name in ("", ".", ".."):
            return read_bytes(path, self.root, limit)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # the file is a link: where does it lead?
                return read_bytes(path, self.root, limit)
            raise
        with open(fd, "rb") as handle:
            return _bounded(handle, path, self.root, limit)

    def read_text(self, path: Path | str, limit: int | None = None) -> str:
        """What read_text(path, root, limit) gives."""
        return _text(self.read_bytes(path, limit))


def read_text(path: Path | str, root: Path | str, limit: int | None = None) -> str:
    """A UTF-8 file's text with universal newlines, a leading byte order mark dropped.

    UnicodeDecodeError if it is not UTF-8; Unsafe as read_bytes."""
    return _text(read_bytes(path, root, limit))


def _text(data: bytes) -> str:
    text = data.decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def writable(path: Path | str, root: Path | str) -> Path:
    """`path`, before a write: neither it nor a folder above it may lead out of `root`."""
    check(path, root)
    return Path(path)
