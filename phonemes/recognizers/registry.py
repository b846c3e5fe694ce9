"""The recognisers, in one table that the command line, the add-on's properties and its preferences read.

Each entry (:class:`RecognizerInfo`) has the name used everywhere (``--recognizer``, the
panel's Recognizer menu, saved scenes), a label and description for menus and help, the
Python packages it needs (what the add-on's Install Dependencies provides), a ``status()``
that says whether it can run here and why not, and a ``build(**options)`` factory:

- ``auto``: ``fused`` when the model (torch + weights) and pocketsphinx are both
  available, else ``model``, else ``pocketsphinx``; with no transcript, ``pipeline.analyze``
  first has a speech model (``phonemes.words``) supply the words when one is installed;
- ``model``: our torch model (``model.ModelRecognizer``);
- ``pocketsphinx``: the English model inside the PyPI pocketsphinx package;
- ``allosaurus``: universal phone recogniser (many languages), once its model has been
  downloaded (``lipsync models download allosaurus``);
- ``fused``: with a transcript, the model's forced alignment and pocketsphinx's, boundary
  times combined where the two agree; without a transcript (or for other languages than
  English) the model alone.

Importing this module imports no third-party package but numpy (the add-on reads it at
registration); each recogniser loads its own libraries when it is built.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .base import Recognizer, RecognizerError
from . import allosaurus, fused, model, pocketsphinx


@dataclass(frozen=True)
class RecognizerInfo:
    name: str
    label: str  # for menus
    description: str  # tooltips and --help
    packages: tuple[str, ...]  # Python modules it needs (beyond numpy)
    status: Callable[[], tuple[bool, str]]  # (can run here, "ready ..." or why not)
    build: Callable[..., Recognizer]  # options -> a recogniser (RecognizerError when it cannot run)


def _ready(name: str) -> tuple[bool, str]:
    try:
        return REGISTRY[name].status()
    except Exception as exc:  # noqa: BLE001 - a status check must never crash the UI
        return False, f"unavailable: {exc}"


def _auto_choice() -> str:
    if _ready("model")[0]:
        return "fused" if _ready("pocketsphinx")[0] else "model"
    return "pocketsphinx"


def _auto_status() -> tuple[bool, str]:
    chosen = _auto_choice()
    ok, _ = _ready(chosen)
    return (True, f"ready (uses {chosen})") if ok else (False, "no recogniser can run")


def _build_model(weights: str | None = None, device: str | None = None, language: str | None = None):
    ok, why = model.status()
    if not ok:
        raise RecognizerError(f"the 'model' recogniser cannot run: {why}")
    return model.ModelRecognizer(weights=weights, device=device)


def _build_fused(weights: str | None = None, device: str | None = None, language: str | None = None):
    for n in ("model", "pocketsphinx"):
        ok, why = REGISTRY[n].status()
        if not ok:
            raise RecognizerError(f"the 'fused' recogniser needs the {n} recogniser, which cannot run: {why}")
    return fused.FusedRecognizer(_build_model(weights, device), pocketsphinx.PocketsphinxRecognizer())


def _build_pocketsphinx(language: str | None = None, **options):
    return pocketsphinx.PocketsphinxRecognizer(**options)


def _build_allosaurus(language: str | None = None, **options):
    return allosaurus.AllosaurusRecognizer(language=language, **options)


def _build_auto(language: str | None = None, **options):
    return get_recognizer(_auto_choice(), language=language, **options)


REGISTRY: dict[str, RecognizerInfo] = {info.name: info for info in (
    RecognizerInfo("auto", "Auto", "The best recogniser that is installed (model + pocketsphinx, the model, or "
                   "pocketsphinx); without a transcript, a speech model's words aligned by the model when one "
                   "is installed", (), _auto_status, _build_auto),
    RecognizerInfo("model", "Neural Model", "The shipped audio-to-viseme model alone (needs torch; no words stage: "
                   "the fastest)", ("torch",),
                   model.status, _build_model),
    RecognizerInfo("pocketsphinx", "PocketSphinx", "CMU PocketSphinx phone recogniser / aligner (English)",
                   ("pocketsphinx",), pocketsphinx.status, _build_pocketsphinx),
    RecognizerInfo("allosaurus", "Allosaurus", "Universal phone recogniser, any language (needs its model "
                   "downloaded)", ("allosaurus", "torch"), allosaurus.status, _build_allosaurus),
    RecognizerInfo("fused", "Model + PocketSphinx", "With a transcript: the model's and PocketSphinx's alignments "
                   "combined where they agree (English; needs torch)", ("torch", "pocketsphinx"), fused.status,
                   _build_fused),
)}
RECOGNIZER_NAMES: tuple[str, ...] = tuple(REGISTRY)


def recognizer_info(name: str) -> RecognizerInfo:
    key = (name or "auto").strip().lower()
    if key not in REGISTRY:
        raise RecognizerError(f"unknown recogniser {name!r}; choose one of: {', '.join(RECOGNIZER_NAMES)}")
    return REGISTRY[key]


def get_recognizer(name: str = "auto", *, language: str | None = None, **options) -> Recognizer:
    """Build the recogniser called ``name`` (one of ``RECOGNIZER_NAMES``).

    ``language`` (ISO 639-3) lets a recogniser refuse a language it cannot do before any audio is
    read (allosaurus); ``options`` go to its constructor (e.g. ``weights=`` for the model)."""
    return recognizer_info(name).build(language=language, **options)


def available_recognizers() -> dict[str, str]:
    """Recogniser name -> "ready ..." or "unavailable: why", for every recogniser."""
    out = {}
    for name in RECOGNIZER_NAMES:
        ok, why = _ready(name)
        out[name] = why if ok or why.startswith("unavailable") else f"unavailable: {why}"
    return out


__all__ = ["RecognizerInfo", "REGISTRY", "RECOGNIZER_NAMES", "recognizer_info", "get_recognizer",
           "available_recognizers"]
