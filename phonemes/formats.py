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
from .types import PhoneTrack, TimedPhone, VisemeCue, VisemeTrack
from .visemes import VISEMES


class FormatError(ValueError):
    """A file that cannot be read as the format it claims to be."""


@dataclass(frozen=True)
class Format:
    name: str
    extension: str
    description: str
    export: Callable[[PhoneTrack, VisemeTrack, str], str]
    load: Callable[[str], tuple[PhoneTrack | None, VisemeTrack | None]] | None = None


def _centis(t: float) -> float:
    return round(t * 100.0) / 100.0


def rhubarb_cues(visemes: VisemeTrack) -> list[tuple[float, float, str]]:
    """Cues on Rhubarb's centisecond grid, contiguous from 0 to the duration, no empty cues."""
    dur = _centis(visemes.duration)
    out: list[list] = []
    for c in visemes.cues:
        s, e = _centis(c.start), min(_centis(c.end), dur)
        if out:
            s = out[-1][1]
        elif s > 0:
            out.append([0.0, s, "X"])
        if e <= s:
            continue
        if out and out[-1][2] == c.viseme:
            out[-1][1] = e
        else:
            out.append([s, e, c.viseme])
    if not out:
        out = [[0.0, dur, "X"]]
    if out[-1][1] < dur:
        if out[-1][2] == "X":
            out[-1][1] = dur
        else:
            out.append([out[-1][1], dur, "X"])
    return [(float(s), float(e), v) for s, e, v in out]


def export_rhubarb_json(phones: PhoneTrack, visemes: VisemeTrack, sound_file: str = "") -> str:
    cues = rhubarb_cues(visemes)
    doc = {
        "metadata": {"soundFile": sound_file, "duration": _centis(visemes.duration)},
        "mouthCues": [{"start": s, "end": e, "value": v} for s, e, v in cues],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


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
    """Rhubarb's TSV: one ``start<TAB>shape`` line per cue, then the end time with X."""
    cues = rhubarb_cues(visemes)
    lines = [f"{s:.2f}\t{v}" for s, _e, v in cues]
    if cues[-1][2] != "X":
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


FORMATS: dict[str, Format] = {
    "rhubarb-json": Format("rhubarb-json", ".json", "Rhubarb Lip Sync JSON (mouth cues A-H, X)",
                           export_rhubarb_json, load_rhubarb_json),
    "tsv": Format("tsv", ".tsv", "Rhubarb Lip Sync TSV (start, shape)", export_rhubarb_tsv, load_rhubarb_tsv),
    "phones-tsv": Format("phones-tsv", ".phones.tsv", "timed phones: start, end, IPA phone",
                         export_phones_tsv, load_phones_tsv),
}


def export(fmt: str, phones: PhoneTrack, visemes: VisemeTrack, sound_file: str = "") -> str:
    try:
        f = FORMATS[fmt]
    except KeyError:
        raise FormatError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}") from None
    return f.export(phones, visemes, sound_file)


def load(path: str, fmt: str | None = None):
    """Read ``path`` in ``fmt`` (guessed from the extension when None)."""
    if fmt is None:
        for f in sorted(FORMATS.values(), key=lambda f: -len(f.extension)):
            if path.lower().endswith(f.extension) and f.load is not None:
                fmt = f.name
                break
        else:
            raise FormatError(f"cannot tell the format of {path} from its extension; name it explicitly")
    f = FORMATS.get(fmt)
    if f is None or f.load is None:
        raise FormatError(f"format {fmt!r} cannot be imported")
    with open(path, encoding="utf-8") as fh:
        return f.load(fh.read())
