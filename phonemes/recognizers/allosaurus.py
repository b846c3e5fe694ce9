"""Universal phone recognition with allosaurus (PyPI ``allosaurus``, many languages).

The model is not shipped: ``lipsync models download allosaurus [--name uni2005]``
calls :func:`download_model`, which fetches the model's archive from allosaurus's
GitHub release, checks its SHA-256 against the recorded sum (``downloads``), and
only then unpacks it into a per-user data folder (:func:`models_dir`). Languages are ISO 639-3 codes
restricting the output to that language's phone inventory
(:func:`model_languages` lists what the installed model supports).

Allosaurus is a CTC model: it marks each phone with a one-frame spike, so its
timestamps are not boundaries. We take its per-frame log-probabilities and
turn them into segments with :func:`.align.spikes_to_segments` (forced
alignment of the recognised sequence); with a transcript, the transcript's
phones (from :mod:`.g2p`) are aligned instead.
"""
from __future__ import annotations

import json
import os
import threading
from argparse import Namespace
from pathlib import Path

import numpy as np

from ..align import spikes_to_segments
from ..audio import resample, rms_envelope
from ..phoneset import normalize
from ..speech_models import models_root
from ..types import SIL, Audio, FramePosteriors, PhoneTrack, TimedPhone, TimedWord
from . import downloads
from .base import Recognizer, RecognizerError

DEFAULT_MODEL = "uni2005"
DOWNLOAD_COMMAND = "lipsync models download allosaurus"
DOWNLOAD_URL = "https://github.com/xinjli/allosaurus/releases/download/v1.0/{name}.tar.gz"  # allosaurus's own

__all__ = [
    "AllosaurusRecognizer", "download_model", "models_dir", "installed_models", "model_languages",
    "status", "DEFAULT_MODEL",
]


def models_dir() -> Path:
    """Per-user folder for allosaurus models (``LIPSYNC_MODELS_DIR`` overrides; see ``speech_models.models_root``)."""
    return models_root() / "allosaurus"


def _is_model(path: Path) -> bool:
    return all((path / f).exists() for f in ("am_config.json", "pm_config.json", "lm_config.json",
                                              "phone.txt", "model.pt"))


def installed_models(dest: str | os.PathLike | None = None) -> list[str]:
    d = Path(dest) if dest else models_dir()
    if not d.is_dir():
        return []
    return sorted(p.name for p in d.iterdir() if p.is_dir() and _is_model(p))


def download_model(name: str = DEFAULT_MODEL, dest: str | os.PathLike | None = None, sha256: str | None = None,
                   opener=None) -> Path:
    """Download the allosaurus model ``name`` into ``dest`` (default: :func:`models_dir`), verified.

    The archive's SHA-256 must be the sum recorded for ``name`` (``downloads.recorded_sums``) or
    ``sha256`` (from a source you trust); only then is it unpacked (regular files only, nothing
    outside its folder) and moved into place, so a failed or tampered download installs nothing.
    Returns the model's folder; raises DownloadError / RecognizerError with advice otherwise.
    """
    import shutil
    import tarfile

    if not name or not all(c.isalnum() or c in "-_." for c in name) or name.startswith("."):
        raise RecognizerError(f"{name!r} is not an allosaurus model name (e.g. {DEFAULT_MODEL}).")
    d = Path(dest) if dest else models_dir()
    target = d / name
    if _is_model(target):
        return target
    rec = downloads.known("allosaurus", name) or {}
    want = sha256 or rec.get("sha256")
    if not want:
        names = sorted(k for k, v in downloads.recorded_sums().get("allosaurus", {}).items() if v.get("sha256"))
        raise downloads.DownloadError(
            f"No SHA-256 sum is recorded for the allosaurus model {name!r} in this version of Lip Sync, so it is not "
            f"downloaded unchecked. With the sum from a source you trust, run: {DOWNLOAD_COMMAND} --name {name} "
            f"--sha256 SUM" + (f" (models with a recorded sum: {', '.join(names)})" if names else ""))
    url = rec.get("url") or DOWNLOAD_URL.format(name=name)
    d.mkdir(parents=True, exist_ok=True)
    archive = downloads.fetch(url, d / f".{name}.tar.gz", want, what=f"the allosaurus model {name!r}",
                              opener=opener or downloads.urlopen)
    tmp = d / f".{name}.unpack"
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        with tarfile.open(archive, "r:*") as tf:
            for m in tf.getmembers():
                if not (m.isfile() or m.isdir()) or m.name.startswith(("/", "\\")) or ".." in Path(m.name).parts:
                    raise RecognizerError(f"The allosaurus archive for {name!r} holds {m.name!r}, which is not a plain "
                                          "file inside the model's folder; it was not unpacked.")
            tf.extractall(tmp, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
        if not _is_model(tmp / name):
            raise RecognizerError(f"The downloaded archive does not hold the allosaurus model {name!r}; nothing was "
                                  "installed.")
        os.replace(tmp / name, target)
    except (tarfile.TarError, OSError) as exc:
        raise RecognizerError(f"Could not unpack the allosaurus model {name!r} into {d} ({exc}); nothing was "
                              "installed.") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        archive.unlink(missing_ok=True)
    return target


def _resolve(name: str | None, dest) -> tuple[str, Path]:
    d = Path(dest) if dest else models_dir()
    have = installed_models(d)
    if name in (None, "", "latest"):
        if not have:
            raise RecognizerError(
                f"no allosaurus model is installed (looked in {d}); download one with: {DOWNLOAD_COMMAND}")
        name = DEFAULT_MODEL if DEFAULT_MODEL in have else have[-1]
    if name not in have:
        raise RecognizerError(
            f"the allosaurus model {name!r} is not installed (looked in {d}); "
            f"download it with: {DOWNLOAD_COMMAND} --name {name}")
    return name, d


def model_languages(name: str | None = None, dest=None) -> dict[str, str]:
    """ISO 639-3 code -> language name, for the languages the installed model knows."""
    name, d = _resolve(name, dest)
    with open(d / name / "inventory" / "index.json", encoding="utf-8") as f:
        langs = json.load(f)
    return {x["ISO6393"].lower(): x["LanguageName"] for x in langs}


def status(dest=None) -> tuple[bool, str]:
    """(ready, message): the allosaurus package and a downloaded model are installed."""
    import importlib.util

    if importlib.util.find_spec("allosaurus") is None:
        return False, "allosaurus is not installed (pip install allosaurus)"
    have = installed_models(dest)
    if not have:
        return False, f"no allosaurus model downloaded; run: {DOWNLOAD_COMMAND}"
    return True, f"ready (models: {', '.join(have)})"


_CACHE: dict[tuple[str, str], object] = {}
_LOCK = threading.Lock()


def _load(name: str, d: Path):
    key = (str(d), name)
    with _LOCK:
        if key not in _CACHE:
            try:
                import torch  # noqa: F401
            except ImportError as e:
                raise RecognizerError("allosaurus needs torch; install it from the add-on preferences") from e
            from allosaurus.am.factory import read_am
            from allosaurus.app import Recognizer
            from allosaurus.lm.factory import read_lm
            from allosaurus.pm.factory import read_pm

            # what allosaurus.app.read_recognizer does, minus its automatic
            # downloads (those must only happen on request)
            cfg = Namespace(model=name, device_id=-1, lang="ipa", approximate=False, prior=None)
            path = d / name
            _CACHE[key] = Recognizer(read_pm(path, cfg), read_am(path, cfg), read_lm(path, cfg), cfg)
        return _CACHE[key]


class AllosaurusRecognizer(Recognizer):
    """Allosaurus phone recognition, segments by forced alignment over its frame probabilities."""

    name = "allosaurus"

    def __init__(self, model: str | None = None, models_path: str | os.PathLike | None = None,
                 approximate: bool = False, language: str | None = None):
        """``language``: checked now (clear error before any audio is read); ``recognize`` takes its own."""
        try:
            import allosaurus  # noqa: F401
        except ImportError as e:
            raise RecognizerError("allosaurus is not installed; install it with: pip install allosaurus") from e
        self.model_name, self.dir = _resolve(model, models_path)
        self.approximate = approximate
        if language and language.lower() != "ipa" and language.lower() not in self.languages():
            raise RecognizerError(self._unknown_language(language))

    def _unknown_language(self, language: str) -> str:
        langs = self.languages()
        return (f"the allosaurus model {self.model_name!r} does not know the language {language!r}; "
                f"use an ISO 639-3 code it supports ({len(langs)} languages, e.g. "
                f"{', '.join(sorted(langs)[:12])}) or 'ipa' for all phones")

    def languages(self) -> dict[str, str]:
        return model_languages(self.model_name, self.dir)

    def posteriors(self, audio: Audio, language: str = "eng"):
        """Per-frame log-probabilities over the language's phones (``<blk>`` = CTC blank)."""
        import torch
        from allosaurus.am.utils import move_to_tensor
        from allosaurus.audio import Audio as AAudio

        rec = _load(self.model_name, self.dir)
        lang = (language or "ipa").lower()
        if lang != "ipa" and not rec.is_available(lang):
            raise RecognizerError(self._unknown_language(language))
        sr = int(rec.pm.sample_rate)
        x = audio.samples if audio.sample_rate == sr else resample(audio.samples, audio.sample_rate, sr)
        a = AAudio((np.clip(x, -1, 1) * 32767.0).astype(np.float64), sr)
        feat = rec.pm.compute(a)
        feats = np.expand_dims(feat, 0)
        feat_len = np.array([feat.shape[0]], dtype=np.int32)
        tf, tl = move_to_tensor([feats, feat_len], -1)
        with torch.no_grad():
            logits = rec.am(tf, tl)[0].detach().numpy().astype(np.float64)
        mask = rec.lm.inventory.get_mask(lang, approximation=self.approximate)
        logits = mask.mask_logits(logits)
        valid = sorted(mask.valid_mask)
        sub = logits[:, valid]
        sub = sub - sub.max(axis=1, keepdims=True)
        lp = sub - np.log(np.exp(sub).sum(axis=1, keepdims=True))
        labels = ["<blk>" if i == 0 else normalize(u) for i, u in zip(valid, mask.get_units(valid))]
        hop = float(rec.config.window_shift)
        return FramePosteriors(labels, lp.astype(np.float32), hop=hop, source=audio.source)

    def recognize(self, audio: Audio, transcript: str | None = None, language: str = "eng") -> PhoneTrack:
        dur = audio.duration
        if audio.samples.size == 0 or float(np.max(np.abs(audio.samples))) < 1e-4:
            return PhoneTrack([TimedPhone(0.0, dur, SIL, 1.0)], dur, recognizer=self.name,
                              language=language, source=audio.source, warnings=["the audio is silent"])
        post = self.posteriors(audio, language)
        # quiet frames are evidence for silence (relative to the clip's loudness)
        env = rms_envelope(audio, hop=post.hop)
        ref = float(np.percentile(env, 95)) + 1e-9
        quiet = np.clip(1.0 - (20 * np.log10(env / ref + 1e-9) + 45.0) / 15.0, 0.0, 1.0)
        phones = None
        words = None
        if transcript and transcript.strip():
            from ..g2p import text_to_phones

            words = text_to_phones(transcript, language)
            phones = [p for _, ps in words for p in ps]
        track = spikes_to_segments(post, phones, silence_evidence=quiet, duration=dur,
                                   recognizer=self.name, language=language)
        if words is not None:
            _attach_words(track, words)
        return track


def _attach_words(track: PhoneTrack, words: list[tuple[str, list[str]]]) -> None:
    speech = [p for p in track.phones if p.phone != SIL]
    i = 0
    for w, ps in words:
        seg = speech[i:i + len(ps)]
        i += len(ps)
        if not seg:
            continue
        for p in seg:
            p.word = w
        track.words.append(TimedWord(seg[0].start, seg[-1].end, w, min(p.confidence for p in seg)))
