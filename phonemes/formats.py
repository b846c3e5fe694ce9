"""Interchange formats: export (and import where the format allows) timed phones and visemes.

``FORMATS`` maps a format name to a ``Format`` (file extension, exporter,
optional importer). Exporters take (phones: PhoneTrack, visemes: VisemeTrack,
sound_file: str) and return the file's text. Importers take the text and
return (PhoneTrack | None, VisemeTrack | None).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

from .phoneset import normalize
from .types import SIL, PhoneTrack, TimedPhone, TimedWord, VisemeCue, VisemeTrack
from .visemes import VISEMES
from ..errors import FormatError


@dataclass(frozen=True)
class Format:
    name: str
    extension: str
    description: str
    export: Callable[[PhoneTrack, VisemeTrack, str], str]
    load: Callable[[str], tuple[PhoneTrack | None, VisemeTrack | None]] | None = None


def _centis(t: float) -> float:
    return round(t * 100.0) / 100.0


def grid_cues(visemes: VisemeTrack, rate: float) -> list[tuple[int, int, str]]:
    """Cues on a grid of ``rate`` ticks per second (100: Rhubarb's centiseconds; fps: frames),
    as (start tick, end tick, shape): contiguous from 0 to the duration, no empty cues, rest (X)
    filling any gap at the start or the end."""
    total = int(round(visemes.duration * rate))
    out: list[list] = []
    for c in visemes.cues:
        s, e = int(round(c.start * rate)), min(int(round(c.end * rate)), total)
        if out:
            s = out[-1][1]
        elif s > 0:
            out.append([0, s, "X"])
        if e <= s:
            continue
        if out and out[-1][2] == c.viseme:
            out[-1][1] = e
        else:
            out.append([s, e, c.viseme])
    if not out:
        out = [[0, max(total, 1), "X"]]
    if out[-1][1] < total:
        if out[-1][2] == "X":
            out[-1][1] = total
        else:
            out.append([out[-1][1], total, "X"])
    return [(int(s), int(e), v) for s, e, v in out]


def rhubarb_cues(visemes: VisemeTrack) -> list[tuple[float, float, str]]:
    """Cues on Rhubarb's centisecond grid (seconds), contiguous from 0 to the duration."""
    return [(s / 100.0, e / 100.0, v) for s, e, v in grid_cues(visemes, 100)]


def export_rhubarb_json(phones: PhoneTrack, visemes: VisemeTrack, sound_file: str = "") -> str:
    """Byte for byte what ``rhubarb -f json`` writes: keys in its order, times with two decimals, one cue a
    line, the sound file escaped as JSON with every non-ASCII character as ``\\uXXXX`` (UTF-16)."""
    cues = rhubarb_cues(visemes)
    head = ["{", '  "metadata": {', f'    "soundFile": {json.dumps(sound_file, ensure_ascii=True)},',
            f'    "duration": {_centis(visemes.duration):.2f}', "  },", '  "mouthCues": [']
    body = ",\n".join(f'    {{ "start": {s:.2f}, "end": {e:.2f}, "value": "{v}" }}' for s, e, v in cues)
    return "\n".join(head) + "\n" + body + "\n  ]\n}\n"


def load_rhubarb_json(text: str):
    try:
        doc = json.loads(text)
        cues = [VisemeCue(float(c["start"]), float(c["end"]), str(c["value"])) for c in doc["mouthCues"]]
        duration = float(doc.get("metadata", {}).get("duration") or (cues[-1].end if cues else 0.0))
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise FormatError(f"not Rhubarb JSON: {exc}") from None
    bad = sorted({c.viseme for c in cues} - set(VISEMES))
    if bad:
        raise FormatError(f"unknown mouth shapes {bad} in Rhubarb JSON (expected A-H and X)")
    return None, VisemeTrack(cues, duration, doc.get("metadata", {}).get("soundFile", ""))


def export_rhubarb_tsv(phones: PhoneTrack, visemes: VisemeTrack, sound_file: str = "") -> str:
    """Rhubarb's TSV: one ``start<TAB>shape`` line per cue, then always the end time with X (as Rhubarb does,
    also after a closing rest)."""
    cues = rhubarb_cues(visemes)
    lines = [f"{s:.2f}\t{v}" for s, _e, v in cues]
    lines.append(f"{cues[-1][1]:.2f}\tX")
    return "\n".join(lines) + "\n"


def load_rhubarb_tsv(text: str):
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        try:
            rows.append((float(parts[0]), parts[1].strip()))
        except (ValueError, IndexError):
            raise FormatError(f"line {n}: expected 'start<TAB>shape', got {line!r}") from None
    if not rows:
        raise FormatError("empty Rhubarb TSV")
    cues = [VisemeCue(t, rows[i + 1][0], v) for i, (t, v) in enumerate(rows[:-1])]
    if rows[-1][1] != "X" or not cues:
        cues.append(VisemeCue(rows[-1][0], rows[-1][0], rows[-1][1]))
    duration = rows[-1][0]
    return None, VisemeTrack(cues, duration)


def export_phones_tsv(phones: PhoneTrack, visemes: VisemeTrack, sound_file: str = "") -> str:
    """``start<TAB>end<TAB>phone`` per phone (IPA; silence as ``sil``), seconds with 4 decimals."""
    return "".join(f"{p.start:.4f}\t{p.end:.4f}\t{p.phone}\n" for p in phones.phones)


def load_phones_tsv(text: str):
    phones = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        try:
            phones.append(TimedPhone(float(parts[0]), float(parts[1]), normalize(parts[2])))
        except (ValueError, IndexError):
            raise FormatError(f"line {n}: expected 'start<TAB>end<TAB>phone', got {line!r}") from None
    duration = phones[-1].end if phones else 0.0
    return PhoneTrack(phones, duration, recognizer="imported"), None


# --------------------------------------------------------------------------
# Rhubarb XML
# --------------------------------------------------------------------------

def export_rhubarb_xml(phones: PhoneTrack, visemes: VisemeTrack, sound_file: str = "") -> str:
    """Rhubarb Lip Sync's XML output (``rhubarb -f xml``)."""
    from xml.sax.saxutils import escape

    cues = rhubarb_cues(visemes)
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<rhubarbResult>", "  <metadata>",
             f"    <soundFile>{escape(sound_file)}</soundFile>",
             f"    <duration>{_centis(visemes.duration):.2f}</duration>", "  </metadata>", "  <mouthCues>"]
    lines += [f'    <mouthCue start="{s:.2f}" end="{e:.2f}">{v}</mouthCue>' for s, e, v in cues]
    lines += ["  </mouthCues>", "</rhubarbResult>"]
    return "\n".join(lines) + "\n"


def load_rhubarb_xml(text: str):
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(text)
        cues = [VisemeCue(float(c.get("start")), float(c.get("end")), (c.text or "").strip())
                for c in root.iter("mouthCue")]
        meta = root.find("metadata")
        dur_el = meta.find("duration") if meta is not None else None
        duration = float(dur_el.text) if dur_el is not None and dur_el.text else (cues[-1].end if cues else 0.0)
        snd_el = meta.find("soundFile") if meta is not None else None
        sound = (snd_el.text or "") if snd_el is not None else ""
    except (ET.ParseError, TypeError, ValueError) as exc:
        raise FormatError(f"not Rhubarb XML: {exc}") from None
    if root.tag != "rhubarbResult":
        raise FormatError(f"not Rhubarb XML: the root element is <{root.tag}>, expected <rhubarbResult>")
    bad = sorted({c.viseme for c in cues} - set(VISEMES))
    if bad:
        raise FormatError(f"unknown mouth shapes {bad} in Rhubarb XML (expected A-H and X)")
    return None, VisemeTrack(cues, duration, sound)


# --------------------------------------------------------------------------
# Moho / Papagayo switch data (.dat) and Papagayo projects (.pgo)
# --------------------------------------------------------------------------

# Preston Blair shapes <-> the mouth names of Papagayo / Moho's default set
VISEME_TO_PAPAGAYO = {"A": "MBP", "B": "etc", "C": "E", "D": "AI", "E": "O", "F": "WQ", "G": "FV",
                      "H": "L", "X": "rest"}
PAPAGAYO_TO_VISEME = {v: k for k, v in VISEME_TO_PAPAGAYO.items()}
PAPAGAYO_TO_VISEME["U"] = "F"
DEFAULT_FPS = 24.0


def export_moho_dat(phones: PhoneTrack, visemes: VisemeTrack, sound_file: str = "", fps: float = DEFAULT_FPS) -> str:
    """Moho switch data: ``MohoSwitch1`` then ``frame mouth`` lines (frames from 1)."""
    cues = grid_cues(visemes, fps)
    lines = ["MohoSwitch1"] + [f"{s + 1} {VISEME_TO_PAPAGAYO[v]}" for s, _e, v in cues]
    if cues[-1][2] != "X":
        lines.append(f"{cues[-1][1] + 1} rest")
    return "\n".join(lines) + "\n"


def load_moho_dat(text: str, fps: float = DEFAULT_FPS):
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines or lines[0] != "MohoSwitch1":
        raise FormatError("not Moho switch data: the first line must be 'MohoSwitch1'")
    rows = []
    for n, ln in enumerate(lines[1:], 2):
        parts = ln.split()
        try:
            frame, name = int(parts[0]), parts[1]
        except (ValueError, IndexError):
            raise FormatError(f"line {n}: expected 'frame mouth', got {ln!r}") from None
        if name not in PAPAGAYO_TO_VISEME:
            raise FormatError(f"line {n}: unknown mouth {name!r} (expected one of {', '.join(PAPAGAYO_TO_VISEME)})")
        rows.append((frame - 1, PAPAGAYO_TO_VISEME[name]))
    if not rows:
        raise FormatError("Moho switch data without any mouth")
    cues = [VisemeCue(f / fps, rows[i + 1][0] / fps, v) for i, (f, v) in enumerate(rows[:-1])]
    # the last mouth has no end in switch data: hold it for one frame
    cues.append(VisemeCue(rows[-1][0] / fps, (rows[-1][0] + 1) / fps, rows[-1][1]))
    return None, VisemeTrack(cues, cues[-1].end)


def export_papagayo_pgo(phones: PhoneTrack, visemes: VisemeTrack, sound_file: str = "",
                        fps: float = DEFAULT_FPS) -> str:
    """Papagayo (and Papagayo-NG) project, ``lipsync version 1``: one voice, one phrase per
    stretch of words between pauses, each word with its mouths (Preston Blair set)."""
    fr = lambda t: int(round(t * fps))  # noqa: E731
    cues = grid_cues(visemes, fps)
    total = fr(phones.duration if phones is not None else visemes.duration)
    words = list(phones.words) if phones is not None else []
    if not words:  # no words known: one pseudo-word per stretch of speech
        run = []
        for s, e, v in cues:
            if v == "X":
                if run:
                    words.append(TimedWord(run[0][0] / fps, run[-1][1] / fps, "..."))
                    run = []
            else:
                run.append((s, e))
        if run:
            words.append(TimedWord(run[0][0] / fps, run[-1][1] / fps, "..."))
    # phrases: words separated by less than 0.25 s belong together
    phrases: list[list[TimedWord]] = []
    for w in words:
        if phrases and w.start - phrases[-1][-1].end < 0.25:
            phrases[-1].append(w)
        else:
            phrases.append([w])
    text = " ".join(w.text for w in words)
    out = ["lipsync version 1", sound_file, f"{fps:g}", str(total), "1", "\tVoice 1",
           "\t" + text.replace("\n", "|"), f"\t{len(phrases)}"]
    for ph in phrases:
        out += ["\t\t" + " ".join(w.text for w in ph), f"\t\t{fr(ph[0].start)}", f"\t\t{fr(ph[-1].end)}",
                f"\t\t{len(ph)}"]
        for w in ph:
            ws, we = fr(w.start), fr(w.end)
            inside = [(max(s, ws), v) for s, e, v in cues if e > ws and s < we]
            if not inside:
                inside = [(ws, "X")]
            out.append(f"\t\t\t{w.text} {ws} {we} {len(inside)}")
            out += [f"\t\t\t\t{s} {VISEME_TO_PAPAGAYO[v]}" for s, v in inside]
    return "\n".join(out) + "\n"


def load_papagayo_pgo(text: str):
    lines = text.splitlines()
    pos = [0]

    def nxt() -> str:
        if pos[0] >= len(lines):
            raise FormatError("the Papagayo project ends too early")
        pos[0] += 1
        return lines[pos[0] - 1].strip()

    try:
        if not nxt().startswith("lipsync version"):
            raise FormatError("not a Papagayo project: the first line must be 'lipsync version 1'")
        sound = nxt()
        fps = float(nxt())
        total = int(nxt())
        n_voices = int(nxt())
        words: list[TimedWord] = []
        marks: list[tuple[int, str]] = []
        for _ in range(n_voices):
            nxt()  # voice name
            nxt()  # voice text
            for _ in range(int(nxt())):  # phrases
                nxt()  # phrase text
                nxt()
                nxt()  # start, end frame
                for _ in range(int(nxt())):  # words
                    parts = nxt().rsplit(None, 3)
                    wtext, ws, we, n_ph = parts[0], int(parts[1]), int(parts[2]), int(parts[3])
                    words.append(TimedWord(ws / fps, we / fps, wtext))
                    for _ in range(n_ph):
                        f, name = nxt().split()
                        if name not in PAPAGAYO_TO_VISEME:
                            raise FormatError(f"line {pos[0]}: unknown mouth {name!r}")
                        marks.append((int(f), PAPAGAYO_TO_VISEME[name]))
                    marks.append((we, "X"))
    except FormatError:
        raise  # already says what is wrong (FormatError is a ValueError: keep it from being wrapped twice)
    except (ValueError, IndexError) as exc:
        raise FormatError(f"not a Papagayo project (line {pos[0]}): {exc}") from None
    marks.sort(key=lambda m: m[0])
    cues: list[VisemeCue] = []
    t_prev, v_prev = 0, "X"
    for f, v in marks + [(total, "X")]:
        if f > t_prev:
            if cues and cues[-1].viseme == v_prev:
                cues[-1].end = f / fps
            else:
                cues.append(VisemeCue(t_prev / fps, f / fps, v_prev))
            t_prev = f
        v_prev = v
    duration = total / fps
    track = PhoneTrack([], duration, words=[w for w in words if w.text != "..."], recognizer="imported")
    return track, VisemeTrack(cues, duration, sound)


# --------------------------------------------------------------------------
# Praat TextGrid (phones, words and mouth shapes as interval tiers)
# --------------------------------------------------------------------------

def export_textgrid(phones: PhoneTrack, visemes: VisemeTrack, sound_file: str = "") -> str:
    from . import textgrid as tgm

    dur = phones.duration if phones is not None else visemes.duration
    tiers = []
    if phones is not None:
        tiers.append(tgm.Tier("phones", "IntervalTier",
                              [(p.start, p.end, "" if p.phone == SIL else p.phone) for p in phones.phones], 0.0, dur))
        rows, t = [], 0.0
        for w in phones.words:
            if w.start > t + 1e-9:
                rows.append((t, w.start, ""))
            rows.append((w.start, w.end, w.text))
            t = w.end
        if t < dur - 1e-9 or not rows:
            rows.append((t, dur, ""))
        tiers.append(tgm.Tier("words", "IntervalTier", rows, 0.0, dur))
    if visemes is not None:
        tiers.append(tgm.Tier("visemes", "IntervalTier", [(c.start, c.end, c.viseme) for c in visemes.cues], 0.0, dur))
    return tgm.dumps(tgm.TextGrid(tiers, 0.0, dur))


def load_textgrid(text: str):
    from . import textgrid as tgm

    try:
        tg = tgm.parse(text)
    except tgm.TextGridError as exc:
        raise FormatError(f"not a Praat TextGrid: {exc}") from None
    ptier = tg.tier("phones", "phone", "phonemes", "segments")
    wtier = tg.tier("words", "word")
    vtier = tg.tier("visemes", "mouth")
    if ptier is None and vtier is None:
        raise FormatError(f"the TextGrid has no 'phones' or 'visemes' tier (tiers: {[t.name for t in tg.tiers]})")
    dur = tg.xmax
    track = None
    if ptier is not None:
        ph = [TimedPhone(a, b, normalize(s)) for a, b, s in ptier.intervals]
        words = [TimedWord(a, b, s) for a, b, s in (wtier.intervals if wtier else []) if s.strip()]
        for p in ph:
            for w in words:
                if p.phone != SIL and w.start - 1e-9 <= p.start and p.end <= w.end + 1e-9:
                    p.word = w.text
        track = PhoneTrack(ph, dur, words=words, recognizer="imported")
    vis = VisemeTrack([VisemeCue(a, b, s) for a, b, s in vtier.intervals], dur) if vtier is not None else None
    if vis is not None:
        bad = sorted({c.viseme for c in vis.cues} - set(VISEMES))
        if bad:
            raise FormatError(f"unknown mouth shapes {bad} in the 'visemes' tier (expected A-H and X)")
    return track, vis


FORMATS: dict[str, Format] = {
    "rhubarb-json": Format("rhubarb-json", ".json", "Rhubarb Lip Sync JSON (mouth cues A-H, X)",
                           export_rhubarb_json, load_rhubarb_json),
    "tsv": Format("tsv", ".tsv", "Rhubarb Lip Sync TSV (start, shape)", export_rhubarb_tsv, load_rhubarb_tsv),
    "phones-tsv": Format("phones-tsv", ".phones.tsv", "timed phones: start, end, IPA phone",
                         export_phones_tsv, load_phones_tsv),
    "rhubarb-xml": Format("rhubarb-xml", ".xml", "Rhubarb Lip Sync XML (mouth cues A-H, X)",
                          export_rhubarb_xml, load_rhubarb_xml),
    "moho": Format("moho", ".dat", "Moho / Papagayo switch data (MohoSwitch1, frame numbers at 24 fps)",
                   export_moho_dat, load_moho_dat),
    "papagayo": Format("papagayo", ".pgo", "Papagayo / Papagayo-NG project (lipsync version 1, 24 fps)",
                       export_papagayo_pgo, load_papagayo_pgo),
    "textgrid": Format("textgrid", ".TextGrid", "Praat TextGrid: phones, words and visemes tiers",
                       export_textgrid, load_textgrid),
}


def export(fmt: str, phones: PhoneTrack, visemes: VisemeTrack, sound_file: str = "", **options) -> str:
    """Text of ``fmt``. ``options``: ``fps`` for the frame-based formats (moho, papagayo)."""
    try:
        f = FORMATS[fmt]
    except KeyError:
        raise FormatError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}") from None
    return f.export(phones, visemes, sound_file, **options)


def format_of(path: str, readable: bool = False) -> str | None:
    """The format a file name's extension names (the longest match: ``x.phones.tsv`` is phones-tsv), or None.
    ``readable``: only formats that can be imported."""
    for f in sorted(FORMATS.values(), key=lambda f: -len(f.extension)):
        if path.lower().endswith(f.extension.lower()) and (f.load is not None or not readable):
            return f.name
    return None


def load(path: str, fmt: str | None = None, **options):
    """Read ``path`` in ``fmt`` (guessed from the extension when None)."""
    if fmt is None:
        fmt = format_of(path, readable=True)
        if fmt is None:
            raise FormatError(f"cannot tell the format of {path} from its extension; name it explicitly")
    f = FORMATS.get(fmt)
    if f is None or f.load is None:
        raise FormatError(f"format {fmt!r} cannot be imported")
    if fmt == "textgrid":
        from .textgrid import _read_text  # UTF-16 TextGrids too

        return f.load(_read_text(path))
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    return f.load(text, **options) if options else f.load(text)
