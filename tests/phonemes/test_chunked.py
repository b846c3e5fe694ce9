"""Long clips: block-by-block audio, window-by-window analysis equal to the whole clip's away from seams.

The long clip is the sample dialogue five times over (about 56 s), analysed whole and with 20 s
windows (10 s overlap; the model's windows follow its 10 s network chunks), so two seams fall inside
speech; pocketsphinx gets it twice over (about 22 s) in 8 s windows (3 s overlap).
"""
import os
import shutil
import subprocess

import numpy as np
import pytest
import soundfile as sf

from lipsync import pipeline
from lipsync.inference import features as F
from lipsync.phonemes.audio import ArraySource, frame_rms, load_audio, open_audio, rms_envelope
from lipsync.phonemes.chunked import join, make_plan, pseudo_posteriors
from lipsync.phonemes.types import SIL, Audio, PhoneTrack, TimedPhone

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WAV = os.path.join(ROOT, "sample_scenes", "dialogue.wav")
TXT = os.path.join(ROOT, "sample_scenes", "dialogue.txt")
LAYOUT = {"model": (5, 20.0, 10.0), "pocketsphinx": (2, 8.0, 3.0)}  # repeats, chunk, overlap


# ---------------------------------------------------------------- audio, block by block
@pytest.mark.parametrize("sr,subtype", [(16000, "PCM_16"), (22050, "PCM_24"), (44100, "FLOAT"), (48000, "PCM_16"),
                                        (48000, "VORBIS")])
def test_source_blocks_and_windows_equal_load_audio(tmp_path, sr, subtype):
    rng = np.random.default_rng(sr)
    x = (0.3 * rng.standard_normal((int(sr * 4.3), 2))).astype(np.float32)
    if subtype == "FLOAT":
        x *= 3  # over full scale: load_audio scales by the peak, and so must the stream
    p = tmp_path / ("a.ogg" if subtype == "VORBIS" else "a.wav")
    sf.write(p, x, sr, subtype=subtype)
    whole = load_audio(str(p)).samples
    src = open_audio(str(p))
    assert np.array_equal(np.concatenate(list(src.blocks())), whole)
    size, ov = 16000, 3000
    wins = list(src.windows(lambda k: (max(0, k * size - ov), (k + 1) * size + ov)))
    assert wins[-1].at_end and not any(w.at_end for w in wins[:-1])
    assert src.n_samples == len(whole) and src.exact
    for w in wins:
        assert np.array_equal(w.audio.samples, whole[w.start: w.stop])


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_source_through_ffmpeg(tmp_path):
    src_wav = tmp_path / "a.wav"
    sf.write(src_wav, (0.2 * np.random.default_rng(0).standard_normal(44100 * 3)).astype(np.float32), 44100)
    m4a = tmp_path / "a.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src_wav), "-c:a", "aac", str(m4a)], check=True)
    src = open_audio(str(m4a))
    assert type(src).__name__ == "FFmpegSource"
    assert np.array_equal(src.load().samples, load_audio(str(m4a)).samples)


def test_window_features_and_loudness_equal_the_whole_clip():
    x = load_audio(WAV).samples
    n = len(x)
    whole, rms = F.log_mel(x), rms_envelope(Audio(x, 16000))
    for first, count in [(0, 300), (257, 400), (len(whole) - 120, 120)]:
        a, b = F.frame_span(first, count, n)
        # equal up to float32 rounding (FFT and matrix products on another length differ in the last bits)
        np.testing.assert_allclose(F.log_mel_frames(x[a:b], a, first, count, n), whole[first: first + count],
                                   atol=1e-4, rtol=0)
        a = max(0, first * 160 - 200)
        got = frame_rms(x[a:], a, first, count, n)
        assert np.allclose(got, rms[first: first + count], atol=1e-6)


# ---------------------------------------------------------------- joining free decodings
def _ph(*rows):
    return [TimedPhone(s, e, p, c) for s, e, p, c in rows]


def test_join_at_a_phone_both_found():
    a = _ph((0, 1, "a", .9), (1, 2, "b", .9), (2, 3, "c", .9), (3, 3.5, "d", .2))
    b = _ph((1.5, 2, "x", .5), (2, 3, "c", .8), (3, 4, "e", .9))
    kept, rest = join(a, b, 1.5, 3.2, 2.5)
    assert [p.phone for p in kept] == ["a", "b", "c"] and [p.phone for p in rest] == ["e"]


def test_join_inside_a_phone_both_hear_never_splits_or_doubles_it():
    a = _ph((0, 1, "a", .9), (1, 2.4, "o", .7), (2.4, 2.6, "q", .1))
    b = _ph((1.2, 1.8, "z", .3), (1.8, 3, "o", .9), (3, 4, "e", .9))
    kept, rest = join(a, b, 1.5, 2.5, 2.0)
    assert [(p.phone, p.start, p.end) for p in kept] == [("a", 0, 1), ("o", 1, 3)]
    assert [p.phone for p in rest] == ["e"]


def test_join_where_the_windows_disagree_keeps_phones_contiguous():
    a = _ph((0, 1, "a", .9), (1, 2.05, "b", .9), (2.05, 3, "c", .9))
    b = _ph((1, 1.9, "x", .9), (1.9, 2.5, "y", .9), (2.5, 4, "z", .9))
    kept, rest = join(a, b, 1.5, 2.5, 2.0)
    joined = kept + rest
    assert [p.phone for p in joined] == ["a", "b", "y", "z"]
    assert all(abs(p.end - q.start) < 1e-9 for p, q in zip(joined, joined[1:]))


def test_plan_follows_the_model_grid():
    class Rec:
        chunk_grid, chunk_context = 10.0, 1.05

    plan = make_plan(Rec(), 25, 3)
    assert plan.chunk % 1000 == 0 and plan.overlap % 1000 == 0 and plan.chunk >= 2 * plan.overlap
    assert plan.context == 16800


def test_pseudo_posteriors_favour_the_recognised_phone():
    track = PhoneTrack(_ph((0, 0.2, SIL, 1), (0.2, 0.5, "m", .8), (0.5, 1.0, "ɑ", .8)), 1.0)
    post = pseudo_posteriors(track, 100)
    best = [post.labels[i] for i in post.log_probs.argmax(1)]
    assert best[5] == SIL and best[30] == "m" and best[80] == "ɑ"
    assert np.allclose(np.exp(post.log_probs).sum(1), 1, atol=1e-5)


# ---------------------------------------------------------------- whole clip vs windows
@pytest.fixture(scope="module")
def one_thread():
    try:  # one torch thread: on a shared two-core machine the GRU's thread hand-offs cost more than they save
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
    except ImportError:
        torch = None
    yield
    if torch is not None:
        torch.set_num_threads(threads)


def _both(recognizer, with_text):
    """(whole-clip analysis, windowed analysis, transcript, seams) for ``recognizer``'s layout."""
    from lipsync.phonemes.recognizers import get_recognizer

    repeat, chunk, overlap = LAYOUT[recognizer]
    a = load_audio(WAV)
    clip = Audio(np.concatenate([np.concatenate([a.samples, np.zeros(8000, np.float32)])] * repeat), 16000, "x")
    text = " ".join([open(TXT, encoding="utf-8").read().strip()] * repeat) if with_text else None
    rec = get_recognizer(recognizer)
    whole = pipeline.analyze(clip, transcript=text, recognizer=rec)
    windows = pipeline.analyze(ArraySource(clip), transcript=text, recognizer=rec, chunk_seconds=chunk,
                               overlap_seconds=overlap)
    assert windows.timings["windows"] == 3 and "windows" not in whole.timings
    return whole, windows, text, [chunk, 2 * chunk]


def _away(track, seams, margin):
    return [(p.phone, round(p.start, 6), round(p.end, 6), round(p.confidence, 4)) for p in track.phones
            if all(abs(p.start - s) > margin and abs(p.end - s) > margin for s in seams)]


def _same_phones(got, want):
    """The same phones in the same order; times within 10 microseconds (float rounding of the boundary
    refinement differs between CPUs' vector units, never by a fraction of a 10 ms frame)."""
    assert [p[0] for p in got] == [p[0] for p in want]
    np.testing.assert_allclose(np.array([p[1:] for p in got]), np.array([p[1:] for p in want]), atol=1e-5)


def _same_mouths(got, want):
    """Free decoding chooses its path with mouth classes pooled (``runtime.pool_classes``): two phones of one
    class (w and u, both rounded) nearly tie, and float rounding of the windowed posteriors (within 1e-5) can
    move the boundary between them by one 10 ms frame. So: the same phones in the same order; every boundary
    within 10 microseconds, or within one frame where the phones on both sides show the same mouth class (that
    phone's confidence may then differ); nothing else moves."""
    from lipsync.phonemes.visemes import visual_class_for_phone as mouth_class

    assert [p[0] for p in got] == [p[0] for p in want]
    moved = 0
    for i, (g, w) in enumerate(zip(got, want)):
        for k, nb in ((1, i - 1), (2, i + 1)):
            if abs(g[k] - w[k]) > 1e-5:
                assert abs(g[k] - w[k]) <= 0.0101, (g, w)
                assert 0 <= nb < len(got) and mouth_class(got[nb][0]) == mouth_class(g[0]), (got[nb], g)
                moved += 1
        if all(abs(g[k] - w[k]) <= 1e-5 for k in (1, 2)):
            assert abs(g[3] - w[3]) <= 1e-4, (g, w)
    assert moved <= 4, moved  # a rare near-tie, not a different decoding


def _no_seam_artefacts(track, seams, contiguous):
    contiguous(track)
    for s in seams:
        near = [p for p in track.phones if s - 3 < p.start < s + 3]
        assert all(p.end - p.start >= 0.0099 for p in near), [(p.phone, p.start, p.end) for p in near]


@pytest.mark.slow
@pytest.mark.parametrize("with_text", [False, True])
def test_model_windows_equal_the_whole_clip(one_thread, contiguous, with_text):
    pytest.importorskip("torch")
    whole, windows, text, seams = _both("model", with_text)
    # away from the seams: the same phones, times and confidences (here even at them); free decoding: up to a
    # frame between two phones of one mouth class
    same = _same_phones if with_text else _same_mouths
    same(_away(windows.phones, seams, LAYOUT["model"][2] / 2), _away(whole.phones, seams, LAYOUT["model"][2] / 2))
    _no_seam_artefacts(windows.phones, seams, contiguous)
    assert len(windows.phones.phones) == len(whole.phones.phones)
    np.testing.assert_allclose(windows.visemes.controls, whole.visemes.controls, atol=1e-5)
    np.testing.assert_allclose(windows.loudness, whole.loudness, atol=1e-5)
    if with_text:
        assert [w.text for w in windows.phones.words] == [w.text for w in whole.phones.words]
        np.testing.assert_allclose([w.start for w in windows.phones.words], [w.start for w in whole.phones.words],
                                   atol=1e-5)


def _frame_agreement(a, b, hop=0.01):
    from lipsync.phonemes.confidence import frame_phones

    fa, fb = frame_phones(a, hop), frame_phones(b, hop)
    n = min(len(fa), len(fb))
    return float(np.mean([x == y for x, y in zip(fa[:n], fb[:n])]))


@pytest.mark.slow
@pytest.mark.parametrize("with_text", [False, True])
def test_pocketsphinx_windows_agree_with_the_whole_clip(contiguous, with_text):
    """pocketsphinx normalises each window's cepstra on its own, so agreement, not identity."""
    pytest.importorskip("pocketsphinx")
    whole, windows, text, seams = _both("pocketsphinx", with_text)
    _no_seam_artefacts(windows.phones, seams, contiguous)
    assert _frame_agreement(windows.phones, whole.phones) > 0.9
    if with_text:  # every word placed once, in order
        assert [w.text.lower() for w in windows.phones.words] == [w.text.lower() for w in whole.phones.words]
