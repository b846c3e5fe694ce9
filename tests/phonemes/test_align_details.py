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


# ---------------------------------------------------------------- fusion
def _fz(rows, words=()):
    from lipsync.phonemes.types import TimedWord

    return PhoneTrack([TimedPhone(s, e, p, 0.9, w) for s, e, p, w in rows], rows[-1][1],
                      words=[TimedWord(s, e, t) for s, e, t in words])


def _shifted(rows, dt):
    """The same phones with every inner boundary dt later (no words)."""
    return _fz([(s + dt if i else s, e + dt if i + 1 < len(rows) else e, p, None)
                for i, (s, e, p, _w) in enumerate(rows)])


def _spans(track):
    return [(round(p.start, 6), round(p.end, 6)) for p in track.phones]


def test_fusion_defaults_average_halfway_within_60_ms():
    from lipsync.phonemes.align import fuse_tracks

    a = _fz([(0, .10, SIL, None), (.10, .20, "m", None), (.20, .30, "a", None)])
    b = _fz([(0, .14, SIL, None), (.14, .40, "m", None), (.40, .50, "a", None)])
    out, agreed = fuse_tracks(a, b)  # 40 ms apart: averaged (weight 0.5); 200 ms apart: kept
    assert agreed.tolist() == [True, False]
    assert _spans(out) == [(0, .12), (.12, .2), (.2, .3)]
    # a single boundary (two phones) is fused too
    out, agreed = fuse_tracks(_fz([(0, .1, "m", None), (.1, .3, "a", None)]),
                              _fz([(0, .13, "m", None), (.13, .3, "a", None)]))
    assert agreed.tolist() == [True] and _spans(out) == [(0, .115), (.115, .3)]


def test_fusion_with_an_empty_secondary_changes_nothing_not_even_the_words():
    from lipsync.phonemes.align import fuse_tracks

    a = _fz([(0, .1, "m", "ma"), (.1, .3, "a", "ma")], words=[(0.02, 0.28, "ma")])
    out, agreed = fuse_tracks(a, PhoneTrack([], 0.3))
    assert agreed.tolist() == [False] and _spans(out) == [(0, .1), (.1, .3)]
    assert [(w.start, w.end) for w in out.words] == [(0.02, 0.28)]


def test_fusion_matches_long_repetitive_sequences():
    """200 phones alternating m/a (each far more common than 1 %), the primary with a leading pause the secondary
    lacks: difflib's automatic junk heuristic must be off, or no phone would match and nothing would be fused."""
    from lipsync.phonemes.align import fuse_tracks

    alt = [(0.05 + i * 0.01, 0.05 + (i + 1) * 0.01, "ma"[i % 2], None) for i in range(200)]
    primary = _fz([(0.0, 0.05, SIL, None)] + alt)
    secondary = _fz([(0.0 if i == 0 else s + 0.004, e + 0.004 if i < 199 else e, p, None)
                     for i, (s, e, p, _w) in enumerate(alt)])
    out, agreed = fuse_tracks(primary, secondary)
    assert agreed.tolist() == [False] + [True] * 199  # sil|m has no counterpart
    ends = [p.end for p in out.phones[:-1]]
    assert ends == pytest.approx([0.05] + [0.05 + (i + 1) * 0.01 + 0.002 for i in range(199)])


def test_fusion_clips_to_one_millisecond_past_the_previous_boundary_and_before_the_next():
    from lipsync.phonemes.align import fuse_tracks

    a = _fz([(0, .10, SIL, None), (.10, .20, "t", None), (.20, .30, "a", None)])
    # t|a pulled to 0.5 ms after sil|t: t keeps 1 ms
    out, _ = fuse_tracks(a, _fz([(0, .10, SIL, None), (.10, .1005, "t", None), (.1005, .30, "a", None)]),
                         weight=1.0, max_gap=0.2)
    assert _spans(out) == [(0, .1), (.1, .101), (.101, .3)]
    # sil|t pulled past t|a's time in the primary (0.2): stops 1 ms before it
    out, _ = fuse_tracks(a, _fz([(0, .25, SIL, None), (.25, .26, "t", None), (.26, .30, "a", None)]),
                         weight=1.0, max_gap=0.2)
    assert _spans(out) == [(0, .199), (.199, .26), (.26, .3)]


def test_fused_words_follow_their_own_phones_in_order():
    """Words start at their first and end at their last phone: a word on the very first and on the very last
    phone, words with no pause between them, a word absent from the word list (ta) in between."""
    from lipsync.phonemes.align import fuse_tracks

    rows = [(0, .1, "m", "ma"), (.1, .2, "a", "ma"), (.2, .3, "p", "pa"), (.3, .4, "a", "pa"), (.4, .5, SIL, None),
            (.5, .6, "t", "ta"), (.6, .7, "a", "ta"), (.7, .8, "m", "ma"), (.8, .9, "a", "ma")]
    a = _fz(rows, words=[(0, .2, "ma"), (.2, .4, "pa"), (.7, .9, "ma")])
    out, agreed = fuse_tracks(a, _shifted(rows, 0.02))  # every boundary 10 ms later
    assert agreed.all()
    assert [(round(w.start, 6), round(w.end, 6), w.text) for w in out.words] == [
        (0, .21, "ma"), (.21, .41, "pa"), (.71, .9, "ma")]


def test_a_repeated_word_takes_its_own_phones_and_a_word_without_phones_keeps_its_times():
    from lipsync.phonemes.align import fuse_tracks

    rows = [(0, .1, SIL, None), (.1, .2, "m", "ma"), (.2, .3, "a", "ma"), (.3, .4, SIL, None), (.4, .5, "m", "ma"),
            (.5, .6, "a", "ma"), (.6, .7, SIL, None)]
    a = _fz(rows, words=[(.1, .3, "ma"), (.4, .6, "ma"), (.65, .7, "ma")])
    out, _ = fuse_tracks(a, _shifted(rows, 0.02))
    assert [(round(w.start, 6), round(w.end, 6)) for w in out.words] == [(.11, .31), (.41, .61), (.65, .7)]


# ---------------------------------------------------------------- free decoding
def _dec(labels, rows, hop=0.01):
    return FramePosteriors(list(labels), np.array(rows, np.float32), hop=hop)


def _segs(track):
    return [(round(p.start, 6), round(p.end, 6), p.phone) for p in track.phones]


def test_decode_defaults_three_frames_and_a_switch_penalty_of_one():
    """Three frames of "a" in silence gain 3 x 1.2 = 3.6 against two switches (2 x 1.0): kept. A switch penalty of
    2 (4 > 3.6) would give all silence, a 4-frame minimum a 4-frame "a" (gain 2.4 > 2)."""
    from lipsync.phonemes.align import decode

    s, a = [0.0, -1.2], [-1.2, 0.0]
    tr = decode(_dec(["sil", "a"], [s, s, s, a, a, a, s, s, s]))
    assert _segs(tr) == [(0, .03, SIL), (.03, .06, "a"), (.06, .09, SIL)]
    assert (tr.recognizer, tr.language, tr.duration) == ("", "eng", pytest.approx(0.09))


def test_decode_one_frame_minimum_switches_on_the_second_frame():
    from lipsync.phonemes.align import decode

    s, a = np.log([0.9, 0.1]), np.log([0.1, 0.9])
    assert _segs(decode(_dec(["sil", "a"], [s, a, a]), min_frames=1, switch_penalty=0.5)) == [
        (0, .01, SIL), (.01, .03, "a")]
    # per-label minimums (phones 1, silence 2): the same on the general path
    a3, i3 = [-5.0, 0.0, -5.0], [-5.0, -5.0, 0.0]
    assert _segs(decode(_dec(["sil", "a", "i"], [a3, i3, i3, i3]), min_frames=1, switch_penalty=0.5,
                        silence_min_frames=2)) == [(0, .01, "a"), (.01, .04, "i")]


def test_decode_switch_penalty_on_the_general_path():
    """Frame 2 prefers i by 0.5, but a -> i -> a costs two switches (2.0): the path stays on a."""
    from lipsync.phonemes.align import decode

    a3 = [-5.0, 0.0, -5.0]
    rows = [a3, a3, [-5.0, -1.0, -0.5], a3]
    assert _segs(decode(_dec(["sil", "a", "i"], rows), min_frames=1, switch_penalty=1.0,
                        silence_min_frames=2)) == [(0, .04, "a")]
    # with no penalty the short i is taken
    assert _segs(decode(_dec(["sil", "a", "i"], rows), min_frames=1, switch_penalty=0.0,
                        silence_min_frames=2)) == [(0, .02, "a"), (.02, .03, "i"), (.03, .04, "a")]


def test_decode_a_one_frame_silence_when_asked_for():
    from lipsync.phonemes.align import decode

    a, s = [-10.0, 0.0], [0.0, -10.0]
    got = decode(_dec(["sil", "a"], [a, a, a, s, a, a, a]), min_frames=3, silence_min_frames=1)
    assert _segs(got) == [(0, .03, "a"), (.03, .04, SIL), (.04, .07, "a")]


def test_decode_shapes_one_label_and_a_shorter_duration():
    from lipsync.errors import AlignmentError
    from lipsync.phonemes.align import decode

    assert _segs(decode(_dec(["a"], [[0.0]] * 4))) == [(0, .04, "a")]  # a one-label inventory
    with pytest.raises(AlignmentError) as e:
        decode(FramePosteriors(["a"], np.zeros(3, np.float32)))  # 1-D
    assert str(e.value) == "log_probs must be [frames, 1], got (3,)"
    with pytest.raises(AlignmentError) as e:
        decode(FramePosteriors(["a", "b"], np.zeros((3, 3), np.float32)))
    assert str(e.value) == "log_probs must be [frames, 2], got (3, 3)"
    # the clip ends inside the last frame: the last phone ends with the clip
    assert _segs(decode(_dec(["a"], [[0.0]] * 10), duration=0.095)) == [(0, .095, "a")]


def test_decode_joins_two_labels_of_one_sound_and_goes_on():
    from lipsync.phonemes.align import decode

    g, g2, s = [0.0, -10.0, -10.0], [-10.0, 0.0, -10.0], [-10.0, -10.0, 0.0]
    got = decode(_dec(["g", "ɡ", "sil"], [g, g, g, g2, g2, g2, s, s, s]))
    assert _segs(got) == [(0, .06, "ɡ"), (.06, .09, SIL)]
