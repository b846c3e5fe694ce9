"""Recognisers: audio (+ optional transcript) -> timed IPA phones.

``get_recognizer(name, **options)`` builds one of:

- ``"model"``: our torch model (``inference.recognizer.ModelRecognizer``),
  imported lazily so that this module needs no torch;
- ``"pocketsphinx"``: the English model inside the PyPI pocketsphinx package;
- ``"allosaurus"``: universal phone recogniser (many languages), once its
  model has been downloaded (``lipsync models download allosaurus``);
- ``"fused"``: with a transcript, the model's forced alignment and pocketsphinx's,
  boundary times combined where the two agree (``align.fuse_tracks``);
  without a transcript (or for other languages than English) the model alone;
- ``"auto"``: "fused" when the model (torch + weights) and pocketsphinx are both
  available, else the model, else pocketsphinx.

``available_recognizers()`` says which of them can run here and why not.
"""
from __future__ import annotations

import importlib
import importlib.util
from typing import Protocol, runtime_checkable

from .types import SIL, Audio, PhoneTrack
from ..errors import RecognizerError

__all__ = ["Recognizer", "RecognizerError", "get_recognizer", "available_recognizers", "RECOGNIZER_NAMES",
           "FusedRecognizer"]

RECOGNIZER_NAMES = ("auto", "model", "pocketsphinx", "allosaurus", "fused")


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
    m_ok, p_ok = out["model"].startswith("ready"), out["pocketsphinx"].startswith("ready")
    if m_ok and p_ok:
        out["fused"] = "ready (model + pocketsphinx with a transcript; the model alone without one)"
    else:
        out["fused"] = "unavailable: needs both the model and pocketsphinx (" + \
            "; ".join(f"{n}: {out[n]}" for n, ok in (("model", m_ok), ("pocketsphinx", p_ok)) if not ok) + ")"
    chosen = "fused" if m_ok and p_ok else ("model" if m_ok else "pocketsphinx")
    out["auto"] = f"ready (uses {chosen})" if out[chosen].startswith("ready") else "unavailable: no recogniser can run"
    return out


def get_recognizer(name: str = "auto", **options) -> Recognizer:
    """Build the recogniser called ``name`` ("auto", "model", "pocketsphinx", "allosaurus", "fused")."""
    key = (name or "auto").strip().lower()
    if key == "auto":
        ok, _ = _model_status()
        if ok:
            p_ok, _ = _pocketsphinx_status()
            return get_recognizer("fused" if p_ok else "model", **options)
        return get_recognizer("pocketsphinx", **options)
    if key == "fused":
        for n, fn in (("model", _model_status), ("pocketsphinx", _pocketsphinx_status)):
            ok, why = fn()
            if not ok:
                raise RecognizerError(f"the 'fused' recogniser needs the {n} recogniser, which cannot run: {why}")
        return FusedRecognizer(get_recognizer("model", **options), get_recognizer("pocketsphinx"))
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


# Fusion settings, chosen on train data only (cathy and speechocean762 train splits, whose labels
# are pocketsphinx alignments, and flite speech with exact timings): pocketsphinx's boundaries sit
# ~10 ms early on the exact flite timings, so they are shifted by PS_OFFSET before the weighted mean.
FUSE_WEIGHT = 0.4  # weight of pocketsphinx's boundary time
PS_OFFSET = 0.005  # seconds added to pocketsphinx's boundary times
FUSE_MAX_GAP = 0.06  # boundaries farther apart than this are not averaged (the model's is kept)


class FusedRecognizer:
    """The model's forced alignment with boundary times refined by pocketsphinx's alignment.

    Both align the transcript; where their phone sequences agree and a boundary
    lies within ``FUSE_MAX_GAP`` in both, the boundary moves to a weighted mean
    of the two (``align.fuse_tracks``). Phones, words and the mouth controls are
    the model's. Confidence drops where the two disagree (different mouths over
    the same frames, or boundaries far apart). Without a transcript, for a
    language other than English, or when pocketsphinx cannot align, the model's
    result is returned unchanged (with pocketsphinx's warning, if any).
    """

    name = "fused"

    def __init__(self, model, pocketsphinx, weight: float = FUSE_WEIGHT, offset: float = PS_OFFSET,
                 max_gap: float = FUSE_MAX_GAP):
        self.model, self.pocketsphinx = model, pocketsphinx
        self.weight, self.offset, self.max_gap = float(weight), float(offset), float(max_gap)
        self._last = None  # (posteriors, audio) of the latest posteriors() call
        self.last_timing: dict = {}

    def posteriors(self, audio: Audio):
        post = self.model.posteriors(audio)
        self._last = (post, audio)
        self.last_timing = dict(getattr(self.model, "last_timing", {}))
        return post

    def recognize(self, audio: Audio, transcript: str | None = None, language: str = "eng") -> PhoneTrack:
        post = self.posteriors(audio)
        track = self.recognize_posteriors(post, transcript, language, duration=audio.duration)
        track.source = audio.source
        return track

    def recognize_posteriors(self, post, transcript: str | None = None, language: str = "eng",
                             duration: float | None = None) -> PhoneTrack:
        """Decode posteriors from :meth:`posteriors` (pocketsphinx needs their audio, kept from that call)."""
        import time

        from .align import fuse_tracks
        from .confidence import mark_boundary_agreement, mark_disagreement

        track = self.model.recognize_posteriors(post, transcript, language, duration=duration)
        track.recognizer = self.name
        if transcript is None or not transcript.strip():
            return track
        if (language or "eng").lower() not in ("eng", "en", "en-us"):
            return track  # pocketsphinx is English only: the model's alignment alone
        audio = self._last[1] if self._last is not None and self._last[0] is post else None
        if audio is None:
            track.warnings.append("pocketsphinx was not run (the audio of these posteriors is unknown); "
                                  "the model's alignment alone is used")
            return track
        t0 = time.perf_counter()
        other = self.pocketsphinx.recognize(audio, transcript, language)
        self.last_timing["pocketsphinx_s"] = time.perf_counter() - t0
        if not other.words:  # pocketsphinx fell back to phone recognition: nothing to fuse with
            track.warnings.extend(f"pocketsphinx: {w}" for w in other.warnings)
            return track
        fused, agreed = fuse_tracks(track, other, self.weight, self.offset, self.max_gap)
        fused.recognizer = self.name
        mark_disagreement(fused, other, weight=0.3)
        mark_boundary_agreement(fused, agreed)
        for w in fused.words:
            cs = [p.confidence for p in fused.phones
                  if p.phone != SIL and p.start >= w.start - 1e-9 and p.end <= w.end + 1e-9]
            if cs:
                w.confidence = float(min(cs))
        return fused
