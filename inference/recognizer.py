"""ModelRecognizer: our trained audio-to-viseme network as a recogniser of the pipeline.

``posteriors(audio)`` gives per-10 ms phone-class and viseme log-probabilities and the
continuous mouth controls; ``recognize(audio, transcript=None)`` turns them into timed
phones (duration-aware Viterbi without a transcript, forced alignment with one; both from
``phonemes.align``). The weights ship in ``inference/weights/visemenet.pt`` (no download,
works offline); they are loaded lazily and cached per process.

Long clips run in chunks (10 s with 1 s of context on each side, several chunks batched
through the network at once), so memory stays bounded: a 30-minute clip needs the
features and outputs of the clip (~100 MB) plus one batch of chunks.
"""
from __future__ import annotations

import os
import threading
import time

import numpy as np

from ..phonemes.types import FRAME_HOP, INTERNAL_RATE, Audio, FramePosteriors, PhoneTrack
from ..phonemes.visemes import CONTROLS, VISEMES
from ..errors import ModelError

DEFAULT_WEIGHTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights", "visemenet.pt")
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
                             f"`python -m lipsync.inference.train`.")
        t0 = time.perf_counter()
        try:
            ck = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise ModelError(f"Could not read the model weights {path} ({exc}). Reinstall the extension.") from exc
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


class ModelRecognizer:
    """Our trained network (phones, visemes and mouth controls every 10 ms)."""

    name = "model"

    def __init__(self, weights: str | None = None, device: str | None = None):
        self.weights = weights
        self.device = device
        self.last_timing: dict = {}

    def _model(self):
        return load_model(self.weights, self.device)

    def posteriors(self, audio: Audio) -> FramePosteriors:
        from ..phonemes.audio import resample
        from .features import log_mel

        if not isinstance(audio, Audio):
            raise TypeError("posteriors() takes a phonemes.types.Audio (use phonemes.audio.load_audio(path))")
        model, info = self._model()
        x = np.asarray(audio.samples, dtype=np.float32).reshape(-1)
        if audio.sample_rate != INTERNAL_RATE:
            x = resample(x, int(audio.sample_rate), INTERNAL_RATE).astype(np.float32)
        t0 = time.perf_counter()
        feats = log_mel(x)
        t1 = time.perf_counter()
        lp, lv, ct = run_network(model, feats, info["device"])
        t2 = time.perf_counter()
        self.last_timing = {"features_s": t1 - t0, "network_s": t2 - t1, "load_s": info["load_seconds"]}
        return FramePosteriors(labels=list(info["phone_classes"]), log_probs=lp, hop=FRAME_HOP,
                               controls=np.clip(ct, 0.0, 1.0), control_names=tuple(CONTROLS),
                               viseme_log_probs=lv, source=audio.source)

    def recognize(self, audio: Audio, transcript: str | None = None, language: str = "eng") -> PhoneTrack:
        """Timed phones: free decoding without ``transcript``, forced alignment with one."""
        post = self.posteriors(audio)
        track = self.recognize_posteriors(post, transcript, language, duration=audio.duration)
        track.source = audio.source
        return track

    def recognize_posteriors(self, post: FramePosteriors, transcript: str | None = None, language: str = "eng",
                             duration: float | None = None, calibrate: bool = True) -> PhoneTrack:
        """The decoding half of ``recognize`` on posteriors already computed (the pipeline keeps
        the posteriors' mouth controls for the rigging stage). ``calibrate`` maps the raw
        confidences to the probability that the phone's mouth shape is right (see
        ``calibrate_confidences``)."""
        from ..phonemes import align

        t0 = time.perf_counter()
        if transcript is not None and transcript.strip():
            from ..phonemes.g2p import text_to_phones

            words = text_to_phones(transcript, language)
            phones = [p for _w, ph in words for p in ph]
            track = align.forced_align(post, phones, words=[(w, len(ph)) for w, ph in words], duration=duration,
                                       recognizer=self.name, language=language)
        else:
            track = decode_posteriors(post, duration, recognizer=self.name, language=language)
        if calibrate:
            calibrate_confidences(track, "forced" if transcript is not None and transcript.strip() else "free",
                                  self.weights)
        self.last_timing["decode_s"] = time.perf_counter() - t0
        track.source = post.source
        return track


def calibrate_confidences(track: PhoneTrack, mode: str, weights: str | None = None) -> PhoneTrack:
    """Map raw phone confidences to P(mouth shape right), with the monotone curve fitted on train
    data by ``tools/calibrate_confidence.py`` (``weights/confidence_calibration.json``, beside the
    weights). Without that file the raw confidences stay. Word confidences follow their phones."""
    import json

    path = os.path.join(os.path.dirname(os.path.abspath(weights or DEFAULT_WEIGHTS)), "confidence_calibration.json")
    try:
        with open(path) as f:
            cal = json.load(f)
        knots, values = np.asarray(cal["knots"], float), np.asarray(cal[mode]["values"], float)
    except (OSError, KeyError, ValueError, TypeError):
        return track
    for p in track.phones:
        p.confidence = float(np.interp(p.confidence, knots, values))
    for w in track.words:
        inside = [p.confidence for p in track.phones if p.start >= w.start - 1e-6 and p.end <= w.end + 1e-6]
        if inside:
            w.confidence = min(inside)
    return track


__all__ = ["ModelRecognizer", "calibrate_confidences", "ModelError", "load_model", "run_network", "DEFAULT_WEIGHTS", "default_weights_path",
           "weights_status", "decode_posteriors", "fuse_visemes"]


# Free-decoding settings, chosen on augmented train utterances (never dev) with ``python -m
# lipsync.inference.tune_decode`` (best acc5 + closure F1; the grids and scores are in weights/tune_decode.log):
# v1.3: min 4 frames, no switch penalty (0.844 + 0.749; 3 frames: 0.845 + 0.728). Viseme fusion and a
# closed-lips bonus did not help for any release, so they are off.
MIN_FRAMES = 4
SWITCH_PENALTY = 0.0
VISEME_WEIGHT = 0.0
CLOSURE_BIAS = 0.0


def fuse_visemes(post: FramePosteriors, weight: float = VISEME_WEIGHT, closure_bias: float = 0.0) -> np.ndarray:
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


def decode_posteriors(post: FramePosteriors, duration: float | None = None, *, min_frames: int = MIN_FRAMES,
                      switch_penalty: float = SWITCH_PENALTY, viseme_weight: float = VISEME_WEIGHT,
                      closure_bias: float = CLOSURE_BIAS, recognizer: str = "model", language: str = "eng") -> PhoneTrack:
    """Timed phones from the model's posteriors: duration-aware Viterbi (``phonemes.align.decode``)."""
    from dataclasses import replace

    from ..phonemes import align

    fused = replace(post, log_probs=fuse_visemes(post, viseme_weight, closure_bias))
    return align.decode(fused, min_frames=min_frames, switch_penalty=switch_penalty, duration=duration,
                        recognizer=recognizer, language=language)


def default_weights_path() -> str:
    """Where the shipped weights live (inside the extension; no download)."""
    return DEFAULT_WEIGHTS


def weights_status() -> tuple[bool, str]:
    """(ready, message) without importing torch's model code: weights present and torch importable."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        return False, "torch is not installed (pip install torch==2.13.0, CPU build)"
    if not os.path.exists(DEFAULT_WEIGHTS):
        return False, f"model weights are missing ({DEFAULT_WEIGHTS}); train them with `python -m lipsync.inference.train`"
    return True, f"ready ({DEFAULT_WEIGHTS})"
