"""Features, targets and the synthetic-data pipeline of the model (no torch needed except where marked)."""
import shutil
import subprocess

import numpy as np
import pytest

from lipsync.inference import features as F
from lipsync.training.labels import IGNORE, PHONE_CLASSES, VISEME_INDEX, frame_labels, phone_class
from lipsync.phonemes.visemes import CONTROLS, control_targets, viseme_for_phone


def test_log_mel_shape_and_torch_agree():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(16000 + 37) * 0.1).astype(np.float32)
    f = F.log_mel(x)
    assert f.shape == (F.n_frames(len(x)), F.N_MELS) == (101, 80)
    torch = pytest.importorskip("torch")
    g = F.log_mel_torch(x).numpy()
    assert np.abs(f - g).max() < 1e-3
    # a 1 kHz tone lights up the band around 1 kHz, not the lowest one
    t = np.arange(16000) / 16000.0
    tone = F.log_mel(0.5 * np.sin(2 * np.pi * 1000 * t).astype(np.float32))
    centres = F.mel_to_hz(np.linspace(F.hz_to_mel(F.FMIN), F.hz_to_mel(F.FMAX), F.N_MELS + 2))[1:-1]
    assert abs(centres[tone[50].argmax()] - 1000) < 120
    # VTLP moves the peak (warped frequency axis)
    warped = F.log_mel(0.5 * np.sin(2 * np.pi * 1000 * t).astype(np.float32), vtlp=1.1)
    assert warped[50].argmax() != tone[50].argmax()


def test_frame_labels_follow_the_shared_phone_set():
    segs = [(0.0, 0.1, "sil"), (0.1, 0.2, "m"), (0.2, 0.5, "aɪ"), (0.5, 0.6, "f")]
    ph, vi, ct = frame_labels(segs, 60)
    assert PHONE_CLASSES[ph[5]] == "sil" and PHONE_CLASSES[ph[15]] == "m" and PHONE_CLASSES[ph[55]] == "f"
    assert vi[15] == VISEME_INDEX[viseme_for_phone("m")] == VISEME_INDEX["A"]
    assert vi[55] == VISEME_INDEX["G"]
    # the diphthong has two targets: onset (a) then offglide (ɪ), split 60/40
    assert vi[21] == VISEME_INDEX[viseme_for_phone("a")] and vi[48] == VISEME_INDEX[viseme_for_phone("ɪ")]
    assert ct[15, CONTROLS.index("lip_close")] == pytest.approx(control_targets("m")["lip_close"])
    # boundaries: frame t takes the phone under its centre (t + 0.5) * 10 ms
    assert PHONE_CLASSES[ph[9]] == "sil" and PHONE_CLASSES[ph[10]] == "m"
    assert phone_class("ə") == PHONE_CLASSES.index("ʌ") and phone_class("ɡ") == PHONE_CLASSES.index("ɡ")
    assert phone_class("ʘ") == IGNORE  # a click has no English counterpart: its frames teach nothing
    assert IGNORE < 0 and phone_class("sil") == 0
    # a phone the synthetic en-gb voices speak maps to its US counterpart; centring diphthongs are ignored
    assert phone_class("əʊ") == PHONE_CLASSES.index("oʊ") and phone_class("iə") == IGNORE
    ph, vi, _ = frame_labels([(0.0, 0.05, "sil"), (0.05, 0.1, "ʘ"), (0.1, 0.2, "a")], 20)
    assert (ph[5:10] == IGNORE).all() and (ph[10:] == phone_class("a")).all() and (ph[:5] == 0).all()


needs_flite = pytest.mark.skipif(shutil.which("flite") is None, reason="flite not installed")


@needs_flite
def test_synthetic_utterance_labels_match_engine_timings(synth_checks):
    from lipsync.training.data import make_example
    from lipsync.training.synth.flite import OFFSETS as ENGINE_OFFSETS, parse_psdur, synthesize as synthesize_flite

    text = "Mom, maybe bring the big blue map."
    x, segs = synthesize_flite(text, "slt")
    # the engine's own report, straight from the command line
    out = subprocess.run(["flite", "-voice", "slt", "-psdur", "-t", text, "-o", "/dev/null"],
                         capture_output=True, text=True).stdout
    raw = parse_psdur(out)
    off = ENGINE_OFFSETS["flite:slt"]
    assert [p for _, _, p in raw] == [p for _, _, p in segs]
    for (s0, e0, _), (s1, e1, _) in zip(raw[1:-1], segs[1:-1]):
        assert s1 == pytest.approx(s0 + off) and e1 == pytest.approx(e0 + off)
    ex = make_example(x, segs)
    # one label per frame, every engine phone on the frames whose centres it covers, closed lips on M/B/P
    synth_checks.example_frames(x, segs, ex)
    # acoustic check: frames labelled silence are much quieter than frames labelled vowels
    energy = ex["feats"].astype(np.float32).mean(1)
    sil = ex["phone"] == 0
    vowel = np.isin(ex["phone"], [phone_class(v) for v in ("ɑ", "æ", "ʌ", "eɪ", "ɪ", "i", "u", "aɪ", "ɛ")])
    assert vowel.sum() > 10 and sil.sum() > 10
    assert energy[vowel].mean() > energy[sil].mean() + 3.0


@needs_flite
def test_augmentation_keeps_labels_aligned():
    from lipsync.training.data import augment, make_example
    from lipsync.training.synth.flite import synthesize as synthesize_flite

    x, segs = synthesize_flite("Please bring the map.", "rms")
    rng = np.random.default_rng(3)
    for _ in range(4):
        y, s2, vtlp, desc = augment(x, segs, rng)
        ex = make_example(y, s2, vtlp)
        assert np.isfinite(ex["feats"].astype(np.float32)).all()
        assert len(ex["phone"]) == F.n_frames(len(y))
        assert s2[-1][1] == pytest.approx(len(y) / 16000, abs=0.02)  # labels still span the (re-timed) audio
        assert desc and not np.array_equal(y[: len(x)], x[: len(y)])  # something was done to the audio


def test_speed_change_moves_every_boundary_with_the_audio():
    """A speed factor re-times the audio and every label the same way, inner boundaries included: a click at
    each labelled boundary of the input lands on the re-timed boundary of the output."""
    from lipsync.training.data import augment, speed

    sr = 16000
    bounds = [0.2, 0.45, 0.7, 0.9]
    x = np.zeros(sr, np.float32)
    for b in bounds:
        x[int(b * sr)] = 1.0
    segs = [(0.0, 0.2, "sil"), (0.2, 0.45, "m"), (0.45, 0.7, "a"), (0.7, 0.9, "p"), (0.9, 1.0, "sil")]
    for f in (0.9, 1.1):
        y, scale = speed(x, f)
        assert scale == pytest.approx(1 / f, abs=0.01) and len(y) == pytest.approx(len(x) * scale, abs=2)
        clicks = sorted(np.argsort(np.abs(y))[-len(bounds) * 3:] / sr)
        for b in bounds:
            assert min(abs(c - b * scale) for c in clicks) < 0.002
    # augment() applies the same scale to the rows it returns: find a draw that changed the speed
    for seed in range(20):
        y, s2, _, desc = augment(x, segs, np.random.default_rng(seed))
        if "speed" in desc:
            f = float(desc.split("speed")[1][:4])
            for (a, b, p), (a2, b2, p2) in zip(segs, s2):
                assert p2 == p and a2 == pytest.approx(a * round(100 / f) / 100, abs=1e-6)
                assert b2 == pytest.approx(b * round(100 / f) / 100, abs=1e-6)
            break
    else:
        raise AssertionError("no draw changed the speed")


def test_pitch_shift_moves_the_pitch_and_keeps_the_timing():
    from lipsync.training.data import pitch_shift

    sr = 16000
    t = np.arange(sr) / sr
    x = np.where((t >= 0.3) & (t < 0.7), 0.5 * np.sin(2 * np.pi * 200.0 * t), 0.0).astype(np.float32)
    y = pitch_shift(x, 300.0)  # +3 semitones: 200 Hz -> 237.8 Hz
    assert len(y) == len(x) and y.dtype == np.float32
    seg = y[int(0.4 * sr): int(0.6 * sr)]
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)), 8 * len(seg)))
    f0 = np.argmax(spec) * sr / (8 * len(seg))
    assert abs(f0 - 200.0 * 2 ** 0.25) < 3.0, f0
    env = np.abs(y) > 0.1
    onset, offset = np.argmax(env) / sr, (len(env) - np.argmax(env[::-1])) / sr
    assert abs(onset - 0.3) < 0.01 and abs(offset - 0.7) < 0.01  # labels stay where they were
    assert pitch_shift(x, 0.5) is x
