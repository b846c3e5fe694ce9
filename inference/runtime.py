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
from functools import lru_cache
import time

import numpy as np

from ..errors import ModelError
from ..phonemes.types import FRAME_HOP, INTERNAL_RATE, SIL, Audio, FramePosteriors, PhoneTrack
from ..phonemes.visemes import CONTROLS, VISEMES
from .config import DEFAULT_WEIGHTS, load_config

CHUNK = 1000  # frames of output per chunk (10 s)
CONTEXT = 100  # frames of context on each side (1 s): the model's bounded look-ahead
BATCH = 8  # chunks per forward pass
WINDOW_CONTEXT = (CONTEXT * 160 + 392) / INTERNAL_RATE  # seconds of audio a window needs beyond its frames

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
                batch: int = BATCH, *, offset: int = 0, total: int | None = None, frames: tuple[int, int] | None = None,
                pad_value: float | None = None):
    """Network outputs for a clip, computed chunk by chunk.

    ``feats`` are the features of frames ``offset .. offset + len(feats) - 1`` of a clip of ``total`` frames
    (default: the whole clip). ``frames = (a, b)``: the output frames wanted (default: those of ``feats``);
    the chunks are always the clip's own (``chunk`` frames from frame 0 on, each with ``context`` frames of
    the clip either side; ``pad_value``, default the features' minimum, beyond its ends), so a window of a
    long clip gets the same numbers as the whole clip, given the features its chunks read.
    Returns (phone log-probs [b-a,P], viseme log-probs [b-a,V], controls [b-a,C]) as float32 numpy arrays.
    """
    torch = _torch()
    T = offset + len(feats) if total is None else int(total)
    a, b = (offset, offset + len(feats)) if frames is None else (int(frames[0]), int(frames[1]))
    P, V, C = model.n_phones, model.n_visemes, model.n_controls
    out_p = np.empty((b - a, P), np.float32)
    out_v = np.empty((b - a, V), np.float32)
    out_c = np.empty((b - a, C), np.float32)
    if b <= a:
        return out_p, out_v, out_c
    ft = torch.from_numpy(np.ascontiguousarray(feats, dtype=np.float32))
    pad_value = float(ft.min()) if pad_value is None else float(pad_value)
    single = T <= chunk  # one chunk: the whole clip, unpadded
    starts = [0] if single else list(range((a // chunk) * chunk, b, chunk))
    width = T if single else chunk + 2 * context
    with torch.inference_mode():
        for b0 in range(0, len(starts), batch):
            group = starts[b0: b0 + batch]
            if single:
                if offset != 0 or len(feats) != T:
                    raise ValueError("a clip of one chunk needs all its features")
                x = ft[None]
                lo_list = [0]
            else:
                x = torch.full((len(group), width, ft.shape[1]), pad_value)
                lo_list = []
                for j, s in enumerate(group):
                    lo = s - context  # even: chunk and context are even, so the stride-2 phase is the same
                    f0, f1 = max(lo, 0), min(s + chunk + context, T)
                    if f0 < offset or f1 > offset + len(feats):
                        raise ValueError(f"chunk {s} reads frames {f0}..{f1}, outside the given features "
                                         f"{offset}..{offset + len(feats)}")
                    x[j, f0 - lo: f1 - lo] = ft[f0 - offset: f1 - offset]
                    lo_list.append(lo)
            p, v, c = model(x.to(device))
            p = torch.log_softmax(p.float(), -1).cpu().numpy()
            v = torch.log_softmax(v.float(), -1).cpu().numpy()
            c = c.float().cpu().numpy()
            for j, s in enumerate(group):
                s0, e = max(s, a), min(s + chunk, T, b)
                o = s0 - lo_list[j]
                out_p[s0 - a: e - a] = p[j, o: o + e - s0]
                out_v[s0 - a: e - a] = v[j, o: o + e - s0]
                out_c[s0 - a: e - a] = c[j, o: o + e - s0]
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
    _model, info = load_model(weights, device)  # loaded (once) before the clock starts
    t0 = time.perf_counter()
    feats = features(audio)
    t1 = time.perf_counter()
    post = feature_posteriors(feats, weights, device, audio.source)
    if timing is not None:
        timing.update(features_s=t1 - t0, network_s=time.perf_counter() - t1, load_s=info["load_seconds"])
    return post


def feature_posteriors(feats: np.ndarray, weights: str | None = None, device: str | None = None,
                       source: str = "") -> FramePosteriors:
    """``posteriors`` from log-mel features already computed (``features``; the tuning scripts alter them,
    e.g. through a recording channel, before the network reads them)."""
    model, info = load_model(weights, device)
    lp, lv, ct = run_network(model, feats, info["device"])
    return FramePosteriors(labels=list(info["phone_classes"]), log_probs=lp, hop=FRAME_HOP,
                           controls=np.clip(ct, 0.0, 1.0), control_names=tuple(CONTROLS),
                           viseme_log_probs=lv, source=source)


def window_posteriors(window, first: int, count: int, weights: str | None = None, device: str | None = None,
                      timing: dict | None = None) -> FramePosteriors:
    """The network's outputs for frames ``first .. first + count - 1`` of a long clip, from one
    ``phonemes.audio.AudioWindow`` of it: the same numbers :func:`posteriors` gives for the whole clip
    (the clip's own 10 s chunks, each with 1 s of real context), as long as the window holds the
    samples those chunks read (:data:`WINDOW_CONTEXT` seconds either side of the frames, when
    ``first`` is a multiple of :data:`CHUNK`). The padding value beyond the clip's ends is the first
    window's feature minimum (the whole clip's minimum, unchunked), kept in ``window.clip``."""
    from .features import N_FFT, frame_span, log_mel_frames, n_frames

    model, info = load_model(weights, device)
    t0 = time.perf_counter()
    x = np.asarray(window.audio.samples, dtype=np.float32)
    if window.audio.sample_rate != INTERNAL_RATE:
        raise ValueError("window_posteriors() needs 16 kHz windows (phonemes.audio.AudioSource gives them)")
    T = n_frames(window.stop) if window.at_end else None
    g0 = (first // CHUNK) * CHUNK
    f0 = max(g0 - CONTEXT, 0)
    f1 = (first + count + CHUNK - 1) // CHUNK * CHUNK + CONTEXT
    if T is not None:
        f1 = min(f1, T)
    elif frame_span(f0, f1 - f0, window.stop + N_FFT)[1] > window.stop:
        raise ValueError(f"the window ends at sample {window.stop}, before the samples of frame {f1}; give it "
                         f"{WINDOW_CONTEXT:.3f} s of audio beyond its frames")
    if window.start > frame_span(f0, 1, window.stop)[0]:
        raise ValueError(f"the window starts at sample {window.start}, after the samples of frame {f0}")
    feats = log_mel_frames(x, window.start, f0, f1 - f0, window.stop)
    pad = window.clip.setdefault("pad_value", float(feats.min()))
    t1 = time.perf_counter()
    # a window before the clip's end: the clip goes on past every chunk this window computes
    total = T if T is not None else f1 + CHUNK + CONTEXT
    lp, lv, ct = run_network(model, feats, info["device"], offset=f0, total=total, frames=(first, first + count),
                             pad_value=pad)
    if timing is not None:
        timing.update(features_s=timing.get("features_s", 0.0) + t1 - t0,
                      network_s=timing.get("network_s", 0.0) + time.perf_counter() - t1, load_s=info["load_seconds"])
    return FramePosteriors(labels=list(info["phone_classes"]), log_probs=lp, hop=FRAME_HOP,
                           controls=np.clip(ct, 0.0, 1.0), control_names=tuple(CONTROLS),
                           viseme_log_probs=lv, source=window.audio.source)


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
    return _log_normalise(x)


def pool_classes(log_probs: np.ndarray, labels, weight: float) -> np.ndarray:
    """Phone log-probs with each phone's mouth class's total probability mixed in:
    (1-w) log p(phone) + w log p(class of phone), renormalised (``weight`` w in 0..1, 0 = unchanged).

    Free decoding picks the likeliest path of phones, but the animation shows a mouth class (closed, lip-to-teeth,
    rounded, open, narrow: ``visemes.VISEME_TO_CLASS``; silence rests the mouth, with the narrow ones). Where the
    model hesitates between phones of one class (n / ŋ / t, all narrow) and a single phone of another (m),
    the single phone wins the phone vote though the class is less likely; pooling lets the class's whole mass
    count, so the decoder errs less on what is seen, while the phone inside the class still follows its own
    probability."""
    lp = np.asarray(log_probs, dtype=np.float32)
    if weight <= 0:
        return lp
    from ..phonemes.visemes import visual_class_for_phone

    keys = [visual_class_for_phone(p) for p in labels]
    groups = sorted(set(keys))
    gi = np.array([groups.index(k) for k in keys])
    m = lp.max(1, keepdims=True)
    p = np.exp(lp - m)
    mass = np.stack([p[:, gi == g].sum(1) for g in range(len(groups))], axis=1)
    log_mass = np.log(np.maximum(mass, 1e-30)) + m
    return _log_normalise((1.0 - weight) * lp + weight * log_mass[:, gi])


def _log_normalise(x: np.ndarray) -> np.ndarray:
    """Rows of log-scores -> log-probabilities (float32)."""
    m = x.max(1, keepdims=True)
    return (x - (m + np.log(np.exp(x - m).sum(1, keepdims=True)))).astype(np.float32)


# other codes of the prior languages (ISO 639-3, macrolanguages, the parts of Serbo-Croatian)
_PRIOR_ALIASES = {"zho": "zh", "chi": "zh", "srp": "sh", "hrv": "sh", "bos": "sh", "hbs": "sh", "sr": "sh",
                  "hr": "sh", "bs": "sh", "nor": "nb", "nob": "nb", "no": "nb", "msa": "ms", "zsm": "ms",
                  "fas": "fa", "pes": "fa", "ara": "ar", "arb": "ar"}
ENGLISH = ("en", "eng")


@lru_cache(maxsize=1)
def _iso639_3_to_1() -> dict:
    from ..phonemes.g2p import ISO639_1_TO_3

    return {three: one for one, three in ISO639_1_TO_3.items()}


def prior_language(language: str | None, languages) -> str | None:
    """Which prior a language code gets: None for English (the training prior is English's), the code's own
    (ISO 639-1 or 639-3, a region or voice suffix ignored: "fr", "fra", "fr-fr") when ``languages`` has it,
    else "universal" (also for no code, "und" and languages never heard)."""
    base = (language or "").strip().lower().replace("_", "-").split("-")[0]
    if base in ENGLISH:
        return None
    if base in languages:
        return base
    key = _PRIOR_ALIASES.get(base) or _iso639_3_to_1().get(base)
    return key if key in languages else "universal"


def prior_bias(labels, language: str | None, weights: str | None = None, priors=None) -> np.ndarray | None:
    """Per phone class, what free decoding adds to the log-probs in ``language``: scale x log(target prior /
    training prior), shares floored (``config.PhonePriors``; ``priors`` instead of the config's); silence
    unchanged. The scale is ``scale`` with the universal prior and ``language_scale`` (when set) with a
    language's own. None when there are no priors, the scale is 0 or the language is English."""
    pr = load_config(weights).priors if priors is None else priors
    if pr is None:
        return None
    key = prior_language(language, pr.languages)
    if key is None:
        return None
    scale = pr.scale if key == "universal" or pr.language_scale is None else pr.language_scale
    if scale <= 0:
        return None
    target = pr.universal if key == "universal" else pr.languages[key]
    out = np.zeros(len(labels), dtype=np.float32)
    for k, lab in enumerate(labels):
        if lab in pr.train:
            out[k] = scale * (np.log(target.get(lab, 0.0) + pr.floor) - np.log(pr.train[lab] + pr.floor))
    out[[k for k, lab in enumerate(labels) if lab == SIL]] = 0.0
    return out


def decode_posteriors(post: FramePosteriors, duration: float | None = None, *, min_frames: int | None = None,
                      switch_penalty: float | None = None, viseme_weight: float | None = None,
                      closure_bias: float | None = None, class_pool: float | None = None, weights: str | None = None,
                      recognizer: str = "model", language: str = "eng", use_prior: bool = True,
                      priors=None) -> PhoneTrack:
    """Timed phones from the model's posteriors: duration-aware Viterbi (``phonemes.align.decode``).

    Settings left as None come from the model config of ``weights`` (``config.load_config``). In a language other
    than English (``use_prior``) the phone log-probs first get that language's prior (``prior_bias``; ``priors``:
    a ``config.PhonePriors`` instead of the config's). The path is chosen with each mouth class's total
    probability mixed in (``pool_classes``, weight ``class_pool``); the phones' confidences come from the
    unpooled log-probs."""
    from dataclasses import replace

    from ..phonemes import align

    d = load_config(weights).decode
    min_frames = d.min_frames if min_frames is None else min_frames
    switch_penalty = d.switch_penalty if switch_penalty is None else switch_penalty
    viseme_weight = d.viseme_weight if viseme_weight is None else viseme_weight
    closure_bias = d.closure_bias if closure_bias is None else closure_bias
    class_pool = d.class_pool if class_pool is None else class_pool
    lp = fuse_visemes(post, viseme_weight, closure_bias)
    bias = prior_bias(post.labels, language, weights, priors) if use_prior else None
    if bias is not None:
        lp = _log_normalise(lp + bias[None, :])
    fused = replace(post, log_probs=lp)
    path = pool_classes(lp, post.labels, class_pool) if class_pool > 0 else None
    return align.decode(fused, min_frames=min_frames, switch_penalty=switch_penalty, duration=duration,
                        recognizer=recognizer, language=language, path_log_probs=path)


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


__all__ = ["DEFAULT_WEIGHTS", "load_model", "run_network", "features", "posteriors", "feature_posteriors", "window_posteriors", "fuse_visemes",
           "pool_classes", "prior_language", "prior_bias",
           "decode_posteriors", "calibrate_confidences", "weights_status"]
