"""Readers for the speech corpora in ``../shared/data`` (training and checking).

``load_corpus(name, split)`` returns Utterances with IPA phone timings:
- "cathy": one US voice; train/dev split by prompt id (never by file).
- "speechocean762": 250 accented voices; split by speaker.
- "librispeech_dev", "ravdess_dev": checking only (split "dev" or "all").
- "librispeech_unlabelled": audio only (no phones); for label-free methods.
- "dev_real" or "dev_real/<group>" (emu_ae, praatio, north_wind, alsa):
  small hand-labelled real speech, checking only.
The data folder is ``$LIPSYNC_DATA`` or ``../shared/data`` beside the repository (or beside a folder above it).
"""
from __future__ import annotations

import glob
import os
import zlib
from dataclasses import dataclass, field

from ..phonemes import textgrid
from ..phonemes.phoneset import SILENCE_TOKENS, arpabet_to_ipa, normalize, xsampa_to_ipa
from ..phonemes.types import SIL

DEV_SHARE = 10  # one in DEV_SHARE prompt ids / speakers goes to dev
CORPORA = ("cathy", "speechocean762", "librispeech_dev", "ravdess_dev", "librispeech_unlabelled", "dev_real")
DEV_REAL_GROUPS = ("emu_ae", "praatio", "north_wind", "alsa")
CHECK_ONLY = ("librispeech_dev", "ravdess_dev", "dev_real")


def data_root() -> str:
    """The shared data folder: ``$LIPSYNC_DATA``, else the first ``shared/data`` beside the repository or beside
    one of the folders above it (so a clone anywhere under the workplace finds it), else ``<repo>/../shared/data``
    (which then does not exist: the readers say so)."""
    env = os.environ.get("LIPSYNC_DATA")
    if env:
        return env
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    d = repo
    while True:
        parent = os.path.dirname(d)
        cand = os.path.join(parent, "shared", "data")
        if os.path.isfile(os.path.join(cand, "README.md")):
            return cand
        if parent == d:
            break
        d = parent
    return os.path.normpath(os.path.join(repo, "..", "shared", "data"))


@dataclass
class Utterance:
    id: str
    audio_path: str
    phones: list[tuple[float, float, str]] = field(default_factory=list)  # (start, end, IPA or SIL)
    text: str = ""
    speaker: str = ""
    corpus: str = ""
    words: list[tuple[float, float, str]] = field(default_factory=list)

    @property
    def labelled(self) -> bool:
        return bool(self.phones)


def _in_dev(key: str) -> bool:
    return zlib.crc32(key.encode("utf-8")) % DEV_SHARE == 0


def cathy_prompt_id(utt_id: str) -> str:
    """``arctic_a0001_1592748574`` -> ``arctic_a0001`` (retakes share the prompt id)."""
    parts = utt_id.split("_")
    return "_".join(parts[:2]) if len(parts) >= 2 else utt_id


def read_tsv(path: str, alphabet: str = "arpabet") -> list[tuple[float, float, str]]:
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3:
                continue
            rows.append((float(parts[0]), float(parts[1]), _convert(parts[2], alphabet)))
    return rows


def _convert(label: str, alphabet: str) -> str:
    label = label.strip()
    if label in SILENCE_TOKENS:
        return SIL
    if alphabet == "arpabet":
        if label.upper() == "PT":  # praatio's "ripped": a P closure with a T release
            return "p"
        return arpabet_to_ipa(label)
    if alphabet == "emu":
        return _EMU.get(label) or xsampa_to_ipa(label)
    return normalize(label)


# The emuR "ae" database's SAMPA variant (Australian English). Stop closures and
# their release ("H") are separate there; releases are merged into the stop. Labels not
# listed are plain X-SAMPA (e.g. "E" = ɛ, the DRESS vowel, ARPAbet EH in the other corpora).
_EMU = {
    "H#": SIL, "V": "ɐ", "@:": "ɜː", "ai": "ɑe", "ei": "æɪ", "Ow": "əʉ", "@u": "əʉ", "A": "ɐː",
    "O": "ɔ", "Or": "ɔ", "On": "ɔ", "Om": "ɔ", "I": "ɪ", "i:": "iː", "u:": "ʉː", "o:": "oː",
    "N": "ŋ", "NH": "ŋ", "S": "ʃ", "Z": "ʒ", "D": "ð", "T": "θ", "db": "b", "dH": "d", "pt": "p",
    "kt": "k", "zs": "z", "r": "ɹ", "j": "j", "@": "ə",
}


def _merge_same(rows):
    out: list[tuple[float, float, str]] = []
    for s, e, p in rows:
        if out and out[-1][2] == p == SIL:
            out[-1] = (out[-1][0], e, p)
        else:
            out.append((s, e, p))
    return out


def read_emu_lab(path: str) -> list[tuple[float, float, str]]:
    """ESPS .lab (END_TIME 125 LABEL); releases ``H`` are merged into the preceding stop."""
    rows = []
    prev = 0.0
    started = False
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.strip() == "#":
                started = True
                continue
            if not started:
                continue
            parts = line.split()
            if len(parts) < 3:
                continue
            end, label = float(parts[0]), parts[2]
            if label == "H" and rows and rows[-1][2] != SIL:
                rows[-1] = (rows[-1][0], end, rows[-1][2])
            else:
                rows.append((prev, end, _convert(label, "emu")))
            prev = end
    return _merge_same(rows)


def read_textgrid_phones(path: str, alphabet: str, tier_names=("phone", "phones", "phonemes")) -> list:
    tg = textgrid.read(path)
    tier = tg.tier(*tier_names) or tg.tiers[0]
    rows = [(a, b, _convert(s, alphabet)) for a, b, s in tier.intervals]
    if rows and rows[0][0] > 0:
        rows.insert(0, (0.0, rows[0][0], SIL))
    return _merge_same(rows)


def _text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except FileNotFoundError:
        return ""


def _labelled_corpus(name: str, split: str, key_fn) -> list[Utterance]:
    root = os.path.join(data_root(), name)
    if not os.path.isdir(root):
        raise FileNotFoundError(f"corpus folder not found: {root} (set LIPSYNC_DATA to the shared data folder)")
    spk = {}
    u2s = os.path.join(root, "utt2spk")
    if os.path.exists(u2s):
        with open(u2s) as f:
            spk = dict(line.split()[:2] for line in f if line.strip())
    out = []
    for audio in sorted(glob.glob(os.path.join(root, "audio", "*.opus"))):
        uid = os.path.splitext(os.path.basename(audio))[0]
        ph = os.path.join(root, "phones", uid + ".tsv")
        if not os.path.exists(ph):
            continue
        speaker = spk.get(uid, uid.split("-")[0] if name == "librispeech_dev" else name)
        if name == "ravdess_dev":
            speaker = uid.split("-")[-1]
        if split in ("train", "dev"):
            if (split == "dev") != _in_dev(key_fn(uid, speaker)):
                continue
        words_path = os.path.join(root, "words", uid + ".tsv")
        words = []
        if os.path.exists(words_path):
            with open(words_path, encoding="utf-8") as f:
                for line in f:
                    p = line.rstrip("\n").split("\t")
                    if len(p) >= 3:
                        words.append((float(p[0]), float(p[1]), p[2]))
        out.append(Utterance(uid, audio, read_tsv(ph), _text(os.path.join(root, "text", uid + ".txt")),
                             speaker, name, words))
    return out


def _dev_real(group: str) -> list[Utterance]:
    root = os.path.join(data_root(), "dev_real", group)
    out = []
    if group == "emu_ae":
        for lab in sorted(glob.glob(os.path.join(root, "*.lab"))):
            uid = os.path.splitext(os.path.basename(lab))[0]
            out.append(Utterance(uid, os.path.join(root, uid + ".wav"), read_emu_lab(lab),
                                 _text(os.path.join(root, uid + ".txt")), "emu_ae", "dev_real/emu_ae"))
    elif group == "praatio":
        tg_words = textgrid.read(os.path.join(root, "bobby_words.TextGrid")).tiers[0]
        bobby_text = " ".join(s for _, _, s in tg_words.intervals if s.strip()).lower()
        out.append(Utterance("bobby", os.path.join(root, "bobby.wav"),
                             read_textgrid_phones(os.path.join(root, "bobby_phones.TextGrid"), "arpabet"),
                             bobby_text, "bobby", "dev_real/praatio"))
        mary = textgrid.read(os.path.join(root, "mary.TextGrid"))
        mary_text = " ".join(s for _, _, s in mary.tier("word").intervals if s.strip())
        out.append(Utterance("mary", os.path.join(root, "mary.wav"),
                             read_textgrid_phones(os.path.join(root, "mary.TextGrid"), "ipa"),
                             mary_text, "mary", "dev_real/praatio"))
    elif group == "north_wind":
        out.append(Utterance("the_north_wind_and_the_sun", os.path.join(root, "the_north_wind_and_the_sun.wav"),
                             read_textgrid_phones(os.path.join(root, "the_north_wind_and_the_sun.TextGrid"), "ipa"),
                             "the north wind and the sun", "north_wind", "dev_real/north_wind"))
    elif group == "alsa":
        for tsv in sorted(glob.glob(os.path.join(root, "*.phones.tsv"))):
            uid = os.path.basename(tsv)[: -len(".phones.tsv")]
            out.append(Utterance(uid, os.path.join(root, uid + ".wav"), read_tsv(tsv),
                                 _text(os.path.join(root, uid + ".txt")), "alsa", "dev_real/alsa"))
    else:
        raise ValueError(f"unknown dev_real group {group!r}; use one of {', '.join(DEV_REAL_GROUPS)}")
    return out


def load_corpus(name: str, split: str = "all") -> list[Utterance]:
    """Utterances of corpus ``name`` for ``split`` ("train", "dev" or "all")."""
    if split not in ("train", "dev", "all"):
        raise ValueError(f"unknown split {split!r}; use train, dev or all")
    if name.startswith("dev_real"):
        if split == "train":
            raise ValueError("dev_real is for checking only: never train on it")
        groups = [name.split("/", 1)[1]] if "/" in name else list(DEV_REAL_GROUPS)
        return [u for g in groups for u in _dev_real(g)]
    if name in ("librispeech_dev", "ravdess_dev"):
        if split == "train":
            raise ValueError(f"{name} is for checking only: never train on it")
        return _labelled_corpus(name, "all", lambda u, s: u)
    if name == "cathy":
        return _labelled_corpus(name, split, lambda u, s: cathy_prompt_id(u))
    if name == "speechocean762":
        return _labelled_corpus(name, split, lambda u, s: s)
    if name == "librispeech_unlabelled":
        root = os.path.join(data_root(), name)
        return [Utterance(os.path.splitext(os.path.basename(a))[0], a, [], "", os.path.basename(a).split("-")[0], name)
                for a in sorted(glob.glob(os.path.join(root, "audio", "*.opus")))]
    raise ValueError(f"unknown corpus {name!r}; use one of {', '.join(CORPORA)}")
