"""Shared accuracy measures and corpus readers."""
import os

import numpy as np
import pytest

from lipsync.training import datasets, metrics
from lipsync.phonemes.types import SIL

REF = [(0.0, 0.2, SIL), (0.2, 0.3, "m"), (0.3, 0.5, "ɑ"), (0.5, 0.6, "p"), (0.6, 0.8, "u"), (0.8, 1.0, SIL)]


def test_identical_is_perfect():
    t = metrics.Tally()
    t.add(REF, REF, 1.0)
    s = t.summary()
    assert s["acc9"] == s["acc5"] == 1.0
    assert s["closure_recall"] == s["closure_precision"] == 1.0
    assert s["boundary_median_ms"] == 0.0


def test_shift_moves_boundaries_and_accuracy():
    hyp = [(s + 0.03 if s else s, e + 0.03 if e < 1.0 else e, p) for s, e, p in REF]
    errs = metrics.boundary_errors(REF, hyp)
    assert np.allclose(errs, 0.03)
    acc = metrics.viseme_accuracy(REF, hyp, 1.0)
    assert 0.8 < acc["acc9"] < 0.9


def test_missing_closure_lowers_recall_and_wrong_closure_lowers_precision():
    hyp = [(0.0, 0.2, SIL), (0.2, 0.5, "ɑ"), (0.5, 0.6, "p"), (0.6, 0.7, "u"), (0.7, 0.8, "b"), (0.8, 1.0, SIL)]
    b = metrics.bilabial_closure(REF, hyp, 1.0)
    assert b["ref"] == 2 and b["ref_hit"] == 1
    assert b["hyp"] == 2 and b["hyp_good"] == 1


def test_five_classes_forgive_within_class_confusion():
    hyp = [(0.0, 0.2, SIL), (0.2, 0.3, "m"), (0.3, 0.5, "ɛ"), (0.5, 0.6, "p"), (0.6, 0.8, "o"), (0.8, 1.0, SIL)]
    acc = metrics.viseme_accuracy(REF, hyp, 1.0)  # ɑ (D) vs ɛ (C): both "open"
    assert acc["acc5"] == 1.0 and acc["acc9"] < 1.0


SHARED = os.path.isdir(datasets.data_root())


@pytest.mark.skipif(not SHARED, reason=f"no data: the shared data folder {datasets.data_root()} is not here (set LIPSYNC_DATA)")
def test_splits_never_share_prompts_or_speakers():
    tr = {datasets.cathy_prompt_id(u.id) for u in datasets.load_corpus("cathy", "train")}
    dv = {datasets.cathy_prompt_id(u.id) for u in datasets.load_corpus("cathy", "dev")}
    assert tr and dv and not (tr & dv)
    so_tr = {u.speaker for u in datasets.load_corpus("speechocean762", "train")}
    so_dv = {u.speaker for u in datasets.load_corpus("speechocean762", "dev")}
    assert so_tr and so_dv and not (so_tr & so_dv)


@pytest.mark.skipif(not SHARED, reason=f"no data: the shared data folder {datasets.data_root()} is not here (set LIPSYNC_DATA)")
def test_dev_sets_refuse_training():
    for name in ("dev_real", "librispeech_dev", "ravdess_dev"):
        with pytest.raises(ValueError, match="never train"):
            datasets.load_corpus(name, "train")


@pytest.mark.skipif(not SHARED, reason=f"no data: the shared data folder {datasets.data_root()} is not here (set LIPSYNC_DATA)")
def test_dev_real_readers_give_ipa_phones():
    utts = datasets.load_corpus("dev_real")
    assert {u.corpus for u in utts} == {f"dev_real/{g}" for g in datasets.DEV_REAL_GROUPS}
    from lipsync.phonemes.phoneset import features

    for u in utts:
        assert os.path.exists(u.audio_path)
        assert u.phones and u.text
        for s, e, p in u.phones:
            assert e >= s
            assert features(p) is not None, (u.id, p)
