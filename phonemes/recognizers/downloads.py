"""Model downloads, verified: nothing a download brings is used before its SHA-256 sum matches.

Lip Sync goes to the network only when asked (``lipsync models download ...``, the add-on's
Install Dependencies); analysis never does. A model file is fetched to a temporary name in its
destination folder while its SHA-256 is computed, and moved into place only when the sum is the
one recorded for it (``model_sums.json`` beside this module, or a sum the user gives from a trusted
source). A download whose sum differs is deleted and reported in one line; so is a model for which
no sum is recorded (a studio that wants it passes ``--sha256``).

For recognisers that download with their own tools (e.g. a Hugging Face snapshot of several files),
:func:`verify_files` checks a folder against recorded per-file sums before the model is used.
bpy-free and numpy-free.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Callable
from urllib.request import urlopen

from ...errors import DownloadError
from ..speech_models import sha256_file  # one hashing helper for every model file

SUMS_FILE = Path(__file__).with_name("model_sums.json")
CHUNK = 1 << 20


def recorded_sums() -> dict:
    """``{family: {name: {"url": ..., "sha256": ... or None, "note": ...}}}`` from ``model_sums.json``."""
    try:
        return json.loads(SUMS_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DownloadError(f"The list of model checksums ({SUMS_FILE}) is missing or damaged ({exc}); reinstall "
                            "Lip Sync.") from exc


def known(family: str, name: str) -> dict | None:
    return recorded_sums().get(family, {}).get(name)


def _clean_sum(sha256: str) -> str:
    s = (sha256 or "").strip().lower()
    if len(s) != 64 or any(c not in "0123456789abcdef" for c in s):
        raise DownloadError(f"{sha256!r} is not a SHA-256 sum (64 hexadecimal digits).")
    return s


def fetch(url: str, dest: str | os.PathLike, sha256: str, *, what: str = "",
          opener: Callable = urlopen, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` if, and only if, its SHA-256 is ``sha256``. The bytes go to a temporary
    file beside ``dest``; a mismatch deletes it and raises DownloadError (one line, what to do)."""
    want = _clean_sum(sha256)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(f".{dest.name}.part")
    what = what or dest.name
    h = hashlib.sha256()
    try:
        resp = opener(url, timeout=timeout)
        try:
            with open(part, "wb") as fh:
                while True:
                    block = resp.read(CHUNK)
                    if not block:
                        break
                    h.update(block)
                    fh.write(block)
        finally:
            if hasattr(resp, "close"):
                resp.close()
    except OSError as exc:
        with contextlib.suppress(OSError):
            part.unlink()
        raise DownloadError(f"Could not download {what} from {url} ({getattr(exc, 'reason', None) or exc}). "
                            "Check the internet connection (or download it on a connected machine and copy it), "
                            "then try again.") from exc
    got = h.hexdigest()
    if got != want:
        with contextlib.suppress(OSError):
            part.unlink()
        raise DownloadError(f"The download of {what} from {url} does not match its recorded SHA-256 (expected {want}, "
                            f"got {got}); it was deleted and nothing was installed. Try again later; if it keeps "
                            "happening the file on the server changed: do not use it.")
    os.replace(part, dest)
    return dest


def verify_file(path: str | os.PathLike, sha256: str, what: str = "") -> None:
    """DownloadError unless ``path``'s SHA-256 is ``sha256``."""
    got = sha256_file(path)
    if got != _clean_sum(sha256):
        raise DownloadError(f"{what or path} does not match its recorded SHA-256 (expected {sha256}, got {got}); "
                            "do not use it. Delete it and download it again.")


def verify_files(folder: str | os.PathLike, sums: dict[str, str], what: str = "", delete: bool = False) -> None:
    """Check every ``relative path -> SHA-256`` of ``sums`` under ``folder`` (a model of several files).
    ``delete``: remove the files that do not match (a fresh download that must not be used)."""
    folder = Path(folder)
    bad = []
    for rel, s in sorted(sums.items()):
        p = folder / rel
        if not p.is_file():
            bad.append(f"{rel} is missing")
        elif sha256_file(p) != _clean_sum(s):
            bad.append(f"{rel} does not match")
            if delete:
                with contextlib.suppress(OSError):
                    p.unlink()
    if bad:
        raise DownloadError(f"{what or folder} failed its SHA-256 check ({'; '.join(bad)})"
                            + ("; the files that did not match were deleted" if delete else "")
                            + ". Download the model again; do not use it as it is.")


__all__ = ["SUMS_FILE", "recorded_sums", "known", "sha256_file", "fetch", "verify_file", "verify_files"]
