"""espeak-ng synthetic speech: phones, exact timings, and labels that line up with the audio."""
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from lipsync.training import synth
from lipsync.training.synth import espeak as synth_espeak
from lipsync.phonemes import phoneset
from lipsync.phonemes.types import SIL

SR = 16000
TEXT = "Mom, maybe bring the big blue map."

needs_espeak = pytest.mark.skipif(not synth_espeak.available(),
                                  reason="libespeak-ng not installed (apt-get install espeak-ng)")


def _rms_db(x):
    return 10 * np.log10(np.mean(np.asarray(x, np.float64) ** 2) + 1e-12)


# ---------------------------------------------------------------- no library needed
def test_split_phoneme_gives_one_phone_per_row():
    sp = synth_espeak.split_phoneme
    assert sp("") == [(1.0, SIL)]
    for whole in ("aɪ", "oʊ", "tʃ", "dʒ", "iː", "n̩", "əʊ", "ɚ"):
        assert sp(whole) == [(1.0, whole)]
    assert [p for _, p in sp("ɑːɹ")] == ["ɑː", "ɹ"]  # US "car": vowel then r, as ARPAbet AA R
    assert [p for _, p in sp("aɪɚ")] == ["aɪ", "ɚ"]  # "fire": AY ER
    assert [p for _, p in sp("əl")] == ["ə", "l"]  # syllabic l in "bottle"
    assert sp("ᵻ") == [(1.0, "ɪ")]  # espeak's reduced vowel
    assert sp("ˈɑː") == [(1.0, "ɑː")]  # stress belongs to the vowel
    fr = [f for f, _ in sp("ɑːɹ")]
    assert sum(fr) == pytest.approx(1.0) and fr[0] > fr[1]


def test_events_to_segments_and_closure_refinement(synth_checks):
    sr = 1000 * 22  # 22 samples per ms
    ms = sr // 1000
    rng = np.random.default_rng(0)
    # 100 ms vowel, 40 ms closure (digital silence), 30 ms burst, 100 ms vowel
    x = np.concatenate([0.3 * rng.standard_normal(100 * ms), np.zeros(40 * ms),
                        0.1 * rng.standard_normal(30 * ms), 0.3 * rng.standard_normal(100 * ms)])
    # espeak puts the stop's event after its closure (at the burst)
    events = [(0, "æ"), (140 * ms, "p"), (170 * ms, "ɪ")]
    raw = synth_espeak.events_to_segments(events, len(x), sr)
    assert [p for _, _, p in raw] == ["æ", "p", "ɪ"]
    assert raw[1][0] == pytest.approx(0.140)
    fixed = synth_espeak.events_to_segments(synth_espeak.refine_events(x, events, sr), len(x), sr)
    assert fixed[1][0] == pytest.approx(0.100, abs=0.002)  # p now starts at its closure
    assert fixed[2][0] == pytest.approx(0.170)
    synth_checks.segments(fixed, len(x) / sr)
    # a leading gap becomes silence; a pause event ("") is silence
    segs = synth_espeak.events_to_segments([(10 * ms, "m"), (50 * ms, ""), (60 * ms, "a")], 100 * ms, sr)
    assert [p for _, _, p in segs] == [SIL, "m", SIL, "a"]


def test_missing_library_raises_synth_error(monkeypatch):
    def no_lib(*a, **k):
        raise OSError("libespeak-ng.so.1: cannot open shared object file")

    monkeypatch.setitem(synth_espeak._state, "lib", None)
    # the system library (another test may have switched to the bundled one: that is module state)
    monkeypatch.setitem(synth_espeak._state, "bundled", False)
    monkeypatch.setattr(synth_espeak.ctypes, "CDLL", no_lib)
    monkeypatch.setattr(synth_espeak.ctypes.util, "find_library", lambda name: None)
    assert synth_espeak.available() is False
    with pytest.raises(synth.SynthError, match="apt-get install espeak-ng"):
        synth_espeak.synthesize("Hello.", "en-us")
    # the bundled library that cannot be loaded says which package to install
    monkeypatch.setitem(synth_espeak._state, "bundled", True)
    monkeypatch.setitem(synth_espeak._state, "lib", None)
    with pytest.raises(synth.SynthError, match=r"pip install espeakng-loader\) cannot be loaded"):
        synth_espeak.synthesize("Hello.", "en-us")


# ---------------------------------------------------------------- with libespeak-ng
@needs_espeak
def test_voices_exist_and_have_offsets(synth_checks):
    assert synth.engine_voices("espeak") == synth_espeak.VOICES
    assert len(synth_espeak.VOICES) >= 6
    for v in synth_espeak.VOICES:
        assert v.startswith("espeak:") and abs(synth_espeak.OFFSETS[v]) < 0.05
        x, segs = synth.synthesize("Hello there.", v)  # through the dispatcher
        assert x.dtype == np.float32 and x.ndim == 1 and len(x) > SR // 2
        synth_checks.segments(segs, len(x) / SR)
    with pytest.raises(synth.SynthError):
        synth_espeak.synthesize("Hello.", "xx-no-such-voice")


@needs_espeak
def test_phones_match_espeak_and_offset_is_applied(synth_checks):
    x, segs = synth_espeak.synthesize(TEXT, "en-us")
    synth_checks.segments(segs, len(x) / SR)
    phones = [p for _, _, p in segs if p != SIL]
    # "map": m, a vowel, p in order at the end
    assert phones[-3] == "m" and phoneset.features(phones[-2]).kind == "vowel" and phones[-1] == "p"
    assert phones[:3] == ["m", "ɑː", "m"]
    if shutil.which("espeak-ng"):
        # the engine's own transcription, from the command line: same phones, same order
        out = subprocess.run(["espeak-ng", "-q", "--ipa", "--sep=_", "-v", "en-us", TEXT],
                             capture_output=True, text=True, timeout=30).stdout
        ref = [p for w in out.split() for tok in w.split("_") if tok
               for _, p in synth_espeak.split_phoneme(tok)]
        assert phones == ref


@needs_espeak
def test_offset_is_applied_to_every_inner_boundary(monkeypatch):
    """With the engine's output held fixed (it keeps state between calls), apply_offset moves every inner
    boundary by exactly the voice's measured offset (+1..+2 ms) and nothing else."""
    real, seen = synth_espeak._raw, {}

    def same_engine_output(text, voice):
        if (text, voice) not in seen:
            seen[(text, voice)] = real(text, voice)
        return seen[(text, voice)]

    monkeypatch.setattr(synth_espeak, "_raw", same_engine_output)
    x, segs = synth_espeak.synthesize(TEXT, "en-us")
    x2, raw = synth_espeak.synthesize(TEXT, "en-us", apply_offset=False)
    off = synth_espeak.OFFSETS["espeak:en-us"]
    assert np.array_equal(x, x2) and 0.0005 < off < 0.005
    assert [p for *_, p in raw] == [p for *_, p in segs]
    for (s0, _, _), (s1, _, _) in zip(raw[1:], segs[1:]):
        assert s1 == pytest.approx(s0 + off, abs=1e-9)
    assert segs[0][0] == raw[0][0] == 0.0 and segs[-1][1] == raw[-1][1] == pytest.approx(len(x) / SR)


@needs_espeak
def test_labels_line_up_with_the_audio():
    x, segs = synth_espeak.synthesize(TEXT, "en-us")

    def audio(s, e):
        return x[int(round(s * SR)): int(round(e * SR))]

    # the comma pause: labelled silence inside the utterance, and the audio there is silent
    inner = [(s, e) for s, e, p in segs[1:-1] if p == SIL]
    assert inner and inner[0][1] - inner[0][0] > 0.08
    s, e = inner[0]
    speech = np.concatenate([audio(s0, e0) for s0, e0, p in segs if phoneset.features(p).kind == "vowel"])
    assert _rms_db(audio(s + 0.005, e - 0.005)) < _rms_db(speech) - 50
    # every vowel and nasal carries speech energy; the silence at the edges has none
    for s0, e0, p in segs:
        if phoneset.features(p).kind == "vowel" or p == "m":
            assert _rms_db(audio(s0, e0)) > _rms_db(speech) - 20, (s0, e0, p)
    assert _rms_db(audio(0, segs[0][1] - 0.002)) < -80
    # the stop closure belongs to the stop: "map" -> the p starts with silence, the vowel before it does not
    (sa, ea, pa), (sp, ep, pp) = segs[-3], segs[-2]
    assert (pa, pp) == ("æ", "p")
    assert _rms_db(audio(sp + 0.002, sp + 0.012)) < _rms_db(speech) - 40
    assert _rms_db(audio(ea - 0.012, ea - 0.002)) > _rms_db(speech) - 30
    # nasal -> vowel: the vowel starts where the murmur ends (energy jumps up across the boundary)
    (s_m, e_m, p_m), (s_v, e_v, p_v) = segs[1], segs[2]
    assert (p_m, p_v) == ("m", "ɑː")
    assert _rms_db(audio(e_m, e_m + 0.015)) > _rms_db(audio(e_m - 0.025, e_m - 0.005)) + 3


@needs_espeak
def test_make_example_aligns_frames_with_espeak_labels(synth_checks):
    from lipsync.training.data import make_example

    x, segs = synth_espeak.synthesize(TEXT, "en-gb-x-rp+f4")
    ex = make_example(x, segs)
    synth_checks.example_frames(x, segs, ex)
    T = len(ex["feats"])
    energy = ex["feats"].astype(np.float32).mean(1)
    sil = ex["phone"] == 0
    vowel = np.array([phoneset.features(p).kind == "vowel" for p in
                      [next((q for s, e, q in segs if s <= (t + 0.5) * 0.01 < e), SIL) for t in range(T)]])
    assert vowel.sum() > 10 and sil.sum() > 10
    assert energy[vowel].mean() > energy[sil].mean() + 3.0


@needs_espeak
def test_threads_share_the_engine_safely(synth_checks):
    texts = [f"Number {i}, bring the map." for i in range(6)]

    def one(i):
        return synth_espeak.synthesize(texts[i], synth_espeak.VOICES[i % 3].split(":", 1)[1])

    with ThreadPoolExecutor(3) as ex:
        results = list(ex.map(one, range(6)))
    for x, segs in results:
        synth_checks.segments(segs, len(x) / SR)
        assert [p for *_, p in segs if p != SIL][-3:] == ["m", "æ", "p"]
