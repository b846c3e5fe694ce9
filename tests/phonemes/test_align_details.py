"""Details of the aligners checked against values worked out by hand: the posteriors that CTC spikes become
before they are force-aligned, the fused boundaries, the free decoder's segments."""
import numpy as np
import pytest

from lipsync.phonemes.align import ctc
from lipsync.phonemes.types import SIL, FramePosteriors, PhoneTrack, TimedPhone

L = np.log


def _ctc_post(labels, p_blank, split, extreme=()):
    """Per frame: blank probability p_blank[t], the rest shared between the other two labels as split : 1 - split.
    Frames in ``extreme`` hold a certain blank (log 0) and the others at about -800 (exp underflows to 0)."""
    rows = []
    for t, pb in enumerate(p_blank):
        if t in extreme:
            rows.append([0.0, -800.0, -800.0 + L((1 - split) / split)])
        else:
            rows.append([L(pb), L((1 - pb) * split), L((1 - pb) * (1 - split))])
    return FramePosteriors(list(labels), np.array(rows, np.float64), hop=0.05, source="s.wav")


def _capture(monkeypatch):
    got = {}

    def fake(fp, phones, words, **kw):
        got.update(fp=fp, phones=phones, words=words, **kw)
        return "aligned"

    monkeypatch.setattr(ctc, "forced_align", fake)
    return got


def test_spikes_become_renormalised_phones_and_a_silence_score(monkeypatch):
    """hop 50 ms: a frame is speech when a spike lies within round(0.06 / 0.05) = 1 frame (a 3-frame maximum).
    1 - p_blank = [0, .1, .1, .8, .1, 0, 0] -> speech [.1, .1, .8, .8, .8, .1, 0] -> silence [.9, .9, .2, .2, .2,
    .9, 1 -> 0.9999 (clipped)]; the phones keep their 3 : 1 share of the non-blank mass, even on frames where
    every phone's probability underflows (frames 0, 5, 6)."""
    got = _capture(monkeypatch)
    post = _ctc_post(["<blk>", "a", "p"], [1, 0.9, 0.9, 0.2, 0.9, 1, 1], 0.75, extreme=(0, 5, 6))
    assert ctc.spikes_to_segments(post, min_duration=0.07) == "aligned"
    assert got["phones"] == ["a"]  # the greedy decoding: one spike of "a" (frame 3)
    assert got["words"] == [("", 1)]
    assert got["fp"].labels == ["a", "p", SIL] and got["fp"].hop == 0.05 and got["fp"].source == "s.wav"
    assert got["fp"].log_probs.dtype == np.float32
    p_sil = np.array([0.9, 0.9, 0.2, 0.2, 0.2, 0.9, 0.9999])
    want = np.stack([L(0.75) + L(1 - p_sil), L(0.25) + L(1 - p_sil), L(p_sil)], axis=1)
    assert np.allclose(got["fp"].log_probs, want, atol=1e-4)
    assert {k: got[k] for k in ("optional_silence", "min_duration", "duration", "recognizer", "language",
                                "silence_penalty")} == {"optional_silence": True, "min_duration": 0.07,
                                                        "duration": pytest.approx(0.35), "recognizer": "", "language": "eng",
                                                        "silence_penalty": 1.0}


def test_spikes_with_a_silence_label_and_quiet_audio_evidence(monkeypatch):
    """The inventory's own silence label takes the silence score; evidence (clipped to 0..1, padded with its last
    value) is averaged in: raw silence [.9, .9, .2, .2, .2, .9, .9], evidence [0, 1, .4, 0, .2, .2, .2] ->
    [.45, .95, .3, .1, .2, .55, .55]."""
    got = _capture(monkeypatch)
    post = _ctc_post(["<blk>", "a", "sil"], [0.9, 0.9, 0.9, 0.2, 0.9, 0.9, 0.9], 0.6)
    ctc.spikes_to_segments(post, silence_evidence=np.array([0.0, 1.5, 0.4, 0.0, 0.2]), duration=0.4,
                           recognizer="allosaurus", language="xyz")
    assert got["phones"] == ["a"] and got["fp"].labels == ["a", SIL]
    p_sil = np.array([0.45, 0.95, 0.3, 0.1, 0.2, 0.55, 0.55])
    want = np.stack([L(0.6) + L(1 - p_sil), L(p_sil)], axis=1)
    assert np.allclose(got["fp"].log_probs, want, atol=1e-5)
    assert (got["duration"], got["recognizer"], got["language"]) == (0.4, "allosaurus", "xyz")


def test_ctc_greedy_keeps_a_phone_on_the_first_frame_and_label_one_without_a_blank():
    lp = np.log(np.array([[0.1, 0.8, 0.1], [0.1, 0.8, 0.1], [0.8, 0.1, 0.1], [0.1, 0.1, 0.8]], np.float32))
    assert ctc.ctc_greedy(FramePosteriors(["<blk>", "m", "a"], lp)) == [(0, "m"), (3, "a")]
    # no blank label: label 1 is a phone like any other
    assert ctc.ctc_greedy(FramePosteriors(["x", "m", "a"], lp)) == [(0, "m"), (2, "x"), (3, "a")]
