"""Confidence is about the mouth, and calibrated: 0.5 means the mouth shape is right about half the time."""
import json

import numpy as np

from lipsync.phonemes import align
from lipsync.phonemes.types import FramePosteriors, PhoneTrack, TimedPhone, TimedWord


def post_for(frames):
    """Posteriors over m, b, n, a, sil where each frame row gives the probabilities."""
    labels = ["m", "b", "n", "a", "sil"]
    p = np.asarray(frames, dtype=np.float64) + 1e-4
    p /= p.sum(axis=1, keepdims=True)
    return FramePosteriors(labels, np.log(p).astype(np.float32))


def test_look_alike_confusions_keep_confidence_and_visible_ones_lower_it():
    # 10 frames of sil, 10 frames split between m and b (same closed lips), 10 frames of a, 10 of sil
    sil, mb, a = [0, 0, 0, 0, 1], [0.5, 0.5, 0, 0, 0], [0, 0, 0, 1, 0]
    track = align.forced_align(post_for([sil] * 10 + [mb] * 10 + [a] * 10 + [sil] * 10), ["m", "a"], refine=0)
    m = [p for p in track.phones if p.phone == "m"][0]
    assert m.confidence > 0.9
    # the same closure heard as n (open teeth, tongue up): the mouth really is in doubt
    nb = [0.2, 0, 0.8, 0, 0]
    track = align.forced_align(post_for([sil] * 10 + [nb] * 10 + [a] * 10 + [sil] * 10), ["m", "a"], refine=0)
    m = [p for p in track.phones if p.phone == "m"][0]
    assert m.confidence < 0.5


def test_calibration_maps_raw_to_measured(tmp_path, monkeypatch):
    from lipsync.inference import recognizer as r

    weights = tmp_path / "visemenet.pt"
    cal = {"knots": [0.0, 0.5, 1.0], "free": {"values": [0.1, 0.3, 0.9]}, "forced": {"values": [0.7, 0.8, 0.99]}}
    (tmp_path / "confidence_calibration.json").write_text(json.dumps(cal))
    track = PhoneTrack([TimedPhone(0, 1, "m", 0.25), TimedPhone(1, 2, "a", 1.0)], 2.0,
                       words=[TimedWord(0, 2, "ma")])
    r.calibrate_confidences(track, "free", str(weights))
    assert [round(p.confidence, 3) for p in track.phones] == [0.2, 0.9]
    assert track.words[0].confidence == track.phones[0].confidence
    # no calibration file: raw confidences stay
    track2 = PhoneTrack([TimedPhone(0, 1, "m", 0.25)], 1.0)
    r.calibrate_confidences(track2, "free", str(tmp_path / "elsewhere" / "w.pt"))
    assert track2.phones[0].confidence == 0.25


def test_shipped_calibration_is_monotone_and_in_range():
    import os

    from lipsync.inference.recognizer import DEFAULT_WEIGHTS

    path = os.path.join(os.path.dirname(DEFAULT_WEIGHTS), "confidence_calibration.json")
    cal = json.load(open(path))
    for mode in ("free", "forced"):
        v = np.asarray(cal[mode]["values"])
        assert np.all(np.diff(v) >= -1e-12) and v.min() >= 0 and v.max() <= 1
