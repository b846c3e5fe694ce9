"""Build the bone-rigged stylised head sample (no Blender GUI needed).

    .venv/bin/python sample_scenes/make_bone_head.py [OUT.blend]   (default sample_scenes/bone_head.blend)

Armature ``BoneHead``: ``head``, ``jaw`` (rotates open about X), ``lip_upper`` and
``lip_lower`` (the lower lip rides on the jaw) and ``lip_corner.L`` / ``lip_corner.R``;
the cartoon head mesh (``BoneHeadMesh``, no shape keys) is skinned to it.
One pose action per Preston Blair mouth, ``pose_A`` .. ``pose_X`` (marked as pose
assets), shapes the lips; the jaw and the lip corners are meant to be driven
directly (jaw opening, spread / pucker) - the "Bone poses" preset does both.
"""
from __future__ import annotations

import math
import os
import sys

import bpy  # noqa: I001
from bpy_extras import anim_utils
from mathutils import Vector

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_common as mc  # noqa: E402
import make_cartoon_head as ch  # noqa: E402

MY = ch.MOUTH_Y
# bone: (head, tail, parent). Small bones point up (+Z) so local X = world X, local Y = up,
# local Z = toward the camera (-Y world).
BONES = {
    "head": ((0, 0.1, -0.2), (0, 0.1, 1.0), None),
    "jaw": ((0, 0.15, MY + 0.1), (0, -0.75, MY - 0.45), "head"),
    "lip_upper": ((0, -0.98, MY + 0.03), (0, -0.98, MY + 0.13), "head"),
    "lip_lower": ((0, -0.98, MY - 0.05), (0, -0.98, MY + 0.05), "jaw"),
    "lip_corner.L": ((0.33, -0.9, MY - 0.05), (0.33, -0.9, MY + 0.05), "head"),
    "lip_corner.R": ((-0.33, -0.9, MY - 0.05), (-0.33, -0.9, MY + 0.05), "head"),
}
# Pose per mouth: bone -> {(data_path, index): value}; the lips only (jaw and corners are direct channels).
U, L = "lip_upper", "lip_lower"
POSES = {
    "A": {U: {("location", 1): -0.012, ("location", 2): 0.01}, L: {("location", 1): 0.03, ("location", 2): 0.01}},
    "B": {U: {("location", 1): 0.035}, L: {("location", 1): -0.02}},
    "C": {U: {("location", 1): 0.045}, L: {("location", 1): -0.04}},
    "D": {U: {("location", 1): 0.05}, L: {("location", 1): -0.05}},
    "E": {U: {("location", 1): 0.035, ("location", 2): 0.03, ("scale", 0): 0.8},
          L: {("location", 1): -0.04, ("location", 2): 0.03, ("scale", 0): 0.8}},
    "F": {U: {("location", 1): 0.012, ("location", 2): 0.07, ("scale", 0): 0.55},
          L: {("location", 1): -0.012, ("location", 2): 0.07, ("scale", 0): 0.55}},
    "G": {U: {("location", 1): 0.035}, L: {("location", 1): 0.05, ("location", 2): -0.02}},
    "H": {U: {("location", 1): 0.04}, L: {("location", 1): -0.035}},
    "X": {U: {("location", 1): 0.0}, L: {("location", 1): 0.0}},
}


def make_armature(scene, name="BoneHead", bones=BONES):
    """An armature object with ``bones`` (name -> (head, tail, parent)), XYZ Euler pose bones, shown as sticks."""
    arm = bpy.data.armatures.new(name)
    obj = bpy.data.objects.new(name, arm)
    scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    for bname, (h, t, parent) in bones.items():
        eb = arm.edit_bones.new(bname)
        eb.head, eb.tail, eb.roll = Vector(h), Vector(t), 0.0
        if parent:
            eb.parent = arm.edit_bones[parent]
    bpy.ops.object.mode_set(mode="OBJECT")
    for pb in obj.pose.bones:
        pb.rotation_mode = "XYZ"
    arm.display_type = "STICK"
    obj.show_in_front = True
    return obj


def skin(mesh_obj, arm_obj, parts):
    """Vertex groups by region: lips to the lip bones, chin / lower mouth to the jaw, the rest to the head."""
    me = mesh_obj.data
    groups = {b: mesh_obj.vertex_groups.new(name=b) for b in BONES}
    weights: dict[int, dict[str, float]] = {}
    mouth = set(parts["mouth"])
    n = len(parts["outer"])
    for i, v in enumerate(me.vertices):
        x, z = v.co.x, v.co.z
        w: dict[str, float] = {}
        if i in mouth:
            rel = z - MY
            lower = rel < -1e-4 or (abs(rel) < 0.03 and i in set(parts["lower_teeth"]) | set(parts["tongue"]))
            corner = min(1.0, (abs(x) / 0.36) ** 2)
            side = "lip_corner.L" if x > 0 else "lip_corner.R"
            w[side] = corner
            w["lip_lower" if lower else "lip_upper"] = 1.0 - corner
        elif i in set(parts["head"]) and z < MY - 0.02 and v.co.y < 0.2:
            fall = min(1.0, (MY - 0.02 - z) / 0.25) * max(0.0, 1.0 - abs(x) / 0.95)
            w["jaw"] = fall
            w["head"] = 1.0 - fall
        else:
            w["head"] = 1.0
        weights[i] = w
    # the lower lip's inner contour and the fan copies go with the lower lip; upper with the upper lip
    for k in range(n):
        s = math.sin(2 * math.pi * k / n)
        for key in ("inner", "fan", "outer"):
            i = parts[key][k]
            x = me.vertices[i].co.x
            corner = min(1.0, (abs(x) / 0.36) ** 2)
            side = "lip_corner.L" if x > 0 else "lip_corner.R"
            weights[i] = {side: corner, ("lip_lower" if s < -1e-9 else "lip_upper"): 1.0 - corner}
    # teeth and tongue sit on the closed lip line at rest and open with the lips: each vertex follows a
    # blend of the upper and lower lip (upper teeth hang 28% into the opening, lower teeth rise 20%)
    half = [k for k in range(n) if math.sin(2 * math.pi * k / n) > 1e-9]

    def blend(k, lower_share):
        kb = (n - k) % n
        up, lo = weights[parts["inner"][k]], weights[parts["inner"][kb]]
        out: dict[str, float] = {}
        for w, share in ((up, 1.0 - lower_share), (lo, lower_share)):
            for b, val in w.items():
                out[b] = out.get(b, 0.0) + share * val
        return out

    for j, k in enumerate(half):
        weights[parts["upper_teeth"][2 * j]] = blend(k, 0.0)
        weights[parts["upper_teeth"][2 * j + 1]] = blend(k, 0.28)
        weights[parts["lower_teeth"][2 * j]] = blend(k, 1.0)
        weights[parts["lower_teeth"][2 * j + 1]] = blend(k, 0.8)
    centre_k = half[len(half) // 2]
    for t, i in enumerate(parts["tongue"]):
        top = math.sin(2 * math.pi * t / len(parts["tongue"])) > 0
        weights[i] = blend(centre_k, 0.55 if top else 0.9)
    weights[parts["centre"][0]] = {"lip_lower": 0.5, "lip_upper": 0.5}
    for i, w in weights.items():
        for b, val in w.items():
            if val > 1e-4:
                groups[b].add([i], val, "REPLACE")
    mesh_obj.parent = arm_obj
    mod = mesh_obj.modifiers.new("Armature", "ARMATURE")
    mod.object = arm_obj


def make_pose_actions(arm_obj):
    for vis, bones in POSES.items():
        act = bpy.data.actions.new(f"pose_{vis}")
        slot = act.slots.new(id_type="OBJECT", name=arm_obj.name)
        bag = anim_utils.action_ensure_channelbag_for_slot(act, slot)
        for bone, chans in bones.items():
            grp = bag.groups.get(bone) or bag.groups.new(bone)
            for (path, idx), val in chans.items():
                fc = bag.fcurves.new(f'pose.bones["{bone}"].{path}', index=idx)
                fc.group = grp
                fc.keyframe_points.insert(1, val)
        act.use_fake_user = True
        act.asset_mark()
        act.asset_data.description = f"Mouth shape {vis} (Preston Blair) for BoneHead"


def build():
    out = mc.out_path_from_argv("bone_head.blend")
    scene = mc.reset_scene("Bone Head")
    mesh_obj, parts = ch.make_head(scene, "BoneHeadMesh")
    arm_obj = make_armature(scene)
    skin(mesh_obj, arm_obj, parts)
    make_pose_actions(arm_obj)
    mc.camera_and_light(scene, target=(0.0, 0.0, 0.05), distance=7.5, lens=70.0, height=0.4)
    mc.workbench(scene)
    mc.add_dialogue(scene, out)
    bpy.context.view_layer.objects.active = arm_obj
    arm_obj.select_set(True)
    mc.save(out)


if __name__ == "__main__":
    build()
