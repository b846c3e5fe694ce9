"""Build the multi-mesh avatar sample, laid out like a Ready Player Me avatar (no Blender GUI needed).

    .venv/bin/python sample_scenes/make_avatar.py [OUT.blend]   (default sample_scenes/avatar.blend)

Armature ``Avatar`` (bones Hips > Spine > Neck > Head) deforms four meshes, each parented to it
with an Armature modifier, as in a Ready Player Me export:

- ``Avatar_Head``: the cartoon head's face, lips and mouth interior, with the 15 Oculus visemes
  ``viseme_sil``, ``viseme_PP`` .. ``viseme_U`` plus ``mouthOpen``, ``mouthSmile`` and ``eyesClosed``
  (neutral here: present for name compatibility);
- ``Avatar_Teeth``: the upper and lower teeth, with the same visemes (they follow the jaw);
- ``Avatar_Tongue``: the tongue, with the same visemes (raised for L/N/T/D, between the teeth for TH);
- ``Avatar_Body``: a neck and shoulders, no shape keys (never keyed).

Picking ``Avatar_Head`` in the Lip Sync panel keys the teeth and tongue with it (same armature,
same mouth shape keys). Camera, light, Workbench and the dialogue strip as in the other samples.
"""
from __future__ import annotations

import os
import sys

import bpy  # noqa: I001  (bpy before bmesh)
import bmesh

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_common as mc  # noqa: E402
import make_bone_head as bh  # noqa: E402
import make_cartoon_head as ch  # noqa: E402

S = ch.SHAPES


def _mix(base: str, **changes) -> dict:
    p = dict(S[base])
    p.update(changes)
    return p


# Oculus viseme -> mouth shape parameters (make_cartoon_head.SHAPES' terms), from the Preston Blair mouths.
VISEMES = {
    "viseme_sil": S["X_rest"],
    "viseme_PP": S["A_MBP"],
    "viseme_FF": S["G_FV"],
    "viseme_TH": _mix("H_L", lo=0.08, up=0.05, jaw=0.04, tongue=0.5),
    "viseme_DD": _mix("H_L", lo=0.1, jaw=0.05, tongue=0.7),
    "viseme_kk": _mix("C_E", lo=0.12, jaw=0.07),
    "viseme_CH": _mix("E_O", w=0.2, round=0.6, push=0.06, teeth=0.9, lo=0.08, up=0.05),
    "viseme_SS": S["B_etc"],
    "viseme_nn": _mix("H_L", lo=0.09, jaw=0.05, tongue=0.8),
    "viseme_RR": _mix("E_O", w=0.2, round=0.65, lo=0.1, jaw=0.06),
    "viseme_aa": S["D_AI"],
    "viseme_E": S["C_E"],
    "viseme_I": _mix("B_etc", w=0.33, smile=0.05, lo=0.07),
    "viseme_O": S["E_O"],
    "viseme_U": S["F_WQ"],
}
EXTRA_HEAD_KEYS = ("mouthOpen", "mouthSmile", "eyesClosed")
# make_cartoon_head.make_head's material slots, in order
HEAD_MATERIALS = ("Skin", "Lips", "Mouth", "Teeth", "Tongue", "EyeWhite", "Pupil", "Hair")
BONES = {"Hips": ((0, 0, -2.6), (0, 0, -2.2), None), "Spine": ((0, 0, -2.2), (0, 0, -1.5), "Hips"),
         "Neck": ((0, 0, -1.5), (0, 0, -1.0), "Spine"), "Head": ((0, 0, -1.0), (0, 0, 1.2), "Neck")}


def _split(scene, name: str, keep_materials: set[str], arm):
    """A cartoon head mesh reduced to the faces of ``keep_materials``; (object, original vertex index of each vertex)."""
    obj, parts = ch.make_head(scene, name)
    me = obj.data
    bm = bmesh.new()
    bm.from_mesh(me)
    layer = bm.verts.layers.int.new("src")
    for v in bm.verts:
        v[layer] = v.index
    keep = {i for i, part in enumerate(HEAD_MATERIALS) if part in keep_materials}
    gone = [f for f in bm.faces if f.material_index not in keep]
    bmesh.ops.delete(bm, geom=gone, context="FACES_ONLY")
    bmesh.ops.delete(bm, geom=[v for v in bm.verts if not v.link_faces], context="VERTS")
    bm.verts.index_update()
    src = [v[layer] for v in bm.verts]
    bm.verts.layers.int.remove(layer)
    bm.to_mesh(me)
    bm.free()
    used = sorted({p.material_index for p in me.polygons})  # drop the material slots the part does not use
    mats = [me.materials[i] for i in used]
    remap = {old: new for new, old in enumerate(used)}
    indices = [remap[p.material_index] for p in me.polygons]
    me.materials.clear()
    for m in mats:
        me.materials.append(m)
    for p, i in zip(me.polygons, indices):
        p.material_index = i
    obj.parent = arm
    mod = obj.modifiers.new("Armature", "ARMATURE")
    mod.object = arm
    vg = obj.vertex_groups.new(name="Head")
    vg.add(list(range(len(me.vertices))), 1.0, "REPLACE")
    return obj, parts, src


def _body(scene, arm):
    me = bpy.data.meshes.new("Avatar_Body")
    bm = bmesh.new()
    bmesh.ops.create_cone(bm, cap_ends=True, segments=24, radius1=1.6, radius2=0.45, depth=1.6)
    for v in bm.verts:
        v.co.z -= 1.9
        v.co.y *= 0.7
    bm.to_mesh(me)
    bm.free()
    obj = bpy.data.objects.new("Avatar_Body", me)
    scene.collection.objects.link(obj)
    me.materials.append(mc.material("LS Shirt", (0.2, 0.35, 0.6)))
    for p in me.polygons:
        p.use_smooth = True
    obj.parent = arm
    obj.modifiers.new("Armature", "ARMATURE").object = arm
    obj.vertex_groups.new(name="Spine").add(list(range(len(me.vertices))), 1.0, "REPLACE")
    return obj


def _key_mesh(obj, parts, src, with_extras: bool):
    """Oculus viseme shape keys on ``obj`` (a part of the head): mouth vertices per shape, the chin with the jaw."""
    mouth_pos = {i: n for n, i in enumerate(parts["mouth"])}
    head_set = set(parts["head"])
    basis = obj.shape_key_add(name="Basis", from_mix=False)
    for name, p in VISEMES.items():
        kb = obj.shape_key_add(name=name, from_mix=False)
        verts = ch.build_mouth_verts(p)
        for new, old in enumerate(src):
            if old in mouth_pos:
                kb.data[new].co = verts[mouth_pos[old]]
            elif old in head_set and p["jaw"] > 0:
                co = ch.jaw_point(basis.data[new].co, p["jaw"])
                if co is not None:
                    kb.data[new].co = co
        kb.value = 0.0
    if with_extras:
        for name in EXTRA_HEAD_KEYS:
            obj.shape_key_add(name=name, from_mix=False).value = 0.0
    obj.data.shape_keys.name = obj.name + "Keys"
    obj.active_shape_key_index = 0


def build():
    out = mc.out_path_from_argv("avatar.blend")
    scene = mc.reset_scene("Avatar")
    arm = bh.make_armature(scene, "Avatar", BONES)
    head, parts, src = _split(scene, "Avatar_Head", {"Skin", "Lips", "Mouth", "EyeWhite", "Pupil", "Hair"}, arm)
    teeth, _, tsrc = _split(scene, "Avatar_Teeth", {"Teeth"}, arm)
    tongue, _, gsrc = _split(scene, "Avatar_Tongue", {"Tongue"}, arm)
    _key_mesh(head, parts, src, True)
    _key_mesh(teeth, parts, tsrc, False)
    _key_mesh(tongue, parts, gsrc, False)
    _body(scene, arm)
    mc.camera_and_light(scene, target=(0.0, 0.0, -0.1), distance=10.0, lens=70.0, height=0.4)
    mc.workbench(scene)
    mc.add_dialogue(scene, out)
    mc.save(out)


if __name__ == "__main__":
    build()
