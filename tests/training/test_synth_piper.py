"""Piper synthetic speech with phone timings (training/synth/piper.py).

The symbol -> phone merging is tested without Piper; the synthesis tests need the
training extras (`bash tools/setup_train.sh`) and skip without them.
"""
import numpy as np
import pytest

from lipsync.training import synth
from lipsync.training.synth import piper as synth_piper
from lipsync.phonemes import phoneset
from lipsync.phonemes.types import SIL

needs_piper = pytest.mark.skipif(
    not synth_piper.available(),
    reason="optional: Piper not installed (training extra: bash tools/setup_train.sh)")


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


@needs_piper
def test_piper_map(synth_checks):
    x, segs = synth.synthesize("map", "piper:joe")
    synth_checks.track(x, segs)
    phones = [p for _, _, p in segs if p != SIL]
    assert phones[0] == "m" and phones[-1] == "p" and len(phones) == 3
    assert phoneset.features(phones[1]).kind == "vowel"


@needs_piper
def test_piper_sentence_labels_line_up_and_repeat(synth_checks):
    text = "Mom, maybe bring the big blue map."
    x, segs = synth.synthesize(text, "piper:joe")
    synth_checks.track(x, segs)
    synth_checks.pause_and_vowels(x, segs)
    names = [p for _, _, p in segs if p != SIL]
    assert names[:3] == ["m", "ɑː", "m"] and "eɪ" in names and names[-3:] == ["m", "æ", "p"]
    # the same text gives the same audio; the offset moves the inner boundaries
    x2, raw = synth.synthesize(text, "piper:joe", apply_offset=False)
    assert np.array_equal(x, x2) and [p for *_, p in raw] == [p for *_, p in segs]
    off = synth_piper.OFFSETS["piper:joe"]
    assert segs[1][0] == pytest.approx(raw[1][0] + off, abs=1e-9)
    # another text: another speaking rate
    assert synth_piper.synthesis_settings(text) != synth_piper.synthesis_settings("Mom, maybe bring the map.")
