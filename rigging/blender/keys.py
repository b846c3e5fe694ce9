"""Key surgery for range regeneration (bpy): replace generated keys in a frame range, keep the animator's.

A key counts as the animator's when it is not typed GENERATED, or when it no longer sits
where the tool recorded it (``names.RECORD_PROP``): moved, re-valued or added by hand.
"""
from __future__ import annotations

import numpy as np

from ..curves import Curve
from .writers import KEY_TYPE_GENERATED, fill_fcurve, record_keys, recorded_keys


_ATTRS = (("co", 2, np.float32), ("handle_left", 2, np.float32), ("handle_right", 2, np.float32),
          ("interpolation", 1, np.int32), ("handle_left_type", 1, np.int32), ("handle_right_type", 1, np.int32),
          ("type", 1, np.int32), ("easing", 1, np.int32))


def _read_keys(fc) -> dict[str, np.ndarray]:
    n = len(fc.keyframe_points)
    out = {}
    for name, w, dt in _ATTRS:
        buf = np.zeros(n * w, dt)
        fc.keyframe_points.foreach_get(name, buf)
        out[name] = buf.reshape(n, w) if w > 1 else buf
    return out


def _write_keys(fc, keys: dict[str, np.ndarray]):
    fc.keyframe_points.clear()
    n = len(keys["co"])
    if n == 0:
        return
    fc.keyframe_points.add(n)
    for name, w, dt in _ATTRS:
        fc.keyframe_points.foreach_set(name, np.asarray(keys[name], dt).ravel())


def _user_mask(keys, rec: np.ndarray) -> np.ndarray:
    """True for keys the animator made or changed (not an untouched generated key)."""
    co = keys["co"].astype(np.float64)
    gen = keys["type"] == KEY_TYPE_GENERATED
    if len(rec) == 0:
        return ~gen
    j = np.clip(np.searchsorted(rec[:, 0], co[:, 0]), 0, len(rec) - 1)
    best = np.full(len(co), np.inf)
    for jj in (j - 1, j, j + 1):
        jj = np.clip(jj, 0, len(rec) - 1)
        d = np.abs(rec[jj, 0] - co[:, 0]) + np.abs(rec[jj, 1] - co[:, 1])
        best = np.minimum(best, d)
    return ~(gen & (best < 1e-4))


def merge_range(action, slot, fc, curve: Curve, lo: float, hi: float) -> tuple[int, int]:
    """Replace generated keys in [lo, hi] by ``curve``'s keys, keeping user keys. Returns (written, kept)."""
    path, index = fc.data_path, fc.array_index
    keys = _read_keys(fc)
    rec = recorded_keys(action, slot, path, index)
    user = _user_mask(keys, rec)
    f = keys["co"][:, 0]
    in_range = (f >= lo - 1e-6) & (f <= hi + 1e-6)
    drop = in_range & ~user
    kept_user = int((in_range & user).sum())
    keep = {k: v[~drop] for k, v in keys.items()}
    user_frames = f[in_range & user]
    ok = np.ones(curve.n_keys, bool)
    if len(user_frames):
        ok = np.min(np.abs(curve.frames[:, None] - user_frames[None, :]), axis=1) >= 0.5
    _write_keys(fc, keep)
    nf = fill_fcurve(fc, curve.frames[ok], curve.values[ok], curve.slopes[ok], curve.interpolation)
    fc.update()  # sorts the appended keys into place
    # record: previous generated keys outside the range + the new ones
    if len(rec):
        rec = rec[(rec[:, 0] < lo - 1e-6) | (rec[:, 0] > hi + 1e-6)]
    new = np.stack([curve.frames[ok], curve.values[ok]], 1)
    allrec = np.concatenate([rec, new]) if len(rec) else new
    allrec = allrec[np.argsort(allrec[:, 0], kind="stable")]
    record_keys(action, slot, path, index, allrec[:, 0], allrec[:, 1])
    return nf, kept_user


__all__ = ["merge_range"]
