"""Takes (bpy): VisemeTrack -> a new action on a rig, the entry point the operator and the command line use.

``generate_take`` writes a NEW action (a "take") and makes it the active one;
earlier takes stay (fake user) and ``set_active_take`` switches between them.
Existing actions are never modified: the rig's own action stays where it was
(when an ID already plays a non-take action, the take goes on an NLA track
above it instead). With ``frame_range`` the new take is a copy of the active
take with only that range regenerated; keys the animator added, edited or
retyped there (and locked F-curves) are kept (``keys.merge_range``).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import bpy
import numpy as np

from ...errors import RigError
from ...phonemes.types import VisemeTrack
from ..chart import chart_curves, chart_shapes, merge_runs, shape_runs
from ..curves import Curve, build_curves
from ..mapping import Mapping
from ..settings import AnimSettings
from . import chart2d, compat
from .keys import merge_range
from .names import ACTIVE_PROP, NLA_PREFIX, TAKE_INDEX_PROP, TAKE_PROP, is_take
from .targets import bind_mapping, editable, prepare_overrides, rig_meshes
from .writers import curve_channel, label, write_curves


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
    objects: list[str] = field(default_factory=list)  # the objects keyed: meshes (teeth, tongue ...) or the armature

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


def _ids_for_curves(obj, curves: list[Curve], ids2d: dict | None = None) -> dict:
    """Group curves by the ID they animate (a mesh's Key datablock, the armature object, a 2D rig's IDs)."""
    groups: dict = {}
    for c in curves:
        if c.kind == "property":
            idb = ids2d[c.object]
        elif c.kind == "shape_key":
            mesh = bpy.data.objects[c.object]
            idb = mesh.data.shape_keys
        else:
            idb = obj
        groups.setdefault(idb.name + "|" + idb.id_type, (idb, []))[1].append(c)
    return groups


def _assign(id_block, action, slot, take_name: str, messages: list[str]):
    ad = id_block.animation_data or id_block.animation_data_create()
    current = ad.action
    if current is None or is_take(current):
        compat.assign_action(id_block, action, slot)
        for tr in ad.nla_tracks:
            if tr.name.startswith(NLA_PREFIX):
                tr.mute = True
        return
    # the ID plays the user's own action: leave it, put the take on an NLA track
    name = NLA_PREFIX + take_name
    tr = ad.nla_tracks.get(name) or ad.nla_tracks.new()
    tr.name = name
    start = int(math.floor(compat.slot_frame_range(action, slot)[0]))
    strip = compat.nla_strip_new(tr, take_name, start, action, slot)
    strip.extrapolation = "NOTHING"
    for other in ad.nla_tracks:
        if other.name.startswith(NLA_PREFIX):
            other.mute = other != tr
    messages.append(f"{id_block.name!r} already plays action {current.name!r}; the take is on NLA track "
                    f"{name!r} (your action is untouched and still evaluated on top).")


def list_takes(obj) -> list[str]:
    """Names of the takes made for ``obj``, oldest first."""
    takes = [a for a in bpy.data.actions if a.get(TAKE_PROP) == obj.name]
    takes.sort(key=lambda a: (a.get(TAKE_INDEX_PROP, 0), a.name))
    return [a.name for a in takes]


def active_take(obj) -> str | None:
    """The take ``obj`` plays now, or None when it never had one (or it was deleted)."""
    name = obj.get(ACTIVE_PROP)
    if not isinstance(name, str) or not name:
        return None
    return name if name in bpy.data.actions else None


def set_active_take(obj, name: str, extra_objects=()):
    """Make take ``name`` the one that plays on ``obj`` and every mesh it was made for; other takes are kept.

    A mesh of the character that a later take left out (and so has no slot in ``name``) stops
    playing the character's takes, so it cannot lag behind on another take.
    """
    action = bpy.data.actions.get(name)
    if action is None or action.get(TAKE_PROP) != obj.name:
        raise RigError(f"No take {name!r} for {obj.name!r}; takes: {', '.join(list_takes(obj)) or 'none yet'}.")
    messages: list[str] = []
    ids = {("OBJECT", obj.name): obj}
    # every mesh the take was made for (its slots name their shape-key datablocks), not only obj's own
    for key in bpy.data.shape_keys:
        ids[("KEY", key.name)] = key
    meshes = rig_meshes(obj, extra_objects)
    for m in meshes:
        ids[("KEY", m.data.shape_keys.name)] = m.data.shape_keys
    for idb in chart2d.rig_ids(obj):
        ids[(idb.id_type, idb.name)] = idb
    played = set()
    for slot in compat.action_slots(action):
        idb = ids.get((slot.target_id_type, slot.name_display))
        if idb is None:
            continue
        played.add((slot.target_id_type, slot.name_display))
        ad = idb.animation_data or idb.animation_data_create()
        track = ad.nla_tracks.get(NLA_PREFIX + name)
        if track is not None or (ad.action is not None and not is_take(ad.action)):
            if track is None:
                _assign(idb, action, slot, name, messages)
            else:
                for other in ad.nla_tracks:
                    if other.name.startswith(NLA_PREFIX):
                        other.mute = other != track
        else:
            compat.assign_action(idb, action, slot)
    _release_left_out(obj, meshes, played)
    obj[ACTIVE_PROP] = name
    return messages


def _release_left_out(obj, meshes, played: set) -> None:
    """IDs of ``obj``'s character outside ``played`` ((id_type, name) pairs) stop playing its takes."""
    mine = [bpy.data.actions[t] for t in list_takes(obj)]
    for idb in [obj] + [m.data.shape_keys for m in meshes] + chart2d.rig_ids(obj):
        if (idb.id_type, idb.name) in played:
            continue
        if any(compat.plays(idb, a) for a in mine):
            compat.unassign_action(idb)


def generate_take(obj, track: VisemeTrack, settings: AnimSettings, *, fps: float, start_frame: float,
                  frame_range: tuple[int, int] | None = None, take_name: str | None, mapping: Mapping | None = None,
                  loudness: np.ndarray | None = None, extra_objects=(), preset: str | None = None,
                  exclude=()) -> TakeResult:
    """Animate ``obj`` (a mesh with shape keys, or an armature) from ``track`` as a new take.

    ``start_frame``: scene frame of the audio's t = 0 (the sound strip's start);
    ``frame_range``: regenerate only these frames (inclusive) on a copy of the
    active take; ``mapping``: None = detect a preset (or use ``preset``);
    ``extra_objects``: more meshes to animate (the character's teeth, tongue, ... under the same
    armature or parent are found by themselves: ``targets.companion_meshes``); ``exclude``: meshes
    (or their names) of the character to leave out.
    """
    if obj is None:
        raise RigError("Select the character's face mesh or its armature first.")
    settings.validate()
    take_name = take_name or "Lip Sync take"
    if track.duration <= 0 or not track.cues:
        raise RigError("The viseme track is empty; run the analysis on a sound strip with speech first.")
    if frame_range is not None and frame_range[1] < frame_range[0]:
        raise RigError(f"Frame range {frame_range} is reversed: give (first, last) with first <= last.")
    rig2d = chart2d.detect_chart_rig(obj, mapping)
    if rig2d is not None:  # a 2D mouth: drawings switched (Grease Pencil, image sequence, sprite sheet)
        curves = chart_curves(track, rig2d.chart, rig2d.channels, settings, fps, start_frame, frame_range)
        preset_name, missing, messages = f"{rig2d.preset} ({rig2d.convention})", rig2d.missing, rig2d.messages
        mapping_json = json.dumps({"name": rig2d.preset, "convention": rig2d.convention, "chart": rig2d.chart})
    else:
        override_messages = prepare_overrides(obj, extra_objects, exclude)
        bound, preset_name, missing, messages = bind_mapping(obj, mapping, extra_objects, preset, exclude)
        messages = override_messages + messages
        curves = build_curves(track, bound, settings, fps, start_frame, loudness, frame_range)
        mapping_json = bound.to_json()
    if not curves:
        raise RigError(f"Nothing to key: the clip (frames {start_frame:g}..{start_frame + track.duration * fps:g}) "
                       f"does not overlap the frame range {frame_range}.")
    groups = _ids_for_curves(obj, curves, rig2d.ids if rig2d is not None else None)
    for idb, _ in groups.values():
        if not editable(idb):
            raise RigError(f"{idb.name!r} is linked from a library and not editable. Make a library override "
                           f"(Object > Library Override > Make) for the character, then generate again.")
    result = TakeResult(take_name, [], preset=preset_name, missing=missing, messages=messages,
                        frame_range=tuple(frame_range) if frame_range else None)
    result.keys_dense = sum(c.n_dense for c in curves)
    result.objects = list(dict.fromkeys((c.object if c.kind != "property" else "") or obj.name for c in curves))
    base = bpy.data.actions.get(active_take(obj) or "") if frame_range is not None else None
    if base is not None:
        action = compat.copy_action(base, take_name)
    else:
        action = bpy.data.actions.new(take_name)
        if frame_range is not None:
            messages.append("No earlier take to refine: the new take holds only the regenerated range.")
    action.use_fake_user = True
    action[TAKE_PROP] = obj.name
    action[TAKE_INDEX_PROP] = 1 + max((bpy.data.actions[n].get(TAKE_INDEX_PROP, 0)
                                            for n in list_takes(obj) if n != action.name), default=0)
    action["lipsync_settings"] = str(settings.to_dict())
    action["lipsync_mapping"] = mapping_json
    _store_shapes(action, track, settings, fps, start_frame, frame_range, base is not None)
    lo, hi = (frame_range if frame_range is not None else (-math.inf, math.inf))
    for idb, cs in groups.values():
        slot = compat.ensure_slot(action, idb)
        if base is not None:
            bag = compat.channelbag(action, slot)
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
                    n, kept = merge_range(action, slot, fc, c, lo, hi)
                result.keys_written[label(c)] = result.keys_written.get(label(c), 0) + n
                result.kept_user_keys += kept
        else:
            for k, n in write_curves(action, idb, cs).items():
                result.keys_written[k] = result.keys_written.get(k, 0) + n
        _assign(idb, action, slot, action.name, messages)
    _release_left_out(obj, rig_meshes(obj, extra_objects), {(idb.id_type, idb.name) for idb, _ in groups.values()})
    obj[ACTIVE_PROP] = action.name
    result.take_name = action.name
    result.actions = [a.name for a in compat.take_actions(action)]
    if result.kept_user_keys:
        messages.append(f"Kept {result.kept_user_keys} key(s) you edited in frames {lo:g}-{hi:g}.")
    return result


SHAPES_PROP = "lipsync_shapes"  # on takes: JSON [[first frame, last frame, "A".."X"], ...], the mouth shape held


def _store_shapes(action, track, settings, fps, start_frame, frame_range, refine: bool) -> None:
    """Remember which mouth shape (A-H/X) each frame of the take holds: for the burn-in and the markers."""
    grid, letters, _ = chart_shapes(track, settings, fps, start_frame, frame_range)
    runs = shape_runs(grid, letters, settings.step)
    if refine and frame_range is not None:
        try:
            old = json.loads(action.get(SHAPES_PROP, "[]"))
        except ValueError:
            old = []
        runs = merge_runs(old, runs, frame_range[0], frame_range[1])
    action[SHAPES_PROP] = json.dumps([list(r) for r in runs], separators=(",", ":"))


def take_shapes(action) -> list[list]:
    """The shape runs stored on a take ([] for a take made before they were stored)."""
    try:
        return json.loads(action.get(SHAPES_PROP, "[]")) if action is not None else []
    except (TypeError, ValueError):
        return []


def _write_new(action, idb, c: Curve) -> int:
    return sum(write_curves(action, idb, [c]).values())


def remove_take(obj, name: str, extra_objects=()):
    """Delete take ``name`` (the way back from a generation); the previous take becomes active."""
    takes = list_takes(obj)
    if name not in takes:
        raise RigError(f"No take {name!r} for {obj.name!r}.")
    action = bpy.data.actions[name]
    rest = [t for t in takes if t != name]
    ids = [obj] + [m.data.shape_keys for m in rig_meshes(obj, extra_objects)] + chart2d.rig_ids(obj)
    ids += [k for k in bpy.data.shape_keys if k not in ids and k.animation_data is not None
            and (compat.plays(k, action) or k.animation_data.nla_tracks.get(NLA_PREFIX + name))]
    for idb in ids:
        ad = idb.animation_data
        if ad is None:
            continue
        if compat.plays(idb, action):
            compat.unassign_action(idb)
        tr = ad.nla_tracks.get(NLA_PREFIX + name)
        if tr is not None:
            ad.nla_tracks.remove(tr)
    compat.remove_action(action)
    if rest:
        set_active_take(obj, rest[-1], extra_objects)
    elif ACTIVE_PROP in obj:
        del obj[ACTIVE_PROP]


__all__ = ["TakeResult", "generate_take", "take_shapes", "list_takes", "active_take", "set_active_take", "remove_take"]
