"""Bulk keyframe writers (bpy): curves -> F-curves of a take.

One take = one action; every animated ID (each mesh's shape-key datablock, the
armature object) gets its own slot in it (on Blender 4.2 / 4.3 its own part
action: ``compat`` hides the difference). Keys are written in bulk with
``keyframe_points.add`` + ``foreach_set`` (no per-key ``keyframe_insert``).
Generated keys are typed ``GENERATED`` so animators see what the tool made, and
each F-curve's generated keys are recorded on the action (``lipsync_keys``)
so a later range regeneration can tell edited keys from generated ones.
"""
from __future__ import annotations

import bpy
import numpy as np

from ..curves import Curve
from .compat import ensure_fcurve, ensure_slot
from .names import RECORD_PROP

_INTERP = {"CONSTANT": 0, "LINEAR": 1, "BEZIER": 2}
_HANDLE_FREE, _HANDLE_ALIGNED, _HANDLE_VECTOR, _HANDLE_AUTO, _HANDLE_AUTO_CLAMPED = 0, 3, 2, 1, 4
_KEY_TYPES = list(bpy.types.Keyframe.bl_rna.properties["type"].enum_items.keys())
KEY_TYPE_GENERATED = _KEY_TYPES.index("GENERATED") if "GENERATED" in _KEY_TYPES else _KEY_TYPES.index("BREAKDOWN")


def shape_key_path(name: str) -> str:
    return f'key_blocks["{_esc(name)}"].value'


def bone_path(bone: str, prop: str) -> str:
    return f'pose.bones["{_esc(bone)}"].{prop}'


def _esc(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


def curve_channel(curve: Curve) -> tuple[str, int]:
    """(data_path, array index) of a curve on its ID."""
    if curve.kind == "shape_key":
        return shape_key_path(curve.target), 0
    if curve.kind == "property":  # a 2D rig's property: data_path is the whole RNA path on its ID
        return curve.data_path, curve.index
    return bone_path(curve.target, curve.data_path), curve.index


def handles(frames: np.ndarray, values: np.ndarray, slopes: np.ndarray):
    """Bézier handles at a third of each neighbouring interval along the key's slope.

    With these the Bézier segment is exactly the cubic Hermite curve the
    simplifier checked against, so the error bound holds in Blender.
    """
    n = len(frames)
    if n == 1:
        d = np.ones(1)
        dl = dr = d
    else:
        gaps = np.diff(frames)
        dl = np.concatenate([[gaps[0]], gaps]) / 3.0
        dr = np.concatenate([gaps, [gaps[-1]]]) / 3.0
    left = np.stack([frames - dl, values - slopes * dl], axis=1)
    right = np.stack([frames + dr, values + slopes * dr], axis=1)
    return left, right


def fill_fcurve(fc: bpy.types.FCurve, frames, values, slopes, interpolation: str,
                key_type: int = KEY_TYPE_GENERATED) -> int:
    """Append keys to ``fc`` in bulk; returns the number written. Call ``fc.update()`` afterwards."""
    frames = np.asarray(frames, np.float64)
    values = np.asarray(values, np.float64)
    n = len(frames)
    if n == 0:
        return 0
    kp = fc.keyframe_points
    start = len(kp)
    kp.add(n)
    total = start + n

    def setall(attr, new, width=1, dtype=np.float32):
        buf = np.zeros(total * width, dtype)
        if start:
            kp.foreach_get(attr, buf)
        buf[start * width:] = np.asarray(new, dtype).ravel()
        kp.foreach_set(attr, buf)

    setall("co", np.stack([frames, values], axis=1), 2)
    setall("interpolation", np.full(n, _INTERP[interpolation]), 1, np.int32)
    setall("type", np.full(n, key_type), 1, np.int32)
    if interpolation == "BEZIER":
        left, right = handles(frames, values, np.asarray(slopes, np.float64))
        setall("handle_left_type", np.full(n, _HANDLE_ALIGNED), 1, np.int32)
        setall("handle_right_type", np.full(n, _HANDLE_ALIGNED), 1, np.int32)
        setall("handle_left", left, 2)
        setall("handle_right", right, 2)
    return n


def record_keys(action: bpy.types.Action, slot, data_path: str, index: int, frames, values):
    """Remember which keys the tool generated on one F-curve (to spot edits later)."""
    rec = action.get(RECORD_PROP)
    if rec is None:
        action[RECORD_PROP] = {}
        rec = action[RECORD_PROP]
    k = _record_key(slot, data_path, index)
    rec[k] = np.stack([np.asarray(frames, np.float64), np.asarray(values, np.float64)], 1).ravel().tolist()


def _record_key(slot, data_path: str, index: int) -> str:
    """The record's name for one F-curve: readable, or a digest where Blender's 63-character limit needs one
    (a node socket path on a material's node tree, a long bone name)."""
    k = f"{slot.identifier}|{data_path}|{index}"
    if len(k) <= 63:
        return k
    import hashlib

    return "#" + hashlib.sha1(k.encode("utf-8")).hexdigest()


def recorded_keys(action, slot, data_path: str, index: int) -> np.ndarray:
    rec = action.get(RECORD_PROP)
    if rec is None:
        return np.zeros((0, 2))
    v = rec.get(_record_key(slot, data_path, index))
    if v is None:
        return np.zeros((0, 2))
    return np.asarray(list(v), np.float64).reshape(-1, 2)


def write_curves(action: bpy.types.Action, id_block: bpy.types.ID, curves: list[Curve]) -> dict[str, int]:
    """Write ``curves`` as new F-curves in ``action``'s slot for ``id_block``.

    Returns keys written per channel label ("target" or "bone.path[i]").
    """
    slot = ensure_slot(action, id_block)
    written: dict[str, int] = {}
    for c in curves:
        path, index = curve_channel(c)
        fc = ensure_fcurve(action, id_block, path, index, group=c.target if c.kind == "bone_channel" else
                           "Lip Sync mouth" if c.kind == "property" else None)
        n = fill_fcurve(fc, c.frames, c.values, c.slopes, c.interpolation)
        fc.update()
        record_keys(action, slot, path, index, c.frames, c.values)
        written[label(c)] = written.get(label(c), 0) + n
    return written


def label(c: Curve) -> str:
    if c.kind == "shape_key":
        return f"{c.object}:{c.target}" if c.object else c.target
    if c.kind == "property":
        return c.target
    return f"{c.target}.{c.data_path}[{c.index}]"
