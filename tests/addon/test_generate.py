"""Generate Lip Sync in real bpy: keys on shape keys within the strip's range, takes, clear errors,
the headless entry points and the H.264 + AAC preview.

Everything runs in one subprocess (bpy keeps global state), with factory
settings between cases. The recogniser is pocketsphinx (about a second for the
10.7 s sample dialogue) so the test does not depend on trained model weights.
"""
import json
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIALOGUE = os.path.join(ROOT, "sample_scenes", "dialogue.wav")

SCRIPT = textwrap.dedent(r"""
    import json, os, sys
    import numpy as np
    import bpy
    import lipsync
    from lipsync.addon import headless
    tmp, wav = sys.argv[-2], sys.argv[-1]
    out = {}

    def scene_with_head(shape_keys=True, fps=(24, 1.001), strip_start=11, trim=0, offset=0.0, audio=wav):
        bpy.ops.wm.read_factory_settings(use_empty=True)
        if not hasattr(bpy.types.Scene, "lipsync"):
            lipsync.register()
        sc = bpy.context.scene
        sc.render.fps, sc.render.fps_base = fps
        sc.render.resolution_x, sc.render.resolution_y = 320, 240
        bpy.ops.mesh.primitive_uv_sphere_add(segments=16, ring_count=8)
        head = bpy.context.object
        head.name = "Head"
        if shape_keys:
            head.shape_key_add(name="Basis")
            for i, letter in enumerate("ABCDEFGHX"):
                kb = head.shape_key_add(name=letter)
                for v in kb.data:
                    if v.co.z < -0.3:
                        v.co.z -= 0.05 * (i + 1)
        se = sc.sequence_editor_create()
        s = None
        if audio:
            s = se.strips.new_sound("Dialogue", audio, 1, strip_start)
            s.frame_offset_start = trim
            s.sound_offset = offset
        sc.lipsync.target = head
        sc.lipsync.recognizer = "pocketsphinx"
        return sc, head, s

    def shape_key_frames(head):
        ad = head.data.shape_keys.animation_data
        act = ad.action
        from bpy_extras.anim_utils import action_get_channelbag_for_slot
        bag = action_get_channelbag_for_slot(act, ad.action_slot)
        frames = {}
        for fc in bag.fcurves:
            frames[fc.data_path] = [k.co.x for k in fc.keyframe_points]
        return frames

    def error_of(**kw):
        try:
            res = bpy.ops.lipsync.generate(**kw)
            return "no error: " + str(res)
        except RuntimeError as exc:
            return str(exc)

    # 1. Generate on a strip at 23.976 fps: keys on the head's shape keys within the strip's range
    sc, head, s = scene_with_head()
    res = bpy.ops.lipsync.generate()
    fr = shape_key_frames(head)
    allf = [f for v in fr.values() for f in v]
    out["gen"] = dict(result=sorted(res), n_curves=len(fr), n_keys=len(allf), first=min(allf), last=max(allf),
                      strip=[s.frame_final_start, s.frame_final_end], fps=sc.render.fps / sc.render.fps_base,
                      status=sc.lipsync.status, undo="UNDO" in bpy.types.LIPSYNC_OT_generate.bl_options,
                      paths=sorted(fr)[:3])
    # values: the mouth is at rest (X) before the dialogue and moves during it
    sc.frame_set(int(s.frame_final_start) + 60)
    moving = sum(kb.value for kb in head.data.shape_keys.key_blocks[1:] if kb.name != "X")
    out["gen"]["mouth_mid"] = moving
    # 2. a second take, then switch back to the first one
    res2 = bpy.ops.lipsync.generate()
    from lipsync.rigging.blender import takes as rtakes
    takes = rtakes.list_takes(head)
    bpy.ops.lipsync.set_take(take=takes[0])
    out["takes"] = dict(takes=takes, active=rtakes.active_take(head), action=head.data.shape_keys.animation_data.action.name)

    # 3. trimmed strip with a sound offset: nothing keyed before the heard range
    sc, head, s = scene_with_head(fps=(30, 1.001), strip_start=20, trim=45, offset=0.25)
    bpy.ops.lipsync.generate()
    allf = [f for v in shape_key_frames(head).values() for f in v]
    out["trim"] = dict(first=min(allf), last=max(allf), strip=[s.frame_final_start, s.frame_final_end])

    # 4. clear errors
    errs = {}
    sc, head, s = scene_with_head(audio=None)
    errs["no_strip"] = error_of()
    sc, head, s = scene_with_head()
    errs["unknown_strip"] = error_of(strip="Nope")
    s.sound.filepath = os.path.join(tmp, "moved_away.wav")
    errs["missing_file"] = error_of()
    bad = os.path.join(tmp, "garbage.wav")
    open(bad, "wb").write(b"this is not audio" * 100)
    sc, head, s = scene_with_head(audio=bad)
    errs["unreadable"] = error_of()
    sc, head, s = scene_with_head(shape_keys=False)
    sc.lipsync.target = None
    errs["no_target"] = error_of()
    errs["no_shape_keys"] = error_of(target="Head")
    sc, head, s = scene_with_head()
    for kb in head.data.shape_keys.key_blocks[1:]:
        kb.name = "Smile." + kb.name
    errs["unknown_keys"] = error_of()
    from lipsync.addon import preview
    sc, head, s = scene_with_head()
    try:
        preview.render_preview(sc, os.path.join(tmp, "x.mp4"), target=None)
        errs["preview_no_camera"] = "no error"
    except preview.PreviewError as exc:
        errs["preview_no_camera"] = str(exc)
    out["errors"] = errs

    # 5. mapping: detect into the editable list, edit it, generate with the edited mapping
    sc, head, s = scene_with_head()
    head.data.shape_keys.key_blocks["D"].name = "JawOpenWide"
    props = head.lipsync  # per character
    bpy.ops.lipsync.detect_mapping()
    m = {b.source: (b.target, b.found) for b in props.mapping}
    det = dict(preset=props.mapping_detected, missing=props.mapping_missing, n=len(props.mapping), A=m.get("viseme:A"))
    b = props.mapping.add()
    b.source, b.kind, b.target, b.weight = "viseme:D", "shape_key", "JawOpenWide", 1.0
    props.use_custom_mapping = True
    res = bpy.ops.lipsync.generate()
    det["custom_result"] = sorted(res)
    det["custom_paths"] = sorted(shape_key_frames(head))
    b.target = "NoSuchKey"
    props.mapping.clear()
    b = props.mapping.add()
    b.source, b.kind, b.target = "viseme:D", "shape_key", "NoSuchKey"
    det["bad_custom"] = error_of()
    out["mapping"] = det

    # 6. animator controls: one Blender property per AnimSettings field, both ways, style presets
    import dataclasses
    from lipsync.rigging.settings import AnimSettings, STYLE_PRESETS
    from lipsync.addon.properties import settings_from_props, settings_to_props
    pg = head.lipsync.settings
    names = [f.name for f in dataclasses.fields(AnimSettings)]
    st = dict(missing=[n for n in names if n not in pg.bl_rna.properties.keys()],
              default_equal=settings_from_props(pg) == AnimSettings())
    style = list(STYLE_PRESETS)[1]
    head.lipsync.style_preset = style
    bpy.ops.lipsync.apply_style()
    st["style_equal"] = settings_from_props(pg) == STYLE_PRESETS[style]
    pg.intensity = 1.5
    st["intensity"] = settings_from_props(pg).intensity
    out["settings"] = st

    # 7. cancel: the analysis stops at its next progress step
    from lipsync.addon.jobs import prepare_job, analyze_job
    sc, head, s = scene_with_head()
    job = prepare_job(sc)
    seen = []
    try:
        analyze_job(job, progress=lambda f, m: seen.append(m), cancel=lambda: len(seen) >= 1)
        out["cancel"] = "not cancelled"
    except Exception as exc:
        out["cancel"] = type(exc).__name__
    out["cancel_keys"] = head.data.shape_keys.animation_data is not None

    # 8. the sample scene: its dialogue strip and Preston Blair head (A_MBP .. X_rest)
    sample = os.path.join(os.path.dirname(wav), "cartoon_head.blend")
    bpy.ops.wm.open_mainfile(filepath=sample, load_ui=False)
    if not hasattr(bpy.types.Scene, "lipsync"):
        lipsync.register()
    sc = bpy.context.scene
    head = bpy.data.objects["CartoonHead"]
    sc.lipsync.target = head
    sc.lipsync.recognizer = "pocketsphinx"
    res = bpy.ops.lipsync.generate()
    from lipsync.addon.strips import find_sound_strip
    s = find_sound_strip(sc)
    allf = [f for v in shape_key_frames(head).values() for f in v]
    out["sample"] = dict(result=sorted(res), first=min(allf), last=max(allf), n_keys=len(allf),
                         strip=[s.frame_final_start, s.frame_final_end], paths=sorted(shape_key_frames(head)))

    # 9. headless: animate a saved file with an audio file, then preview it
    sc, head, s = scene_with_head(audio=None)
    sc.frame_start, sc.frame_end = 1, 48
    src = os.path.join(tmp, "in.blend")
    bpy.ops.wm.save_as_mainfile(filepath=src)
    info = headless.animate_file(src, wav, "Head", os.path.join(tmp, "out.blend"), recognizer="pocketsphinx")
    out["animate"] = {k: info[k] for k in ("take", "frame_range", "n_keys", "added_strip", "output", "recognizer")}
    mp4 = headless.preview_file(os.path.join(tmp, "out.blend"), os.path.join(tmp, "preview.mp4"))
    sc = bpy.context.scene
    out["preview"] = dict(path=mp4, fps=sc.render.fps / sc.render.fps_base, frames=sc.frame_end - sc.frame_start + 1,
                          engine_restored=sc.render.engine, filepath_restored=sc.render.filepath,
                          cameras=[o.name for o in bpy.data.objects if o.type == "CAMERA"])
    print("RESULT" + json.dumps(out))
""")


def _ffprobe(path):
    proc = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,codec_name,duration",
                           "-of", "json", path], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)["streams"]


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    pytest.importorskip("bpy")
    tmp = tmp_path_factory.mktemp("generate")
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp), DIALOGUE], capture_output=True, text=True,
                          timeout=300, cwd=str(tmp))
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    assert proc.returncode == 0 and lines, proc.stdout[-4000:] + proc.stderr[-4000:]
    return json.loads(lines[0][6:])


pytestmark = [pytest.mark.bpy, pytest.mark.slow]


def test_generate_keys_shape_keys_within_strip(result):
    g = result["gen"]
    assert g["result"] == ["FINISHED"] and g["undo"]
    assert g["n_curves"] >= 5 and g["n_keys"] > 20
    assert all(p.startswith('key_blocks["') for p in g["paths"])
    start, end = g["strip"]
    # anticipation may key a frame or two before the sound; nothing far outside the strip
    assert start - 3 <= g["first"] <= start + 2, g
    assert end - 30 <= g["last"] <= end + 2, g
    assert g["mouth_mid"] > 0.05, "the mouth should be moving in the middle of the dialogue"
    assert "Take" in g["status"] or "take" in g["status"]


def test_generate_on_sample_scene(result):
    g = result["sample"]
    assert g["result"] == ["FINISHED"] and g["n_keys"] > 50
    assert 'key_blocks["A_MBP"].value' in g["paths"] and 'key_blocks["X_rest"].value' in g["paths"]
    start, end = g["strip"]
    assert start - 3 <= g["first"] <= start + 2 and end - 30 <= g["last"] <= end + 2, g


def test_takes_switch(result):
    t = result["takes"]
    assert len(t["takes"]) == 2
    assert t["active"] == t["takes"][0] == t["action"]


def test_trimmed_strip_keys_only_heard_range(result):
    t = result["trim"]
    start, end = t["strip"]
    assert t["first"] >= start - 3 and t["last"] <= end + 2, t


@pytest.mark.parametrize("case,words", [
    ("no_strip", ["no sound strip", "Add -> Sound"]),
    ("unknown_strip", ["'Nope'", "Pick another strip"]),
    ("missing_file", ["missing", "moved_away.wav", "Relink"]),
    ("unreadable", ["Could not read", "WAV"]),
    ("no_target", ["No target", "Target"]),
    ("no_shape_keys", ["no shape keys", "Add mouth shape keys"]),
    ("unknown_keys", ["none of the mouth shape keys", "mapping"]),
    ("preview_no_camera", ["no camera", "add a camera"]),
])
def test_clear_errors(result, case, words):
    msg = result["errors"][case]
    assert not msg.startswith("no error"), msg
    for w in words:
        assert w.lower() in msg.lower(), (case, msg)


def test_mapping_detect_edit_and_custom(result):
    m = result["mapping"]
    assert m["preset"] == "Preston Blair" and m["n"] >= 5
    assert m["A"] == ["A", True]
    assert "D" in m["missing"]  # renamed away: reported missing
    assert m["custom_result"] == ["FINISHED"]
    assert 'key_blocks["JawOpenWide"].value' in m["custom_paths"]
    assert "NoSuchKey" in m["bad_custom"] and "mapping" in m["bad_custom"].lower()


def test_settings_mirror_animsettings(result):
    s = result["settings"]
    assert s["missing"] == [] and s["default_equal"] and s["style_equal"]
    assert s["intensity"] == pytest.approx(1.5)


def test_cancel_stops_analysis(result):
    assert result["cancel"] == "Cancelled"
    assert not result["cancel_keys"]


def test_headless_animate(result):
    a = result["animate"]
    assert a["n_keys"] > 20 and a["take"] and a["added_strip"] and os.path.isfile(a["output"])
    assert a["recognizer"] == "pocketsphinx"
    assert a["frame_range"][0] == 1


def test_preview_mp4_has_h264_and_aac(result):
    p = result["preview"]
    streams = _ffprobe(p["path"])
    video = [s for s in streams if s["codec_type"] == "video"]
    audio = [s for s in streams if s["codec_type"] == "audio"]
    assert video and video[0]["codec_name"] == "h264"
    assert audio and audio[0]["codec_name"] == "aac"
    expect = p["frames"] / p["fps"]
    assert abs(float(video[0]["duration"]) - expect) <= 1.0 / p["fps"] + 1e-3, (video, expect)
    assert abs(float(audio[0]["duration"]) - expect) <= 2.0 / p["fps"], (audio, expect)
    # the scene is left as it was: no temporary camera, render settings restored
    assert p["cameras"] == [] and p["engine_restored"] != "BLENDER_WORKBENCH"
