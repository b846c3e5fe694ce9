"""The fused recogniser: the model's alignment with pocketsphinx's boundaries where the two agree."""
import dataclasses
import os

import numpy as np
import pytest

from lipsync.phonemes.audio import load_audio
from lipsync.phonemes.recognizers import available_recognizers, get_recognizer
from lipsync.training.metrics import boundary_errors

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


@pytest.fixture(scope="module")
def dialogue():
    return load_audio(os.path.join(ROOT, "sample_scenes", "dialogue.wav"))


def test_fused_recognizer(dialogue, contiguous, sample):
    av = available_recognizers()
    if not av["fused"].startswith("ready"):
        pytest.skip(av["fused"])
    from lipsync.phonemes.recognizers.fused import FusedRecognizer

    fused = get_recognizer("fused")
    assert isinstance(fused, FusedRecognizer) and fused.name == "fused"
    text = sample.text
    post = fused.posteriors(dialogue)  # the pipeline's path: posteriors, then decoding
    tr = fused.recognize_posteriors(post, text, duration=dialogue.duration)
    contiguous(tr)
    assert tr.recognizer == "fused" and [w.text.lower() for w in tr.words][:3] == ["mom", "maybe", "bring"]
    model_tr = fused.model.recognize_posteriors(post, text, duration=dialogue.duration)
    ps_tr = fused.pocketsphinx.recognize(dialogue, text)
    assert [p.phone for p in tr.phones] == [p.phone for p in model_tr.phones]  # phones are the model's
    # most boundaries were fused with pocketsphinx's (the two agree on this clean clip)
    moved = [(a.end, b.end) for a, b in zip(tr.phones[:-1], model_tr.phones[:-1]) if abs(a.end - b.end) > 1e-9]
    assert len(moved) > len(tr.phones) // 2
    ref = sample.rows
    err = boundary_errors(ref, [(p.start, p.end, p.phone) for p in tr.phones])
    assert np.median(err) < 0.03 and np.mean(err <= 0.05) > 0.8
    assert all(0.0 <= p.confidence <= 1.0 for p in tr.phones)
    assert not any(p.confidence > q.confidence + 1e-9 for p, q in zip(tr.phones, model_tr.phones))
    # without a transcript: the model alone
    free = fused.recognize_posteriors(post, None, duration=dialogue.duration)
    assert [p.phone for p in free.phones] == [p.phone for p in fused.model.recognize_posteriors(
        post, None, duration=dialogue.duration).phones]
    # posteriors whose audio is unknown: the model's alignment, with a warning that says so
    other = dataclasses.replace(post)  # same values, but not the object posteriors() returned
    tr2 = fused.recognize_posteriors(other, text, duration=dialogue.duration)
    assert any("pocketsphinx was not run" in w for w in tr2.warnings)
    assert [p.end for p in tr2.phones] == pytest.approx([p.end for p in model_tr.phones])
    assert ps_tr.words  # pocketsphinx did align this clip
