"""Piper synthetic speech with phone timings (inference/synth_piper.py).

The symbol -> phone merging is tested without Piper; the synthesis tests need the
training extras (`bash tools/setup_train.sh`) and skip without them.
"""
import numpy as np
import pytest

from lipsync.inference import synth, synth_piper
from lipsync.phonemes import phoneset
from lipsync.phonemes.types import SIL

needs_piper = pytest.mark.skipif(
    not synth_piper.available(),
    reason="Piper not installed (optional training extra: bash tools/setup_train.sh)")


def test_alignment_symbols_become_one_row_per_phone():
    # "^ m ˈ ɑ ː m , ␣ b ˈ a ɪ ␣ t ʃ ˈ ɜ ː t ʃ ␣ ð ᵻ ʲ . $" at 1000 samples/s (easy numbers)
    toks = [("^", 50), ("m", 40), ("ˈ", 30), ("ɑ", 60), ("ː", 20), ("m", 40), (",", 100), (" ", 40),
            ("b", 30), ("ˈ", 20), ("a", 50), ("ɪ", 40), (" ", 20), ("t", 20), ("ʃ", 30), ("ˈ", 10),
            ("ɜ", 50), ("ː", 30), ("t", 20), ("ʃ", 40), (" ", 10), ("ð", 30), ("ᵻ", 30), ("ʲ", 10),
            (".", 80), ("$", 10)]
    segs = synth_piper.alignment_segments(toks, 1000)
    assert [p for _, _, p in segs] == [SIL, "m", "ɑː", "m", SIL, "b", "aɪ", "tʃ", "ɝ", "tʃ", "ð", "ɪ", SIL]
    assert segs[0][0] == 0.0 and segs[-1][1] == pytest.approx(sum(n for _, n in toks) / 1000)
    assert all(a[1] == b[0] for a, b in zip(segs, segs[1:]))
    d = {i: (round(s, 3), round(e, 3)) for i, (s, e, _) in enumerate(segs)}
    assert d[2] == (0.09, 0.2)  # the stress mark's time starts the vowel, the length mark ends it
    assert d[4] == (0.24, 0.38)  # comma + the word boundary after it: pause
    assert d[6] == (0.41, 0.53)  # the diphthong, then half of the word boundary
    assert d[7] == (0.53, 0.59) and d[8] == (0.59, 0.68)  # the affricate, the stressed NURSE vowel
    assert d[10] == (0.745, 0.78) and d[11] == (0.78, 0.82)  # ᵻ with its y-glide
    for _, _, p in segs:
        assert phoneset.features(p) is not None, p


def test_settings_depend_only_on_the_text():
    a, b = synth_piper.synthesis_settings("Hello there."), synth_piper.synthesis_settings("Hello there!")
    assert a == synth_piper.synthesis_settings("Hello there.") and a != b
    for s in (a, b):
        assert 0.85 <= s["length_scale"] <= 1.2


def _check_track(x, segs):
    assert x.dtype == np.float32 and x.ndim == 1 and len(x) > 1600
    assert segs[0][0] == 0.0
    assert all(abs(a[1] - b[0]) < 1e-9 for a, b in zip(segs, segs[1:]))
    assert all(e > s for s, e, _ in segs)
    assert abs(segs[-1][1] - len(x) / 16000) < 1e-6
    for _, _, p in segs:
        assert phoneset.features(p) is not None, p
    assert not any(a[2] == b[2] == SIL for a, b in zip(segs, segs[1:]))


def _db(x, s, e):
    a, b = int(s * 16000), int(e * 16000)
    return 10 * np.log10(np.mean(x[a:b].astype(np.float64) ** 2) + 1e-12)


def check_labels_match_audio(x, segs):
    """The labelled pause inside the sentence is near-silent; the vowels carry energy."""
    inner = [(s, e) for s, e, p in segs[1:-1] if p == SIL and e - s >= 0.08]
    assert inner, "no pause for the comma"
    vowels = [(s, e) for s, e, p in segs if p != SIL and phoneset.features(p).kind == "vowel"]
    loud = max(_db(x, s, e) for s, e in vowels)
    for s, e in inner:
        assert _db(x, s + 0.02, e - 0.02) < loud - 30
    for s, e in vowels:
        assert _db(x, s, e) > loud - 25


@needs_piper
def test_piper_map():
    x, segs = synth.synthesize("map", "piper:joe")
    _check_track(x, segs)
    phones = [p for _, _, p in segs if p != SIL]
    assert phones[0] == "m" and phones[-1] == "p" and len(phones) == 3
    assert phoneset.features(phones[1]).kind == "vowel"


@needs_piper
def test_piper_sentence_labels_line_up_and_repeat():
    text = "Mom, maybe bring the big blue map."
    x, segs = synth.synthesize(text, "piper:joe")
    _check_track(x, segs)
    check_labels_match_audio(x, segs)
    names = [p for _, _, p in segs if p != SIL]
    assert names[:3] == ["m", "ɑː", "m"] and "eɪ" in names and names[-3:] == ["m", "æ", "p"]
    # the same text gives the same audio; the offset moves the inner boundaries
    x2, raw = synth.synthesize(text, "piper:joe", apply_offset=False)
    assert np.array_equal(x, x2) and [p for *_, p in raw] == [p for *_, p in segs]
    off = synth_piper.OFFSETS["piper:joe"]
    assert segs[1][0] == pytest.approx(raw[1][0] + off, abs=1e-9)
    # another text: another speaking rate
    assert synth_piper.synthesis_settings(text) != synth_piper.synthesis_settings("Mom, maybe bring the map.")
