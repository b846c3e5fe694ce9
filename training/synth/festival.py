"""Festival synthetic speech with exact phone timings, for training data.

Voices (Debian packages, all in main):
  "festival:slt_hts"  festvox-us-slt-hts   US English female, HTS (32 kHz)
  "festival:kal"      festvox-kallpc16k    US English male, diphone (16 kHz)
  "festival:ked"      festvox-kdlpc16k     US English male, diphone (16 kHz)
Festival runs as a subprocess in batch mode on a small Scheme script that
synthesises the text and saves the segments (``utt.save.segs``: each phone's
end time) and the wave. Phone names are festival's ARPAbet-like set
(``synth.common.festival_phone_to_ipa``). Pauses follow the punctuation
(a punctuation phrasing tree instead of the voices' statistical
phrasing, which ignores commas and sentence ends inside one utterance). The
speaking rate varies with a hash of the text (x0.9-1.15 duration), so a text
always gives the same audio. ``OFFSETS`` are added to festival's times.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import unicodedata

import numpy as np

from ...phonemes.types import SIL
from .common import SynthError, festival_phone_to_ipa, fit_segments, per_text_value

VOICE_DIR = os.environ.get("LIPSYNC_FESTIVAL_VOICES", "/usr/share/festival/voices")
# voice -> (festival's voice function, its directory under VOICE_DIR, Debian package, HTS?)
KNOWN = {
    "slt_hts": ("voice_cmu_us_slt_arctic_hts", "us/cmu_us_slt_arctic_hts", "festvox-us-slt-hts", True),
    "kal": ("voice_kal_diphone", "english/kal_diphone", "festvox-kallpc16k", False),
    "ked": ("voice_ked_diphone", "english/ked_diphone", "festvox-kdlpc16k", False),
}
PACKAGES = ("festival",) + tuple(v[2] for v in KNOWN.values())
INSTALL = (f"`apt-get install {' '.join(PACKAGES)}` (or tools/setup_train.sh as root); "
           "needed only to make synthetic training data.")

# seconds added to festival's phone times (acoustic onset after a pause minus the labelled pause end).
# Measured 2026-11-29 on 30 ARCTIC prompts (cathy/text, every 3rd) with pauses put in (", the", ", a"),
# the measurement of python -m lipsync.training.synth_offsets (synth.common.onset_lags on synthesize(..., apply_offset=False),
# boundaries into stops/affricates left out); the same figures from a scratch script and from
#   .venv/bin/python -m lipsync.training.synth_offsets --n 30 --voices piper,festival
#   festival:slt_hts: n=41 (+8 not found) median lag +13.0 ms (IQR +10.0..+40.0 ms)
#   festival:kal: n=49 (+3 not found) median lag +12.5 ms (IQR +6.2..+18.7 ms)
#   festival:ked: n=49 (+3 not found) median lag +25.8 ms (IQR +14.4..+33.0 ms)
OFFSETS = {"festival:slt_hts": 0.013, "festival:kal": 0.0125, "festival:ked": 0.0258}

# pauses: a long one after . ? ! : and the utterance's end, a short one after , ; (quotes: none)
_PHRASE_TREE = ('((lisp_token_end_punc in ("?" "." ":" "!")) ((BB)) ((lisp_token_end_punc in ("," ";")) ((B)) '
                '((n.name is 0) ((BB)) ((NB)))))')
STRETCH = (0.9, 1.15)  # duration factor, from a hash of the text


def installed_voices() -> tuple:
    """The voices ("festival:name") installed here (festival itself and the voice's files)."""
    if shutil.which("festival") is None:
        return ()
    return tuple(f"festival:{v}" for v, (_, d, _, _) in KNOWN.items() if os.path.isdir(os.path.join(VOICE_DIR, d)))


VOICES = installed_voices()  # what engine_voices("festival") offers; synthesize() knows all of KNOWN


def available() -> bool:
    return bool(VOICES)


def _scheme_string(text: str) -> str:
    """``text`` as a Scheme string literal festival reads (ASCII, quotes and backslashes escaped)."""
    t = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    t = t.replace("\u2014", ", ").replace("\u2013", ", ")
    t = unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode("ascii")
    t = " ".join(t.split())
    return '"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"'


def stretch_for(text: str) -> float:
    return per_text_value(text, STRETCH, 0)


def parse_segs(text: str) -> list[tuple[float, float, str]]:
    """``utt.save.segs`` output (``#`` then ``END 100 NAME`` lines) -> contiguous [(start, end, ipa)] from 0."""
    segs: list[list] = []
    t = 0.0
    body = text.split("#", 1)[1] if "#" in text else text
    for line in body.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        try:
            end = float(parts[0])
        except ValueError:
            continue
        name = parts[-1]
        try:
            p = festival_phone_to_ipa(name)
        except KeyError:
            p = _EXTRA.get(name.lower())
            if p is None:
                raise SynthError(f"festival gave a phone we cannot map to IPA: {name!r}")
        if end <= t:
            continue  # zero-length segment
        if segs and segs[-1][2] == p == SIL:
            segs[-1][1] = end
        else:
            segs.append([t, end, p])
        t = end
    return [tuple(s) for s in segs]


_EXTRA = {"hv": "h", "brth": SIL, "ssil": SIL, "#": SIL}


def synthesize(text: str, voice: str = "slt_hts", apply_offset: bool = True):
    """Speak ``text`` with a festival voice. Returns (samples float32 at 16 kHz, [(start, end, ipa)])."""
    import soundfile as sf

    from ...phonemes.audio import resample

    if voice not in KNOWN:
        raise SynthError(f"unknown festival voice {voice!r}; use one of {tuple('festival:' + v for v in KNOWN)}")
    func, vdir, pkg, hts = KNOWN[voice]
    if shutil.which("festival") is None:
        raise SynthError("festival is not installed: " + INSTALL)
    if not os.path.isdir(os.path.join(VOICE_DIR, vdir)):
        raise SynthError(f"the festival voice {voice!r} is not installed: `apt-get install {pkg}` ({INSTALL})")
    stretch = stretch_for(text)
    if hts:  # HTS ignores Duration_Stretch; hts_engine's speed (-r) is a rate
        rate = (f"(set! hts_engine_params (append hts_engine_params (list (list \"-r\" {1.0 / stretch:.4f}))))")
    else:
        rate = f"(Parameter.set 'Duration_Stretch {stretch:.4f})"
    with tempfile.TemporaryDirectory(prefix="lipsync_festival_") as d:
        segs_path, wav_path, scm = (os.path.join(d, n) for n in ("x.segs", "x.wav", "x.scm"))
        script = "\n".join([
            f"({func})",
            "(Parameter.set 'Phrase_Method 'cart_tree)",
            f"(set! phrase_cart_tree '{_PHRASE_TREE})",
            rate,
            f"(set! u (utt.synth (Utterance Text {_scheme_string(text)})))",
            f'(utt.save.segs u "{segs_path}")',
            f'(utt.save.wave u "{wav_path}" \'riff)',
            "",
        ])
        with open(scm, "w", encoding="ascii") as f:
            f.write(script)
        try:
            res = subprocess.run(["festival", "-b", scm], capture_output=True, text=True, timeout=120, cwd=d)
        except subprocess.TimeoutExpired:
            raise SynthError(f"festival timed out on {text[:60]!r}") from None
        if not (os.path.exists(wav_path) and os.path.exists(segs_path)):
            raise SynthError(f"festival failed (voice {voice}): {(res.stderr or res.stdout).strip()[-300:]}")
        x, sr = sf.read(wav_path, dtype="float32")
        with open(segs_path, encoding="latin-1") as f:
            segs = parse_segs(f.read())
    if x.ndim == 2:
        x = x.mean(axis=1)
    if sr != 16000:
        x = resample(x, sr, 16000)
    x = np.ascontiguousarray(x, dtype=np.float32)
    if not segs or len(x) == 0:
        raise SynthError(f"festival produced no speech for {text!r}")
    off = OFFSETS.get(f"festival:{voice}", 0.0) if apply_offset else 0.0
    return x, fit_segments(segs, off, len(x) / 16000.0)


__all__ = ["VOICES", "KNOWN", "OFFSETS", "available", "installed_voices", "synthesize", "parse_segs"]
