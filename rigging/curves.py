"""Timed visemes -> animation curves for a mapping (bpy-free, numpy).

Steps (all in frames, on the key grid ``start_frame + k * step``):

1. pauses: silences shorter than ``rest_after_pause`` are glided through (the
   neighbouring shapes meet in the middle); longer ones go to rest (X);
2. anticipation: every cue starts ``lead_frames`` earlier;
3. holds: a shape shorter than ``min_hold_frames`` borrows time from the next
   shape or merges into the previous one; M/B/P closures are never dropped;
4. sources on the grid: one-hot Preston Blair and detail visemes, continuous
   controls (from the track or derived from the visemes);
5. co-articulation: a Gaussian blend whose width follows ``smoothing``;
6. closure guarantee: every M/B/P cue gets at least one grid frame where the
   lips are fully closed (A = 1, PP = 1, lip_close = 1, jaw_open = 0, others 0);
7. targets = offset + sum(weight * gain * source), with intensity, jaw/lips
   balance and loudness-driven opening in the gain (gain 1 on closure frames);
8. simplification: keys are kept only where needed so that the interpolated
   curve (monotone cubic Hermite = the Bézier handles we write, or steps) stays
   within ``simplify_tolerance`` of the full-rate curve at every grid frame.

Audio time t is frame ``start_frame + t * fps`` (fractional fps is fine).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..phonemes.types import VisemeCue, VisemeTrack
from ..phonemes.visemes import CONTROLS, DETAIL_TO_VISEME, DETAIL_VISEMES, VISEMES, control_targets
from .mapping import Binding, Mapping, MappingError
from .settings import AnimSettings

# Detail viseme used when a cue has none, by Preston Blair shape.
VISEME_TO_DETAIL = {"A": "PP", "B": "DD", "C": "E", "D": "aa", "E": "O", "F": "U", "G": "FF", "H": "nn", "X": "sil"}
# A phone that stands for each detail viseme (for controls when the track has none).
_DETAIL_PHONE = {"sil": "sil", "PP": "p", "FF": "f", "TH": "θ", "DD": "t", "kk": "k", "CH": "ʃ", "SS": "s",
                 "nn": "n", "RR": "ɹ", "aa": "ɑ", "E": "ɛ", "I": "i", "O": "o", "U": "u"}
# How much of each shape is jaw (the rest is lips), for the jaw/lips balance and loudness.
JAW_SHARE_VISEME = {"A": 0.0, "B": 0.3, "C": 0.7, "D": 0.9, "E": 0.5, "F": 0.2, "G": 0.2, "H": 0.5, "X": 0.0}
JAW_SHARE_DETAIL = {"sil": 0.0, "PP": 0.0, "FF": 0.2, "TH": 0.4, "DD": 0.3, "kk": 0.5, "CH": 0.3, "SS": 0.3,
                    "nn": 0.3, "RR": 0.3, "aa": 0.9, "E": 0.7, "I": 0.3, "O": 0.5, "U": 0.2}
CLOSED_VISEME = "A"
CLOSED_DETAIL = "PP"


@dataclass
class Curve:
    """Keys for one animated channel.

    ``kind``: "shape_key" or "bone_channel"; ``object``: mesh / armature name ("" =
    the rig); ``target``: shape key or bone name; ``data_path``/``index``: the
    channel ("value" for shape keys). ``slopes``: dvalue/dframe at each key (the
    Bézier handles); ``n_dense``: keys before simplification.
    """

    kind: str
    object: str
    target: str
    data_path: str
    index: int
    frames: np.ndarray
    values: np.ndarray
    slopes: np.ndarray
    interpolation: str = "BEZIER"
    n_dense: int = 0
    max_error: float = 0.0
    closure_frames: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def n_keys(self) -> int:
        return int(len(self.frames))


def _pause_glide(cues: list[VisemeCue], duration: float, rest_after_pause: float) -> list[list]:
    """Sorted, gap-free [start, end, viseme, detail] with short inner pauses glided through."""
    out: list[list] = []
    t = 0.0
    for c in sorted(cues, key=lambda c: c.start):
        s, e = max(c.start, 0.0), min(c.end, duration) if duration > 0 else c.end
        if e <= s:
            continue
        if s > t + 1e-6:
            out.append([t, s, "X", "sil"])
        s = max(s, t)
        det = c.detail if c.detail in DETAIL_VISEMES else VISEME_TO_DETAIL.get(c.viseme, "sil")
        vis = c.viseme if c.viseme in VISEMES else DETAIL_TO_VISEME.get(det, "X")
        out.append([s, e, vis, det])
        t = e
    if duration > t + 1e-6:
        out.append([t, duration, "X", "sil"])
    res: list[list] = []
    for i, c in enumerate(out):
        inner = 0 < i < len(out) - 1
        if c[2] == "X" and inner and (c[1] - c[0]) < rest_after_pause and out[i - 1][2] != "X" \
                and out[i + 1][2] != "X":
            mid = 0.5 * (c[0] + c[1])
            res[-1][1] = mid
            out[i + 1][0] = mid
            continue
        res.append(c)
    return res


def _apply_holds(segs: list[list], min_hold: float, protect_closure: bool) -> list[list]:
    """Give every shape at least ``min_hold`` frames (segments in frames)."""
    if min_hold <= 0 or len(segs) < 2:
        return segs
    segs = [list(s) for s in segs]
    out: list[list] = []
    i = 0
    while i < len(segs):
        s = segs[i]
        length = s[1] - s[0]
        closure = protect_closure and s[2] == CLOSED_VISEME
        if length < min_hold and i + 1 < len(segs):
            nxt = segs[i + 1]
            need = min_hold - length
            if (nxt[1] - nxt[0]) - need >= min_hold:
                s[1] += need
                nxt[0] += need
                out.append(s)
                i += 1
                continue
        if length < min_hold and not closure and out:
            out[-1][1] = s[1]  # merge into the previous shape
            i += 1
            continue
        if length < min_hold and not closure and i + 1 < len(segs):
            segs[i + 1][0] = s[0]  # first segment: merge into the next one
            i += 1
            continue
        out.append(s)
        i += 1
    merged: list[list] = []
    for s in out:
        if merged and merged[-1][2] == s[2] and merged[-1][3] == s[3]:
            merged[-1][1] = s[1]
        else:
            merged.append(s)
    return merged


def frame_grid(track: VisemeTrack, fps: float, start_frame: float, step: int = 1,
               frame_range: tuple[float, float] | None = None) -> np.ndarray:
    """Grid frames covered by the clip: integers k*step from start_frame, inside the clip and the range.

    The clip covers ``floor(duration * fps)`` frames from its start, like a sound strip in
    Blender's sequencer (the strip's last frame is ``frame_final_end - 1``).
    """
    n_frames = max(1, math.floor(track.duration * fps + 1e-6))
    first = math.ceil(start_frame - 1e-6)
    last = math.floor(start_frame + 1e-6) + n_frames - 1
    grid = np.arange(first, last + 1, step, dtype=np.float64)
    if frame_range is not None:
        grid = grid[(grid >= frame_range[0] - 1e-6) & (grid <= frame_range[1] + 1e-6)]
    return grid


def _gauss(x: np.ndarray, sigma: float) -> np.ndarray:
    if sigma < 0.05 or len(x) < 2:
        return x
    from scipy.ndimage import gaussian_filter1d

    return gaussian_filter1d(x, sigma, axis=0, mode="nearest")


def _pchip_slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Monotone (Fritsch-Carlson) slopes: no overshoot, flat at extremes."""
    n = len(x)
    if n < 2:
        return np.zeros(n)
    h = np.diff(x)
    d = np.diff(y) / h
    m = np.zeros(n)
    if n == 2:
        m[:] = d[0]
        return m
    w1 = 2 * h[1:] + h[:-1]
    w2 = h[1:] + 2 * h[:-1]
    same = (d[:-1] * d[1:]) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        hm = (w1 + w2) / (w1 / d[:-1] + w2 / d[1:])
    m[1:-1] = np.where(same, hm, 0.0)
    # ends: flat (ease in/out), which suits mouth shapes starting/ending at rest
    m[0] = 0.0
    m[-1] = 0.0
    return m


def _hermite_eval(xk, yk, mk, x):
    idx = np.clip(np.searchsorted(xk, x, side="right") - 1, 0, len(xk) - 2)
    x0, x1 = xk[idx], xk[idx + 1]
    h = x1 - x0
    t = (x - x0) / h
    t2, t3 = t * t, t * t * t
    return ((2 * t3 - 3 * t2 + 1) * yk[idx] + (t3 - 2 * t2 + t) * h * mk[idx]
            + (-2 * t3 + 3 * t2) * yk[idx + 1] + (t3 - t2) * h * mk[idx + 1])


def simplify_smooth(x: np.ndarray, y: np.ndarray, tol: float, keep: np.ndarray | None = None):
    """Fewest keys (greedy refinement) whose monotone cubic stays within ``tol`` of y at every x
    and is exact at the indices ``keep`` (closure frames).

    Returns (key indices, slopes at the keys, max error).
    """
    n = len(x)
    if n <= 2 or tol <= 0:
        idx = np.arange(n)
        return idx, _pchip_slopes(x, y), 0.0
    sel = np.zeros(n, bool)
    sel[0] = sel[-1] = True
    exact = np.asarray(keep, int) if keep is not None and len(keep) else np.zeros(0, int)
    # corners of flat runs are natural keys (a hold starts / ends there)
    dy = np.diff(y)
    flat = np.abs(dy) < 1e-9
    corners = np.nonzero(flat[1:] != flat[:-1])[0] + 1
    sel[corners] = True
    while True:
        idx = np.nonzero(sel)[0]
        xk, yk = x[idx], y[idx]
        mk = _pchip_slopes(xk, yk)
        err = np.abs(_hermite_eval(xk, yk, mk, x) - y)
        if err.max() <= tol:
            # frames in ``keep`` must come out exact (closures): key the ones that do not
            off = exact[err[exact] > 1e-9] if len(exact) else exact
            if len(off) == 0:
                return idx, mk, float(err.max())
            sel[off] = True
            continue
        # worst point of every segment that is out of tolerance
        seg = np.clip(np.searchsorted(idx, np.arange(n), side="right") - 1, 0, len(idx) - 2)
        bad = err > tol
        order = np.lexsort((-err, seg))  # by segment, worst first
        first_in_seg = np.ones(n, bool)
        first_in_seg[1:] = seg[order][1:] != seg[order][:-1]
        pick = order[first_in_seg & bad[order]]
        sel[pick] = True


def simplify_steps(y: np.ndarray, tol: float, keep: np.ndarray | None = None):
    """Keys for stepped (constant) curves: a key wherever the value moved more than ``tol``."""
    n = len(y)
    keep_set = set(np.asarray(keep, int).tolist()) if keep is not None else set()
    out = [0] if n else []
    last = y[0] if n else 0.0
    for i in range(1, n):
        if abs(y[i] - last) > tol or (i in keep_set and y[i] != last):
            out.append(i)
            last = y[i]
    idx = np.asarray(out, int)
    held = y[idx][np.searchsorted(idx, np.arange(n), side="right") - 1] if n else y
    return idx, float(np.abs(held - y).max()) if n else 0.0


def _source_matrices(track, settings, fps, start_frame, grid):
    """One-hot visemes, detail visemes and controls on the grid, plus closure grid indices."""
    segs_t = _pause_glide(track.cues, track.duration, settings.rest_after_pause)
    lead = settings.lead_frames
    segs = [[start_frame + s * fps - lead, start_frame + e * fps - lead, v, d] for s, e, v, d in segs_t]
    segs = _apply_holds(segs, settings.min_hold_frames, settings.ensure_closure)
    if segs:
        segs[0][0] = min(segs[0][0], grid[0] if len(grid) else segs[0][0])
        segs[-1][1] = max(segs[-1][1], grid[-1] + 1 if len(grid) else segs[-1][1])
    G = len(grid)
    starts = np.array([s[0] for s in segs])
    seg_of = np.clip(np.searchsorted(starts, grid + 1e-9, side="right") - 1, 0, max(len(segs) - 1, 0))
    vis = np.array([VISEMES.index(s[2]) for s in segs], int)[seg_of] if segs else np.zeros(G, int)
    det = np.array([DETAIL_VISEMES.index(s[3]) for s in segs], int)[seg_of] if segs else np.zeros(G, int)
    closure = np.zeros(G, bool)
    if settings.ensure_closure and G:
        a = VISEMES.index(CLOSED_VISEME)
        closure |= vis == a
        step = settings.step
        for s in segs:
            if s[2] != CLOSED_VISEME:
                continue
            inside = (grid >= s[0] - 1e-9) & (grid < s[1] - 1e-9)
            if inside.any():
                continue
            mid = 0.5 * (s[0] + s[1])
            if mid < grid[0] - step or mid > grid[-1] + step:
                continue  # the closure lies outside the range being written
            k = int(np.argmin(np.abs(grid - mid)))
            closure[k] = True
            vis[k] = a
            det[k] = DETAIL_VISEMES.index(CLOSED_DETAIL)
    W = np.zeros((G, len(VISEMES)))
    W[np.arange(G), vis] = 1.0
    D = np.zeros((G, len(DETAIL_VISEMES)))
    D[np.arange(G), det] = 1.0
    table = np.array([[control_targets(_DETAIL_PHONE[d])[c] for c in CONTROLS] for d in DETAIL_VISEMES])
    if track.controls is not None and len(track.control_names):
        C = np.zeros((G, len(CONTROLS)))
        t = (grid + lead - start_frame) / fps
        src_t = np.arange(track.controls.shape[0]) * track.hop
        derived = table[det]
        for j, name in enumerate(CONTROLS):
            if name in track.control_names:
                col = track.controls[:, list(track.control_names).index(name)]
                C[:, j] = np.interp(t, src_t, col)
            else:
                C[:, j] = derived[:, j]
    else:
        C = table[det]
    sigma = settings.smoothing * 0.06 * fps / settings.step
    W, D, C = _gauss(W, sigma), _gauss(D, sigma), _gauss(C, sigma)
    if closure.any():
        W[closure] = 0.0
        W[closure, VISEMES.index(CLOSED_VISEME)] = 1.0
        D[closure] = 0.0
        D[closure, DETAIL_VISEMES.index(CLOSED_DETAIL)] = 1.0
        C[closure, CONTROLS.index("lip_close")] = 1.0
        C[closure, CONTROLS.index("jaw_open")] = 0.0
        C[closure, CONTROLS.index("lip_teeth")] = 0.0
        C[closure, CONTROLS.index("spread")] = 0.0
    return W, D, C, closure


def closure_frames(track: VisemeTrack, settings: AnimSettings, fps: float, start_frame: float,
                   frame_range: tuple[float, float] | None = None) -> np.ndarray:
    """Grid frames where the lips are forced fully closed (every M/B/P cue has at least one)."""
    grid = frame_grid(track, fps, start_frame, settings.step, frame_range)
    if len(grid) == 0:
        return grid
    return grid[_source_matrices(track, settings, fps, start_frame, grid)[3]]


def _loudness_on_grid(loudness, hop, grid, start_frame, fps, lead):
    loud = np.asarray(loudness, dtype=np.float64).ravel()
    if loud.size == 0:
        return None
    ref = np.percentile(loud, 95)
    if ref <= 1e-9:
        return None
    t = (grid + lead - start_frame) / fps
    return np.clip(np.interp(t, np.arange(loud.size) * hop, loud / ref), 0.0, 1.25)


def build_curves(track: VisemeTrack, mapping: Mapping, settings: AnimSettings, fps: float,
                 start_frame: float, loudness: np.ndarray | None = None,
                 frame_range: tuple[float, float] | None = None) -> list[Curve]:
    """Curves for every channel ``mapping`` drives (bone_pose bindings must be resolved first).

    ``loudness``: an envelope sampled every ``track.hop`` seconds (e.g.
    ``phonemes.audio.rms_envelope``), any scale. ``frame_range``: only keys inside
    [first, last] are produced.
    """
    settings.validate()
    if fps <= 0 or not math.isfinite(fps):
        raise ValueError(f"Frame rate must be positive, got {fps}. Check the scene's frame rate.")
    if any(b.kind == "bone_pose" for b in mapping.bindings):
        raise MappingError("Bone pose bindings must be resolved to channels first (rigging.mapping.resolve_poses).")
    grid = frame_grid(track, fps, start_frame, settings.step, frame_range)
    if len(grid) == 0 or not mapping.bindings:
        return []
    W, D, C, closure = _source_matrices(track, settings, fps, start_frame, grid)
    src = {}
    for i, v in enumerate(VISEMES):
        src["viseme:" + v] = (W[:, i], JAW_SHARE_VISEME[v])
    for i, d in enumerate(DETAIL_VISEMES):
        src["detail:" + d] = (D[:, i], JAW_SHARE_DETAIL[d])
    for i, c in enumerate(CONTROLS):
        src["control:" + c] = (C[:, i], 1.0 if c == "jaw_open" else 0.0)
    bal = settings.jaw_lips_balance
    jaw_gain = np.full(len(grid), 1.0 - 0.5 * bal)
    lip_gain = 1.0 + 0.5 * bal
    if loudness is not None and settings.loudness_opening > 0:
        lg = _loudness_on_grid(loudness, track.hop, grid, start_frame, fps, settings.lead_frames)
        if lg is not None:
            jaw_gain = jaw_gain * ((1.0 - settings.loudness_opening) + settings.loudness_opening * lg)
    closure_idx = np.nonzero(closure)[0]

    groups: dict[tuple, list[Binding]] = {}
    for b in mapping.bindings:
        b.validate()
        groups.setdefault(b.key(), []).append(b)
    curves: list[Curve] = []
    for key, binds in groups.items():
        kind, obj, target, path, index = key
        y = np.full(len(grid), binds[0].offset, dtype=np.float64)
        for b in binds:
            s, share = src[b.source]
            if b.group == "jaw":
                share = 1.0
            elif b.group in ("lips", "tongue"):
                share = 0.0
            gain = settings.intensity * (share * jaw_gain + (1.0 - share) * lip_gain)
            if len(closure_idx):
                gain = np.broadcast_to(gain, y.shape).copy()
                gain[closure_idx] = 1.0
            y += b.weight * gain * s
        if kind == "shape_key":
            y = np.clip(y, 0.0, 1.0)
        y = np.round(y, 6)
        interp = settings.interpolation
        if interp == "CONSTANT":
            idx, err = simplify_steps(y, settings.simplify_tolerance, closure_idx)
            slopes = np.zeros(len(idx))
        elif interp == "LINEAR":
            idx, err = _simplify_linear(grid, y, settings.simplify_tolerance, closure_idx)
            slopes = np.zeros(len(idx))
        else:
            idx, slopes, err = simplify_smooth(grid, y, settings.simplify_tolerance, closure_idx)
        curves.append(Curve(kind, obj, target, path if kind != "shape_key" else "value", index,
                            grid[idx].copy(), y[idx].copy(), np.asarray(slopes, float), interp, len(grid), err,
                            grid[closure_idx].copy()))
    return curves


def _simplify_linear(x, y, tol, keep):
    n = len(x)
    sel = np.zeros(n, bool)
    sel[0] = sel[-1] = True
    exact = np.asarray(keep, int) if keep is not None and len(keep) else np.zeros(0, int)
    while True:
        idx = np.nonzero(sel)[0]
        err = np.abs(np.interp(x, x[idx], y[idx]) - y)
        if err.max() <= tol or len(idx) == n:
            off = exact[err[exact] > 1e-9] if len(exact) else exact
            if len(off) == 0 or len(idx) == n:
                return idx, float(err.max())
            sel[off] = True
            continue
        seg = np.clip(np.searchsorted(idx, np.arange(n), side="right") - 1, 0, len(idx) - 2)
        order = np.lexsort((-err, seg))
        first = np.ones(n, bool)
        first[1:] = seg[order][1:] != seg[order][:-1]
        sel[order[first & (err[order] > tol)]] = True


def dense_values(curve: Curve, frames: np.ndarray) -> np.ndarray:
    """Evaluate a curve the way Blender will (Hermite = our Bézier handles, steps, or lines)."""
    frames = np.asarray(frames, float)
    if curve.n_keys == 1:
        return np.full(frames.shape, curve.values[0])
    if curve.interpolation == "CONSTANT":
        i = np.clip(np.searchsorted(curve.frames, frames, side="right") - 1, 0, curve.n_keys - 1)
        return curve.values[i]
    if curve.interpolation == "LINEAR":
        return np.interp(frames, curve.frames, curve.values)
    f = np.clip(frames, curve.frames[0], curve.frames[-1])
    return _hermite_eval(curve.frames, curve.values, curve.slopes, f)
