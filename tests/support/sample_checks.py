"""Shared test helpers (importable from every test file: pyproject's pytest ``pythonpath`` holds tests/support).

- the bundled sample dialogue as visemes (``dialogue_track``), with the sample folder and its frame rate;
- ``assert_changes_every_second``: the drawing-per-frame check of the 2D tests (a mouth that moves).
"""
import os

from lipsync.phonemes.types import PhoneTrack, TimedPhone
from lipsync.phonemes.visemes import phones_to_visemes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLES = os.path.join(ROOT, "sample_scenes")
FPS = 24


def dialogue_track():
    """The sample dialogue's exact phone timings (sample_scenes/dialogue.phones.tsv) as a VisemeTrack."""
    with open(os.path.join(SAMPLES, "dialogue.phones.tsv"), encoding="utf-8") as f:
        rows = [ln.split("\t") for ln in f.read().strip().splitlines()]
    pt = PhoneTrack([TimedPhone(float(a), float(b), c.strip()) for a, b, c in rows], float(rows[-1][1]))
    return phones_to_visemes(pt)


def runs_of(values):
    """[[value, how many frames in a row], ...] of a per-frame sequence."""
    runs = []
    for v in values:
        if runs and runs[-1][0] == v:
            runs[-1][1] += 1
        else:
            runs.append([v, 1])
    return runs


def assert_changes_every_second(letters, speech_seconds, fps=FPS, rest="X"):
    """The drawing shown per frame (``letters``) changes at least once per second of speech: no spoken drawing
    is held ``fps`` frames or more, and there are at least as many changes as seconds of speech."""
    runs = runs_of(letters)
    assert max(n for v, n in runs if v != rest) < fps, runs
    assert len(runs) - 1 >= speech_seconds, (len(runs), speech_seconds)
