"""2D mouths on real bpy: the Grease Pencil sample (time offset), layer visibility, image sequence, sprite sheet.

Each test starts from a freshly opened .blend (or factory settings). What shows is read back
from Blender: the evaluated modifier offset / layer visibility / node values after ``frame_set``.
"""
import os

import pytest

bpy = pytest.importorskip("bpy")

from lipsync.errors import LipSyncError, RigError  # noqa: E402
from lipsync.rigging.blender import chart2d  # noqa: E402
from lipsync.rigging.blender import takes as rtakes  # noqa: E402
from lipsync.rigging.chart import CHART_ORDER, chart_shapes  # noqa: E402
from lipsync.rigging.curves import closure_frames  # noqa: E402
from lipsync.rigging.settings import AnimSettings  # noqa: E402
from sample_checks import FPS, SAMPLES, assert_changes_every_second, dialogue_track  # noqa: E402

pytestmark = pytest.mark.bpy
TRACK = dialogue_track()


def pauses():
    """Scene frames in the middle of the dialogue's pauses longer than 0.4 s (the mouth rests there)."""
    out = []
    for c in TRACK.cues:
        if c.viseme == "X" and c.end - c.start > 0.4:
            out.append(int(round(1 + 0.5 * (c.start + c.end) * FPS)))
    for a, b in zip(TRACK.cues, TRACK.cues[1:]):
        if b.start - a.end > 0.4:
            out.append(int(round(1 + 0.5 * (a.end + b.start) * FPS)))
    assert out
    return out


def shown(scene, read, frames):
    out = []
    for f in frames:
        scene.frame_set(int(f))
        out.append(read())
    return out


def test_grease_pencil_sample_time_offset():
    bpy.ops.wm.open_mainfile(filepath=os.path.join(SAMPLES, "toon_2d.blend"))
    scene = bpy.context.scene
    obj = bpy.data.objects["ToonHead"]
    settings = AnimSettings(step=2)
    res = rtakes.generate_take(obj, TRACK, settings, fps=FPS, start_frame=1, take_name="dialogue")
    assert res.preset == "Preston Blair (time_offset)" and not res.missing and res.objects == ["ToonHead"]
    assert obj.animation_data.action.name == res.take_name
    mod = obj.modifiers["Mouth"]
    frames = list(range(scene.frame_start, scene.frame_end + 1))
    offs = shown(scene, lambda: int(mod.offset), frames)
    letters = [CHART_ORDER[o - 1] for o in offs]
    assert len(set(letters)) >= 6
    # closed (drawing A = frame 1) on every M/B/P closure frame, rest (X = frame 9) in the pauses
    cf = closure_frames(TRACK, settings, FPS, 1)
    assert len(cf) >= sum(1 for c in TRACK.cues if c.viseme == "A")
    assert all(offs[int(f) - scene.frame_start] == 1 for f in cf)
    assert all(offs[f - scene.frame_start] == 9 for f in pauses())
    # what shows is what the chart chose, and the keys are stepped
    grid, want, _ = chart_shapes(TRACK, settings, FPS, 1)
    assert [letters[int(f) - scene.frame_start] for f in grid] == want
    fc = next(iter(rtakes.compat.action_fcurves(obj.animation_data.action)))
    assert {k.interpolation for k in fc.keyframe_points} == {"CONSTANT"}
    # a change at least once per second of speech: no spoken drawing is held a second or more, and there are
    # more changes than seconds of speech
    assert_changes_every_second(letters, sum(c.end - c.start for c in TRACK.cues if c.viseme != "X"))


def test_range_regeneration_keeps_an_edited_drawing_and_takes_switch():
    bpy.ops.wm.open_mainfile(filepath=os.path.join(SAMPLES, "toon_2d.blend"))
    scene = bpy.context.scene
    obj = bpy.data.objects["ToonHead"]
    first = rtakes.generate_take(obj, TRACK, AnimSettings(), fps=FPS, start_frame=1, take_name="t1").take_name
    fc = next(iter(rtakes.compat.action_fcurves(bpy.data.actions[first])))
    # the animator swaps one drawing by hand (a key of their own, typed KEYFRAME)
    edit = 60
    k = fc.keyframe_points.insert(edit, 4.0)
    k.type = "KEYFRAME"
    k.interpolation = "CONSTANT"
    second = rtakes.generate_take(obj, TRACK, AnimSettings(lead_frames=3), fps=FPS, start_frame=1,
                                  frame_range=(40, 120), take_name="t2")
    assert second.kept_user_keys == 1 and rtakes.list_takes(obj) == ["t1", "t2"]
    fc2 = next(iter(rtakes.compat.action_fcurves(bpy.data.actions[second.take_name])))
    assert any(abs(kp.co[0] - edit) < 1e-6 and kp.co[1] == 4.0 for kp in fc2.keyframe_points)
    scene.frame_set(edit)
    assert int(obj.modifiers["Mouth"].offset) == 4
    shapes = rtakes.take_shapes(bpy.data.actions[second.take_name])
    assert shapes[0][0] == 1 and shapes[-1][1] >= 250  # outside the range: the first take's shapes
    rtakes.set_active_take(obj, "t1")
    assert obj.animation_data.action.name == "t1"
    rtakes.remove_take(obj, "t1")
    assert obj.animation_data.action.name == "t2" and rtakes.list_takes(obj) == ["t2"]


def _gp_with_layers(names):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    gp = bpy.data.grease_pencils.new("Mouths")
    obj = bpy.data.objects.new("Cutout", gp)
    bpy.context.scene.collection.objects.link(obj)
    gp.layers.new("Head").frames.new(1)
    for n in names:
        gp.layers.new(n).frames.new(1)
    return obj


def test_one_layer_per_mouth_shape_keyed_visibility():
    names = ["AI", "E", "O", "U", "etc", "FV", "L", "MBP", "WQ", "rest"]
    obj = _gp_with_layers(names)
    scene = bpy.context.scene
    res = rtakes.generate_take(obj, TRACK, AnimSettings(), fps=FPS, start_frame=1, take_name="vis")
    assert res.preset == "Papagayo (layer_visibility)"
    assert obj.data.animation_data.action.name == res.take_name and obj.animation_data is None
    layers = obj.data.layers

    def visible():
        return tuple(n for n in names if not layers[n].hide)

    frames = range(1, int(TRACK.duration * FPS))
    vis = shown(scene, visible, frames)
    assert all(len(v) == 1 for v in vis)  # exactly one mouth at a time
    assert not layers["Head"].hide  # other layers are not touched
    assert len({v[0] for v in vis}) >= 6
    cf = closure_frames(TRACK, AnimSettings(), FPS, 1)
    assert all(vis[int(f) - 1] == ("MBP",) for f in cf)
    assert all(vis[f - 1] == ("rest",) for f in pauses())


def _image_plane(tmp_path, sheet=None):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.mesh.primitive_plane_add()
    obj = bpy.context.object
    obj.name = "MouthPlane"
    mat = bpy.data.materials.new("Mouth")
    if mat.node_tree is None:  # Blender before 5.0: materials start without nodes
        mat.use_nodes = True
    nt = mat.node_tree
    tex = nt.nodes.new("ShaderNodeTexImage")
    if sheet:
        img = bpy.data.images.new("sheet", 12, 12)
        mapping = nt.nodes.new("ShaderNodeMapping")
        uv = nt.nodes.new("ShaderNodeTexCoord")
        nt.links.new(uv.outputs["UV"], mapping.inputs["Vector"])
        nt.links.new(mapping.outputs["Vector"], tex.inputs["Vector"])
        mat["lipsync_sheet"] = sheet
    else:
        for i in range(9):  # one file per drawing, A..X
            im = bpy.data.images.new(f"m{i}", 4, 4)
            im.filepath_raw = str(tmp_path / f"mouth_{i + 1:04d}.png")
            im.file_format = "PNG"
            im.save()
        img = bpy.data.images.load(str(tmp_path / "mouth_0001.png"))
        img.source = "SEQUENCE"
        tex.image_user.frame_duration = 1
    tex.image = img
    obj.data.materials.append(mat)
    return obj, mat, tex


def test_image_sequence_mouth(tmp_path):
    obj, mat, tex = _image_plane(tmp_path)
    scene = bpy.context.scene
    res = rtakes.generate_take(obj, TRACK, AnimSettings(), fps=FPS, start_frame=1, take_name="seq")
    assert res.preset.endswith("(image_sequence)")
    assert mat.node_tree.animation_data.action.name == res.take_name
    offs = shown(scene, lambda: tex.image_user.frame_offset, range(1, int(TRACK.duration * FPS)))
    assert len(set(offs)) >= 6 and set(offs) <= set(range(9))
    cf = closure_frames(TRACK, AnimSettings(), FPS, 1)
    assert all(offs[int(f) - 1] == 0 for f in cf)  # A = the first file
    assert all(offs[f - 1] == 8 for f in pauses())  # X = the ninth
    tex.image_user.frame_duration = 5
    with pytest.raises(RigError, match="set its Frames to 1"):
        rtakes.generate_take(obj, TRACK, AnimSettings(), fps=FPS, start_frame=1, take_name="bad")


def test_sprite_sheet_mouth(tmp_path):
    obj, mat, tex = _image_plane(tmp_path, sheet="3x3")
    scene = bpy.context.scene
    res = rtakes.generate_take(obj, TRACK, AnimSettings(), fps=FPS, start_frame=1, take_name="sheet")
    assert res.preset.endswith("(sprite_sheet)") and len(res.keys_written) == 2
    loc = mat.node_tree.nodes["Mapping"].inputs[1]
    cells = shown(scene, lambda: (round(loc.default_value[0] * 3), round(-loc.default_value[1] * 3)),
                  range(1, int(TRACK.duration * FPS)))
    assert len(set(cells)) >= 6
    cf = closure_frames(TRACK, AnimSettings(), FPS, 1)
    assert all(cells[int(f) - 1] == (0, 0) for f in cf)  # A: top left
    assert all(cells[f - 1] == (2, 2) for f in pauses())  # X: bottom right
    mat["lipsync_sheet"] = "2x2"
    with pytest.raises(LipSyncError, match="too few"):
        chart2d.detect_chart_rig(obj)


def test_unusable_2d_rigs_say_what_to_do(monkeypatch, tmp_path):
    obj = _gp_with_layers([])
    with pytest.raises(RigError, match="No mouth drawings recognised"):
        rtakes.generate_take(obj, TRACK, AnimSettings(), fps=FPS, start_frame=1, take_name="x")
    monkeypatch.setattr(chart2d, "gpv3_available", lambda: False)
    with pytest.raises(RigError, match="Blender 4.3 or later") as exc:
        chart2d.detect_chart_rig(obj)
    assert "\n" not in str(exc.value)
    monkeypatch.undo()
    plane, mat, tex = _image_plane(tmp_path)
    tex.image.source = "FILE"
    with pytest.raises(RigError, match="single image"):
        chart2d.detect_chart_rig(plane)


def test_a_custom_mapping_picks_the_drawings():
    """Detect lists a 2D rig's drawings like shape keys; an edited mapping decides which drawing each shape shows."""
    from lipsync.addon.jobs import rig_target_names
    from lipsync.rigging.mapping import Binding, Mapping, detect_preset

    bpy.ops.wm.open_mainfile(filepath=os.path.join(SAMPLES, "toon_2d.blend"))
    obj = bpy.data.objects["ToonHead"]
    names, kinds = rig_target_names(obj)
    assert names == list(CHART_ORDER)
    assert detect_preset(names, kinds)[0] == "Preston Blair"
    # everything open shows D, closures A, rest X
    m = Mapping("Mine", [Binding("viseme:A", "shape_key", "A"), Binding("viseme:X", "shape_key", "X")]
                + [Binding(f"viseme:{v}", "shape_key", "D") for v in "BCDEFGH"])
    rtakes.generate_take(obj, TRACK, AnimSettings(), fps=FPS, start_frame=1, take_name="mine", mapping=m)
    scene = bpy.context.scene
    offs = set(shown(scene, lambda: int(obj.modifiers["Mouth"].offset), range(1, 250)))
    assert offs == {1, 4, 9}
