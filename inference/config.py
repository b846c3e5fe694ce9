"""A model release's tuned values: ``weights/model_config.json`` beside the weights file.

A release is a folder of files: the weights (``visemenet.pt``), this config and the model
card. The config holds what was tuned for those weights on train data, so a new release
replaces files and edits no code:

- ``decode``: free-decoding settings (minimum phone length, switch penalty, viseme-head
  weight, closed-lips bias, mouth-class pooling; a config without ``class_pool`` pools
  nothing), written by ``python -m lipsync.training.tune_decode --write``;
- ``fusion``: how the ``fused`` recogniser combines the model's boundary times with
  pocketsphinx's (weight, offset, largest gap averaged);
- ``calibration``: the monotone curve from raw phone confidence to P(mouth shape right),
  per mode (free decoding / forced alignment), written by
  ``python -m lipsync.training.calibrate_confidence``;
- ``priors`` (optional): phone frequencies of the training mix and of each language, so that free
  decoding in another language swaps the English-heavy training prior for that language's
  (``runtime.prior_bias``), written by ``python -m lipsync.training.priors --write``.

``load_config(weights)`` reads the config beside ``weights`` (or, when there is none, the
shipped one); it is cached until the file changes. No torch, no bpy.
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass

from ..errors import ModelError

WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights")
DEFAULT_WEIGHTS = os.path.join(WEIGHTS_DIR, "visemenet.pt")
CONFIG_NAME = "model_config.json"
FORMAT = "lipsync-model-config-1"


@dataclass(frozen=True)
class DecodeSettings:
    min_frames: int
    switch_penalty: float
    viseme_weight: float
    closure_bias: float
    class_pool: float = 0.0  # weight of each mouth class's total probability in a phone's score (0 = off)


@dataclass(frozen=True)
class FusionSettings:
    weight: float  # weight of pocketsphinx's boundary time in the mean
    offset: float  # seconds added to pocketsphinx's boundary times
    max_gap: float  # boundaries farther apart than this are not averaged (the model's is kept)


@dataclass(frozen=True)
class Calibration:
    knots: tuple[float, ...]
    curves: dict  # mode ("free" / "forced") -> tuple of P(right) at the knots


@dataclass(frozen=True)
class PhonePriors:
    train: dict  # phone class -> share of the training mix's labelled frames
    universal: dict  # phone class -> mean share over the languages (a language with no prior of its own)
    languages: dict  # ISO 639-1 code -> {phone class: share}
    scale: float  # how much of the log prior ratio is added (0 = off), with the universal prior
    floor: float  # added to every share before the log (rare classes are not pushed to -inf)
    language_scale: float | None = None  # the same for a language with a prior of its own (None: ``scale``)


@dataclass(frozen=True)
class ModelConfig:
    path: str
    decode: DecodeSettings
    fusion: FusionSettings
    calibration: Calibration | None
    priors: PhonePriors | None = None


def config_path(weights: str | None = None) -> str:
    """Where the config of ``weights`` is: beside it, else the shipped one."""
    beside = os.path.join(os.path.dirname(os.path.abspath(weights or DEFAULT_WEIGHTS)), CONFIG_NAME)
    return beside if os.path.exists(beside) else os.path.join(WEIGHTS_DIR, CONFIG_NAME)


_CACHE: dict = {}
_LOCK = threading.Lock()


def load_config(weights: str | None = None) -> ModelConfig:
    """The tuned values for ``weights`` (default: the shipped weights). Raises ModelError when unreadable."""
    path = config_path(weights)
    try:
        mtime = os.path.getmtime(path)
    except OSError as exc:
        raise ModelError(f"The model config {path} is missing. Reinstall the extension (it ships with the "
                         "weights).") from exc
    with _LOCK:
        hit = _CACHE.get(path)
        if hit is not None and hit[0] == mtime:
            return hit[1]
        raw = read_raw(path)
        try:
            d, f = raw["decode"], raw["fusion"]
            decode = DecodeSettings(int(d["min_frames"]), float(d["switch_penalty"]), float(d["viseme_weight"]),
                                    float(d["closure_bias"]), float(d.get("class_pool", 0.0)))
            if not 0.0 <= decode.class_pool <= 1.0:
                raise ValueError(f"decode.class_pool = {decode.class_pool} (a weight from 0 to 1)")
            fusion = FusionSettings(float(f["weight"]), float(f["offset"]), float(f["max_gap"]))
            cal = raw.get("calibration")
            calibration = None if not cal else Calibration(
                tuple(float(k) for k in cal["knots"]),
                {mode: tuple(float(v) for v in cal[mode]["values"]) for mode in ("free", "forced") if mode in cal})
            pr = raw.get("priors")
            priors = None if not pr else PhonePriors(
                {k: float(v) for k, v in pr["train"].items()}, {k: float(v) for k, v in pr["universal"].items()},
                {lang: {k: float(v) for k, v in shares.items()} for lang, shares in pr["languages"].items()},
                float(pr["scale"]), float(pr["floor"]),
                None if pr.get("language_scale") is None else float(pr["language_scale"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"The model config {path} lacks {exc} or has a wrong value there. Reinstall the "
                             "extension, or re-run the tuning scripts for these weights.") from exc
        cfg = ModelConfig(path, decode, fusion, calibration, priors)
        _CACHE[path] = (mtime, cfg)
        return cfg


def read_raw(path: str) -> dict:
    """The config file as a dict (for the tuning scripts, which replace one section)."""
    try:
        with open(path, encoding="utf-8") as fh:
            raw = json.load(fh)
    except (OSError, ValueError) as exc:
        raise ModelError(f"Could not read the model config {path} ({exc}). Reinstall the extension.") from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ModelError(f"{path} is not a Lip Sync model config (format {FORMAT}).")
    return raw


def write_section(section: str, values: dict, weights: str | None = None) -> str:
    """Replace one section of the config beside ``weights`` (made from the shipped one when absent)."""
    path = os.path.join(os.path.dirname(os.path.abspath(weights or DEFAULT_WEIGHTS)), CONFIG_NAME)
    raw = read_raw(path if os.path.exists(path) else os.path.join(WEIGHTS_DIR, CONFIG_NAME))
    raw[section] = values
    raw["weights"] = os.path.basename(weights or DEFAULT_WEIGHTS)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(raw, fh, indent=1)
        fh.write("\n")
    os.replace(tmp, path)
    return path


__all__ = ["WEIGHTS_DIR", "DEFAULT_WEIGHTS", "CONFIG_NAME", "DecodeSettings", "FusionSettings", "Calibration",
           "PhonePriors", "ModelConfig", "config_path", "load_config", "read_raw", "write_section"]
