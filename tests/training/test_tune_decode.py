"""training.tune_decode: per-source scores and the pooling grid's bounds (no caches needed)."""
import numpy as np
import pytest

from lipsync.phonemes.types import FramePosteriors
from lipsync.training import tune_decode as T

LABELS = ["sil", "m", "n", "ŋ", "t", "a"]


def _item(source):
    rest = [0.94, 0.02, 0.01, 0.01, 0.01, 0.01]
    mid = [0.05, 0.40, 0.25, 0.20, 0.10, 0.0]
    lp = np.log(np.maximum(np.array([rest] * 5 + [mid] * 8 + [rest] * 5, np.float32), 1e-6))
    ref = [(0.0, 0.05, "sil"), (0.05, 0.13, "n"), (0.13, 0.18, "sil")]
    return ref, 0.18, FramePosteriors(LABELS, lp), source


def test_score_reports_each_source_and_pooling_moves_the_mouth_class():
    items = [_item("eng"), _item("und")]
    off, _f1_off, per_off = T.score(items, min_frames=2, switch_penalty=0.0, viseme_weight=0.0, closure_bias=0.0,
                                   class_pool=0.0)
    on, _f1, per_on = T.score(items, min_frames=2, switch_penalty=0.0, viseme_weight=0.0, closure_bias=0.0,
                              class_pool=0.7)
    assert set(per_off) == {"eng", "und"}
    assert on["acc5"] > off["acc5"] and per_on["eng"] > per_off["eng"]
    assert off["closure_precision"] == 0.0  # the phone vote closed the lips on an /n/; the class vote did not


@pytest.mark.parametrize("bad", ["1.5", "-0.1"])
def test_pooling_weights_outside_0_to_1_are_refused_in_one_line(bad, capsys):
    with pytest.raises(SystemExit) as exc:
        T.main(["--class-pool", bad])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].endswith(f"--class-pool takes weights from 0 to 1, not {float(bad)}")


def test_missing_caches_say_how_to_build_them(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        T.main(["--cache", str(tmp_path), "--n", "1"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "is missing: build the training caches first" in err and "Traceback" not in err
