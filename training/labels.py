"""Model targets, derived from the shared phone set (``phonemes``), never from a private table.

- phone classes: ``inference.classes.PHONE_CLASSES`` (SIL, the 39 ARPAbet phones of the CMU dictionary
  in IPA, then the universal classes); any other IPA phone maps to its nearest class (``phone_class``);
- visemes: Preston Blair shapes ``visemes.VISEMES`` from ``visemes.viseme_sequence``
  (diphthongs give two targets inside the phone);
- controls: ``visemes.control_targets`` of the (sub-)segment under each frame.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache

import numpy as np

from ..phonemes import phoneset
from ..phonemes.types import FRAME_HOP, SIL
from ..phonemes.visemes import CONTROLS, VISEMES, control_targets, viseme_sequence

from ..inference.classes import PHONE_CLASSES

PHONE_INDEX = {p: i for i, p in enumerate(PHONE_CLASSES)}
VISEME_INDEX = {v: i for i, v in enumerate(VISEMES)}
IGNORE = -100  # label for frames without a usable phone (torch's default ignore_index)


# Phones with one clear counterpart among the classes: British / Scottish / Australian ones (the
# synthetic en-gb voices and Piper speak them) and close neighbours of the universal classes (the
# multilingual voices); the centring diphthongs (iə, eə, ʊə) stay IGNORE.
_NEAREST = {"əʊ": "oʊ", "ʌʉ": "oʊ", "əʉ": "oʊ", "ʉ": "u", "ʉː": "u", "ʍ": "w",
            "ʏ": "y", "ɵ": "ø", "ɒ": "ɔ", "ɐ": "ʌ", "ɜ": "ʌ", "ɤ": "ɯ", "ä": "a",
            "ʝ": "j", "ʑ": "ɕ", "ʐ": "ʂ", "dʑ": "tɕ", "dz": "ts", "ɳ": "n", "ɽ": "ɾ", "ɻ": "ɹ", "ɦ": "h", "ɱ": "m",
            "ai": "aɪ", "au": "aʊ", "ɑu": "aʊ", "ei": "eɪ", "oi": "ɔɪ", "ɔi": "ɔɪ", "ou": "oʊ"}
# marks that do not change the class: length, aspiration (and breathy release), secondary articulations, and every combining
# diacritic (dental, lowered, nasal, voiceless, syllabic ...)
_MODIFIERS = set("ːˑʰʱʷʲˤˠ")


def _bare(p: str) -> str:
    """``p`` without length marks, aspiration, secondary articulations and combining diacritics."""
    d = unicodedata.normalize("NFD", p)
    return unicodedata.normalize("NFC", "".join(c for c in d if c not in _MODIFIERS
                                                and unicodedata.category(c) != "Mn"))


@lru_cache(maxsize=2048)
def phone_class(phone: str) -> int:
    """Index in PHONE_CLASSES of any IPA phone (or SIL): the phone itself, its close neighbour, the phone without
    its marks (aː -> a, t̪ -> t, ɔ̃ -> ɔ), else its nearest English phone; IGNORE when none fits."""
    p = phoneset.normalize(phone)
    if p == SIL:
        return 0
    if p in PHONE_INDEX:
        return PHONE_INDEX[p]
    if p in _NEAREST:
        return PHONE_INDEX[_NEAREST[p]]
    b = _bare(p)
    if b in PHONE_INDEX:
        return PHONE_INDEX[b]
    if b in _NEAREST:
        return PHONE_INDEX[_NEAREST[b]]
    try:
        return PHONE_INDEX[phoneset.ARPABET_TO_IPA[phoneset.ipa_to_arpabet(p)]]
    except KeyError:
        return IGNORE


@lru_cache(maxsize=2048)
def _phone_targets(phone: str) -> tuple[tuple[float, int, tuple[float, ...]], ...]:
    """(fraction, viseme index, control vector) targets inside one phone."""
    out = []
    parts = phoneset.split_diphthong(phone)
    for (frac, vis, _det), (_f2, seg) in zip(viseme_sequence(phone), parts):
        ct = control_targets(seg)
        out.append((frac, VISEME_INDEX[vis], tuple(float(ct[c]) for c in CONTROLS)))
    return tuple(out)


def _first_frame(t: float, hop: float) -> int:
    """Index of the first frame whose centre ``(i + 0.5) * hop`` is at or after ``t`` (ties to 1 µs)."""
    return int(np.ceil(round(t / hop - 0.5, 4)))


def frame_labels(segments, n_frames: int, hop: float = FRAME_HOP, offset: float = 0.0):
    """Per-frame targets from timed phones.

    ``segments``: iterable of (start, end, ipa_phone) in seconds; ``offset`` is added
    to every time (per-engine label correction). Frame t takes the phone under its
    centre ``(t + 0.5) * hop``. Frames outside every segment are SIL.
    Returns (phone_idx [T] int16, viseme_idx [T] int8, controls [T, C] float32).
    """
    ph = np.zeros(n_frames, np.int16)
    vi = np.full(n_frames, VISEME_INDEX["X"], np.int8)
    ct = np.zeros((n_frames, len(CONTROLS)), np.float32)
    for start, end, phone in segments:
        s, e = start + offset, end + offset
        t0 = max(_first_frame(s, hop), 0)  # first frame whose centre >= s
        t1 = min(_first_frame(e, hop), n_frames)  # frames with centre < e
        if t1 <= t0:
            continue
        ph[t0:t1] = phone_class(phone)
        pos = s
        for frac, v, c in _phone_targets(phoneset.normalize(phone)):
            q = pos + frac * (e - s)
            a = max(_first_frame(pos, hop), t0)
            b = min(_first_frame(q, hop), t1)
            if b > a:
                vi[a:b] = v
                ct[a:b] = c
            pos = q
    return ph, vi, ct


@lru_cache(maxsize=1)
def class_tables():
    """Per phone class: its main viseme index and control vector (used to derive controls from phone labels)."""
    vis = np.zeros(len(PHONE_CLASSES), np.int64)
    ctl = np.zeros((len(PHONE_CLASSES), len(CONTROLS)), np.float32)
    for i, p in enumerate(PHONE_CLASSES):
        t = _phone_targets(p)
        vis[i] = t[0][1]
        ctl[i] = t[0][2]
    return vis, ctl


__all__ = ["PHONE_CLASSES", "PHONE_INDEX", "VISEME_INDEX", "IGNORE", "phone_class", "frame_labels", "class_tables"]
