"""Lip Sync's one error family: every message meant for a person is a ``LipSyncError``.

Each message is one line that says what went wrong and what to do. The command
line, the add-on's operators and the headless entry points catch
``LipSyncError`` and show ``str(exc)`` as it is; anything else that escapes is
an internal failure (a bug) and is reported as one. No bpy, no third-party
imports: every stage can raise these.

Some classes also derive from the built-in they used to be (``ValueError``,
``RuntimeError``) so that code catching those keeps working.
"""
from __future__ import annotations


class LipSyncError(Exception):
    """A problem the user can fix; the message says what to do."""


# ---------------------------------------------------------------- input
class UsageError(LipSyncError):
    """Command-line arguments that do not fit together."""


class AudioError(LipSyncError):
    """Audio that cannot be read (missing, empty, corrupt or unsupported)."""


class TranscriptError(LipSyncError, ValueError):
    """A transcript that cannot be used (missing file, empty text)."""


class G2PError(LipSyncError, ValueError):
    """Text that cannot be turned into phones (empty, or a language without a G2P)."""


class ManifestError(UsageError):
    """A batch manifest that cannot be read as a whole (no ``audio`` column, not a CSV)."""


class OutputError(LipSyncError):
    """An output path that cannot be written (a file where a folder should be, no permission)."""


class BlendFileError(LipSyncError):
    """A .blend file that cannot be opened (missing, corrupt, truncated, not a .blend)."""


class FormatError(LipSyncError, ValueError):
    """An interchange file (cues, phones, TextGrid) that cannot be read or written."""


class TextGridError(FormatError):
    """A Praat TextGrid that cannot be parsed."""


# ---------------------------------------------------------------- analysis
class RecognizerError(LipSyncError, RuntimeError):
    """A recogniser that cannot run here (missing package or model)."""


class DownloadError(RecognizerError):
    """A model download that failed, or whose SHA-256 sum is not the recorded one (the file is deleted)."""


class ModelError(RecognizerError):
    """Our neural model cannot run (no torch, missing or wrong weights)."""


class AlignmentError(LipSyncError, ValueError):
    """A phone sequence that cannot be aligned to the audio (e.g. a transcript of another clip)."""


class Cancelled(LipSyncError):
    """The user cancelled the analysis."""


# ---------------------------------------------------------------- rigging and Blender
class SettingsError(LipSyncError, ValueError):
    """An animator control outside its range."""


class MappingError(LipSyncError, ValueError):
    """A rig mapping (viseme -> shape key / bone) that is not valid."""


class RigError(LipSyncError):
    """A rig that cannot take lip sync as it is."""


class StripError(LipSyncError):
    """A sound strip (or its file) that cannot be used."""


class PreviewError(LipSyncError):
    """A preview that could not be rendered."""


# ---------------------------------------------------------------- messages

ANOTHER_RECOGNIZER = "or choose another recogniser in the Lip Sync panel (Recognizer)"


def report_to() -> str:
    """Who takes bug reports: the manifest's ``website`` (the tracker) or else its ``maintainer``."""
    import os
    import tomllib

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "blender_manifest.toml")
    try:
        with open(path, "rb") as fh:
            man = tomllib.load(fh)
    except (OSError, ValueError):
        man = {}
    if man.get("website"):
        return f"at {man['website']}"
    return f"to {man.get('maintainer') or 'the Lip Sync developers'} (the extension's maintainer)"


def failure_message(exc: BaseException, doing: str = "running") -> str:
    """The one line a person sees for ``exc``, raised while ``doing`` (e.g. "analysing the dialogue").

    A ``LipSyncError`` says what to do as it is; only a ``RecognizerError`` (a recogniser that
    cannot run here) also suggests another recogniser. Anything else is a bug in Lip Sync: the
    line says what failed, that the details are in the console, and where to report it.
    """
    if isinstance(exc, RecognizerError):
        msg = str(exc).rstrip(". ")
        if "another recogniser" in msg:
            return msg + "."
        return f"{msg[:1].upper()}{msg[1:]}; {ANOTHER_RECOGNIZER}."
    if isinstance(exc, LipSyncError):
        return str(exc)
    what = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return (f"Lip Sync failed while {doing} ({what}). This is a bug in Lip Sync, not a problem with your scene: "
            f"the details are in the system console (Window > Toggle System Console); please report it "
            f"{report_to()} with the audio file and those details.")


__all__ = [
    "LipSyncError", "UsageError", "ManifestError", "OutputError", "BlendFileError", "AudioError", "TranscriptError",
    "G2PError", "FormatError", "TextGridError",
    "RecognizerError", "DownloadError", "ModelError", "AlignmentError", "Cancelled", "SettingsError", "MappingError",
    "RigError", "StripError", "PreviewError", "failure_message", "report_to", "ANOTHER_RECOGNIZER",
]
