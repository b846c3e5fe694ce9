"""rigging on real bpy: every sample rig and every preset.

Each test starts from a freshly opened .blend (or factory settings), so bpy's
global state does not leak between tests.
"""
import os

import numpy as np
import pytest

bpy = pytest.importorskip("bpy")

from lipsync.phonemes.visemes import VISEMES  # noqa: E402
from lipsync.errors import RigError  # noqa: E402
from lipsync.rigging.blender import names  # noqa: E402
from lipsync.rigging.blender import takes as rtakes  # noqa: E402
from lipsync.rigging.curves import closure_frames  # noqa: E402
from lipsync.rigging.mapping import PRESETS  # noqa: E402
from lipsync.rigging.settings import AnimSettings  # noqa: E402
from sample_checks import FPS, SAMPLES, dialogue_track  # noqa: E402

pytestmark = pytest.mark.bpy
TRACK = dialogue_track()


def open_sample(name):
    bpy.ops.wm.open_mainfile(filepath=os.path.join(SAMPLES, name))
    scene = bpy.context.scene
    strip = scene.sequence_editor.strips_all["dialogue"]
    return scene, strip


def fcurves(action):
    out = {}
    for layer in action.layers:
        for st in layer.strips:
            for bag in st.channelbags:
                slot = bag.slot
                for fc in bag.fcurves:
                    out[(slot.target_id_type, fc.data_path, fc.array_index)] = fc
    return out


def keys_of(fc):
    co = np.zeros(len(fc.keyframe_points) * 2, np.float32)
    fc.keyframe_points.foreach_get("co", co)
    return co.reshape(-1, 2)


def generate(obj, strip, settings=None, **kw):
    s = settings or AnimSettings()
    return rtakes.generate_take(obj, TRACK, s, fps=FPS, start_frame=strip.frame_start, frame_range=kw.pop("frame_range", None),
                                take_name=kw.pop("take_name", strip.name), **kw)


# ---------------------------------------------------------------- rigs of every preset

def _mesh_with_keys(names):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    me = bpy.data.meshes.new("Face")
    me.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    obj = bpy.data.objects.new("Face", me)
    bpy.context.scene.collection.objects.link(obj)
    obj.shape_key_add(name="Basis")
    for n in names:
        obj.shape_key_add(name=n).value = 0.0
    return obj


def _rigify_like():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    arm = bpy.data.armatures.new("rig")
    obj = bpy.data.objects.new("rig", arm)
    bpy.context.scene.collection.objects.link(obj)
    bpy.context.view_layer.objects.active = obj
    bpy.ops.object.mode_set(mode="EDIT")
    for n, h in (("jaw_master", (0, 0, 0)), ("lips.L", (0.3, -1, 0)), ("lips.R", (-0.3, -1, 0)),
                 ("lip.T", (0, -1, 0.1)), ("lip.B", (0, -1, -0.1))):
        eb = arm.edit_bones.new(n)
        eb.head, eb.tail = h, (h[0], h[1], h[2] + 0.1)
    bpy.ops.object.mode_set(mode="OBJECT")
    obj.pose.bones["jaw_master"].rotation_mode = "QUATERNION"  # Rigify's default: exercised on purpose
    for n in ("lips.L", "lips.R", "lip.T", "lip.B"):
        obj.pose.bones[n].rotation_mode = "XYZ"
    return obj


PRESET_RIGS = {
    "Papagayo": lambda: _mesh_with_keys(["AI", "E", "O", "U", "etc", "FV", "L", "MBP", "WQ", "rest"]),
    "Oculus / Ready Player Me": lambda: _mesh_with_keys(
        ["viseme_" + d for d in "sil PP FF TH DD kk CH SS nn RR aa E I O U".split()]),
    "VRM": lambda: _mesh_with_keys(["A", "I", "U", "E", "O", "Blink"]),
    "Rigify face": _rigify_like,
}
# target (shape key / bone) that must be keyed, and the one that must be at its closed value on M/B/P
EXPECT = {
    "Papagayo": ({"AI", "E", "O", "U", "etc", "FV", "L", "MBP", "rest"}, ("MBP", 1.0)),
    "Oculus / Ready Player Me": ({"viseme_" + d for d in "sil PP FF TH DD kk CH SS nn RR aa E I O U".split()},
                                 ("viseme_PP", 1.0)),
    "VRM": ({"A", "I", "U", "E", "O"}, ("A", 0.0)),
    "Rigify face": ({"jaw_master", "lips.L", "lips.R", "lip.T", "lip.B"}, None),
}


@pytest.mark.parametrize("preset", list(PRESET_RIGS))
def test_each_preset_keys_its_targets(preset):
    obj = PRESET_RIGS[preset]()
    res = rtakes.generate_take(obj, TRACK, AnimSettings(), fps=FPS, start_frame=1, take_name="t")
    assert res.preset == preset and not res.missing
    action = bpy.data.actions[res.take_name]
    fcs = fcurves(action)
    targets = {p.split('"')[1] for (_, p, _) in fcs}
    want, closed = EXPECT[preset]
    assert want <= targets, want - targets
    assert "Blink" not in targets
    end = 1 + TRACK.duration * FPS
    for fc in fcs.values():
        k = keys_of(fc)
        assert len(k) >= 2 and k[:, 0].min() >= 1 and k[:, 0].max() <= end
    cf = closure_frames(TRACK, AnimSettings(), FPS, 1)
    if closed:
        path = f'key_blocks["{closed[0]}"].value'
        fc = fcs[("KEY", path, 0)]
        assert all(abs(fc.evaluate(f) - closed[1]) < 1e-6 for f in cf)
    if preset == "Rigify face":  # jaw shut (quaternion x = 0) on every M/B/P, open somewhere else
        fc = fcs[("OBJECT", 'pose.bones["jaw_master"].rotation_quaternion', 1)]
        assert all(abs(fc.evaluate(f)) < 1e-6 for f in cf)
        assert max(fc.evaluate(f) for f in range(1, int(end))) > 0.05


# ---------------------------------------------------------------- the three sample rigs

SAMPLE_RIGS = {
    "cartoon_head.blend": ("CartoonHead", "Preston Blair"),
    "bone_head.blend": ("BoneHead", "Bone poses"),
    "arkit_head.blend": ("ArkitHead", "ARKit"),
}


def _closed_ok(obj, fcs, frames, preset):
    """Lips shut on the given frames, in the rig's own terms."""
    if preset == "Preston Blair":
        for (t, p, i), fc in fcs.items():
            want = 1.0 if "A_MBP" in p else 0.0
            assert all(abs(fc.evaluate(f) - want) < 1e-6 for f in frames), p
    elif preset == "ARKit":
        for name in ("jawOpen", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft", "mouthRollLower",
                     "mouthStretchLeft", "mouthFunnel"):
            fc = fcs[("KEY", f'key_blocks["{name}"].value', 0)]
            assert all(abs(fc.evaluate(f)) < 1e-6 for f in frames), name
        fc = fcs[("KEY", 'key_blocks["mouthPressLeft"].value', 0)]
        assert all(fc.evaluate(f) > 0.3 for f in frames)
    else:  # bones: jaw shut, lips in pose_A
        pose_a = {(fc.data_path, fc.array_index): fc.evaluate(1) for fc in fcurves(bpy.data.actions["pose_A"]).values()}
        jaw = fcs[("OBJECT", 'pose.bones["jaw"].rotation_euler', 0)]
        assert all(abs(jaw.evaluate(f)) < 1e-6 for f in frames)
        for (path, idx), val in pose_a.items():
            fc = fcs[("OBJECT", path, idx)]
            assert all(abs(fc.evaluate(f) - val) < 1e-5 for f in frames), path


@pytest.mark.parametrize("blend", list(SAMPLE_RIGS))
def test_sample_rig_take(blend):
    scene, strip = open_sample(blend)
    obj = bpy.data.objects[SAMPLE_RIGS[blend][0]]
    preset = SAMPLE_RIGS[blend][1]
    assert scene.frame_start <= strip.frame_final_start and scene.frame_end >= strip.frame_final_end - 1
    res = generate(obj, strip)
    assert res.preset == preset and not res.missing, (res.preset, res.missing)
    action = bpy.data.actions[res.take_name]
    assert res.take_name == "dialogue" and rtakes.list_takes(obj) == ["dialogue"]
    fcs = fcurves(action)
    assert len(fcs) >= 6
    # keys only inside the strip
    for fc in fcs.values():
        k = keys_of(fc)
        assert k[:, 0].min() >= strip.frame_final_start and k[:, 0].max() <= strip.frame_final_end - 1
    # the take plays: shape keys through the Key datablock, bones through the object
    if preset == "Bone poses":
        assert obj.animation_data.action == action
        assert {p.split('"')[1] for (_, p, _) in fcs} >= {"jaw", "lip_upper", "lip_lower", "lip_corner.L",
                                                          "lip_corner.R"}
    else:
        assert obj.data.shape_keys.animation_data.action == action
    # lips closed on every M/B/P
    cf = closure_frames(TRACK, AnimSettings(), FPS, strip.frame_start)
    n_mbp = sum(1 for c in TRACK.cues if c.viseme == "A")
    assert len(cf) >= n_mbp
    _closed_ok(obj, fcs, cf, preset)
    # simplified: far fewer keys than frames x channels
    assert res.total_keys < 0.6 * res.keys_dense


def test_cartoon_mouth_really_closes_and_opens():
    """Geometry, not just values: the evaluated mouth opening is zero on M/B/P and wide on an AA."""
    scene, strip = open_sample("cartoon_head.blend")
    obj = bpy.data.objects["CartoonHead"]
    generate(obj, strip)
    lips = obj.data.materials.find("LS Mouth Interior")
    interior = sorted({v for p in obj.data.polygons if p.material_index == lips for v in p.vertices})

    def opening(frame):
        scene.frame_set(int(frame))
        ev = obj.evaluated_get(bpy.context.evaluated_depsgraph_get()).to_mesh()
        z = np.array([ev.vertices[i].co.z for i in interior])
        obj.evaluated_get(bpy.context.evaluated_depsgraph_get()).to_mesh_clear()
        return z.max() - z.min()

    cf = closure_frames(TRACK, AnimSettings(), FPS, strip.frame_start)
    assert max(opening(f) for f in cf[:6]) < 0.08  # only the rest curve of the lip line
    aa = next(c for c in TRACK.cues if c.viseme == "D")
    f_aa = round(strip.frame_start + 0.5 * (aa.start + aa.end) * FPS)
    assert opening(f_aa) > 0.15


@pytest.mark.parametrize("blend", ["cartoon_head.blend", "bone_head.blend"])
def test_existing_action_untouched(blend):
    scene, strip = open_sample(blend)
    obj = bpy.data.objects[SAMPLE_RIGS[blend][0]]
    # the user's own animation on the ID the take will use
    idb = obj if obj.type == "ARMATURE" else obj.data.shape_keys
    path = 'pose.bones["head"].rotation_euler' if obj.type == "ARMATURE" else 'key_blocks["D_AI"].value'
    user = bpy.data.actions.new("MyAnimation")
    ad = idb.animation_data_create()
    slot = user.slots.new(id_type=idb.id_type, name=idb.name)
    ad.action = user
    ad.action_slot = slot
    from bpy_extras import anim_utils
    bag = anim_utils.action_ensure_channelbag_for_slot(user, slot)
    fc = bag.fcurves.new(path, index=0)
    for f, v in ((1, 0.0), (50, 0.3), (120, 0.1)):
        fc.keyframe_points.insert(f, v)
    before = keys_of(fc).copy()
    res = generate(obj, strip)
    assert ad.action == user, "the user's action is still the active one"
    assert np.array_equal(keys_of(user.layers[0].strips[0].channelbags[0].fcurves[0]), before)
    assert len(user.layers[0].strips[0].channelbags[0].fcurves) == 1
    track = ad.nla_tracks.get(names.NLA_PREFIX + res.take_name)
    assert track is not None and track.strips[0].action == bpy.data.actions[res.take_name]
    assert any("NLA" in m for m in res.messages)
    # a second take gets its own track; switching takes flips which track plays
    res2 = generate(obj, strip, AnimSettings(intensity=1.3), take_name="take 2")
    t1, t2 = ad.nla_tracks[names.NLA_PREFIX + res.take_name], ad.nla_tracks[names.NLA_PREFIX + res2.take_name]
    assert t1.mute and not t2.mute and ad.action == user
    rtakes.set_active_take(obj, res.take_name)
    assert not t1.mute and t2.mute and ad.action == user
    rtakes.remove_take(obj, res.take_name)
    assert rtakes.list_takes(obj) == [res2.take_name] and not t2.mute and ad.action == user


def test_undo_restores_state():
    scene, strip = open_sample("cartoon_head.blend")
    bpy.ops.ed.undo_push(message="before lip sync")
    obj = bpy.data.objects["CartoonHead"]
    generate(obj, strip)
    bpy.ops.ed.undo_push(message="Generate Lip Sync")
    assert "dialogue" in bpy.data.actions
    bpy.ops.ed.undo()
    obj = bpy.data.objects["CartoonHead"]
    assert "dialogue" not in bpy.data.actions
    ad = obj.data.shape_keys.animation_data
    assert ad is None or ad.action is None
    bpy.ops.ed.redo()
    assert "dialogue" in bpy.data.actions


def test_takes_and_range_regeneration_keep_user_edits():
    scene, strip = open_sample("cartoon_head.blend")
    obj = bpy.data.objects["CartoonHead"]
    key = obj.data.shape_keys
    first = generate(obj, strip).take_name
    second = generate(obj, strip, AnimSettings(step=2, interpolation="CONSTANT"), take_name="dialogue twos").take_name
    assert rtakes.list_takes(obj) == [first, second]
    assert key.animation_data.action.name == second
    rtakes.set_active_take(obj, first)
    assert key.animation_data.action.name == first
    # the animator edits a key and adds one inside frames 60-140, and one outside
    act = bpy.data.actions[first]
    fcs = fcurves(act)
    fc = fcs[("KEY", 'key_blocks["D_AI"].value', 0)]
    k = keys_of(fc)
    i = int(np.nonzero((k[:, 0] > 80) & (k[:, 0] < 120))[0][0])
    edited_frame = float(k[i, 0])
    fc.keyframe_points[i].co.y = 0.777
    fc.keyframe_points[i].type = "KEYFRAME"
    fc2 = fcs[("KEY", 'key_blocks["E_O"].value', 0)]
    fc2.keyframe_points.insert(100.5, 0.555)
    fcs[("KEY", 'key_blocks["C_E"].value', 0)].lock = True  # a locked curve is left alone entirely
    snap = {kk: keys_of(f).copy() for kk, f in fcs.items()}
    res = generate(obj, strip, AnimSettings(intensity=1.4), frame_range=(60, 140), take_name="dialogue fix")
    assert res.kept_user_keys == 2
    new = fcurves(bpy.data.actions[res.take_name])
    assert key.animation_data.action.name == res.take_name
    nk = keys_of(new[("KEY", 'key_blocks["D_AI"].value', 0)])
    assert any(abs(f - edited_frame) < 1e-4 and abs(v - 0.777) < 1e-6 for f, v in nk)
    nk2 = keys_of(new[("KEY", 'key_blocks["E_O"].value', 0)])
    assert any(abs(f - 100.5) < 1e-4 and abs(v - 0.555) < 1e-6 for f, v in nk2)
    changed = 0
    for kk, f in new.items():
        old, cur = snap[kk], keys_of(f)
        outside_old = old[(old[:, 0] < 60) | (old[:, 0] > 140)]
        outside_new = cur[(cur[:, 0] < 60) | (cur[:, 0] > 140)]
        assert np.array_equal(outside_old, outside_new), kk  # untouched outside the range
        inside_old = old[(old[:, 0] >= 60) & (old[:, 0] <= 140)]
        inside_new = cur[(cur[:, 0] >= 60) & (cur[:, 0] <= 140)]
        changed += not np.array_equal(inside_old, inside_new)
    assert changed >= 5
    locked = ("KEY", 'key_blocks["C_E"].value', 0)
    assert np.array_equal(keys_of(new[locked]), snap[locked]) and any("locked" in m for m in res.messages)
    # the earlier take is as it was
    for kk, f in fcurves(bpy.data.actions[first]).items():
        assert np.array_equal(keys_of(f), snap[kk])
    # and can be removed again, the previous one playing
    rtakes.remove_take(obj, res.take_name)
    assert res.take_name not in bpy.data.actions and key.animation_data.action.name == second


def test_bulk_write_speed_ten_minutes():
    """10 minutes of dialogue onto a 15-target rig well inside 2 s (bench/bench_rigging.py prints figures)."""
    import time

    from lipsync.phonemes.types import VisemeCue, VisemeTrack
    rng = np.random.default_rng(0)
    cues, t = [], 0.0
    while t < 600:
        d = float(rng.uniform(0.05, 0.25))
        cues.append(VisemeCue(t, t + d, str(rng.choice(list(VISEMES)))))
        t += d
    obj = PRESET_RIGS["Oculus / Ready Player Me"]()
    t0 = time.perf_counter()
    res = rtakes.generate_take(obj, VisemeTrack(cues, t), AnimSettings(), fps=24, start_frame=1, take_name="long")
    assert time.perf_counter() - t0 < 2.0
    assert len(res.keys_written) == 15


def test_bad_input_messages():
    obj = _mesh_with_keys(["Smile", "Frown"])
    with pytest.raises(RigError, match="No mouth targets"):
        rtakes.generate_take(obj, TRACK, AnimSettings(), fps=24, start_frame=1, take_name="x")
    obj = _mesh_with_keys(["A_MBP", "D_AI"])
    with pytest.raises(RigError, match="reversed"):
        rtakes.generate_take(obj, TRACK, AnimSettings(), fps=24, start_frame=1, take_name="x", frame_range=(50, 10))
    res = rtakes.generate_take(obj, TRACK, AnimSettings(), fps=24, start_frame=1, take_name="x")
    assert "B" in res.missing and any("has no" in m for m in res.messages)
    assert set(PRESETS) >= {"Preston Blair", "Papagayo", "Oculus / Ready Player Me", "ARKit", "VRM", "Rigify face"}


@pytest.mark.parametrize("blend", ["cartoon_head.blend", "bone_head.blend"])
def test_linked_rig_with_override(blend, tmp_path):
    """A character linked from a library and overridden takes a take; it survives save and reload."""
    name, preset = SAMPLE_RIGS[blend]
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    with bpy.data.libraries.load(os.path.join(SAMPLES, blend), link=True) as (src, dst):
        dst.objects = [n for n in src.objects if n in (name, "BoneHeadMesh")]
        dst.actions = [n for n in src.actions if n.startswith("pose_")]
    for o in dst.objects:
        scene.collection.objects.link(o)
    linked = bpy.data.objects[name]
    with pytest.raises(RigError, match="library override"):
        rtakes.generate_take(linked, TRACK, AnimSettings(), fps=FPS, start_frame=1, take_name="t")
    ov = linked.override_hierarchy_create(scene, bpy.context.view_layer, do_fully_editable=True)
    res = rtakes.generate_take(ov, TRACK, AnimSettings(), fps=FPS, start_frame=1, take_name="t")
    assert res.preset == preset and not res.missing
    idb = ov.data.shape_keys if ov.type == "MESH" else ov
    assert idb.animation_data.action.name == "t"
    path = str(tmp_path / "shot.blend")
    bpy.ops.wm.save_as_mainfile(filepath=path)
    bpy.ops.wm.open_mainfile(filepath=path)
    ov = next(o for o in bpy.data.objects if o.name == name and o.library is None)
    idb = ov.data.shape_keys if ov.type == "MESH" else ov
    assert idb.animation_data.action.name == "t" and rtakes.list_takes(ov) == ["t"]
    assert len(fcurves(idb.animation_data.action)) == len(res.keys_written)


def test_real_rigify_face_rig():
    """Rigify (bundled with Blender) generates a human face rig; the preset finds and moves its mouth."""
    import addon_utils

    bpy.ops.wm.read_factory_settings(use_empty=True)
    if not addon_utils.enable("rigify", default_set=True):
        pytest.skip("Rigify is not available in this Blender")
    bpy.ops.object.armature_human_metarig_add()
    bpy.ops.pose.rigify_generate()
    rig = next(o for o in bpy.data.objects if o.type == "ARMATURE" and "jaw_master" in o.pose.bones)
    res = rtakes.generate_take(rig, TRACK, AnimSettings(), fps=FPS, start_frame=1, take_name="t")
    assert res.preset == "Rigify face" and not res.missing, (res.preset, res.missing)
    assert {"jaw_master.rotation_quaternion[1]", "lips.L.location[0]", "lips.R.location[0]"} <= set(res.keys_written)
    scene = bpy.context.scene

    def lip_b_z(frame):
        scene.frame_set(int(frame))
        return (rig.matrix_world @ rig.pose.bones["lip.B"].head).z

    cf = closure_frames(TRACK, AnimSettings(), FPS, 1)
    aa = next(c for c in TRACK.cues if c.viseme == "D")
    rest = lip_b_z(cf[0])
    assert rest - lip_b_z(round(1 + 0.5 * (aa.start + aa.end) * FPS)) > 0.01  # the jaw drops > 1 cm on AA
    addon_utils.disable("rigify")


@pytest.mark.slow
@pytest.mark.parametrize("script,blend", [("make_cartoon_head.py", "cartoon_head.blend"),
                                          ("make_avatar.py", "avatar.blend"),
                                          ("make_bone_head.py", "bone_head.blend"),
                                          ("make_arkit_head.py", "arkit_head.blend")])
def test_sample_scripts_rebuild_the_committed_scenes(script, blend, tmp_path):
    import subprocess
    import sys

    out = tmp_path / blend
    subprocess.run([sys.executable, os.path.join(SAMPLES, script), str(out)], check=True, capture_output=True,
                   timeout=300)

    def summary(path):
        bpy.ops.wm.open_mainfile(filepath=str(path))
        sc = bpy.context.scene
        strip = sc.sequence_editor.strips_all["dialogue"]
        objs = {}
        for o in bpy.data.objects:
            keys = [k.name for k in o.data.shape_keys.key_blocks] if o.type == "MESH" and o.data.shape_keys else []
            bones = [b.name for b in o.data.bones] if o.type == "ARMATURE" else []
            objs[o.name] = (o.type, keys, bones)
        poses = sorted(a.name for a in bpy.data.actions if a.asset_data is not None)
        assert os.path.exists(bpy.path.abspath(strip.sound.filepath))
        return objs, poses, (sc.frame_start, sc.frame_end, strip.frame_start), sc.camera is not None

    assert summary(out) == summary(os.path.join(SAMPLES, blend))


def test_several_meshes_in_one_take():
    """Face, teeth and tongue meshes: one take action, a slot per mesh's shape keys; switching moves all."""
    scene, strip = open_sample("cartoon_head.blend")
    face = bpy.data.objects["CartoonHead"]
    extras = []
    for name, keys in (("Teeth", ["D_AI", "C_E"]), ("Tongue", ["H_L", "D_AI"])):
        me = bpy.data.meshes.new(name)
        me.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
        o = bpy.data.objects.new(name, me)
        scene.collection.objects.link(o)
        o.shape_key_add(name="Basis")
        for k in keys:
            o.shape_key_add(name=k).value = 0.0
        extras.append(o)
    res = generate(face, strip, extra_objects=extras)
    act = bpy.data.actions[res.take_name]
    assert sorted(s.name_display for s in act.slots) == sorted(
        [face.data.shape_keys.name] + [o.data.shape_keys.name for o in extras])
    assert {"Teeth:D_AI", "Teeth:C_E", "Tongue:H_L", "Tongue:D_AI", "CartoonHead:D_AI"} <= set(res.keys_written)
    for o in [face] + extras:
        assert o.data.shape_keys.animation_data.action == act
    # the same channel on two meshes gets the same keys
    fcs = {(bag.slot.name_display, fc.data_path): fc for st in act.layers[0].strips for bag in st.channelbags
           for fc in bag.fcurves}
    d_face = keys_of(fcs[(face.data.shape_keys.name, 'key_blocks["D_AI"].value')])
    d_teeth = keys_of(fcs[(extras[0].data.shape_keys.name, 'key_blocks["D_AI"].value')])
    assert np.array_equal(d_face, d_teeth)
    res2 = generate(face, strip, AnimSettings(step=2, interpolation="CONSTANT"), extra_objects=extras,
                    take_name="twos")
    assert all(o.data.shape_keys.animation_data.action.name == res2.take_name for o in [face] + extras)
    rtakes.set_active_take(face, res.take_name)  # as the panel calls it: the slots find the other meshes
    assert all(o.data.shape_keys.animation_data.action == act for o in [face] + extras)
    rtakes.remove_take(face, res.take_name)
    assert all(o.data.shape_keys.animation_data.action.name == res2.take_name for o in [face] + extras)


def test_avatar_head_keys_its_teeth_and_tongue():
    """A Ready Player Me-like avatar: picking the head keys teeth and tongue (same armature, same visemes)."""
    scene, strip = open_sample("avatar.blend")
    head, teeth, tongue = (bpy.data.objects[n] for n in ("Avatar_Head", "Avatar_Teeth", "Avatar_Tongue"))
    from lipsync.rigging.blender import targets
    assert [o.name for o in targets.companion_meshes(head)] == ["Avatar_Teeth", "Avatar_Tongue"]
    assert "Avatar_Body" not in [o.name for o in targets.rig_meshes(head)]  # no mouth shape keys
    res = generate(head, strip)
    assert res.preset == "Oculus / Ready Player Me" and res.objects == ["Avatar_Head", "Avatar_Teeth", "Avatar_Tongue"]
    act = bpy.data.actions[res.take_name]
    for o in (head, teeth, tongue):
        assert o.data.shape_keys.animation_data.action == act
    # the teeth open with the jaw: the lower teeth drop on an AA, and sit back up on M/B/P
    aa = next(c for c in TRACK.cues if c.viseme == "D")
    f_aa = round(strip.frame_start + 0.5 * (aa.start + aa.end) * FPS)
    cf = closure_frames(TRACK, AnimSettings(), FPS, strip.frame_start)

    def lowest_tooth(frame):
        scene.frame_set(int(frame))
        ev = teeth.evaluated_get(bpy.context.evaluated_depsgraph_get())
        z = min(v.co.z for v in ev.to_mesh().vertices)
        ev.to_mesh_clear()
        return z
    assert lowest_tooth(cf[0]) - lowest_tooth(f_aa) > 0.1
    # left out: the next take keys the head alone, the teeth stop playing the character's takes
    res2 = generate(head, strip, AnimSettings(intensity=1.3), take_name="no teeth", exclude=["Avatar_Teeth"])
    assert res2.objects == ["Avatar_Head", "Avatar_Tongue"]
    assert teeth.data.shape_keys.animation_data.action is None
    assert tongue.data.shape_keys.animation_data.action.name == res2.take_name
    rtakes.set_active_take(head, res.take_name)  # back to the first take: all three again
    assert all(o.data.shape_keys.animation_data.action == act for o in (head, teeth, tongue))
    # a range regeneration copies every mesh's curves
    res3 = generate(head, strip, frame_range=(60, 120), take_name="fix")
    assert set(res3.objects) == {"Avatar_Head", "Avatar_Teeth", "Avatar_Tongue"}
    assert {s.name_display for s in bpy.data.actions[res3.take_name].slots} == {
        o.data.shape_keys.name for o in (head, teeth, tongue)}
    rtakes.remove_take(head, res3.take_name)  # the newest take left plays again: the one without teeth
    assert rtakes.active_take(head) == res2.take_name and teeth.data.shape_keys.animation_data.action is None
    assert head.data.shape_keys.animation_data.action.name == res2.take_name
