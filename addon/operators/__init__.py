"""The add-on's operators, one module per concern.

- ``generate``: Generate Lip Sync (modal with progress and Esc; the job itself is ``addon.jobs``);
- ``character``: the character's mapping (detect, add / remove bindings) and animation style;
- ``takes``: switch takes, jump to review stretches, clear review markers;
- ``preview``: render the preview video;
- ``transcribe``: the words of the dialogue into a Text datablock; speech-model downloads.
"""
from . import character, generate, preview, takes, transcribe

classes = (*generate.classes, *takes.classes, *character.classes, *preview.classes, *transcribe.classes)

__all__ = ["classes"]
