"""The model at run time: load the shipped weights, run the network over a clip, decode, calibrate.

``load_model`` reads ``weights/visemenet.pt`` (no download, works offline; cached per
process); ``run_network`` gives per-10 ms phone-class and viseme log-probabilities and the
continuous mouth controls; ``decode_posteriors`` turns them into timed phones
(duration-aware Viterbi, ``phonemes.align.decode``) with the release's decode settings;
``calibrate_confidences`` maps raw phone confidences to P(mouth shape right). The tuned
values come from ``weights/model_config.json`` (``config``). The pipeline reaches all of
this through ``phonemes.recognizers.model.ModelRecognizer``.

Long clips run in chunks (10 s with 1 s of context on each side, several chunks batched
through the network at once), so memory stays bounded: a 30-minute clip needs the
features and outputs of the clip (~100 MB) plus one batch of chunks.
torch is imported only when the network is loaded.
"""
from __future__ import annotations

import os
import threading
import time

import numpy as np

from ..errors import ModelError
from ..phonemes.types import FRAME_HOP, INTERNAL_RATE, Audio, FramePosteriors, PhoneTrack
from ..phonemes.visemes import CONTROLS, VISEMES
from .config import DEFAULT_WEIGHTS, load_config

CHUNK = 1000  # frames of output per chunk (10 s)
CONTEXT = 100  # frames of context on each side (1 s): the model's bounded look-ahead
BATCH = 8  # chunks per forward pass

_CACHE: dict = {}
_LOCK = threading.Lock()


def _torch():
    try:
        import torch
    except ImportError as exc:
        raise ModelError(
            "The built-in model needs PyTorch, which is not installed. Install it with "
            "`pip install torch==2.13.0` (CPU build), or choose the pocketsphinx recogniser instead.") from exc
    return torch


def load_model(weights: str | None = None, device: str | None = None):
    """The network with the shipped (or given) weights, on ``device``; cached per process.

    Returns (model, info dict with phone_classes, visemes, controls, meta, load_seconds).
    """
    torch = _torch()
    path = os.path.abspath(weights or DEFAULT_WEIGHTS)
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    key = (path, device)
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
        if not os.path.exists(path):
            raise ModelError(f"Model weights not found: {path}. Reinstall the extension, or train them with "
                             f"`python -m lipsync.training.train`.")
        t0 = time.perf_counter()
        try:
            ck = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            why = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]  # one line, not torch's essay
            raise ModelError(f"Could not read the model weights {path} ({why}). Reinstall the extension.") from exc
        if not isinstance(ck, dict) or ck.get("format") != "lipsync-visemenet-1":
            raise ModelError(f"{path} is not a Lip Sync model file (format lipsync-visemenet-1).")
        from .model import VisemeNet

        model = VisemeNet(**ck["config"])
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in ck["state"].items()})
        model.eval().to(device)
        if tuple(ck["visemes"]) != VISEMES or tuple(ck["controls"]) != CONTROLS:
            raise ModelError(f"{path} was trained for other visemes/controls; retrain it for this version.")
        info = {"phone_classes": list(ck["phone_classes"]), "meta": ck.get("meta", {}), "device": device,
                "path": path, "load_seconds": time.perf_counter() - t0}
        _CACHE[key] = (model, info)
        return model, info


def run_network(model, feats: np.ndarray, device: str = "cpu", chunk: int = CHUNK, context: int = CONTEXT,
                batch: int = BATCH):
    """Network outputs for a whole clip, computed chunk by chunk.

    Returns (phone log-probs [T,P], viseme log-probs [T,V], controls [T,C]) as float32 numpy arrays.
    """
    torch = _torch()
    T = len(feats)
    P, V, C = model.n_phones, model.n_visemes, model.n_controls
    out_p = np.empty((T, P), np.float32)
    out_v = np.empty((T, V), np.float32)
    out_c = np.empty((T, C), np.float32)
    if T == 0:
        return out_p, out_v, out_c
    ft = torch.from_numpy(np.ascontiguousarray(feats, dtype=np.float32))
    pad_value = float(ft.min())
    starts = list(range(0, T, chunk))
    width = min(chunk, T) + 2 * context if len(starts) > 1 else T
    with torch.inference_mode():
        for b0 in range(0, len(starts), batch):
            group = starts[b0: b0 + batch]
            if len(starts) == 1:
                x = ft[None]
                lo_list = [0]
            else:
                x = torch.full((len(group), width, ft.shape[1]), pad_value)
                lo_list = []
                for j, s in enumerate(group):
                    lo = s - context  # even: chunk and context are even, so the stride-2 phase is the same
                    a, b = max(lo, 0), min(s + chunk + context, T)
                    x[j, a - lo: b - lo] = ft[a:b]
                    lo_list.append(lo)
            p, v, c = model(x.to(device))
            p = torch.log_softmax(p.float(), -1).cpu().numpy()
            v = torch.log_softmax(v.float(), -1).cpu().numpy()
            c = c.float().cpu().numpy()
            for j, s in enumerate(group):
                e = min(s + chunk, T)
                o = s - lo_list[j]
                out_p[s:e] = p[j, o: o + e - s]
                out_v[s:e] = v[j, o: o + e - s]
                out_c[s:e] = c[j, o: o + e - s]
    return out_p, out_v, out_c


def features(audio: Audio) -> np.ndarray:
    """Log-mel features of ``audio`` (resampled to 16 kHz when needed), as the network reads them."""
    from ..phonemes.audio import resample
    from .features import log_mel

    if not isinstance(audio, Audio):
        raise TypeError("features() takes a phonemes.types.Audio (use phonemes.audio.load_audio(path))")
    x = np.asarray(audio.samples, dtype=np.float32).reshape(-1)
    if audio.sample_rate != INTERNAL_RATE:
        x = resample(x, int(audio.sample_rate), INTERNAL_RATE).astype(np.float32)
    return log_mel(x)


def posteriors(audio: Audio, weights: str | None = None, device: str | None = None,
               timing: dict | None = None) -> FramePosteriors:
    """The network's per-frame outputs for a clip: phone and viseme log-probabilities, mouth controls.

    ``timing`` (a dict), when given, receives features_s, network_s and load_s."""
    model, info = load_model(weights, device)
    t0 = time.perf_counter()
    feats = features(audio)
    t1 = time.perf_counter()
    lp, lv, ct = run_network(model, feats, info["device"])
    if timing is not None:
        timing.update(features_s=t1 - t0, network_s=time.perf_counter() - t1, load_s=info["load_seconds"])
    return FramePosteriors(labels=list(info["phone_classes"]), log_probs=lp, hop=FRAME_HOP,
                           controls=np.clip(ct, 0.0, 1.0), control_names=tuple(CONTROLS),
                           viseme_log_probs=lv, source=audio.source)


def fuse_visemes(post: FramePosteriors, weight: float = 0.0, closure_bias: float = 0.0) -> np.ndarray:
    """Phone log-probs with the viseme head mixed in: (1-w) log p(phone) + w log p(viseme of phone), renormalised.

    The viseme head is trained with class weights that favour the rarer mouth shapes
    (rounded, lip-to-teeth, closed); fusing it makes the phone path respect them.
    """
    from ..phonemes.visemes import viseme_for_phone

    lp = np.asarray(post.log_probs, dtype=np.float32)
    idx = np.array([VISEMES.index(viseme_for_phone(p)) for p in post.labels])
    if post.viseme_log_probs is None or weight <= 0:
        x = lp.copy()
    else:
        x = (1.0 - weight) * lp + weight * post.viseme_log_probs[:, idx]
    if closure_bias:
        x[:, idx == VISEMES.index("A")] += closure_bias  # a closed-lips prior: M/B/P are short and easy to miss
    m = x.max(1, keepdims=True)
    return (x - (m + np.log(np.exp(x - m).sum(1, keepdims=True)))).astype(np.float32)


def decode_posteriors(post: FramePosteriors, duration: float | None = None, *, min_frames: int | None = None,
                      switch_penalty: float | None = None, viseme_weight: float | None = None,
                      closure_bias: float | None = None, weights: str | None = None, recognizer: str = "model",
                      language: str = "eng") -> PhoneTrack:
    """Timed phones from the model's posteriors: duration-aware Viterbi (``phonemes.align.decode``).

    Settings left as None come from the model config of ``weights`` (``config.load_config``)."""
    from dataclasses import replace

    from ..phonemes import align

    d = load_config(weights).decode
    min_frames = d.min_frames if min_frames is None else min_frames
    switch_penalty = d.switch_penalty if switch_penalty is None else switch_penalty
    viseme_weight = d.viseme_weight if viseme_weight is None else viseme_weight
    closure_bias = d.closure_bias if closure_bias is None else closure_bias
    fused = replace(post, log_probs=fuse_visemes(post, viseme_weight, closure_bias))
    return align.decode(fused, min_frames=min_frames, switch_penalty=switch_penalty, duration=duration,
                        recognizer=recognizer, language=language)


def calibrate_confidences(track: PhoneTrack, mode: str, weights: str | None = None) -> PhoneTrack:
    """Map raw phone confidences to P(mouth shape right) with the release's calibration curve for ``mode``
    ("free" decoding or "forced" alignment; fitted on train data by ``training.calibrate_confidence``).
    A config without that curve leaves the raw confidences. Word confidences follow their phones."""
    cal = load_config(weights).calibration
    if cal is None or mode not in cal.curves:
        return track
    knots, values = np.asarray(cal.knots, float), np.asarray(cal.curves[mode], float)
    for p in track.phones:
        p.confidence = float(np.interp(p.confidence, knots, values))
    for w in track.words:
        inside = [p.confidence for p in track.phones if p.start >= w.start - 1e-6 and p.end <= w.end + 1e-6]
        if inside:
            w.confidence = min(inside)
    return track


def weights_status(weights: str | None = None) -> tuple[bool, str]:
    """(ready, message) without importing torch: torch importable, weights and model config present."""
    import importlib.util

    path = os.path.abspath(weights or DEFAULT_WEIGHTS)
    if importlib.util.find_spec("torch") is None:
        return False, "torch is not installed (pip install torch==2.13.0, CPU build)"
    if not os.path.exists(path):
        return False, f"model weights are missing ({path}); reinstall the extension"
    try:
        load_config(path)
    except ModelError as exc:
        return False, str(exc)
    return True, f"ready ({path})"


__all__ = ["DEFAULT_WEIGHTS", "load_model", "run_network", "features", "posteriors", "fuse_visemes",
           "decode_posteriors", "calibrate_confidences", "weights_status"]
