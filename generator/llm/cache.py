"""A memo of every model call on disk (diskcache). Losing it costs money, never correctness.

Keys are a sha256 over the whole request (model, messages, parameters, response_format), never
over the API key or the host. An unreadable cache is a warning and a cold start.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator import safefs
from generator.errors import warn
from generator.redaction import redact_all

KEY_VERSION = 1
CALLS_DIR = "calls"


def request_key(model: str, messages: list[dict], **parameters: Any) -> str:
    """A stable sha256 of one Chat Completions request (parameters that are None are left out)."""
    request = {
        "v": KEY_VERSION,
        "model": model,
        "messages": messages,
        "parameters": {k: v for k, v in sorted(parameters.items()) if v is not None},
    }
    blob = json.dumps(request, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _text_only_disk():
    """diskcache's Disk that never unpickles: the cache folder is in the repository, where a pull
    request could plant a database whose values are pickles (code, run on load). We store JSON text."""
    import diskcache
    from diskcache.core import MODE_PICKLE

    class TextOnlyDisk(diskcache.Disk):
        def fetch(self, mode, filename, value, read):
            if mode == MODE_PICKLE:
                raise ValueError("a pickled value in the response cache (never loaded)")
            if filename and not safefs.inside(os.path.join(self._directory, filename), self._directory):
                raise ValueError(f"a value file outside the response cache ({filename}; never read)")
            return super().fetch(mode, filename, value, read)

        def get(self, key, raw):
            if not raw:
                raise ValueError("a pickled key in the response cache (never loaded)")
            return super().get(key, raw)

    return TextOnlyDisk


def tracked_files(cache_path: Path) -> list[str]:
    """Files under the cache folder that git tracks: a pull request can commit an ignored folder with
    `git add -f`, and a committed answer would stand in for the model's. None outside a git checkout."""
    if not Path(cache_path).is_dir():
        return []
    try:
        listed = subprocess.run(
            ["git", "-C", str(cache_path), "ls-files", "-z", "--full-name", "--", "."],
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return (
        [name for name in listed.stdout.decode("utf-8", "replace").split("\0") if name]
        if listed.returncode == 0
        else []
    )


class Memo:
    """get/set/forget of JSON-able answers by request key, on disk under `<cache_dir>/calls/`."""

    def __init__(self, cache_path: Path | None, warn: Callable[[str], None] = warn):
        self.warn = warn
        self.path = Path(cache_path) / CALLS_DIR if cache_path is not None else None
        self._cache = None
        self._broken = False
        tracked = tracked_files(cache_path) if cache_path is not None else []
        if self.path is not None and not safefs.inside(self.path, cache_path):
            self.warn(f"the response cache {self.path} is a symbolic link out of {cache_path}; running without a cache")
            self._broken = True
        elif tracked:
            self.warn(
                f"{len(tracked)} file(s) under {cache_path} are committed to git ({tracked[0]}...): a committed cache "
                "could answer for the model; running without the response cache (git rm -r --cached it)"
            )
            self._broken = True
        elif self.path is not None:
            self._cache = self._open()

    def _open(self):
        import diskcache

        try:
            cache = diskcache.Cache(str(self.path), disk=_text_only_disk())
            cache.get("__probe__")  # reads the schema: a corrupt database fails here
            return cache
        except (sqlite3.Error, OSError, ValueError, TypeError) as exc:
            self.warn(f"the response cache at {self.path} is unreadable ({exc}); starting with an empty cache")
        try:
            if self.path.exists():
                aside = self.path.with_name(f"{CALLS_DIR}.corrupt-{int(time.time())}")
                shutil.move(str(self.path), str(aside))
                shutil.rmtree(aside, ignore_errors=True)
            cache = diskcache.Cache(str(self.path), disk=_text_only_disk())
            cache.get("__probe__")
            return cache
        except (sqlite3.Error, OSError, ValueError, TypeError) as exc:
            self.warn(f"cannot create a response cache at {self.path} ({exc}); running without a cache")
            self._broken = True
            return None

    def _failed(self, action: str, exc: BaseException) -> None:
        if not self._broken:
            self.warn(f"the response cache at {self.path} failed to {action} ({exc}); continuing without it")
        self._broken = True

    def get(self, key: str) -> dict | None:
        if self._cache is None or self._broken:
            return None
        try:
            raw = self._cache.get(key)
        except Exception as exc:  # sqlite or disk errors: a cache miss, never a crash
            self._failed("read", exc)
            return None
        if not isinstance(raw, str):
            return None
        try:
            value = json.loads(raw)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def set(self, key: str, value: dict) -> None:
        if self._cache is None or self._broken:
            return
        try:
            # JSON text, not pickle: a cache restored from elsewhere can never run code on load.
            self._cache.set(key, json.dumps(redact_all(value), ensure_ascii=False))  # the key, echoed, is not kept
        except Exception as exc:
            self._failed("write", exc)

    def forget(self, key: str) -> None:
        """Drop one answer, so a rejected answer is never replayed."""
        if self._cache is None or self._broken:
            return
        try:
            self._cache.delete(key)
        except Exception as exc:
            self._failed("delete", exc)

    def __contains__(self, key: str) -> bool:
        return self.get(key) is not None

    def close(self) -> None:
        if self._cache is not None:
            try:
                self._cache.close()
            except Exception:
                pass
            self._cache = None
