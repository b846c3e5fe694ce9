"""Praat TextGrid reading and writing (long and short text formats, UTF-8/UTF-16).

A TextGrid is a list of tiers; interval tiers hold (xmin, xmax, text) rows,
point tiers (time, mark) rows. Used by the dataset readers and the
interchange formats (phonemes.formats).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from ..errors import TextGridError


@dataclass
class Tier:
    name: str
    kind: str = "IntervalTier"  # or "TextTier" (points)
    intervals: list[tuple[float, float, str]] = field(default_factory=list)  # or (t, t, mark) for points
    xmin: float = 0.0
    xmax: float = 0.0


@dataclass
class TextGrid:
    tiers: list[Tier]
    xmin: float = 0.0
    xmax: float = 0.0

    def tier(self, *names: str) -> Tier | None:
        """The first tier whose name matches one of ``names`` (case-insensitive)."""
        want = [n.lower() for n in names]
        for n in want:
            for t in self.tiers:
                if t.name.lower() == n:
                    return t
        return None


def _read_text(path: str) -> str:
    raw = open(path, "rb").read()
    for enc in ("utf-8-sig", "utf-16") if not raw[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-16",):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


_TOKEN = re.compile(r'"((?:[^"]|"")*)"|([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)|<(exists|absent)>')


def parse(text: str) -> TextGrid:
    """Parse TextGrid text in the long or the short format (both are token streams)."""
    head = re.search(r'Object class\s*=\s*"TextGrid"', text[:500])
    if head is None:
        raise TextGridError("not a Praat TextGrid (missing 'Object class = \"TextGrid\"' header)")
    body = text[head.end():]
    # Keep only values: quoted strings, numbers and <exists>; labels like 'xmin =' are skipped.
    toks: list[tuple[str, str]] = []
    for m in _TOKEN.finditer(body):
        if m.group(1) is not None:
            toks.append(("s", m.group(1).replace('""', '"')))
        elif m.group(2) is not None:
            # skip indices such as item [1]: / intervals [3]: (numbers inside brackets)
            start = m.start()
            if body[start - 1:start] == "[" :
                continue
            toks.append(("n", m.group(2)))
        else:
            toks.append(("e", m.group(3)))
    pos = 0

    def nxt(kind):
        nonlocal pos
        while pos < len(toks) and toks[pos][0] != kind:
            if kind == "n" and toks[pos][0] == "s":
                raise TextGridError(f"expected a number, found text {toks[pos][1]!r}")
            pos += 1
        if pos >= len(toks):
            raise TextGridError("TextGrid ends early")
        v = toks[pos][1]
        pos += 1
        return v

    try:
        xmin, xmax = float(nxt("n")), float(nxt("n"))
        if pos < len(toks) and toks[pos][0] == "e":
            if toks[pos][1] == "absent":
                return TextGrid([], xmin, xmax)
            pos += 1
        n_tiers = int(float(nxt("n")))
        tiers = []
        for _ in range(n_tiers):
            kind = nxt("s")
            name = nxt("s")
            t0, t1 = float(nxt("n")), float(nxt("n"))
            n = int(float(nxt("n")))
            rows = []
            for _ in range(n):
                if kind == "IntervalTier":
                    a, b = float(nxt("n")), float(nxt("n"))
                    rows.append((a, b, nxt("s")))
                else:
                    a = float(nxt("n"))
                    rows.append((a, a, nxt("s")))
            tiers.append(Tier(name, kind, rows, t0, t1))
    except TextGridError:
        raise  # already one clear line (it is a ValueError too: do not wrap it twice)
    except (ValueError, IndexError, OverflowError) as exc:  # OverflowError: a count such as 1e999
        raise TextGridError(f"malformed TextGrid: {exc}") from None
    return TextGrid(tiers, xmin, xmax)


def read(path: str) -> TextGrid:
    return parse(_read_text(path))


def _q(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def dumps(tg: TextGrid) -> str:
    """Long-format TextGrid text (what Praat writes by default)."""
    out = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "",
           f"xmin = {tg.xmin!r}", f"xmax = {tg.xmax!r}", "tiers? <exists> ", f"size = {len(tg.tiers)} ", "item []: "]
    for i, t in enumerate(tg.tiers, 1):
        out += [f"    item [{i}]:", f'        class = {_q(t.kind)} ', f"        name = {_q(t.name)} ",
                f"        xmin = {t.xmin!r} ", f"        xmax = {t.xmax!r} "]
        if t.kind == "IntervalTier":
            out.append(f"        intervals: size = {len(t.intervals)} ")
            for j, (a, b, s) in enumerate(t.intervals, 1):
                out += [f"        intervals [{j}]:", f"            xmin = {a!r} ", f"            xmax = {b!r} ",
                        f"            text = {_q(s)} "]
        else:
            out.append(f"        points: size = {len(t.intervals)} ")
            for j, (a, _b, s) in enumerate(t.intervals, 1):
                out += [f"        points [{j}]:", f"            number = {a!r} ", f"            mark = {_q(s)} "]
    return "\n".join(out) + "\n"


def write(tg: TextGrid, path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(dumps(tg))
