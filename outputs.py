"""Writing outputs safely: a clear error for a path that cannot be written, and nothing half-written.

Every file the command line and the batch engine write (cues, animated scenes, previews) goes
through :func:`atomic_output`: the content is written to a temporary name in the same folder
(``.NAME.<random>.part<ext>``) and renamed over ``NAME`` only once complete (``os.replace`` is
atomic on one file system), so a crash, a kill or a full disk leaves the previous file or none,
never a truncated one. :func:`check_output` says in one line why a path cannot be written (a
file where a folder should be, a folder where the file should be, no permission). bpy-free.
"""
from __future__ import annotations

import contextlib
import glob
import os
import secrets

from .errors import OutputError

PART = ".part"  # temporary files are ".<name>.<random>.part<ext>"


def check_output(path: str) -> str:
    """The absolute ``path``, its folder created; OutputError (one line, what to do) when it cannot be written."""
    path = os.path.abspath(os.path.expanduser(os.fspath(path)))
    if os.path.isdir(path):
        raise OutputError(f"Cannot write {path}: it is a folder. Give a file name (e.g. {os.path.join(path, 'out')}"
                          f"{os.path.splitext(path)[1] or ''}).")
    folder = os.path.dirname(path)
    # the nearest existing ancestor must be a folder we may write into
    probe = folder
    while probe and not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if probe and not os.path.isdir(probe):
        raise OutputError(f"Cannot write {path}: {probe} is a file, not a folder. Choose another output path "
                          "(or move that file).")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"Cannot create the folder {folder} for {os.path.basename(path)} ({exc.strerror or exc}). "
                          "Choose another output path.") from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"Cannot write into {folder} (no permission). Choose another output folder.")
    return path


@contextlib.contextmanager
def atomic_output(path: str):
    """``with atomic_output(path) as tmp:`` write the file at ``tmp``; it becomes ``path`` when the block
    ends without an exception (and is removed when it raises). ``tmp`` keeps ``path``'s extension, so
    programs that choose a format by extension (Blender, ffmpeg) write the right one."""
    path = check_output(path)
    folder, name = os.path.split(path)
    ext = os.path.splitext(name)[1]
    while True:  # like mkstemp, but with the permissions a plain new file gets (0666 less the umask)
        tmp = os.path.join(folder, f".{name}.{secrets.token_hex(4)}{PART}{ext}")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            break
        except FileExistsError:
            continue
    try:
        yield tmp
        if not os.path.exists(tmp) or os.path.getsize(tmp) == 0:
            raise OutputError(f"Nothing was written for {path}; the previous file (if any) is kept.")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def write_text(path: str, text: str) -> str:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the absolute path."""
    with atomic_output(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    return os.path.abspath(path)


def leftover_parts(path: str) -> list[str]:
    """Temporary files an interrupted write of ``path`` left behind (a process killed mid-write)."""
    folder, name = os.path.split(os.path.abspath(path))
    ext = os.path.splitext(name)[1]
    return sorted(glob.glob(os.path.join(glob.escape(folder), f".{glob.escape(name)}.*{PART}{glob.escape(ext)}")))


def remove_leftovers(path: str) -> int:
    """Remove :func:`leftover_parts` of ``path``; how many were removed."""
    n = 0
    for p in leftover_parts(path):
        with contextlib.suppress(OSError):
            os.remove(p)
            n += 1
    return n


__all__ = ["check_output", "atomic_output", "write_text", "leftover_parts", "remove_leftovers"]
