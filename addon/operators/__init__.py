"""The add-on's operators, one module per concern.

- ``generate``: Generate Lip Sync (modal with progress and Esc; the job itself is ``addon.jobs``);
- ``character``: the character's mapping (detect, add / remove bindings) and animation style;
- ``takes``: switch takes, jump to review stretches, clear review markers;
- ``preview``: render the preview video;
- ``batch``: Generate All (every strip onto its character) and choosing a strip's character;
- ``transcribe``: the words of the dialogue into a Text datablock; speech-model downloads.
"""
from . import batch, character, generate, preview, takes, transcribe

classes = (*generate.classes, *takes.classes, *character.classes, *preview.classes, *batch.classes,
           *transcribe.classes)

__all__ = ["classes"]
