"""Error types of the add-on, importable without bpy (the command line catches them).

Every message says what to do; the operators report them as they are.
"""
from .strips import StripError  # noqa: F401  (re-exported: bad sound strips)


class LipSyncError(Exception):
    """Bad input for Generate Lip Sync / the headless entry points; the message says what to do."""


class PreviewError(LipSyncError):
    """The preview could not be rendered; the message says what to do."""


__all__ = ["LipSyncError", "PreviewError", "StripError"]
