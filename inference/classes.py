"""The network's output inventory: the classes its phone head predicts.

``ENGLISH_CLASSES``: SIL plus the IPA forms of the 39 ARPAbet phones of the CMU dictionary (the
inventory of model releases up to v1.3). ``UNIVERSAL_CLASSES``: phones of other languages that
English lacks and that the multilingual training speech (``training.multilingual``) has enough of:
front rounded and other vowels (y ø œ ɯ ɨ and the pure a e o of most languages), trills and taps,
velar, uvular and pharyngeal fricatives, palatals, retroflexes, the glottal stop, affricates ts and
tɕ, bilabial β and labiodental ʋ. ``PHONE_CLASSES`` is both, English first, so the indices of the
English classes never move.

Any other IPA phone maps to its nearest class (``training.labels.phone_class`` for the targets,
``phonemes.align.similarity.similar_labels`` for the aligner). The viseme and control heads predict
``phonemes.visemes.VISEMES`` and ``CONTROLS``, which do not depend on the language. A weights file
records the classes it was trained for (its ``phone_classes``), which is what the runtime reads, so
older 40-class weights still load.
"""
from __future__ import annotations

from ..phonemes import phoneset
from ..phonemes.types import SIL

ENGLISH_CLASSES: tuple[str, ...] = (SIL,) + tuple(phoneset.ARPABET_TO_IPA[a] for a in phoneset.ARPABET_39)
UNIVERSAL_CLASSES: tuple[str, ...] = (
    # vowels
    "a", "e", "o", "y", "ø", "œ", "ɯ", "ɨ",
    # trills, taps, approximants
    "r", "ɾ", "ʋ", "ʎ",
    # fricatives
    "x", "ɣ", "χ", "ʁ", "ç", "ɕ", "ʂ", "β", "ħ", "ʕ",
    # stops, affricates, nasals, laterals
    "ʔ", "q", "c", "ɟ", "ʈ", "ɖ", "ts", "tɕ", "ɲ", "ɭ",
)
PHONE_CLASSES: tuple[str, ...] = ENGLISH_CLASSES + UNIVERSAL_CLASSES

__all__ = ["ENGLISH_CLASSES", "UNIVERSAL_CLASSES", "PHONE_CLASSES"]
