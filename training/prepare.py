"""Build the feature/label cache the trainer reads (``python -m lipsync.training.prepare``).

Sources (train splits only; dev splits and check-only corpora are never read here):
- cathy train (prompt-id split of ``training.datasets``): clean + N augmented copies;
- speechocean762 train (speaker split): clean + N augmented copies;
- flite voices slt/rms/awb/kal16 speaking train prompts (cathy + speechocean762 texts),
  labels from the engine's own timings with the per-engine offset: clean + N augmented;
- librispeech_unlabelled: clean features only (for pseudo-labelling), and 20 of its
  voices as background-speech noise for augmentation.
``prepare_aug2`` adds a second augmented copy of the real train utterances and
``prepare_synth_more`` a second synthetic set (espeak-ng, Piper, festival voices; needs
``tools/setup_train.sh``), ``prepare_synth_multi`` the multilingual one (espeak-ng in 36 languages,
``training.multilingual``) and ``prepare_synth_extra`` 38 more languages (words from CLDR names);
``train --aug2 / --synth-more / --multi / --fest / --extra`` build them when asked.
"""
from __future__ import annotations

import argparse
import os
import time

from .data import DEFAULT_CACHE, DEFAULT_DATA, build_cache, load_split, synth_jobs


def _train_sources(data_dir: str):
    """(unlabelled utterances, babble-noise audio paths drawn from them, cathy train, speechocean762 train)."""
    os.environ.setdefault("LIPSYNC_DATA", data_dir)
    unl = load_split("librispeech_unlabelled", "all", data_dir)
    babble = [u.audio_path for u in unl[:: max(len(unl) // 20, 1)][:20]]
    return unl, babble, load_split("cathy", "train", data_dir), load_split("speechocean762", "train", data_dir)


def prepare(cache_dir: str = DEFAULT_CACHE, data_dir: str = DEFAULT_DATA, n_aug: int = 1,
            synth_per_voice: int = 250, workers: int = 2, limit: int | None = None, log=print) -> dict:
    t0 = time.time()
    unl, babble, cathy, so = _train_sources(data_dir)
    if limit:
        cathy, so, unl = cathy[:limit], so[:limit], unl[: max(limit // 4, 1)]
        synth_per_voice = min(synth_per_voice, limit)
    paths = {}
    paths["cathy"] = build_cache("cathy_train", [("corpus", u) for u in cathy], n_aug, cache_dir, babble, workers, log)
    paths["speechocean762"] = build_cache("so762_train", [("corpus", u) for u in so], n_aug, cache_dir, babble,
                                          workers, log)
    texts = sorted({u.text for u in cathy + so if u.text and len(u.text.split()) >= 3})
    paths["synth"] = build_cache("synth_flite", synth_jobs(texts, per_voice=synth_per_voice), n_aug, cache_dir,
                                 babble, workers, log)
    paths["unlabelled"] = build_cache("librispeech_unlabelled", [("corpus", u) for u in unl], 0, cache_dir, None,
                                      workers, log)
    log(f"prepared in {time.time() - t0:.0f} s")
    return paths


def prepare_aug2(cache_dir: str = DEFAULT_CACHE, data_dir: str = DEFAULT_DATA, workers: int = 2,
                 limit: int | None = None, log=print) -> dict:
    """A second augmented copy (draw 1, no clean copy) of the cathy and speechocean762 train splits."""
    t0 = time.time()
    _unl, babble, cathy, so = _train_sources(data_dir)
    if limit:
        cathy, so = cathy[:limit], so[:limit]
    paths = {
        "cathy_aug2": build_cache("cathy_train_aug2", [("corpus", u) for u in cathy], 1, cache_dir, babble, workers,
                                  log, first_aug=1, with_clean=False),
        "speechocean762_aug2": build_cache("so762_train_aug2", [("corpus", u) for u in so], 1, cache_dir, babble,
                                           workers, log, first_aug=1, with_clean=False),
    }
    log(f"prepared second augmented copies in {time.time() - t0:.0f} s")
    return paths


def more_synth_voices() -> tuple:
    """The voices of the second synthetic set: every voice of espeak-ng, Piper and festival (all required)."""
    from .synth import SynthError, engine_voices

    voices = []
    for engine in ("espeak", "piper", "festival"):
        found = engine_voices(engine)
        if not found:
            raise SynthError(f"synthesis engine {engine!r} is not installed; the training recipe needs it: "
                             "run `bash tools/setup_train.sh` (Debian festival + voices, Piper, espeak-ng)")
        voices += found
    return tuple(voices)


def prepare_synth_more(cache_dir: str = DEFAULT_CACHE, data_dir: str = DEFAULT_DATA, per_voice: int = 120,
                       workers: int = 2, limit: int | None = None, log=print) -> dict:
    """A second synthetic set: espeak-ng, Piper and festival voices on the train prompts (clean + 1 augmented)."""
    t0 = time.time()
    _unl, babble, cathy, so = _train_sources(data_dir)
    if limit:
        cathy, so = cathy[:limit], so[:limit]
        per_voice = min(per_voice, limit)
    texts = sorted({u.text for u in cathy + so if u.text and len(u.text.split()) >= 3})
    voices = more_synth_voices()
    os.environ.setdefault("LIPSYNC_PIPER_THREADS", "1")  # one onnxruntime thread per worker process
    log(f"second synthetic set: {len(voices)} voices x {per_voice} prompts: {', '.join(voices)}")
    path = build_cache("synth_more", synth_jobs(texts, voices, per_voice=per_voice, seed=100), 1, cache_dir, babble,
                       workers, log)
    log(f"prepared the second synthetic set in {time.time() - t0:.0f} s")
    return {"synth_more": path}


def _bundled_espeak_cache(name: str, jobs, cache_dir: str, babble, workers: int, log) -> str:
    """``build_cache`` (clean + 1 augmented copy) with the bundled libespeak-ng speaking (forked workers inherit
    the switch)."""
    from .synth import espeak

    espeak.use_bundled(True)
    try:
        return build_cache(name, jobs, 1, cache_dir, babble, workers, log)
    finally:
        espeak.use_bundled(False)


def prepare_synth_multi(cache_dir: str = DEFAULT_CACHE, data_dir: str = DEFAULT_DATA, per_lang: int = 200,
                        workers: int = 2, limit: int | None = None, log=print) -> dict:
    """The multilingual synthetic set (``training.multilingual``): espeak-ng (the bundled 1.52 library) speaking
    common words of each training language; clean + 1 augmented copy."""
    from . import multilingual

    t0 = time.time()
    _unl, babble, _cathy, _so = _train_sources(data_dir)
    if limit:
        per_lang = min(per_lang, limit)
    jobs = multilingual.multi_jobs(multilingual.TRAIN_LANGS, per_lang=per_lang, seed=200)
    log(f"multilingual synthetic set: {len(multilingual.TRAIN_LANGS)} languages x {per_lang} utterances "
        f"({', '.join(multilingual.TRAIN_LANGS)}); held out: {', '.join(multilingual.HELD_OUT)}")
    path = _bundled_espeak_cache(f"synth_multi_{per_lang}", jobs, cache_dir, babble, workers, log)
    log(f"prepared the multilingual synthetic set in {time.time() - t0:.0f} s")
    return {"synth_multi": path}


def prepare_synth_extra(cache_dir: str = DEFAULT_CACHE, data_dir: str = DEFAULT_DATA, per_lang: int = 150,
                        workers: int = 2, limit: int | None = None, log=print) -> dict:
    """More languages (``multilingual.EXTRA_LANGS``, words from CLDR names): espeak-ng (the bundled library)
    speaking ``per_lang`` utterances of each; clean + 1 augmented copy. Needs ``babel`` (tools/setup_train.sh)."""
    from . import multilingual

    t0 = time.time()
    _unl, babble, _cathy, _so = _train_sources(data_dir)
    if limit:
        per_lang = min(per_lang, limit)
    jobs = multilingual.extra_jobs(per_lang=per_lang, seed=500)
    log(f"extra languages: {len(multilingual.EXTRA_LANGS)} x {per_lang} utterances "
        f"({', '.join(multilingual.EXTRA_LANGS)})")
    path = _bundled_espeak_cache(f"synth_extra_{per_lang}", jobs, cache_dir, babble, workers, log)
    log(f"prepared the extra languages in {time.time() - t0:.0f} s")
    return {"synth_extra": path}


def prepare_synth_festival(cache_dir: str = DEFAULT_CACHE, data_dir: str = DEFAULT_DATA, per_voice: int = 200,
                           workers: int = 2, limit: int | None = None, log=print) -> dict:
    """The festival set of other languages (``multilingual.festival_jobs``): the voices of ``synth.festival``'s
    LANG_VOICES installed here (recorded speakers of Italian, Czech, Finnish, Russian, Catalan, Hindi) speaking
    common words of their language; clean + 1 augmented copy. Needs at least one of them installed."""
    from . import multilingual
    from .synth import SynthError, festival

    t0 = time.time()
    _unl, babble, _cathy, _so = _train_sources(data_dir)
    if limit:
        per_voice = min(per_voice, limit)
    voices = festival.installed_lang_voices()
    if not voices:
        raise SynthError("no festival voice of another language is installed: run `bash tools/setup_train.sh` as "
                         f"root (apt-get install {' '.join(v[2] for v in festival.LANG_VOICES.values())})")
    log(f"festival set of other languages: {len(voices)} voices x {per_voice} utterances: "
        f"{', '.join(f'{v} ({lang})' for v, lang in sorted(voices.items()))}")
    path = build_cache(f"synth_fest_{per_voice}", multilingual.festival_jobs(voices, per_voice=per_voice, seed=300),
                       1, cache_dir, babble, workers, log)
    log(f"prepared the festival set of other languages in {time.time() - t0:.0f} s")
    return {"synth_fest": path}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", default=DEFAULT_CACHE)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--n-aug", type=int, default=1)
    ap.add_argument("--synth-per-voice", type=int, default=250)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=None, help="at most this many utterances per corpus (tests)")
    a = ap.parse_args(argv)
    prepare(a.cache, a.data, a.n_aug, a.synth_per_voice, a.workers, a.limit)


if __name__ == "__main__":
    main()
