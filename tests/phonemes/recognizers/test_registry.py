"""The recogniser registry: every name, its status, the auto choice, unknown names."""
import pytest

from lipsync.errors import RecognizerError
from lipsync.phonemes.recognizers import available_recognizers, get_recognizer


def test_registry():
    av = available_recognizers()
    assert set(av) == {"auto", "model", "pocketsphinx", "allosaurus", "fused"}
    assert av["pocketsphinx"].startswith("ready")
    # the set-up installs torch and the weights ship: the model is ready and auto uses it with pocketsphinx
    assert av["model"].startswith("ready"), av["model"]
    assert av["auto"] == "ready (uses fused)"
    with pytest.raises(RecognizerError, match="unknown recogniser 'nope'"):
        get_recognizer("nope")
    both = av["model"].startswith("ready") and av["pocketsphinx"].startswith("ready")
    assert av["fused"].startswith("ready") == both
    assert get_recognizer("auto").name == ("fused" if both else "model" if av["model"].startswith("ready")
                                           else "pocketsphinx")


def test_every_recogniser_is_one_entry_that_the_cli_and_the_addon_read():
    from lipsync import cli
    from lipsync.phonemes.recognizers import RECOGNIZER_NAMES, REGISTRY, PosteriorRecognizer, Recognizer

    assert list(REGISTRY) == list(RECOGNIZER_NAMES)
    for info in REGISTRY.values():
        assert info.label and info.description and callable(info.status) and callable(info.build)
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices
    for cmd in ("analyze", "animate"):
        opt = next(a for a in sub[cmd]._actions if a.dest == "recognizer")
        assert list(opt.choices) == list(RECOGNIZER_NAMES)
    # the add-on's menu and its "no recogniser installed" line are made from the same table
    props = open(__import__("lipsync.addon", fromlist=["x"]).__path__[0] + "/properties.py").read()
    prefs = open(__import__("lipsync.addon", fromlist=["x"]).__path__[0] + "/preferences.py").read()
    assert "RECOGNIZERS.values()" in props and "RECOGNIZERS.values()" in prefs
    # the built recognisers are of the kind the pipeline asks for (no duck typing)
    rec = get_recognizer("pocketsphinx")
    assert isinstance(rec, Recognizer) and not isinstance(rec, PosteriorRecognizer)
    if available_recognizers()["model"].startswith("ready"):
        assert isinstance(get_recognizer("model"), PosteriorRecognizer)


def test_a_missing_model_is_reported_not_replaced(monkeypatch):
    """The model's status failing makes 'model' refuse with the reason, and 'auto' says what it uses."""
    from lipsync.phonemes.recognizers import registry

    import dataclasses

    missing = lambda: (False, "model weights are missing (x.pt)")  # noqa: E731
    monkeypatch.setattr(registry.model, "status", missing)
    monkeypatch.setitem(registry.REGISTRY, "model", dataclasses.replace(registry.REGISTRY["model"], status=missing))
    with pytest.raises(RecognizerError, match="'model' recogniser cannot run: model weights are missing"):
        registry.get_recognizer("model")
    av = registry.available_recognizers()
    assert av["model"] == "unavailable: model weights are missing (x.pt)"
    assert av["auto"] == "ready (uses pocketsphinx)"
    assert av["fused"].startswith("unavailable: needs both")
