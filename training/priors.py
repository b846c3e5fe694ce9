"""Phone priors for free decoding in other languages: what the model was trained on vs what a language has.

    .venv/bin/python -m lipsync.training.priors [--weights W] [--mix speechocean762=0.2 ...]
        [--targets synth_extra] [--tune] [--scale 1.0] [--write]

The network's phone posteriors carry the prior of its training mix, which is mostly English: it hears
an open [a] of an unknown language as the English r-coloured vowel of "bird" because that vowel was
frequent in training. Free decoding in another language divides that prior out and puts the language's
in (the hybrid-recogniser correction, ``inference.runtime.prior_bias``):

    log p'(phone | frame) = log p(phone | frame) + scale * log((target(phone) + floor) / (train(phone) + floor))

- ``train``: each phone class's share of the labelled frames of the training mix, the caches weighted by
  their sampling weights (``--mix``; default: the shipped recipe, MODEL_CARD.md).
- one prior per training language: the frame shares of its espeak-ng (and festival) training speech, and per
  language of the ``--targets`` caches (default ``synth_extra``: espeak-ng in 38 more languages,
  ``prepare.prepare_synth_extra``), which count for the languages' priors but not for the training mix's;
- ``universal``: the mean over those languages and English (for languages without one: "und", unheard ones).
English keeps the training prior (no correction). ``--tune`` picks ``scale`` on synthetic speech of the
held-out languages (``multilingual.HELD_OUT``, never trained on; another seed than
``bench/bench_synth_languages.py``'s), each utterance clean and through a random recording channel
(``--clean-only``: clean), with the universal prior, audio only; and ``language_scale``, the scale of a
language's own prior, on synthetic speech of eight trained languages (``TUNE_LANGS``, other utterances than
the training set's) each told its language; ``--write`` stores the
``priors`` section of the config beside ``--weights``. Needs the training caches (``training.prepare``).
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from ..inference.classes import PHONE_CLASSES
from .data import DEFAULT_CACHE
from .multilingual import TUNE_SEED

# source name (as train.py logs it) -> cache file
CACHES = {"speechocean762": "so762_train", "cathy": "cathy_train", "synth": "synth_flite",
          "speechocean762_aug2": "so762_train_aug2", "cathy_aug2": "cathy_train_aug2", "synth_more": "synth_more",
          "synth_multi": "synth_multi_200", "synth_fest": "synth_fest_200", "synth_extra": "synth_extra_150"}
# the shipped recipe's sampling weights (train.py's "source ...: sampling weight" lines of MODEL_CARD.md's run)
DEFAULT_MIX = {"speechocean762": 0.2023, "cathy": 0.0867, "synth": 0.1156, "speechocean762_aug2": 0.1156,
               "cathy_aug2": 0.0578, "synth_more": 0.102, "synth_multi": 0.17, "synth_fest": 0.15}
FLOOR = 1e-3
SCALES = (0.0, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0)


def _load(cache_dir: str, name: str):
    path = os.path.join(cache_dir, CACHES.get(name, name) + ".npz")
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} is missing: build the training caches first (python -m lipsync.training.prepare"
                                " and train's --aug2 / --synth-more / --multi / --fest / --extra)")
    return np.load(path, allow_pickle=True)


def shares(phone: np.ndarray) -> np.ndarray:
    """Frame share of each phone class among the labelled frames (IGNORE < 0 left out)."""
    v = phone[phone >= 0]
    counts = np.bincount(v, minlength=len(PHONE_CLASSES)).astype(float)
    return counts / max(counts.sum(), 1.0)


def language_of(uid: str) -> str | None:
    """The language of a multilingual training utterance id ("multi_fr_00012", "extra_ka_00003",
    "fest_lp_00003")."""
    from .synth.festival import LANG_VOICES

    parts = str(uid).split("_")
    if parts[0] in ("multi", "extra") and len(parts) >= 3:
        return parts[1]
    if parts[0] == "fest" and len(parts) >= 3 and parts[1] in LANG_VOICES:
        return LANG_VOICES[parts[1]][5]
    return None


DEFAULT_TARGETS = ("synth_extra",)


def compute(cache_dir: str = DEFAULT_CACHE, mix: dict | None = None, targets=DEFAULT_TARGETS) -> dict:
    """{"train", "universal", "languages"}: phone class -> share (dicts, 5 significant digits). ``targets``:
    caches of more languages whose speech gives language priors (and joins the universal mean) without being
    part of the training mix."""
    mix = dict(DEFAULT_MIX if mix is None else mix)
    total = sum(mix.values())
    train = np.zeros(len(PHONE_CLASSES))
    per_lang: dict[str, np.ndarray] = {}
    english = np.zeros(len(PHONE_CLASSES))
    for name, w in list(mix.items()) + [(t, 0.0) for t in targets if t not in mix]:
        z = _load(cache_dir, name)
        ph = z["phone"]
        if w > 0:
            train += (w / total) * shares(ph)
        if name in ("speechocean762", "cathy"):
            english += shares(ph)
        if name in ("synth_multi", "synth_fest", "synth_extra"):
            starts = z["starts"]
            ends = np.append(starts[1:], len(ph))
            for s, e, uid in zip(starts, ends, z["ids"]):
                lang = language_of(uid)
                if lang is not None:
                    seg = ph[s:e]
                    seg = seg[seg >= 0]
                    per_lang.setdefault(lang, np.zeros(len(PHONE_CLASSES)))
                    per_lang[lang] += np.bincount(seg, minlength=len(PHONE_CLASSES))
    langs = {k: v / v.sum() for k, v in sorted(per_lang.items()) if v.sum() > 0}
    if not langs:
        raise ValueError("the mix has no multilingual source (synth_multi / synth_fest): no language priors")
    members = list(langs.values()) + ([english / english.sum()] if english.sum() > 0 else [])
    universal = np.mean(members, axis=0)

    def as_dict(v):
        return {c: float(f"{x:.5g}") for c, x in zip(PHONE_CLASSES, v)}

    return {"train": as_dict(train), "universal": as_dict(universal),
            "languages": {k: as_dict(v) for k, v in langs.items()}}


# trained languages the scale of a language's own prior is chosen on (other utterances than their training set's)
TUNE_LANGS = ("fr", "de", "es", "ru", "hi", "ar", "zh", "tr")


def tune(priors: dict, weights: str | None, n: int = 60, scales=SCALES, log=print, channel: bool = True,
         own: bool = False) -> dict:
    """Audio-only acc5 within a film frame per scale on synthetic speech: of the held-out languages with the
    universal prior ("und"), or (``own``) of ``TUNE_LANGS`` each told its language, so with its own prior
    (``language_scale``). With ``channel`` each utterance is also decoded through a random recording channel
    (``train.channel_augment``, seeded): the prior matters where the sound is ambiguous, and clean synthetic
    speech hardly ever is."""
    import torch

    from ..inference import runtime
    from ..inference.config import PhonePriors
    from . import multilingual as M
    from .metrics import Tally
    from .train import channel_augment

    torch.set_num_threads(1)
    rng = np.random.default_rng(TUNE_SEED)
    tallies = {s: Tally() for s in scales}
    candidates = {s: PhonePriors(priors["train"], priors["universal"], priors["languages"], s, FLOOR, s)
                  for s in scales}
    langs = TUNE_LANGS if own else M.HELD_OUT
    for lang, audio, ref in M.heldout_speech(n, TUNE_SEED + (1 if own else 0), langs=langs):
        feats = runtime.features(audio)
        copies = [feats]
        if channel:
            t = torch.from_numpy(np.ascontiguousarray(feats, dtype=np.float32))[None]
            copies.append(channel_augment(t, rng, p=1.0)[0].numpy())
        for f in copies:
            post = runtime.feature_posteriors(f, weights)
            for s, pp in candidates.items():
                hyp = runtime.decode_posteriors(post, audio.duration, weights=weights,
                                                language=lang if own else "und", priors=pp)
                tallies[s].add(ref, [(p.start, p.end, p.phone) for p in hyp.phones], audio.duration)
    out = {s: t.summary()["acc5_tol"] for s, t in tallies.items()}
    what = ("trained languages, own prior" if own else "held-out languages, universal prior") + (
        ", clean and through a random channel" if channel else ", clean")
    for s, v in out.items():
        log(f"scale {s}: synthetic audio-only acc5 ±1f {v:.4f} ({what})")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", default=DEFAULT_CACHE)
    ap.add_argument("--weights", default=None, help="weights whose config gets the priors (default: the shipped)")
    ap.add_argument("--mix", nargs="*", default=None, metavar="SOURCE=WEIGHT",
                    help=f"sampling weights of the training sources (default: {DEFAULT_MIX})")
    ap.add_argument("--targets", nargs="*", default=list(DEFAULT_TARGETS), metavar="SOURCE",
                    help="caches whose languages get priors without being in the training mix (default: "
                         f"{' '.join(DEFAULT_TARGETS)}; none: --targets with nothing after it)")
    ap.add_argument("--scale", type=float, default=1.0, help="scale written when not tuning")
    ap.add_argument("--tune", action="store_true", help="pick the scale on held-out synthetic speech")
    ap.add_argument("--n", type=int, default=60, help="utterances per held-out language when tuning")
    ap.add_argument("--clean-only", action="store_true",
                    help="tune on the clean synthetic speech only (default: also a copy through a random channel)")
    ap.add_argument("--write", action="store_true", help="store the priors in the config beside --weights")
    a = ap.parse_args(argv)
    mix = None
    if a.mix:
        try:
            mix = {k: float(v) for k, v in (m.split("=", 1) for m in a.mix)}
        except ValueError:
            ap.error("--mix takes SOURCE=WEIGHT pairs, e.g. speechocean762=0.2")
        unknown = sorted(set(mix) - set(CACHES))
        if unknown:
            ap.error(f"--mix: unknown source {', '.join(unknown)}; use {', '.join(CACHES)}")
    unknown = sorted(set(a.targets) - set(CACHES))
    if unknown:
        ap.error(f"--targets: unknown source {', '.join(unknown)}; use {', '.join(CACHES)}")
    try:
        pr = compute(a.cache, mix, a.targets)
    except (FileNotFoundError, ValueError) as exc:
        sys.exit(f"priors: {exc}")
    top = sorted(PHONE_CLASSES, key=lambda c: -abs(np.log((pr["universal"][c] + FLOOR) / (pr["train"][c] + FLOOR))))
    print(f"{len(pr['languages'])} language priors ({', '.join(pr['languages'])}); largest universal/train ratios: "
          + ", ".join(f"{c} {pr['universal'][c] / max(pr['train'][c], 1e-9):.2g}" for c in top[:10]))
    scale = language_scale = a.scale
    if a.tune:
        res = tune(pr, a.weights, a.n, channel=not a.clean_only)
        scale = max(res, key=lambda s: (round(res[s], 4), -s))
        own = tune(pr, a.weights, a.n // 2, channel=not a.clean_only, own=True)
        language_scale = max(own, key=lambda s: (round(own[s], 4), -s))
        print(f"chosen scale {scale} (universal prior), {language_scale} (a language's own)")
    if a.write:
        from ..inference.config import write_section

        path = write_section("priors", {"about": "training.priors: free decoding in another language swaps the "
                                        "training prior for the language's", "scale": scale,
                                        "language_scale": language_scale, "floor": FLOOR, **pr}, a.weights)
        print(f"wrote the priors (scale {scale}, own-language scale {language_scale}) to {path}")


if __name__ == "__main__":
    main()
