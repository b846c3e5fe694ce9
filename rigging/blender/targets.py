"""What a rig offers a mapping (bpy): its meshes with shape keys, bones and pose actions; binding a mapping to them.

``available_targets`` lists everything a mapping can drive; ``bind_mapping`` resolves a
mapping (or a detected preset) against the rig: bone poses become bone channels, shape-key
bindings are repeated on every mesh that has the key, bone rotations are fitted to each
bone's rotation mode. ``prepare_overrides`` makes a library-overridden character's meshes
keyable.

A character is often several meshes (head, teeth, tongue, beard) under one armature:
``companion_meshes`` finds the meshes of the same character (same armature or parent) that
carry the picked mesh's mouth shape keys, and ``rig_meshes`` keys them along with it unless
they are left out.
"""
from __future__ import annotations

import bpy

from ...errors import RigError
from ..mapping import Binding, Mapping, detect_preset, resolve_poses
from .compat import action_fcurves
from .names import is_take


def _has_shape_keys(o) -> bool:
    return (o is not None and o.type == "MESH" and o.data.shape_keys is not None
            and len(o.data.shape_keys.key_blocks) > 1)


def _key_names(o) -> set[str]:
    keys = o.data.shape_keys
    return {kb.name for kb in keys.key_blocks if kb != keys.reference_key}


def character_root(obj):
    """What a mesh belongs to as part of a character: the armature deforming it, else its parent (or None)."""
    for m in getattr(obj, "modifiers", ()):
        if m.type == "ARMATURE" and m.object is not None:
            return m.object
    return obj.parent


def mouth_shape_keys(obj) -> set[str]:
    """The shape keys of mesh ``obj`` that drive its mouth: those a preset binds, else all of them."""
    if not _has_shape_keys(obj):
        return set()
    names = _key_names(obj)
    _, mapping, _ = detect_preset(sorted(names), {n: "shape_key" for n in names})
    bound = {b.target for b in mapping.bindings if b.kind == "shape_key"} & names
    return bound or names


def companion_meshes(obj) -> list:
    """The other meshes of ``obj``'s character that carry some of its mouth shape keys (teeth, tongue, beard).

    Same character = deformed by the same armature, or parented to the same object. Only for
    a mesh ``obj`` (an armature's meshes are its children already); sorted by name.
    """
    if not _has_shape_keys(obj):
        return []
    root = character_root(obj)
    if root is None:
        return []
    mouth = mouth_shape_keys(obj)
    out = []
    for o in bpy.data.objects:
        if o == obj or not _has_shape_keys(o) or not o.users_scene or character_root(o) != root:
            continue
        if mouth & _key_names(o):
            out.append(o)
    return sorted(out, key=lambda o: o.name)


def rig_meshes(obj, extra_objects=(), exclude=()) -> list:
    """Meshes with shape keys that a take on ``obj`` keys.

    ``obj`` (if a mesh), ``extra_objects``, ``obj``'s mesh children and its companion meshes
    (``companion_meshes``), less those named in ``exclude`` (never ``obj`` itself).
    """
    leave_out = {getattr(o, "name", o) for o in exclude}
    seen, out = set(), []
    for o in [obj, *extra_objects, *getattr(obj, "children_recursive", []), *companion_meshes(obj)]:
        if not _has_shape_keys(o) or o.name in seen or (o != obj and o.name in leave_out):
            continue
        seen.add(o.name)
        out.append(o)
    return out


def _pose_actions() -> list:
    return [a for a in bpy.data.actions if not is_take(a)]


def available_targets(obj, extra_objects=(), exclude=()) -> dict[str, str]:
    """name -> kind ("shape_key" / "bone" / "action") of everything a mapping could drive."""
    kinds: dict[str, str] = {}
    for m in rig_meshes(obj, extra_objects, exclude):
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


def _read_pose(action) -> dict[tuple[str, str, int], float]:
    """A pose action's bone channel values (at its first key)."""
    vals = {}
    for fc in action_fcurves(action):
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


def bind_mapping(obj, mapping: Mapping | None, extra_objects=(), preset: str | None = None, exclude=()):
    """Resolve a mapping against the rig: (mapping with concrete objects, preset name, missing, messages)."""
    kinds = available_targets(obj, extra_objects, exclude)
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
    meshes = rig_meshes(obj, extra_objects, exclude)
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


def editable(id_block) -> bool:
    return id_block.library is None or id_block.override_library is not None


def prepare_overrides(obj, extra_objects=(), exclude=()) -> list[str]:
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
    for m in rig_meshes(obj, extra_objects, exclude):
        if m.data.library is not None and m.data.override_library is None and editable(m):
            m.data = m.data.override_create(remap_local_usages=True)
            messages.append(f"Made a library override of mesh {m.data.name!r} so its shape keys can be keyed.")
    return messages


__all__ = ["rig_meshes", "companion_meshes", "character_root", "mouth_shape_keys", "available_targets", "bind_mapping",
           "editable", "prepare_overrides"]
