"""The network's output inventory: the classes its phone head predicts.

The IPA forms of the 39 ARPAbet phones of the CMU dictionary plus SIL; any IPA phone maps
to its nearest class through ``phonemes.phoneset.ipa_to_arpabet``. The viseme and control
heads predict ``phonemes.visemes.VISEMES`` and ``CONTROLS``. A weights file records the
classes it was trained for (its ``phone_classes``), which is what the runtime reads.
"""
from __future__ import annotations

from ..phonemes import phoneset
from ..phonemes.types import SIL

PHONE_CLASSES: tuple[str, ...] = (SIL,) + tuple(phoneset.ARPABET_TO_IPA[a] for a in phoneset.ARPABET_39)

__all__ = ["PHONE_CLASSES"]
