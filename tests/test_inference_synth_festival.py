"""Festival synthetic speech with phone timings (inference/synth_festival.py).

Parsing and quoting are tested without festival; the synthesis tests need
`apt-get install festival festvox-us-slt-hts festvox-kallpc16k festvox-kdlpc16k`
(tools/setup_train.sh) and skip without them.
"""
import numpy as np
import pytest

from lipsync.inference import synth, synth_festival
from lipsync.phonemes import phoneset
from lipsync.phonemes.types import SIL



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


def test_parse_segs():
    text = "#\n0.1750 100 pau\n0.2400 100 m\n0.3350 100 aa\n0.3350 100 pau\n0.4000 100 m\n0.6000 100 pau\n0.7000 100 pau\n"
    segs = synth_festival.parse_segs(text)
    assert segs == [(0.0, 0.175, SIL), (0.175, 0.24, "m"), (0.24, 0.335, "ɑ"), (0.335, 0.4, "m"), (0.4, 0.7, SIL)]


def test_text_is_quoted_for_scheme():
    s = synth_festival._scheme_string('He said "no" \\ it\u2019s fine\n')
    assert s == '"He said \\"no\\" \\\\ it\'s fine"'


def _needs(voice):
    return pytest.mark.skipif(
        f"festival:{voice}" not in synth_festival.VOICES,
        reason=f"festival voice {voice} not installed (optional training extra, tools/setup_train.sh: "
               f"apt-get install festival {synth_festival.KNOWN[voice][2]})")


@pytest.mark.parametrize("voice", [pytest.param(v, marks=_needs(v)) for v in synth_festival.KNOWN])
def test_festival_voice(voice):
    x, segs = synth.synthesize("map", f"festival:{voice}")
    _check_track(x, segs)
    assert [p for _, _, p in segs if p != SIL] == ["m", "æ", "p"]
    text = "Mom, maybe bring the \"big\" blue map."
    x, segs = synth.synthesize(text, f"festival:{voice}")
    _check_track(x, segs)
    check_labels_match_audio(x, segs)
    names = [p for _, _, p in segs if p != SIL]
    assert names[:3] == ["m", "ɑ", "m"] and "eɪ" in names and names[-3:] == ["m", "æ", "p"]
    x2, raw = synth.synthesize(text, f"festival:{voice}", apply_offset=False)
    assert np.array_equal(x, x2)
    off = synth_festival.OFFSETS[f"festival:{voice}"]
    assert segs[1][0] == pytest.approx(raw[1][0] + off, abs=1e-9)


def test_unknown_voice_is_a_clear_error():
    with pytest.raises(synth.SynthError, match="unknown festival voice"):
        synth.synthesize("map", "festival:nobody")
    names = "aa ae ah ao aw ax ay b ch d dh eh er ey f g hh ih iy jh k l m n ng ow oy p r s sh t th uh uw v w y z zh"
    assert all(phoneset.features(synth.festival_phone_to_ipa(p)) is not None for p in names.split())
