"""Training data for the audio-to-viseme model: corpora, synthetic speech, augmentation, feature cache.

Pipeline (reproducible, fixed seeds):
  utterances (``datasets.load_corpus`` for cathy / speechocean762 train splits,
  flite voices on the train prompts) -> waveform augmentation (speed, pitch, reverb,
  noise, telephone band, clipping, level) -> log-mel (+ VTLP warp) -> per-frame labels
  (``labels.frame_labels``) -> one ``.npz`` per source under the cache folder.
No torch here.
"""
from __future__ import annotations

import os
import zlib
from dataclasses import dataclass, field

import numpy as np

from ..inference import features as F
from .datasets import data_root
from .labels import frame_labels

DEFAULT_DATA = data_root()
DEFAULT_CACHE = os.environ.get(
    "LIPSYNC_CACHE", os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "data_cache")))


@dataclass
class Utt:
    id: str
    audio_path: str | None
    phones: list  # [(start, end, ipa)]
    text: str = ""
    speaker: str = ""
    corpus: str = ""
    samples: np.ndarray | None = field(default=None, repr=False)


def load_split(name: str, split: str, data_dir: str = DEFAULT_DATA) -> list[Utt]:
    """Utterances of corpus ``name`` / ``split`` through the shared readers (``training.datasets``)."""
    try:
        from . import datasets
    except ImportError as exc:  # pragma: no cover - the shared readers are part of the package
        raise RuntimeError("phonemes.datasets is missing; it provides the corpus readers and splits") from exc
    if data_dir and not os.environ.get("LIPSYNC_DATA"):
        os.environ["LIPSYNC_DATA"] = data_dir
    utts = datasets.load_corpus(name, split)
    out = []
    for u in utts:
        out.append(Utt(u.id, str(u.audio_path), [(float(a), float(b), p) for a, b, p in (u.phones or [])],
                       getattr(u, "text", "") or "", getattr(u, "speaker", "") or "", name))
    return out


def read_audio(path: str) -> np.ndarray:
    from ..phonemes.audio import load_audio

    return load_audio(path).samples.astype(np.float32)


# ---------------------------------------------------------------- augmentation

def _resample(x: np.ndarray, up: int, down: int) -> np.ndarray:
    from scipy.signal import resample_poly

    return resample_poly(x, up, down).astype(np.float32)


def speed(x: np.ndarray, factor: float):
    """Play ``factor`` times faster (pitch moves with it, as in Kaldi's speed perturbation)."""
    down = 100
    up = int(round(100 / factor))
    return _resample(x, up, down), up / down  # time scale applied to labels (output length / input length)


def pitch_shift(x: np.ndarray, cents: float) -> np.ndarray:
    """Pitch shift without tempo change (librosa: phase-vocoder time stretch, then resampling back to the
    input length), so every label keeps its time. Shifts under one cent return the input."""
    if abs(cents) < 1:
        return x
    import librosa

    y = librosa.effects.pitch_shift(np.asarray(x, np.float32), sr=F.SAMPLE_RATE, n_steps=cents / 100.0)
    return np.pad(y, (0, max(len(x) - len(y), 0)))[: len(x)].astype(np.float32)


def reverb(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    from scipy.signal import fftconvolve

    rt60 = rng.uniform(0.15, 0.9)
    n = int(rt60 * 16000)
    t = np.arange(n) / 16000.0
    rir = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    rir[: int(0.002 * 16000)] = 0
    rir[0] = 1.0 / rng.uniform(0.3, 1.5)  # direct path vs reverberant energy
    rir /= np.sqrt(np.sum(rir ** 2))
    y = fftconvolve(x, rir)[: len(x)]
    return y.astype(np.float32)


def add_noise(x: np.ndarray, rng: np.random.Generator, babble: list[np.ndarray] | None = None) -> np.ndarray:
    snr = rng.uniform(0, 30)
    kind = rng.integers(0, 4 if babble else 3)
    n = len(x)
    if kind == 0:
        noise = rng.standard_normal(n)
    elif kind == 1:  # pink-ish: 1/f via spectral shaping
        spec = np.fft.rfft(rng.standard_normal(n))
        spec /= np.sqrt(np.arange(len(spec)) + 1.0)
        noise = np.fft.irfft(spec, n)
    elif kind == 2:  # brown/hum-like low-frequency rumble
        noise = np.cumsum(rng.standard_normal(n))
        noise -= np.convolve(noise, np.ones(801) / 801, mode="same")
    else:  # background speech (unlabelled LibriSpeech voices)
        b = babble[int(rng.integers(len(babble)))]
        if len(b) < n:
            b = np.tile(b, n // len(b) + 1)
        s = int(rng.integers(0, len(b) - n + 1))
        noise = b[s: s + n].astype(np.float64)
        snr += 5
    px = np.mean(x.astype(np.float64) ** 2) + 1e-10
    pn = np.mean(noise ** 2) + 1e-12
    return (x + noise * np.sqrt(px / pn / 10 ** (snr / 10))).astype(np.float32)


def telephone(x: np.ndarray) -> np.ndarray:
    from scipy.signal import butter, sosfiltfilt

    y = _resample(x, 1, 2)  # 8 kHz
    sos = butter(4, [300, 3400], btype="band", fs=8000, output="sos")
    y = sosfiltfilt(sos, y).astype(np.float32)
    y = _resample(y, 2, 1)
    return np.pad(y, (0, max(len(x) - len(y), 0)))[: len(x)]


def clip(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    peak = float(np.max(np.abs(x))) + 1e-9
    lim = peak * rng.uniform(0.2, 0.6)
    return np.clip(x, -lim, lim)


def augment(x: np.ndarray, segs, rng: np.random.Generator, babble=None):
    """A random chain of real-world degradations. Returns (samples, segments, vtlp factor, description)."""
    desc = []
    if rng.random() < 0.5:
        f = float(rng.uniform(0.88, 1.12))
        x, scale = speed(x, f)
        segs = [(a * scale, b * scale, p) for a, b, p in segs]
        desc.append(f"speed{f:.2f}")
    if rng.random() < 0.3:
        c = float(rng.uniform(-300, 300))
        x = pitch_shift(x, c)
        desc.append(f"pitch{c:+.0f}c")
    if rng.random() < 0.35:
        x = reverb(x, rng)
        desc.append("reverb")
    if rng.random() < 0.5:
        x = add_noise(x, rng, babble)
        desc.append("noise")
    if rng.random() < 0.2:
        x = telephone(x)
        desc.append("tel")
    g = 10 ** (rng.uniform(-30, 6) / 20)
    x = x * g
    if rng.random() < 0.15:
        x = clip(x, rng)
        desc.append("clip")
    x = np.clip(x, -1, 1)
    vtlp = float(rng.uniform(0.88, 1.12)) if rng.random() < 0.6 else 1.0
    if vtlp != 1.0:
        desc.append(f"vtlp{vtlp:.2f}")
    return x.astype(np.float32), segs, vtlp, "+".join(desc) or "gain"


# ---------------------------------------------------------------- examples and cache

def make_example(x: np.ndarray, segs, vtlp: float = 1.0, offset: float = 0.0):
    """Features and aligned labels of one utterance: dict(feats [T,80] f16, phone [T], vis [T], ctl [T,C] u8)."""
    feats = F.log_mel(x, vtlp=vtlp)
    ph, vi, ct = frame_labels(segs, len(feats), offset=offset)
    return {"feats": feats.astype(np.float16), "phone": ph, "vis": vi, "ctl": np.round(ct * 255).astype(np.uint8)}


def _seed(*parts) -> int:
    return zlib.crc32("/".join(str(p) for p in parts).encode()) & 0x7FFFFFFF


def _work(args):
    kind, item, n_aug, babble_paths = args[:4]
    first_aug, with_clean = (args[4], args[5]) if len(args) > 4 else (0, True)
    out = []
    if kind == "corpus":
        u = item
        try:
            x = read_audio(u.audio_path)
        except Exception as exc:
            return [("error", f"{u.id}: {exc}")]
        segs = u.phones
        tag = u.corpus
    else:  # synthetic: voice "engine:voice" (a bare name is a flite voice)
        from .synth import synthesize

        text, voice, uid = item
        tag = voice if ":" in voice else f"flite:{voice}"
        try:
            x, segs = synthesize(text, tag)
        except Exception as exc:
            return [("error", f"{uid}: {exc}")]
        u = Utt(uid, None, segs, text, tag, tag)
    if with_clean:
        out.append(("ok", u.id, tag, u.speaker, "clean", make_example(x, segs)))
    babble = _babble(babble_paths)
    for k in range(first_aug, first_aug + n_aug):
        rng = np.random.default_rng(_seed(u.id, k))
        y, s2, vtlp, desc = augment(x, segs, rng, babble)
        out.append(("ok", u.id, tag, u.speaker, desc, make_example(y, s2, vtlp)))
    return out


_BABBLE: dict = {}


def _babble(paths):
    if not paths:
        return None
    key = tuple(paths)
    if key not in _BABBLE:
        _BABBLE.clear()
        _BABBLE[key] = [read_audio(p) for p in paths]
    return _BABBLE[key]


def build_cache(name: str, jobs, n_aug: int, cache_dir: str = DEFAULT_CACHE, babble_paths=None,
                workers: int = 2, log=print, first_aug: int = 0, with_clean: bool = True) -> str:
    """Run ``jobs`` ([(kind, item)]) through augmentation + features; save one npz with everything concatenated.

    Augmented copies use draws ``first_aug .. first_aug + n_aug - 1`` (seeded per utterance and draw), so a
    later cache with ``first_aug=1, with_clean=False`` adds a second, different augmented copy."""
    os.makedirs(cache_dir, exist_ok=True)
    path = os.path.join(cache_dir, f"{name}.npz")
    if os.path.exists(path):
        log(f"cache hit {path}")
        return path
    feats, ph, vi, ct, starts, ids, groups, descs = [], [], [], [], [], [], [], []
    n = 0
    errors = 0
    args = [(k, it, n_aug, babble_paths, first_aug, with_clean) for k, it in jobs]

    def collect(results):
        nonlocal n, errors
        for i, res in enumerate(results):
            for r in res:
                if r[0] == "error":
                    errors += 1
                    continue
                _, uid, tag, spk, desc, ex = r
                starts.append(n); n += len(ex["feats"])
                feats.append(ex["feats"]); ph.append(ex["phone"]); vi.append(ex["vis"]); ct.append(ex["ctl"])
                ids.append(uid); groups.append(f"{tag}|{spk}"); descs.append(desc)
            if (i + 1) % 200 == 0:
                log(f"  {name}: {i + 1}/{len(args)} utterances, {n / 100 / 60:.1f} min of frames")

    if workers > 1:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(workers) as pool:
            collect(pool.imap(_work, args, chunksize=4))
    else:
        collect(map(_work, args))
    if not feats:
        raise RuntimeError(f"no usable utterances for {name} ({errors} errors)")
    tmp = path + ".tmp.npz"
    np.savez(tmp, feats=np.concatenate(feats), phone=np.concatenate(ph), vis=np.concatenate(vi),
             ctl=np.concatenate(ct), starts=np.array(starts + [n], np.int64), ids=np.array(ids),
             groups=np.array(groups), descs=np.array(descs))
    os.replace(tmp, path)
    log(f"cache {path}: {len(ids)} examples, {n / 100 / 60:.1f} min of frames, {errors} errors")
    return path


def synth_jobs(texts: list[str], voices=None, per_voice: int | None = None, seed: int = 0):
    """(kind, item) jobs speaking ``texts`` with each voice (a different shuffled subset per voice).

    ``voices``: flite voice names ("slt", the default set) or "engine:voice" names (``training.synth``)."""
    from .synth.flite import FLITE_VOICES

    voices = voices or FLITE_VOICES
    jobs = []
    for vi_, v in enumerate(voices):
        rng = np.random.default_rng(seed + vi_)
        order = rng.permutation(len(texts))[: per_voice or len(texts)]
        uid_voice = v.replace(":", "_").replace("+", "_")
        for i in order:
            jobs.append(("synth", (texts[i], v, f"{uid_voice}_{i:05d}")))
    return jobs


__all__ = ["Utt", "load_split", "augment", "make_example", "build_cache", "synth_jobs", "DEFAULT_DATA",
           "DEFAULT_CACHE", "speed", "pitch_shift", "reverb", "add_noise", "telephone", "clip"]
