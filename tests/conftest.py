"""Shared test helpers (the suite runs with --import-mode=importlib, so they come as fixtures)."""
import os
from types import SimpleNamespace

import numpy as np
import pytest

SR = 16000
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(ROOT, "sample_scenes")


def _segments(segs, duration):
    """Timed phones cover [0, duration] exactly: contiguous, no empty rows, no two pauses in a row, known phones."""
    from lipsync.phonemes import phoneset
    from lipsync.phonemes.types import SIL

    assert segs[0][0] == 0.0
    assert segs[-1][1] == pytest.approx(duration, abs=1e-9)
    for (s0, e0, p0), (s1, e1, p1) in zip(segs, segs[1:]):
        assert e0 == pytest.approx(s1, abs=1e-9) and s1 < e1
        assert not (p0 == SIL and p1 == SIL)
    assert segs[0][0] < segs[0][1]
    for _, _, p in segs:
        assert phoneset.features(p) is not None, p


def _track(x, segs):
    """A synthesised utterance: float32 mono samples at 16 kHz (over 0.1 s) and rows spanning them."""
    assert x.dtype == np.float32 and x.ndim == 1 and len(x) > SR // 10
    _segments(segs, len(x) / SR)


def _db(x, s, e):
    """Level (dB) of the samples between s and e seconds."""
    a, b = int(s * SR), int(e * SR)
    return 10 * np.log10(np.mean(x[a:b].astype(np.float64) ** 2) + 1e-12)


def _pause_and_vowels(x, segs):
    """The labelled pause inside the sentence is near-silent; the vowels carry energy."""
    from lipsync.phonemes import phoneset
    from lipsync.phonemes.types import SIL

    inner = [(s, e) for s, e, p in segs[1:-1] if p == SIL and e - s >= 0.08]
    assert inner, "no pause for the comma"
    vowels = [(s, e) for s, e, p in segs if p != SIL and phoneset.features(p).kind == "vowel"]
    loud = max(_db(x, s, e) for s, e in vowels)
    for s, e in inner:
        assert _db(x, s + 0.02, e - 0.02) < loud - 30
    for s, e in vowels:
        assert _db(x, s, e) > loud - 25


def _example_frames(x, segs, ex):
    """``make_example``'s frames line up with the rows: one label per frame, every phone on the frames whose
    centres ((t + 0.5) * 10 ms) it covers, and every M/B/P frame targets closed lips."""
    from lipsync.inference import features as F
    from lipsync.training.labels import VISEME_INDEX, phone_class

    T = len(ex["feats"])
    assert T == F.n_frames(len(x)) and len(ex["phone"]) == T == len(ex["vis"]) == len(ex["ctl"])
    for s, e, p in segs:
        a, b = int(np.ceil(round(s / 0.01 - 0.5, 4))), int(np.ceil(round(e / 0.01 - 0.5, 4)))
        if b - a >= 1:
            assert (ex["phone"][a:b] == phone_class(p)).all(), (s, e, p)
    bil = np.isin(ex["phone"], [phone_class(c) for c in "mbp"])
    assert bil.sum() > 5 and (ex["vis"][bil] == VISEME_INDEX["A"]).all()


@pytest.fixture
def synth_checks():
    """Checks for synthesised speech and its labels: segments, track, db, pause_and_vowels, example_frames."""
    return SimpleNamespace(segments=_segments, track=_track, db=_db, pause_and_vowels=_pause_and_vowels,
                           example_frames=_example_frames)


@pytest.fixture(scope="session")
def sample():
    """The bundled sample dialogue: ``wav`` (path), ``text`` (its script) and ``rows`` (its exact phone timings)."""
    rows = []
    with open(os.path.join(SAMPLES, "dialogue.phones.tsv"), encoding="utf-8") as f:
        for line in f:
            s, e, p = line.rstrip("\n").split("\t")
            rows.append((float(s), float(e), p))
    with open(os.path.join(SAMPLES, "dialogue.txt"), encoding="utf-8") as f:
        text = f.read()
    return SimpleNamespace(wav=os.path.join(SAMPLES, "dialogue.wav"), text=text, rows=rows)


def _contiguous(track):
    """A PhoneTrack covers [0, duration] without gaps or empty phones."""
    assert track.phones[0].start == 0.0
    assert track.phones[-1].end == pytest.approx(track.duration)
    for a, b in zip(track.phones, track.phones[1:]):
        assert a.end == pytest.approx(b.start) and a.end > a.start


@pytest.fixture
def contiguous():
    return _contiguous


# ---------------------------------------------------------------- loud, rare skips
# Under LIPSYNC_REQUIRE_ALL=1 (set by .ci/run) a skip is a failure, unless its reason says it is allowed:
#   "optional: ..."  an engine the set-up does not install (festival voices, Piper: tools/setup_train.sh);
#   "no data: ..."   the shared data folder (../shared/data or $LIPSYNC_DATA) is not on this machine.
# Everything else a test needs (bpy, torch, pocketsphinx, allosaurus, librosa, ffmpeg, espeak-ng, flite)
# is installed by tools/setup_env.sh, so skipping for it would hide a broken set-up.
ALLOWED_SKIPS = ("optional:", "no data:")


def _require_all() -> bool:
    return os.environ.get("LIPSYNC_REQUIRE_ALL", "") not in ("", "0")


def _skip_reason(report) -> str:
    lr = report.longrepr
    return str(lr[2]) if isinstance(lr, tuple) and len(lr) == 3 else str(lr)


def _fail_forbidden_skip(report, where):
    reason = _skip_reason(report).removeprefix("Skipped: ")
    if report.skipped and _require_all() and not reason.startswith(ALLOWED_SKIPS):
        report.outcome = "failed"
        report.longrepr = (f"{where} skipped under LIPSYNC_REQUIRE_ALL=1, but the set-up installs what it needs: "
                           f"{reason} (fix tools/setup_env.sh, or tag the reason 'optional:' / 'no data:')")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _fail_forbidden_skip(outcome.get_result(), item.nodeid)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _fail_forbidden_skip(outcome.get_result(), collector.nodeid)

def _run_bpy(script, *args, timeout=600, cwd=None):
    """Run ``script`` (Python using bpy) in a fresh interpreter (bpy keeps global state) with ``args``;
    returns the JSON it printed on a line starting with ``RESULT``."""
    import json
    import subprocess
    import sys

    pytest.importorskip("bpy")
    proc = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    assert proc.returncode == 0 and lines, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(lines[0][6:])


@pytest.fixture(scope="session")
def run_bpy():
    """``run_bpy(script, *args, timeout=, cwd=)``: a bpy script's RESULT JSON, from a fresh interpreter."""
    return _run_bpy
