"""Train the audio-to-viseme model: ``python -m lipsync.training.train``.

Reproduces the shipped weights (``inference/weights/visemenet.pt``) from ``../shared/data``
and the synthesis recipes (flite; with ``--synth-more`` also espeak-ng, Piper and festival,
installed by ``tools/setup_train.sh``): builds the feature cache (``training.prepare``) if
needed, trains with fixed seeds on random crops (speechocean762 : cathy : synthetic = 0.5 :
0.25 : 0.25 by default), then self-trains on confident pseudo-labels of
``librispeech_unlabelled``, and writes the weights (``--out``) with ``train_log.txt`` and
``dev_metrics.json`` beside them (in ``training/logs/`` when ``--out`` is the shipped weights
folder: the extension ships no logs). The shipped weights are several warm-started stages: see
``inference/weights/MODEL_CARD.md`` for the exact commands.
Dev figures: cathy dev and speechocean762 dev (never trained on).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as Fn

from ..phonemes.visemes import CONTROLS, VISEME_TO_CLASS, VISEMES, VISUAL_CLASSES
from .data import DEFAULT_CACHE, DEFAULT_DATA, load_split, read_audio
from ..inference.features import FMAX, FMIN, N_MELS, hz_to_mel, log_mel, mel_to_hz
from ..inference.classes import PHONE_CLASSES
from ..inference.config import WEIGHTS_DIR
from .labels import IGNORE, frame_labels
from ..inference.model import VisemeNet, n_params

LOGS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "logs")
VIS_TO_CLS = np.array([VISUAL_CLASSES.index(VISEME_TO_CLASS[v]) for v in VISEMES])


class Source:
    """One cache file: concatenated frames plus utterance boundaries."""

    def __init__(self, path: str, name: str):
        z = np.load(path)
        self.name = name
        self.feats = torch.from_numpy(z["feats"])  # float16
        self.phone = torch.from_numpy(z["phone"].astype(np.int64))
        self.vis = torch.from_numpy(z["vis"].astype(np.int64))
        self.ctl = torch.from_numpy(z["ctl"])
        self.starts = z["starts"]
        self.lengths = np.diff(self.starts)

    def __len__(self):
        return len(self.lengths)

    def crop(self, rng: np.random.Generator, n: int):
        i = int(rng.integers(len(self.lengths)))
        s, L = int(self.starts[i]), int(self.lengths[i])
        if L > n:
            s += int(rng.integers(0, L - n + 1))
            L = n
        return s, L


def make_batch(sources, weights, rng, batch: int, crop: int):
    feats = torch.zeros(batch, crop, sources[0].feats.shape[1])
    phone = torch.full((batch, crop), IGNORE, dtype=torch.long)
    vis = torch.full((batch, crop), IGNORE, dtype=torch.long)
    ctl = torch.zeros(batch, crop, len(CONTROLS))
    cmask = torch.zeros(batch, crop)
    for b in range(batch):
        src = sources[int(rng.choice(len(sources), p=weights))]
        s, L = src.crop(rng, crop)
        f = src.feats[s: s + L].float()
        feats[b, :L] = f
        feats[b, L:] = f.min()  # pad with near-silence
        phone[b, :L] = src.phone[s: s + L]
        vis[b, :L] = src.vis[s: s + L]
        ctl[b, :L] = src.ctl[s: s + L].float() / 255.0
        cmask[b, :L] = (src.vis[s: s + L] != IGNORE).float()
    return feats, phone, vis, ctl, cmask


def spec_augment(feats: torch.Tensor, rng: np.random.Generator):
    B, T, M = feats.shape
    for b in range(B):
        lo = float(feats[b].min())
        for _ in range(2):
            w = int(rng.integers(0, 10))
            f0 = int(rng.integers(0, M - w))
            feats[b, :, f0: f0 + w] = lo
        for _ in range(2):
            w = int(rng.integers(0, 8))
            t0 = int(rng.integers(0, max(T - w, 1)))
            feats[b, t0: t0 + w, :] = lo
        feats[b] += float(rng.normal(0, 0.5))  # level offset in the log domain
    return feats


@lru_cache(maxsize=1)
def _band_hz() -> np.ndarray:
    """Centre frequency (Hz) of each log-mel band."""
    edges = mel_to_hz(np.linspace(hz_to_mel(FMIN), hz_to_mel(FMAX), N_MELS + 2))
    return edges[1:-1].astype(np.float64)


def channel_curve(rng: np.random.Generator, cutoff=(700.0, 4000.0), slope=(8.0, 40.0), tilt=(-6.0, 3.0),
                  bumps: int = 2) -> np.ndarray:
    """A random recording channel as a gain per log-mel band (natural-log power units, added to the features):
    a low-pass (``cutoff`` Hz, log-uniform; ``slope`` dB per octave above it), a spectral tilt (dB per octave
    about 1 kHz) and ``bumps`` resonances (+-6 dB, a third of an octave to an octave wide). Old field tape,
    a cheap or far microphone, a muffled lavalier: voices the studio recordings the model learns from never
    sound like."""
    f = _band_hz()
    octs = np.log2(f / 1000.0)
    fc = float(np.exp(rng.uniform(np.log(cutoff[0]), np.log(cutoff[1]))))
    db = -rng.uniform(*slope) * np.clip(np.log2(f / fc), 0.0, None)
    db += rng.uniform(*tilt) * octs
    for _ in range(bumps):
        c, w = rng.uniform(-2.5, 2.5), rng.uniform(0.33, 1.0)
        db += rng.uniform(-6.0, 6.0) * np.exp(-0.5 * ((octs - c) / w) ** 2)
    return db * (np.log(10.0) / 10.0)


def channel_augment(feats: torch.Tensor, rng: np.random.Generator, p: float = 0.3,
                    floor_db=(30.0, 60.0)) -> torch.Tensor:
    """With probability ``p`` per utterance of the batch, play it through a random channel (``channel_curve``)
    and, half the time, over a flat noise floor ``floor_db`` below its loudest band (tape hiss, room tone):
    the muffled high bands then sit at the floor as they do on such recordings. Log-mel in, log-mel out."""
    if p <= 0:
        return feats
    B = feats.shape[0]
    for b in range(B):
        if rng.random() >= p:
            continue
        g = torch.from_numpy(channel_curve(rng)).to(feats.dtype)
        x = feats[b] + g[None, :]
        if rng.random() < 0.5:
            floor = float(feats[b].max()) - rng.uniform(*floor_db) * (np.log(10.0) / 10.0)
            x = torch.logaddexp(x, torch.full_like(x, floor))
        feats[b] = x
    return feats


def losses(model, feats, phone, vis, ctl, cmask, vis_weight, smoothing=0.05, phone_weight=None):
    p, v, c = model(feats)
    T = feats.shape[1]
    p, v, c = p[:, :T], v[:, :T], c[:, :T]
    lp = Fn.cross_entropy(p.reshape(-1, p.shape[-1]), phone.reshape(-1), ignore_index=IGNORE, weight=phone_weight,
                          label_smoothing=smoothing)
    lv = Fn.cross_entropy(v.reshape(-1, v.shape[-1]), vis.reshape(-1), ignore_index=IGNORE, weight=vis_weight,
                          label_smoothing=smoothing)
    lc = (((c - ctl) ** 2).mean(-1) * cmask).sum() / cmask.sum().clamp(min=1)
    return lp, lv, lc


# ------------------------------------------------------------------ evaluation

def load_dev(data_dir: str, limit: int | None = None):
    """Clean features + labels of the cathy and speechocean762 dev splits."""
    out = {}
    for name in ("cathy", "speechocean762"):
        utts = load_split(name, "dev", data_dir)
        if limit:
            utts = utts[:limit]
        items = []
        for u in utts:
            x = read_audio(u.audio_path)
            f = log_mel(x)
            ph, vi, ct = frame_labels(u.phones, len(f))
            items.append((f, ph, vi, ct))
        out[name] = items
    return out


@torch.no_grad()
def evaluate(model, dev) -> dict:
    model.eval()
    res = {}
    for name, items in dev.items():
        n = vis_ok = cls_ok = ph_ok = 0
        ctl_err = 0.0
        for f, ph, vi, ct in items:
            p, v, c = model(torch.from_numpy(f)[None])
            T = len(f)
            pv = v[0, :T].argmax(-1).numpy()
            pp = p[0, :T].argmax(-1).numpy()
            n += T
            vis_ok += int((pv == vi).sum())
            cls_ok += int((VIS_TO_CLS[pv] == VIS_TO_CLS[vi.astype(int)]).sum())
            ph_ok += int((pp == ph).sum())
            ctl_err += float(np.abs(c[0, :T].numpy() - ct).sum())
        res[name] = {"frames": n, "viseme_acc": vis_ok / max(n, 1), "five_class_acc": cls_ok / max(n, 1),
                     "phone_acc": ph_ok / max(n, 1), "control_mae": ctl_err / max(n * len(CONTROLS), 1)}
    model.train()
    return res


# ------------------------------------------------------------------ pseudo-labels

@torch.no_grad()
def pseudo_label(model, src: "Source", threshold: float = 0.9) -> float:
    """Replace ``src``'s labels with the model's confident predictions (others IGNORE). Returns kept share."""
    model.eval()
    kept = 0
    for i in range(len(src)):
        s, L = int(src.starts[i]), int(src.lengths[i])
        f = src.feats[s: s + L].float()[None]
        p, v, c = model(f)
        pp = p[0, :L].softmax(-1)
        pv = v[0, :L].softmax(-1)
        conf = torch.minimum(pp.max(-1).values, pv.max(-1).values)
        ok = conf >= threshold
        src.phone[s: s + L] = torch.where(ok, pp.argmax(-1), torch.full_like(ok, IGNORE, dtype=torch.long))
        src.vis[s: s + L] = torch.where(ok, pv.argmax(-1), torch.full_like(ok, IGNORE, dtype=torch.long))
        src.ctl[s: s + L] = (c[0, :L] * 255).round().to(torch.uint8)
        kept += int(ok.sum())
    model.train()
    return kept / max(int(src.lengths.sum()), 1)


# ------------------------------------------------------------------ main

def train(cache_dir=DEFAULT_CACHE, data_dir=DEFAULT_DATA, out_dir=WEIGHTS_DIR, steps=2000, pseudo_steps=400,
          batch=24, crop=400, lr=2e-3, seed=1234, threads=2, hidden=144, channels=192, eval_every=500,
          dev_limit=None, prepare_limit=None, log_file=None, init=None, warmup=100, lip_boost=1.0, aug2=False,
          synth_more=0.0, pseudo_threshold=0.9, multi=0.0, multi_per_lang=200, fest=0.0, fest_per_voice=200,
          channel=0.0, extra=0.0, extra_per_lang=150):
    """Train from scratch, or (``init``) continue from saved weights (same architecture, normalisation kept).

    ``lip_boost`` multiplies the loss weight of the lip visemes (A closed, G lip-to-teeth) and of their phones
    (p b m, f v); ``aug2`` adds a second augmented copy of the real train utterances to the mix; ``synth_more``
    (a sampling share, 0 = off) adds the espeak-ng / Piper / festival voices (``prepare.prepare_synth_more``);
    ``multi`` (a sampling share) the multilingual espeak-ng set (``prepare.prepare_synth_multi``, ``multi_per_lang``
    utterances per language); ``fest`` (a sampling share) festival's recorded voices of other languages
    (``prepare.prepare_synth_festival``, ``fest_per_voice`` utterances each); ``extra`` (a sampling share) espeak-ng
    in 38 more languages (``prepare.prepare_synth_extra``, ``extra_per_lang`` each); ``channel`` the share of crops
    played through a random recording channel (``channel_augment``). Weights trained for fewer phone
    classes are warm-started with their head grown (``grow_phone_head``)."""
    from .prepare import (prepare, prepare_aug2, prepare_synth_extra, prepare_synth_festival, prepare_synth_more,
                          prepare_synth_multi)

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    torch.set_num_threads(threads)
    os.makedirs(out_dir, exist_ok=True)
    log_dir = logs_dir_for(out_dir)
    os.makedirs(log_dir, exist_ok=True)
    logf = open(log_file or os.path.join(log_dir, "train_log.txt"), "a")

    def log(msg):
        line = f"[{time.strftime('%H:%M:%S')}] {msg}"
        print(line, flush=True)
        logf.write(line + "\n")
        logf.flush()

    t0 = time.time()
    log(f"train: steps={steps} pseudo_steps={pseudo_steps} batch={batch} crop={crop} lr={lr} seed={seed} "
        f"hidden={hidden} channels={channels} threads={threads} cache={cache_dir} init={init} warmup={warmup} "
        f"lip_boost={lip_boost} aug2={aug2} synth_more={synth_more} pseudo_threshold={pseudo_threshold} "
        f"multi={multi} multi_per_lang={multi_per_lang}"
        + (f" fest={fest} fest_per_voice={fest_per_voice}" if fest else "") + (f" channel={channel}" if channel else "")
        + (f" extra={extra} extra_per_lang={extra_per_lang}" if extra else ""))
    paths = prepare(cache_dir, data_dir, limit=prepare_limit, log=log)
    sources = [Source(paths["speechocean762"], "speechocean762"), Source(paths["cathy"], "cathy"),
               Source(paths["synth"], "synth")]
    weights = np.array([0.5, 0.25, 0.25])
    if aug2:
        paths.update(prepare_aug2(cache_dir, data_dir, limit=prepare_limit, log=log))
        sources += [Source(paths["speechocean762_aug2"], "speechocean762_aug2"),
                    Source(paths["cathy_aug2"], "cathy_aug2")]
        weights = np.array([0.35, 0.15, 0.2, 0.2, 0.1])
    if synth_more > 0:
        paths.update(prepare_synth_more(cache_dir, data_dir, limit=prepare_limit, log=log))
        sources.append(Source(paths["synth_more"], "synth_more"))
        weights = np.concatenate([weights * (1.0 - synth_more), [synth_more]])
    if multi > 0:
        paths.update(prepare_synth_multi(cache_dir, data_dir, per_lang=multi_per_lang, limit=prepare_limit,
                                         log=log))
        sources.append(Source(paths["synth_multi"], "synth_multi"))
        weights = np.concatenate([weights * (1.0 - multi), [multi]])
    if fest > 0:
        paths.update(prepare_synth_festival(cache_dir, data_dir, per_voice=fest_per_voice, limit=prepare_limit,
                                            log=log))
        sources.append(Source(paths["synth_fest"], "synth_fest"))
        weights = np.concatenate([weights * (1.0 - fest), [fest]])
    if extra > 0:
        paths.update(prepare_synth_extra(cache_dir, data_dir, per_lang=extra_per_lang, limit=prepare_limit, log=log))
        sources.append(Source(paths["synth_extra"], "synth_extra"))
        weights = np.concatenate([weights * (1.0 - extra), [extra]])
    for s, w in zip(sources, weights):
        log(f"source {s.name}: {len(s)} examples, {s.lengths.sum() / 6000:.1f} min, sampling weight {w}")
    dev = load_dev(data_dir, dev_limit)
    if init:
        ck = torch.load(init, map_location="cpu", weights_only=True)
        if ck.get("format") != "lipsync-visemenet-1":
            raise ValueError(f"--init {init}: not a lipsync-visemenet-1 weights file")
        state, config = ck["state"], ck["config"]
        old_classes = list(ck.get("phone_classes", PHONE_CLASSES))
        if old_classes != list(PHONE_CLASSES):
            state, config = grow_phone_head(state, config, old_classes, PHONE_CLASSES)
            log(f"phone head grown from {len(old_classes)} to {len(PHONE_CLASSES)} classes "
                f"(+{' '.join(PHONE_CLASSES[len(old_classes):])})")
        model = VisemeNet(**config)
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
        log(f"warm start from {init} (config {ck['config']}, meta {ck.get('meta', {}).get('step')} steps); "
            f"feature normalisation kept")
        hidden, channels = model.config["hidden"], model.config["channels"]
    else:
        model = VisemeNet(hidden=hidden, channels=channels)
        # feature normalisation from the clean training frames
        allf = torch.cat([s.feats[:: 7].float() for s in sources])
        model.mean.copy_(allf.mean(0))
        model.std.copy_(allf.std(0).clamp(min=1e-3))
    # viseme class weights: inverse square root of frequency (boosts rounded / lip-to-teeth)
    counts = np.bincount(np.concatenate([s.vis.numpy() for s in sources]), minlength=len(VISEMES)).astype(float)
    vw = (counts.sum() / np.maximum(counts, 1)) ** 0.5
    vw = vw / vw.mean()
    pw = None
    if lip_boost != 1.0:
        for v in ("A", "G"):
            vw[VISEMES.index(v)] *= lip_boost
        pw = torch.ones(len(PHONE_CLASSES))
        for ph in ("p", "b", "m", "f", "v", "β", "ʋ"):
            if ph in PHONE_CLASSES:
                pw[PHONE_CLASSES.index(ph)] = lip_boost
    vw = torch.tensor(vw, dtype=torch.float32)
    log(f"model: {n_params(model)} parameters; viseme weights {dict(zip(VISEMES, np.round(vw.numpy(), 2)))}")
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-2)
    total = steps + pseudo_steps

    def lr_at(i):
        warm = max(warmup, 1)
        if i < warm:
            return lr * (i + 1) / warm
        return lr * 0.5 * (1 + math.cos(math.pi * min(i - warm, total - warm) / max(total - warm, 1))) + lr * 0.02

    history = []
    unl = None
    for i in range(total):
        if i == steps and pseudo_steps > 0:
            unl = Source(paths["unlabelled"], "librispeech_unlabelled")
            share = pseudo_label(model, unl, pseudo_threshold)
            log(f"pseudo-labels on librispeech_unlabelled: {share:.1%} of frames kept "
                f"(confidence >= {pseudo_threshold})")
            sources = sources + [unl]
            weights = np.concatenate([weights * 0.8, [0.2]])
        for g in opt.param_groups:
            g["lr"] = lr_at(i)
        feats, phone, vis, ctl, cmask = make_batch(sources, weights, rng, batch, crop)
        feats = spec_augment(channel_augment(feats, rng, channel), rng)
        lp, lv, lc = losses(model, feats, phone, vis, ctl, cmask, vw, phone_weight=pw)
        loss = lp + lv + 4.0 * lc
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        if i % 50 == 0 or i == total - 1:
            log(f"step {i}/{total} loss {loss.item():.3f} (phone {lp.item():.3f} viseme {lv.item():.3f} "
                f"control {lc.item():.4f}) lr {lr_at(i):.2e} {time.time() - t0:.0f}s")
        if (i + 1) % eval_every == 0 or i == total - 1:
            m = evaluate(model, dev)
            history.append({"step": i + 1, "elapsed_s": round(time.time() - t0), **m})
            log(f"dev @ {i + 1}: " + json.dumps(m))
            save(model, os.path.join(out_dir, "visemenet.pt"),
                 {"step": i + 1, "seed": seed, "dev": m, "init": os.path.basename(init) if init else None})
    final = history[-1] if history else {}
    with open(os.path.join(log_dir, "dev_metrics.json"), "w") as f:
        json.dump({"final": final, "history": history, "train_seconds": round(time.time() - t0)}, f, indent=1)
    log(f"done in {time.time() - t0:.0f} s")
    return model, final


def grow_phone_head(state: dict, config: dict, old_classes, new_classes) -> tuple[dict, dict]:
    """Weights trained for ``old_classes`` made ready for ``new_classes`` (a superset, old ones first unchanged).

    The head predicts, per 20 ms step, two frames of [phones, visemes, controls]; each frame's phone rows are
    widened. A new class starts as a copy of its most similar old class (articulatory features) with its bias
    lowered by 1 (a third of that class's probability), so the warm-started model behaves as before until
    training tells the two apart."""
    from ..phonemes.align.similarity import phone_similarity

    old_classes, new_classes = list(old_classes), list(new_classes)
    if new_classes[: len(old_classes)] != old_classes:
        raise ValueError("the new phone classes must start with the old ones in the same order")
    P0, P1 = len(old_classes), len(new_classes)
    V, C = config["n_visemes"], config["n_controls"]
    n0, n1 = P0 + V + C, P1 + V + C
    src = []  # per new output row: the old row it starts from
    for k in range(P1):
        if k < P0:
            src.append(k)
        else:
            src.append(max(range(1, P0), key=lambda j: phone_similarity(new_classes[k], old_classes[j])))
    w, b = state["head.weight"].float(), state["head.bias"].float()
    rows, bias = [], []
    for f in range(2):
        for k in range(P1):
            rows.append(w[f * n0 + src[k]])
            bias.append(b[f * n0 + src[k]] - (1.0 if k >= P0 else 0.0))
        rows.extend(w[f * n0 + P0: (f + 1) * n0])
        bias.extend(b[f * n0 + P0: (f + 1) * n0])
    state = dict(state)
    state["head.weight"] = torch.stack(rows)
    state["head.bias"] = torch.stack(bias)
    assert state["head.weight"].shape[0] == 2 * n1
    return state, {**config, "n_phones": P1}


def logs_dir_for(out_dir: str) -> str:
    """Where a run's train_log.txt and dev_metrics.json go: beside the weights, except for the shipped
    weights folder (the extension ships only weights, config and model card): training/logs/ then."""
    same = os.path.normcase(os.path.abspath(out_dir)) == os.path.normcase(os.path.abspath(WEIGHTS_DIR))
    return LOGS_DIR if same else out_dir


def save(model: VisemeNet, path: str, meta: dict):
    state = {k: (v.half() if v.is_floating_point() and k not in ("mean", "std") else v)
             for k, v in model.state_dict().items()}
    torch.save({"format": "lipsync-visemenet-1", "config": model.config, "state": state,
                "phone_classes": list(PHONE_CLASSES), "visemes": list(VISEMES), "controls": list(CONTROLS),
                "meta": meta}, path + ".tmp")
    os.replace(path + ".tmp", path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", default=DEFAULT_CACHE)
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--out", default=WEIGHTS_DIR)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--pseudo-steps", type=int, default=400)
    ap.add_argument("--batch", type=int, default=24)
    ap.add_argument("--crop", type=int, default=400)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--hidden", type=int, default=144)
    ap.add_argument("--channels", type=int, default=192)
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--dev-limit", type=int, default=None)
    ap.add_argument("--prepare-limit", type=int, default=None)
    ap.add_argument("--init", default=None, help="warm start from these weights (same architecture)")
    ap.add_argument("--warmup", type=int, default=100, help="linear LR warm-up steps before the cosine decay")
    ap.add_argument("--lip-boost", type=float, default=1.0,
                    help="loss weight factor for closed (A) / lip-to-teeth (G) visemes and p b m f v phones")
    ap.add_argument("--aug2", action="store_true", help="add a second augmented copy of cathy / speechocean762")
    ap.add_argument("--synth-more", type=float, default=0.0,
                    help="sampling share of the espeak-ng / Piper / festival voices (0 = not used; needs "
                         "tools/setup_train.sh)")
    ap.add_argument("--pseudo-threshold", type=float, default=0.9,
                    help="keep a pseudo-labelled frame when both heads are at least this confident")
    ap.add_argument("--multi", type=float, default=0.0,
                    help="sampling share of the multilingual espeak-ng set (0 = not used; training.multilingual)")
    ap.add_argument("--multi-per-lang", type=int, default=200, help="utterances per language of that set")
    ap.add_argument("--fest", type=float, default=0.0,
                    help="sampling share of festival's recorded voices of other languages (0 = not used; "
                         "prepare.prepare_synth_festival)")
    ap.add_argument("--fest-per-voice", type=int, default=200, help="utterances per voice of that set")
    ap.add_argument("--extra", type=float, default=0.0,
                    help="sampling share of espeak-ng in 38 more languages, words from CLDR names (0 = not used; "
                         "prepare.prepare_synth_extra; needs babel)")
    ap.add_argument("--extra-per-lang", type=int, default=150, help="utterances per language of that set")
    ap.add_argument("--channel", type=float, default=0.0,
                    help="share of training crops played through a random recording channel (low-pass, tilt, "
                         "resonances, a noise floor: channel_augment; 0 = off)")
    a = ap.parse_args(argv)
    if not 0.0 <= a.channel <= 1.0:
        ap.error(f"--channel is a share of the crops, 0 to 1 (got {a.channel})")
    if not 0.0 <= a.extra < 1.0:
        ap.error(f"--extra is a sampling share, 0 to below 1 (got {a.extra})")
    if a.init and os.path.abspath(a.init) == os.path.abspath(os.path.join(a.out, "visemenet.pt")):
        ap.error("--init must not be the file this run writes (--out/visemenet.pt); copy it elsewhere first")
    try:
        train(a.cache, a.data, a.out, a.steps, a.pseudo_steps, a.batch, a.crop, a.lr, a.seed, a.threads, a.hidden,
              a.channels, a.eval_every, a.dev_limit, a.prepare_limit, init=a.init, warmup=a.warmup,
              lip_boost=a.lip_boost, aug2=a.aug2, synth_more=a.synth_more,
              pseudo_threshold=a.pseudo_threshold, multi=a.multi, multi_per_lang=a.multi_per_lang,
              fest=a.fest, fest_per_voice=a.fest_per_voice, channel=a.channel, extra=a.extra,
              extra_per_lang=a.extra_per_lang)
    except ValueError as exc:  # --init weights that cannot be warm-started: one line, no traceback
        ap.error(f"--init {a.init}: {exc}" if a.init and not str(exc).startswith("--init") else str(exc))


if __name__ == "__main__":
    main()
