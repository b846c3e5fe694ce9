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


class FormatError(LipSyncError, ValueError):
    """An interchange file (cues, phones, TextGrid) that cannot be read or written."""


class TextGridError(FormatError):
    """A Praat TextGrid that cannot be parsed."""


# ---------------------------------------------------------------- analysis
class RecognizerError(LipSyncError, RuntimeError):
    """A recogniser that cannot run here (missing package or model)."""


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


__all__ = [
    "LipSyncError", "UsageError", "AudioError", "TranscriptError", "G2PError", "FormatError", "TextGridError",
    "RecognizerError", "ModelError", "AlignmentError", "Cancelled", "SettingsError", "MappingError", "RigError",
    "StripError", "PreviewError",
]
