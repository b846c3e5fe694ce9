"""Mouth charts for 2D characters (bpy-free): one drawing per mouth shape, switched, never blended.

A 2D mouth is a *chart* of drawings, one per Preston Blair shape (A-H and X), named
like the shape-key presets (``A``, ``D_AI``, ``mouth_E``; Papagayo's ``AI``, ``etc``,
``MBP``, ``rest`` ...) or bound by a custom mapping (``viseme:V`` -> a drawing's name).
At each key-grid frame exactly one drawing shows. ``chart_shapes`` picks it with the
same timing steps as the shape-key curves (``rigging.curves``): pause glide and rest,
lead (anticipation), minimum hold, on ones / twos / threes, closure on every M/B/P,
but no co-articulation blend (a drawing cannot be half shown).

``ChartChannel`` is one animated property of a 2D rig and the value it takes for each
drawing (a Time Offset modifier's fixed frame, a layer's hide flag, an image
sequence's frame offset, a sprite sheet's UV offset); ``chart_curves`` turns the
chosen drawings into stepped ``Curve``s (kind ``"property"``: ``data_path`` is the
RNA path on the ID named by ``object``). The Blender side is ``rigging.blender.chart2d``.
"""
from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field

import numpy as np

from ..errors import MappingError
from ..phonemes.types import VisemeTrack
from ..phonemes.visemes import VISEMES
from .curves import Curve, _source_matrices, frame_grid, simplify_steps
from .mapping import Mapping, PAPAGAYO, PRESTON_BLAIR, _resolve
from .settings import AnimSettings

# Order of a chart's drawings when nothing names them (the Preston Blair / Rhubarb order).
CHART_ORDER = ("A", "B", "C", "D", "E", "F", "G", "H", "X")
# A shape the chart lacks borrows the nearest drawing it has (animators' usual substitutes).
FALLBACK = {"X": ("A",), "H": ("C", "B"), "G": ("B", "A"), "F": ("E", "B"), "E": ("D", "C"),
            "D": ("C", "E"), "C": ("B", "D"), "B": ("C", "A"), "A": ("X", "B")}


def chart_from_names(names, mapping: Mapping | None = None) -> tuple[str, dict[str, str], list[str]]:
    """Which drawing (by name) shows each shape: (convention, {viseme: name}, missing shapes).

    ``names``: the drawings' names (layers, or the chart order of a drawing sequence).
    ``mapping``: a custom mapping whose ``viseme:V`` bindings name the drawing for V
    (its kind and weight do not matter); else the Preston Blair or Papagayo names are matched.
    """
    names = [n for n in dict.fromkeys(names) if n]
    if mapping is not None and mapping.bindings:
        chart = {}
        for b in mapping.bindings:
            src, _, v = b.source.partition(":")
            if src == "viseme" and v in VISEMES and b.target in names and v not in chart:
                chart[v] = b.target
        if not chart:
            raise MappingError(f"The mapping binds no viseme:A..X to a drawing of this character "
                               f"(drawings: {', '.join(names[:12])}). Bind each mouth shape to a drawing's name.")
        return mapping.name or "Custom", chart, [v for v in VISEMES if v not in chart]
    alias = {}  # "mouth_A" / "Mouth A" / "mouth.D_AI" -> the name without the prefix
    for n in names:
        short = re.sub(r"^(mouth|mth|pb|viseme)[\s_.\-]+", "", n, flags=re.IGNORECASE)
        alias.setdefault(short or n, n)
    best: tuple = ("", {}, 0)
    for preset in (PRESTON_BLAIR, PAPAGAYO):
        m, _missing, n = _resolve(preset, list(alias), lambda _n: "shape_key")
        chart = {}
        for b in m.bindings:
            v = b.source.partition(":")[2]
            if b.source.startswith("viseme:") and v not in chart:
                chart[v] = alias[b.target]
        if len(chart) > best[2]:
            best = (preset.name, chart, len(chart))
    return best[0], best[1], [v for v in VISEMES if v not in best[1]]


def chart_names(names, preset: str) -> list[str]:
    """The ``names`` that are mouth drawings by ``preset``'s names (e.g. Papagayo's WQ, which no shape needs)."""
    from .mapping import PRESETS, normalize_name

    p = PRESETS.get(preset)
    if p is None:
        return []
    known = {normalize_name(c) for e in p.entries for c in e.names}
    out = []
    for n in names:
        short = re.sub(r"^(mouth|mth|pb|viseme)[\s_.\-]+", "", n, flags=re.IGNORECASE) or n
        if normalize_name(short) in known or normalize_name(n) in known:
            out.append(n)
    return out


def complete_chart(chart: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Every shape A-H/X mapped to a drawing (missing ones borrow a substitute); (chart, notes)."""
    if not chart:
        raise MappingError("No mouth drawings recognised: name them A..H and X (or mouth_A.., Papagayo's AI, E, O, "
                           "U, etc, FV, L, MBP, WQ, rest) or bind them in the Lip Sync mapping.")
    out = dict(chart)
    notes = []
    for v in VISEMES:
        if v in out:
            continue
        for sub in FALLBACK[v] + tuple(VISEMES):
            if sub in chart:
                out[v] = chart[sub]
                notes.append(f"{v} shows {chart[sub]!r}")
                break
    return out, notes


@dataclass
class ChartChannel:
    """One property a 2D rig animates and its value for every drawing (by drawing name)."""

    id_key: str  # which ID the property is on (rigging.blender.chart2d resolves it)
    data_path: str
    index: int
    values: dict[str, float]  # drawing name -> value
    label: str = ""


def chart_shapes(track: VisemeTrack, settings: AnimSettings, fps: float, start_frame: float,
                 frame_range: tuple[float, float] | None = None) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(key-grid frames, the shape A-H/X shown at each, indices of the forced M/B/P closures)."""
    settings.validate()
    if fps <= 0 or not math.isfinite(fps):
        raise ValueError(f"Frame rate must be positive, got {fps}. Check the scene's frame rate.")
    grid = frame_grid(track, fps, start_frame, settings.step, frame_range)
    if len(grid) == 0:
        return grid, [], np.zeros(0, int)
    # no blend between drawings: the held shape of each grid frame, closures forced as for shape keys
    W, _D, _C, closure = _source_matrices(track, dataclasses.replace(settings, smoothing=0.0), fps, start_frame, grid)
    letters = [VISEMES[i] for i in np.argmax(W, axis=1)]
    return grid, letters, np.nonzero(closure)[0]


def shape_runs(grid: np.ndarray, letters: list[str], step: int = 1) -> list[tuple[int, int, str]]:
    """[(first frame, last frame, shape), ...]: the held drawings, for markers and the burn-in."""
    runs: list[list] = []
    for f, v in zip(grid, letters):
        if runs and runs[-1][2] == v:
            runs[-1][1] = int(f) + step - 1
        else:
            runs.append([int(f), int(f) + step - 1, v])
    return [tuple(r) for r in runs]


def merge_runs(old, new, lo: float, hi: float) -> list[list]:
    """Shape runs of a take regenerated over frames [lo, hi]: ``old`` outside (clipped), ``new`` inside."""
    out = []
    for f0, f1, v in old:
        if f0 < lo:
            out.append([f0, min(f1, math.ceil(lo) - 1), v])
        if f1 > hi:
            out.append([max(f0, math.floor(hi) + 1), f1, v])
    out += [list(r) for r in new]
    return sorted((r for r in out if r[1] >= r[0]), key=lambda r: r[0])


def chart_curves(track: VisemeTrack, chart: dict[str, str], channels: list[ChartChannel], settings: AnimSettings,
                 fps: float, start_frame: float, frame_range: tuple[float, float] | None = None) -> list[Curve]:
    """Stepped curves (constant interpolation, a key where the drawing changes) for every channel."""
    grid, letters, closure = chart_shapes(track, settings, fps, start_frame, frame_range)
    if len(grid) == 0:
        return []
    full, _ = complete_chart(chart)
    curves = []
    for ch in channels:
        missing = {full[v] for v in VISEMES} - set(ch.values)
        if missing:
            raise MappingError(f"{ch.label or ch.data_path} has no value for drawing(s) {', '.join(sorted(missing))}.")
        y = np.array([ch.values[full[v]] for v in letters], np.float64)
        idx, err = simplify_steps(y, 0.0, closure)
        curves.append(Curve("property", ch.id_key, ch.label or ch.data_path, ch.data_path, ch.index,
                            grid[idx].copy(), y[idx].copy(), np.zeros(len(idx)), "CONSTANT", len(grid), err,
                            grid[closure].copy()))
    return curves


def parse_order(text: str) -> list[str]:
    """A chart order written by hand ("A B C D E F G H X", "MBP, etc, E, AI") -> names."""
    return [t for t in (p.strip() for p in text.replace(",", " ").split()) if t]


@dataclass
class SheetLayout:
    """A sprite sheet of ``columns`` x ``rows`` cells read left to right, top to bottom, in ``order``."""

    columns: int
    rows: int
    order: list[str] = field(default_factory=lambda: list(CHART_ORDER))

    def offset(self, name: str) -> tuple[float, float]:
        """UV offset that moves the top-left cell onto drawing ``name``'s cell."""
        i = self.order.index(name)
        col, row = i % self.columns, i // self.columns
        return col / self.columns, -row / self.rows

    @classmethod
    def parse(cls, text: str, order=None) -> "SheetLayout":
        """"3x3" (columns x rows) -> a layout; a clear error for anything else."""
        try:
            c, r = (int(x) for x in str(text).lower().replace(" ", "").split("x"))
        except ValueError:
            raise MappingError(f"Sprite sheet layout {text!r}: write COLUMNSxROWS, e.g. 3x3.") from None
        order = list(order) if order else list(CHART_ORDER)
        if c < 1 or r < 1 or c * r < len(order):
            raise MappingError(f"A {c}x{r} sprite sheet has {c * r} cells, too few for the {len(order)} drawings "
                               f"{' '.join(order)}.")
        return cls(c, r, order)


__all__ = ["CHART_ORDER", "ChartChannel", "SheetLayout", "chart_from_names", "complete_chart", "chart_shapes",
           "shape_runs", "merge_runs", "chart_curves", "parse_order"]
