"""Where systems and a reference disagree on the mouth: five-class confusions, per reference phone.

    .venv/bin/python bench/bench_confusions.py [--corpora dev_real/emu_ae dev_real/praatio] [--top 15]

For every clip of each corpus (dev splits only) the four systems of ``bench_model.py`` run
(pocketsphinx phone recognition and forced alignment, our model without and with the
transcript). Printed per corpus and system: the 5-class frame confusion matrix (rows =
reference, columns = system: closed, lip-to-teeth, rounded, open, narrow) and the reference
phones whose frames it most often puts in another class. When the transcript-based aligners
make the same "errors" as the recognisers, the disagreement is in the reference's labelling
conventions (vowel qualities, diphthong targets), not in the timing: that bounds what any
recogniser can score against that reference.
"""
from __future__ import annotations

import argparse
import collections

import numpy as np

CLASSES = ("closed", "lip-to-teeth", "rounded", "open", "narrow")
SYSTEMS = ("ps-phones", "ps-align", "model", "model+text")


def frame_labels(phones, n: int, hop: float) -> np.ndarray:
    lab = np.array(["sil"] * n, dtype=object)
    for s, e, p in phones:
        lab[int(round(s / hop)): int(round(e / hop))] = p
    return lab


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora", nargs="+", default=["dev_real/emu_ae", "dev_real/praatio"])
    ap.add_argument("--systems", nargs="+", choices=SYSTEMS, default=list(SYSTEMS))
    ap.add_argument("--top", type=int, default=12, help="reference phones listed per system")
    a = ap.parse_args(argv)

    from lipsync.phonemes.recognizers.model import ModelRecognizer
    from lipsync.phonemes.audio import load_audio
    from lipsync.training.datasets import load_corpus
    from lipsync.training.metrics import frame_visemes, to_classes
    from lipsync.phonemes.recognizers.pocketsphinx import PocketsphinxRecognizer
    from lipsync.phonemes.types import FRAME_HOP

    model, ps = ModelRecognizer(), PocketsphinxRecognizer()
    run = {"ps-phones": lambda au, t: ps.recognize(au), "ps-align": lambda au, t: ps.recognize(au, t),
           "model": lambda au, t: model.recognize(au), "model+text": lambda au, t: model.recognize(au, t)}
    for corpus in a.corpora:
        utts = load_corpus(corpus, "dev")
        conf = {s: np.zeros((len(CLASSES), len(CLASSES)), int) for s in a.systems}
        wrong = {s: collections.Counter() for s in a.systems}
        total: collections.Counter = collections.Counter()
        for u in utts:
            audio = load_audio(u.audio_path)
            n = max(1, int(round(audio.duration / FRAME_HOP)))
            rc = to_classes(frame_visemes(u.phones, n))
            lab = frame_labels(u.phones, n, FRAME_HOP)
            total.update(zip(lab, rc))
            for s in a.systems:
                hc = to_classes(frame_visemes(run[s](audio, u.text or None).phones, n))
                for ph, r, h in zip(lab, rc, hc):
                    conf[s][CLASSES.index(r), CLASSES.index(h)] += 1
                    if r != h:
                        wrong[s][(ph, r, h)] += 1
        print(f"\n{corpus} ({len(utts)} clips, {sum(total.values())} frames)")
        for s in a.systems:
            c = conf[s]
            print(f"  {s}: 5-class accuracy {np.trace(c) / c.sum():.3f}; rows = reference, columns = {s}")
            print("    " + " ".join(f"{x[:8]:>8s}" for x in ("",) + CLASSES))
            for i, name in enumerate(CLASSES):
                print("    " + f"{name[:8]:>8s} " + " ".join(f"{v:8d}" for v in c[i]))
            print(f"    most frequent disagreements (reference phone: reference class -> {s}, frames / frames of that phone):")
            for (ph, r, h), k in wrong[s].most_common(a.top):
                print(f"      {ph:5s} {r:>12s} -> {h:12s} {k:5d} / {total[(ph, r)]}")


if __name__ == "__main__":
    main()
