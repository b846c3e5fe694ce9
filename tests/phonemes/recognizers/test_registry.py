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


def test_menu_entries_and_what_each_needs():
    from lipsync.phonemes.recognizers import REGISTRY

    got = {n: (i.label, i.packages) for n, i in REGISTRY.items()}
    assert got == {"auto": ("Auto", ()), "model": ("Neural Model", ("torch",)),
                   "pocketsphinx": ("PocketSphinx", ("pocketsphinx",)),
                   "allosaurus": ("Allosaurus", ("allosaurus", "torch")),
                   "fused": ("Model + PocketSphinx", ("torch", "pocketsphinx"))}
    d = {n: i.description for n, i in REGISTRY.items()}
    assert d["auto"] == ("The best recogniser that is installed (model + pocketsphinx, the model, or pocketsphinx); "
                         "without a transcript, a speech model's words aligned by the model when one is installed")
    assert d["model"] == "The shipped audio-to-viseme model alone (needs torch; no words stage: the fastest)"
    assert d["pocketsphinx"] == "CMU PocketSphinx phone recogniser / aligner (English)"
    assert d["allosaurus"] == "Universal phone recogniser, any language (needs its model downloaded)"
    assert d["fused"] == ("With a transcript: the model's and PocketSphinx's alignments combined where they agree "
                          "(English; needs torch)")
    import dataclasses

    with pytest.raises(dataclasses.FrozenInstanceError):
        REGISTRY["model"].label = "x"


def test_names_are_forgiving_and_errors_exact(monkeypatch):
    from lipsync.phonemes.recognizers import registry

    assert registry.recognizer_info(" Model ").name == "model" and registry.recognizer_info(None).name == "auto"
    assert registry.recognizer_info("").name == "auto"
    with pytest.raises(RecognizerError) as e:
        registry.get_recognizer("whisper")
    assert str(e.value) == "unknown recogniser 'whisper'; choose one of: auto, model, pocketsphinx, allosaurus, fused"
    import dataclasses

    def broken():
        raise OSError("disk gone")

    monkeypatch.setitem(registry.REGISTRY, "allosaurus", dataclasses.replace(registry.REGISTRY["allosaurus"],
                                                                             status=broken))
    assert registry.available_recognizers()["allosaurus"] == "unavailable: disk gone"  # a status never crashes
    for name in ("model", "pocketsphinx"):
        monkeypatch.setitem(registry.REGISTRY, name, dataclasses.replace(
            registry.REGISTRY[name], status=lambda n=name: (False, f"{n} is not installed")))
    monkeypatch.setattr(registry.model, "status", lambda: (False, "model is not installed"))
    av = registry.available_recognizers()
    assert av["auto"] == "unavailable: no recogniser can run"
    with pytest.raises(RecognizerError) as e:
        registry.get_recognizer("fused")
    assert str(e.value) == "the 'fused' recogniser needs the model recogniser, which cannot run: model is not installed"
    with pytest.raises(RecognizerError) as e:
        registry.get_recognizer("model")
    assert str(e.value) == "the 'model' recogniser cannot run: model is not installed"


def test_auto_without_pocketsphinx_is_the_model(monkeypatch):
    import dataclasses

    from lipsync.phonemes.recognizers import registry

    monkeypatch.setitem(registry.REGISTRY, "pocketsphinx", dataclasses.replace(
        registry.REGISTRY["pocketsphinx"], status=lambda: (False, "gone")))
    assert registry.available_recognizers()["auto"] == "ready (uses model)"
    assert registry.get_recognizer("auto").name == "model"


def test_a_status_that_raises_counts_as_unavailable_and_the_default_name_is_auto(monkeypatch):
    """A model status check that raises is "cannot run" (auto then uses pocketsphinx, never the broken model);
    get_recognizer() with no name is the auto choice."""
    import dataclasses

    from lipsync.phonemes.recognizers import registry

    def broken():
        raise RuntimeError("weights unreadable")

    monkeypatch.setitem(registry.REGISTRY, "model", dataclasses.replace(registry.REGISTRY["model"], status=broken))
    assert registry._ready("model") == (False, "unavailable: weights unreadable")
    assert registry.available_recognizers()["auto"] == "ready (uses pocketsphinx)"
    assert registry.get_recognizer().name == "pocketsphinx"
