"""Recognisers: audio (+ optional transcript) -> timed IPA phones.

``get_recognizer(name, **options)`` builds one of:

- ``"model"``: our torch model (``inference.recognizer.ModelRecognizer``),
  imported lazily so that this module needs no torch;
- ``"pocketsphinx"``: the English model inside the PyPI pocketsphinx package;
- ``"allosaurus"``: universal phone recogniser (many languages), once its
  model has been downloaded (``lipsync models download allosaurus``);
- ``"auto"``: the model when torch and its weights are available, else pocketsphinx.

``available_recognizers()`` says which of them can run here and why not.
"""
from __future__ import annotations

import importlib
import importlib.util
from typing import Protocol, runtime_checkable

from .types import Audio, PhoneTrack

__all__ = ["Recognizer", "RecognizerError", "get_recognizer", "available_recognizers", "RECOGNIZER_NAMES"]

RECOGNIZER_NAMES = ("auto", "model", "pocketsphinx", "allosaurus")


class RecognizerError(RuntimeError):
    """A recogniser that cannot run here; the message says what to do."""


@runtime_checkable
class Recognizer(Protocol):
    name: str

    def recognize(self, audio: Audio, transcript: str | None = None, language: str = "eng") -> PhoneTrack:
        ...


def _model_status() -> tuple[bool, str]:
    if importlib.util.find_spec("torch") is None:
        return False, "torch is not installed (install it from the add-on preferences or: pip install torch)"
    try:
        mod = importlib.import_module(f"{__package__.rsplit('.', 1)[0]}.inference.recognizer")
    except Exception as e:  # noqa: BLE001 - report any import problem as a status
        return False, f"the model code could not be loaded: {e}"
    cls = getattr(mod, "ModelRecognizer", None)
    if cls is None:
        return False, "inference.recognizer has no ModelRecognizer"
    check = getattr(mod, "weights_status", None) or getattr(cls, "weights_status", None)
    if callable(check):
        try:
            res = check()
        except Exception as e:  # noqa: BLE001
            return False, f"model weights could not be checked: {e}"
        if isinstance(res, tuple):
            return bool(res[0]), str(res[1])
        return bool(res), "ready" if res else "model weights are missing"
    weights = getattr(mod, "default_weights_path", None)
    if callable(weights):
        import os

        try:
            path = weights()
        except Exception as e:  # noqa: BLE001
            return False, f"model weights could not be located: {e}"
        if not path or not os.path.exists(path):
            return False, f"model weights are missing ({path})"
        return True, f"ready ({path})"
    return True, "ready"


def _pocketsphinx_status() -> tuple[bool, str]:
    if importlib.util.find_spec("pocketsphinx") is None:
        return False, "pocketsphinx is not installed (pip install pocketsphinx)"
    import os

    from .pocketsphinx_rec import model_dir

    if not os.path.isdir(model_dir()):
        return False, f"the pocketsphinx package has no en-us model at {model_dir()}"
    return True, "ready (English only)"


def _allosaurus_status() -> tuple[bool, str]:
    if importlib.util.find_spec("allosaurus") is None:
        return False, "allosaurus is not installed (pip install allosaurus)"
    from .allosaurus_rec import model_status

    return model_status()


def available_recognizers() -> dict[str, str]:
    """Recogniser name -> "ready ..." or why it cannot run here."""
    out = {}
    for name, fn in (("model", _model_status), ("pocketsphinx", _pocketsphinx_status),
                     ("allosaurus", _allosaurus_status)):
        try:
            ok, why = fn()
        except Exception as e:  # noqa: BLE001 - status must never crash the UI
            ok, why = False, f"unavailable: {e}"
        out[name] = why if ok or why.startswith("unavailable") else f"unavailable: {why}"
    chosen = "model" if out["model"].startswith("ready") else "pocketsphinx"
    out["auto"] = f"ready (uses {chosen})" if out[chosen].startswith("ready") else "unavailable: no recogniser can run"
    return out


def get_recognizer(name: str = "auto", **options) -> Recognizer:
    """Build the recogniser called ``name`` ("auto", "model", "pocketsphinx", "allosaurus")."""
    key = (name or "auto").strip().lower()
    if key == "auto":
        ok, _ = _model_status()
        if ok:
            return get_recognizer("model", **options)
        return get_recognizer("pocketsphinx", **options)
    if key == "model":
        ok, why = _model_status()
        if not ok:
            raise RecognizerError(f"the 'model' recogniser cannot run: {why}")
        mod = importlib.import_module(f"{__package__.rsplit('.', 1)[0]}.inference.recognizer")
        return mod.ModelRecognizer(**options)
    if key == "pocketsphinx":
        from .pocketsphinx_rec import PocketsphinxRecognizer

        return PocketsphinxRecognizer(**options)
    if key == "allosaurus":
        from .allosaurus_rec import AllosaurusRecognizer

        return AllosaurusRecognizer(**options)
    raise RecognizerError(f"unknown recogniser {name!r}; choose one of: {', '.join(RECOGNIZER_NAMES)}")
