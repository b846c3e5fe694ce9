"""bench/bench_synth_languages.py: the extra languages get their own jobs and are decoded as unknown ("und")."""
import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _bench():
    spec = importlib.util.spec_from_file_location("bench_synth_languages",
                                                  os.path.join(ROOT, "bench", "bench_synth_languages.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_an_unknown_language_is_refused_in_one_line_listing_the_known_ones(capsys):
    with pytest.raises(SystemExit) as exc:
        _bench().main(["--langs", "xx", "ka"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "no espeak-ng voice listed for xx;" in err and " ka," in err and " yue" in err


def test_an_extra_language_is_scored_told_und_with_its_script(capsys, monkeypatch):
    pytest.importorskip("torch")
    pytest.importorskip("babel", reason="optional: babel is a training extra (tools/setup_train.sh)")
    from lipsync.phonemes.recognizers.model import ModelRecognizer

    told = []
    real = ModelRecognizer.recognize_posteriors

    def spy(self, post, transcript=None, language="eng", **kw):
        told.append((transcript is not None, language))
        return real(self, post, transcript, language, **kw)

    monkeypatch.setattr(ModelRecognizer, "recognize_posteriors", spy)
    _bench().main(["--langs", "ka", "--n", "2"])
    out = capsys.readouterr().out
    assert "| ka | yes |" in out and "extra, never trained on (ka): mean acc5" in out
    assert set(told) == {(False, "und"), (True, "ka")}  # audio only as an unknown language; the script in Georgian
