"""The one entry point the operator and the command line use: VisemeTrack -> a take on a rig (bpy).

``generate_take`` writes a NEW action (a "take") and makes it the active one;
earlier takes stay (fake user) and ``set_active_take`` switches between them.
Existing actions are never modified: the rig's own action stays where it was
(when an ID already plays a non-take action, the take goes on an NLA track
above it instead). With ``frame_range`` the new take is a copy of the active
take with only that range regenerated; keys the animator added, edited or
retyped there (and locked F-curves) are kept.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import bpy
import numpy as np

from ..phonemes.types import VisemeTrack
from .curves import Curve, build_curves
from .mapping import Binding, Mapping, MappingError, detect_preset, resolve_poses
from .settings import AnimSettings
from .writers import (KEY_TYPE_GENERATED, RECORD_PROP, channelbag, curve_channel, ensure_slot, fill_fcurve, label,
                      record_keys, recorded_keys)
from ..errors import RigError

TAKE_PROP = "lipsync_take"  # on actions: the rig object's name
ACTIVE_PROP = "lipsync_active_take"  # on the rig object
NLA_PREFIX = "LipSync: "


@dataclass
class TakeResult:
    take_name: str
    actions: list[str]
    keys_written: dict[str, int] = field(default_factory=dict)
    keys_dense: int = 0  # keys before simplification (one per grid frame and channel)
    missing: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    preset: str = ""
    frame_range: tuple[int, int] | None = None
    kept_user_keys: int = 0

    @property
    def total_keys(self) -> int:
        return sum(self.keys_written.values())

    n_keys = total_keys

    @property
    def channels(self) -> list[str]:
        return list(self.keys_written)

    @property
    def warnings(self) -> list[str]:
        return list(self.messages)


# ------------------------------------------------------------------ rig inspection

def rig_meshes(obj, extra_objects=()) -> list:
    """Meshes with shape keys: ``obj`` (if a mesh), ``extra_objects`` and ``obj``'s mesh children."""
    seen, out = set(), []
    for o in [obj, *extra_objects, *getattr(obj, "children_recursive", [])]:
        if o is None or o.type != "MESH" or o.name in seen:
            continue
        if o.data.shape_keys is None or len(o.data.shape_keys.key_blocks) < 2:
            continue
        seen.add(o.name)
        out.append(o)
    return out


def _is_take(action) -> bool:
    return action is not None and TAKE_PROP in action


def _pose_actions() -> list:
    return [a for a in bpy.data.actions if not _is_take(a)]


def available_targets(obj, extra_objects=()) -> dict[str, str]:
    """name -> kind ("shape_key" / "bone" / "action") of everything a mapping could drive."""
    kinds: dict[str, str] = {}
    for m in rig_meshes(obj, extra_objects):
        ref = m.data.shape_keys.reference_key
        for kb in m.data.shape_keys.key_blocks:
            if kb != ref:
                kinds.setdefault(kb.name, "shape_key")
    if obj.type == "ARMATURE":
        for b in obj.pose.bones:
            kinds.setdefault(b.name, "bone")
        for a in _pose_actions():
            kinds.setdefault(a.name, "action")
    return kinds


def _action_fcurves(action):
    """All F-curves of an action (every slot's channelbag)."""
    out = []
    for layer in action.layers:
        for strip in layer.strips:
            for bag in strip.channelbags:
                out.extend(bag.fcurves)
    return out


def _read_pose(action) -> dict[tuple[str, str, int], float]:
    """A pose action's bone channel values (at its first key)."""
    vals = {}
    for fc in _action_fcurves(action):
        p = fc.data_path
        if not p.startswith('pose.bones["'):
            continue
        bone, _, prop = p[len('pose.bones["'):].partition('"].')
        if not fc.keyframe_points:
            continue
        vals[(bone, prop, fc.array_index)] = fc.evaluate(fc.keyframe_points[0].co[0])
    return vals


def _adapt_bone_binding(obj, b: Binding, messages: list[str]) -> list[Binding]:
    """Fit a bone channel binding to the bone: rotation mode and per-bone-length scaling."""
    pb = obj.pose.bones.get(b.target)
    if pb is None:
        return []
    w = b.weight
    if b.per_bone_length:
        w *= obj.data.bones[b.target].length
    if b.data_path == "rotation_euler" and pb.rotation_mode == "QUATERNION":
        # small angles: q ~ (1, x/2, y/2, z/2)
        return [Binding(b.source, "bone_channel", b.target, w * 0.5, "rotation_quaternion", b.index + 1, 0.0,
                        b.group, b.object)]
    if b.data_path == "rotation_euler" and pb.rotation_mode == "AXIS_ANGLE":
        messages.append(f"Bone {b.target!r} uses axis-angle rotation; set it to XYZ Euler or Quaternion to animate it.")
        return []
    if b.data_path == "rotation_quaternion" and pb.rotation_mode not in ("QUATERNION",):
        messages.append(f"Bone {b.target!r} is not in quaternion mode; its rotation binding is skipped.")
        return []
    return [Binding(b.source, b.kind, b.target, w, b.data_path, b.index, b.offset, b.group, b.object)]


def bind_mapping(obj, mapping: Mapping | None, extra_objects=(), preset: str | None = None):
    """Resolve a mapping against the rig: (mapping with concrete objects, preset name, missing, messages)."""
    kinds = available_targets(obj, extra_objects)
    messages: list[str] = []
    preset_name = ""
    if mapping is None:
        preset_name, mapping, missing = detect_preset(list(kinds), kinds, preset)
        if not mapping.bindings:
            raise RigError(
                f"No mouth targets recognised on {obj.name!r}: expected shape keys named like a preset "
                f"(Preston Blair A..H/X, Papagayo, Oculus viseme_PP.., ARKit jawOpen.., VRM A I U E O) or an "
                f"armature with a jaw bone / pose actions. Pick a preset or map the targets in the Lip Sync panel.")
    else:
        mapping.validate()
        missing = []
        preset_name = mapping.name
    # bone poses -> channels
    if any(b.kind == "bone_pose" for b in mapping.bindings):
        poses = {}
        for b in mapping.bindings:
            if b.kind == "bone_pose" and b.target in bpy.data.actions:
                poses[b.target] = _read_pose(bpy.data.actions[b.target])
        direct = [b for b in mapping.bindings if b.kind == "bone_channel"]
        posed = {(bone, path, idx) for vals in poses.values() for (bone, path, idx) in vals}
        mapping, pose_missing = resolve_poses(Mapping(mapping.name, [b for b in mapping.bindings
                                                                     if b.kind == "bone_pose"]), poses, {})
        # a channel the poses already move is not driven directly as well (no double jaw)
        kept = [b for b in direct if (b.target, b.data_path, b.index) not in posed]
        if len(kept) < len(direct):
            messages.append("Channels set by the pose actions are not driven directly: "
                            + ", ".join(sorted({b.target for b in direct if b not in kept})) + ".")
        mapping = Mapping(mapping.name, mapping.bindings + kept)
        missing += [m for m in pose_missing if m not in missing]
    meshes = rig_meshes(obj, extra_objects)
    out: list[Binding] = []
    for b in mapping.bindings:
        if b.kind == "shape_key":
            hits = [m for m in meshes if (not b.object or m.name == b.object)
                    and b.target in m.data.shape_keys.key_blocks]
            if not hits:
                if b.target not in missing:
                    missing.append(b.target)
                continue
            for m in hits:
                out.append(Binding(b.source, "shape_key", b.target, b.weight, "", 0, 0.0, b.group, m.name))
        else:
            if obj.type != "ARMATURE" or b.target not in obj.pose.bones:
                if b.target not in missing:
                    missing.append(b.target)
                continue
            out.extend(_adapt_bone_binding(obj, Binding(b.source, b.kind, b.target, b.weight, b.data_path, b.index,
                                                        b.offset, b.group, obj.name, b.per_bone_length), messages))
    if not out:
        raise RigError(f"None of the mapping's targets exist on {obj.name!r} (missing: {', '.join(missing[:8])}). "
                       f"Check the mapping in the Lip Sync panel or pick another preset.")
    if missing:
        messages.append(f"Rig has no {', '.join(missing)}; animating the {len(out)} channels it has.")
    return Mapping(mapping.name, out), preset_name, missing, messages


def _editable(id_block) -> bool:
    return id_block.library is None or id_block.override_library is not None


def prepare_overrides(obj, extra_objects=()) -> list[str]:
    """Make a library-overridden character's meshes keyable.

    An override of a linked character usually keeps its meshes linked, and a linked
    mesh's shape keys cannot be animated: such meshes get a library override of their
    own (what Blender's "fully editable" override does). Nothing is changed in the
    library. A linked object without an override raises RigError saying what to do.
    """
    messages = []
    for o in [obj, *extra_objects]:
        if o is not None and o.library is not None and o.override_library is None:
            raise RigError(f"{o.name!r} is linked from {o.library.filepath!r} and cannot be animated as it is. "
                           f"Make a library override (Object > Library Override > Make), then generate again.")
    for m in rig_meshes(obj, extra_objects):
        if m.data.library is not None and m.data.override_library is None and _editable(m):
            m.data = m.data.override_create(remap_local_usages=True)
            messages.append(f"Made a library override of mesh {m.data.name!r} so its shape keys can be keyed.")
    return messages


# ------------------------------------------------------------------ key surgery for range regeneration

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


def _merge_range(action, slot, fc, curve: Curve, lo: float, hi: float) -> tuple[int, int]:
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


# ------------------------------------------------------------------ takes

def _ids_for_curves(obj, curves: list[Curve]) -> dict:
    """Group curves by the ID they animate (a mesh's Key datablock, or the armature object)."""
    groups: dict = {}
    for c in curves:
        if c.kind == "shape_key":
            mesh = bpy.data.objects[c.object]
            idb = mesh.data.shape_keys
        else:
            idb = obj
        groups.setdefault(idb.name + "|" + idb.id_type, (idb, []))[1].append(c)
    return groups


def _assign(id_block, action, slot, take_name: str, messages: list[str]):
    ad = id_block.animation_data or id_block.animation_data_create()
    current = ad.action
    if current is None or _is_take(current):
        ad.action = action
        ad.action_slot = slot
        for tr in ad.nla_tracks:
            if tr.name.startswith(NLA_PREFIX):
                tr.mute = True
        return
    # the ID plays the user's own action: leave it, put the take on an NLA track
    name = NLA_PREFIX + take_name
    tr = ad.nla_tracks.get(name) or ad.nla_tracks.new()
    tr.name = name
    start = int(math.floor(action.frame_range[0]))
    strip = tr.strips.new(take_name, start, action)
    strip.action_slot = slot
    strip.extrapolation = "NOTHING"
    for other in ad.nla_tracks:
        if other.name.startswith(NLA_PREFIX):
            other.mute = other != tr
    messages.append(f"{id_block.name!r} already plays action {current.name!r}; the take is on NLA track "
                    f"{name!r} (your action is untouched and still evaluated on top).")


def list_takes(obj) -> list[str]:
    """Names of the takes made for ``obj``, oldest first."""
    takes = [a for a in bpy.data.actions if a.get(TAKE_PROP) == obj.name]
    takes.sort(key=lambda a: (a.get("lipsync_take_index", 0), a.name))
    return [a.name for a in takes]


def active_take(obj) -> str | None:
    """The take ``obj`` plays now, or None when it never had one (or it was deleted)."""
    name = obj.get(ACTIVE_PROP)
    if not isinstance(name, str) or not name:
        return None
    return name if name in bpy.data.actions else None


def set_active_take(obj, name: str, extra_objects=()):
    """Make take ``name`` the one that plays on ``obj`` (and its meshes); other takes are kept."""
    action = bpy.data.actions.get(name)
    if action is None or action.get(TAKE_PROP) != obj.name:
        raise RigError(f"No take {name!r} for {obj.name!r}; takes: {', '.join(list_takes(obj)) or 'none yet'}.")
    messages: list[str] = []
    ids = {("OBJECT", obj.name): obj}
    # every mesh the take was made for (its slots name their shape-key datablocks), not only obj's own
    for key in bpy.data.shape_keys:
        ids[("KEY", key.name)] = key
    for m in rig_meshes(obj, extra_objects):
        ids[("KEY", m.data.shape_keys.name)] = m.data.shape_keys
    for slot in action.slots:
        idb = ids.get((slot.target_id_type, slot.name_display))
        if idb is None:
            continue
        ad = idb.animation_data or idb.animation_data_create()
        track = ad.nla_tracks.get(NLA_PREFIX + name)
        if track is not None or (ad.action is not None and not _is_take(ad.action)):
            if track is None:
                _assign(idb, action, slot, name, messages)
            else:
                for other in ad.nla_tracks:
                    if other.name.startswith(NLA_PREFIX):
                        other.mute = other != track
        else:
            ad.action = action
            ad.action_slot = slot
    obj[ACTIVE_PROP] = name
    return messages


def generate_take(obj, track: VisemeTrack, settings: AnimSettings, *, fps: float, start_frame: float,
                  frame_range: tuple[int, int] | None = None, take_name: str | None, mapping: Mapping | None = None,
                  loudness: np.ndarray | None = None, extra_objects=(), preset: str | None = None) -> TakeResult:
    """Animate ``obj`` (a mesh with shape keys, or an armature) from ``track`` as a new take.

    ``start_frame``: scene frame of the audio's t = 0 (the sound strip's start);
    ``frame_range``: regenerate only these frames (inclusive) on a copy of the
    active take; ``mapping``: None = detect a preset (or use ``preset``);
    ``extra_objects``: more meshes (teeth, tongue) to animate.
    """
    if obj is None:
        raise RigError("Select the character's face mesh or its armature first.")
    settings.validate()
    take_name = take_name or "Lip Sync take"
    if track.duration <= 0 or not track.cues:
        raise RigError("The viseme track is empty; run the analysis on a sound strip with speech first.")
    if frame_range is not None and frame_range[1] < frame_range[0]:
        raise RigError(f"Frame range {frame_range} is reversed: give (first, last) with first <= last.")
    override_messages = prepare_overrides(obj, extra_objects)
    bound, preset_name, missing, messages = bind_mapping(obj, mapping, extra_objects, preset)
    messages = override_messages + messages
    curves = build_curves(track, bound, settings, fps, start_frame, loudness, frame_range)
    if not curves:
        raise RigError(f"Nothing to key: the clip (frames {start_frame:g}..{start_frame + track.duration * fps:g}) "
                       f"does not overlap the frame range {frame_range}.")
    groups = _ids_for_curves(obj, curves)
    for idb, _ in groups.values():
        if not _editable(idb):
            raise RigError(f"{idb.name!r} is linked from a library and not editable. Make a library override "
                           f"(Object > Library Override > Make) for the character, then generate again.")
    result = TakeResult(take_name, [], preset=preset_name, missing=missing, messages=messages,
                        frame_range=tuple(frame_range) if frame_range else None)
    result.keys_dense = sum(c.n_dense for c in curves)
    base = bpy.data.actions.get(active_take(obj) or "") if frame_range is not None else None
    if base is not None:
        action = base.copy()
        action.name = take_name
    else:
        action = bpy.data.actions.new(take_name)
        if frame_range is not None:
            messages.append("No earlier take to refine: the new take holds only the regenerated range.")
    action.use_fake_user = True
    action[TAKE_PROP] = obj.name
    action["lipsync_take_index"] = 1 + max((bpy.data.actions[n].get("lipsync_take_index", 0)
                                            for n in list_takes(obj) if n != action.name), default=0)
    action["lipsync_settings"] = str(settings.to_dict())
    action["lipsync_mapping"] = bound.to_json()
    lo, hi = (frame_range if frame_range is not None else (-math.inf, math.inf))
    for idb, cs in groups.values():
        slot = ensure_slot(action, idb)
        if base is not None:
            bag = channelbag(action, slot)
            for c in cs:
                path, index = curve_channel(c)
                fc = bag.fcurves.find(path, index=index)
                if fc is not None and fc.lock:
                    messages.append(f"F-curve {path}[{index}] is locked; left as it was.")
                    continue
                if fc is None:
                    written = {label(c): _write_new(action, idb, c)}
                    n, kept = written[label(c)], 0
                else:
                    n, kept = _merge_range(action, slot, fc, c, lo, hi)
                result.keys_written[label(c)] = result.keys_written.get(label(c), 0) + n
                result.kept_user_keys += kept
        else:
            from .writers import write_curves

            for k, n in write_curves(action, idb, cs).items():
                result.keys_written[k] = result.keys_written.get(k, 0) + n
        _assign(idb, action, slot, action.name, messages)
    obj[ACTIVE_PROP] = action.name
    result.take_name = action.name
    result.actions = [action.name]
    if result.kept_user_keys:
        messages.append(f"Kept {result.kept_user_keys} key(s) you edited in frames {lo:g}-{hi:g}.")
    return result


def _write_new(action, idb, c: Curve) -> int:
    from .writers import write_curves

    return sum(write_curves(action, idb, [c]).values())


def remove_take(obj, name: str, extra_objects=()):
    """Delete take ``name`` (the way back from a generation); the previous take becomes active."""
    takes = list_takes(obj)
    if name not in takes:
        raise RigError(f"No take {name!r} for {obj.name!r}.")
    action = bpy.data.actions[name]
    rest = [t for t in takes if t != name]
    ids = [obj] + [m.data.shape_keys for m in rig_meshes(obj, extra_objects)]
    ids += [k for k in bpy.data.shape_keys if k not in ids and k.animation_data is not None
            and (k.animation_data.action == action or k.animation_data.nla_tracks.get(NLA_PREFIX + name))]
    for idb in ids:
        ad = idb.animation_data
        if ad is None:
            continue
        if ad.action == action:
            ad.action = None
        tr = ad.nla_tracks.get(NLA_PREFIX + name)
        if tr is not None:
            ad.nla_tracks.remove(tr)
    bpy.data.actions.remove(action)
    if rest:
        set_active_take(obj, rest[-1], extra_objects)
    elif ACTIVE_PROP in obj:
        del obj[ACTIVE_PROP]
