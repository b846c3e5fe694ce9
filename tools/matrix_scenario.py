"""What tools/version_matrix.py runs inside one Blender version (a venv with PyPI's ``bpy``).

    python matrix_scenario.py ZIP SCENES_DIR DIALOGUE.wav TMP RECOGNIZER

Installs the extension zip the way Blender does (``extensions.package_install_files`` into the
user repository of ``$HOME``), then uses only the installed copy (``bl_ext.user_default.lip_sync``):
Generate from an audio file on the shape-key head, Generate from a sound strip where this build
has Audaspace, a second take and switching back, a range regeneration that keeps an edited key,
the multi-mesh avatar (head picked: teeth and tongue keyed), Generate All on two characters and
three strips (Audaspace only), and a short preview movie. ``SCENES_DIR`` holds the sample scenes
built by this same Blender (``cartoon_head.blend``, ``avatar.blend``). Prints ``RESULT{json}``.
"""
import json
import os
import shutil
import subprocess
import sys
import time
import traceback

import bpy

ZIP, SCENES, WAV, TMP, RECOGNIZER = sys.argv[-5:]
MOD = "bl_ext.user_default.lip_sync"
out = {"version": bpy.app.version_string, "steps": {}}


def step(fn):
    t0 = time.perf_counter()
    try:
        detail = fn()
        out["steps"][fn.__name__] = {"ok": True, "detail": detail}
    except Skip as exc:
        out["steps"][fn.__name__] = {"ok": None, "detail": str(exc)}
    except Exception as exc:  # noqa: BLE001 - a failed step is a result
        traceback.print_exc()
        out["steps"][fn.__name__] = {"ok": False, "detail": f"{type(exc).__name__}: {exc}"}
    out["steps"][fn.__name__]["seconds"] = round(time.perf_counter() - t0, 1)
    return fn


class Skip(Exception):
    """A step this Blender build cannot run (said why)."""


def pkg(name):
    import importlib

    return importlib.import_module(f"{MOD}.{name}")


try:
    import aud  # noqa: F401

    AUDASPACE = True
except ImportError:
    AUDASPACE = False
out["audaspace"] = AUDASPACE


def open_scene(name):
    bpy.ops.wm.open_mainfile(filepath=os.path.join(SCENES, name), load_ui=False)
    sc = bpy.context.scene
    sc.lipsync.recognizer = RECOGNIZER
    return sc


def use_file(sc, target):
    props = sc.lipsync
    props.target = bpy.data.objects[target]
    props.source = "FILE"
    props.audio_path = WAV
    props.file_start_frame = 1


def keys_of_take(name):
    compat = pkg("rigging.blender.compat")
    return sum(len(fc.keyframe_points) for fc in compat.action_fcurves(bpy.data.actions[name]))


def playing(obj):
    ad = obj.data.shape_keys.animation_data
    return ad.action.name if ad is not None and ad.action is not None else None


@step
def install():
    res = bpy.ops.extensions.package_install_files(filepath=ZIP, repo="user_default", enable_on_install=True)
    mod = sys.modules.get(MOD)
    assert res == {"FINISHED"} and mod is not None, (res, mod)
    assert mod.__file__.startswith(os.environ["HOME"]), mod.__file__
    assert not any(m == "lipsync" or m.startswith("lipsync.") for m in sys.modules), "the source tree was imported"
    kind = "slotted" if pkg("rigging.blender.compat").SLOTTED else "legacy"
    return f"installed to {os.path.dirname(mod.__file__)}; {kind} actions"


@step
def generate_file():
    sc = open_scene("cartoon_head.blend")
    use_file(sc, "CartoonHead")
    res = bpy.ops.lipsync.generate()
    head = bpy.data.objects["CartoonHead"]
    take = playing(head)
    assert res == {"FINISHED"} and take, (res, take)
    n = keys_of_take(take)
    sc.frame_set(60)
    moving = sum(kb.value for kb in head.data.shape_keys.key_blocks[1:] if kb.name != "X_rest")
    assert n > 50 and moving > 0.05, (n, moving)
    return f"{n} keys on CartoonHead from the audio file ({sc.lipsync.status})"


@step
def generate_strip():
    if not AUDASPACE:
        raise Skip("this bpy build has no Audaspace: no sound strips")
    sc = open_scene("cartoon_head.blend")
    sc.lipsync.target = bpy.data.objects["CartoonHead"]
    sc.lipsync.source = "STRIP"
    res = bpy.ops.lipsync.generate()
    take = playing(bpy.data.objects["CartoonHead"])
    assert res == {"FINISHED"} and take == "dialogue", (res, take)
    return f"{keys_of_take(take)} keys from the 'dialogue' strip"


@step
def switch_takes():
    sc = open_scene("cartoon_head.blend")
    use_file(sc, "CartoonHead")
    head = bpy.data.objects["CartoonHead"]
    rtakes = pkg("rigging.blender.takes")
    bpy.ops.lipsync.generate()
    head.lipsync.settings.intensity = 1.4
    sc.lipsync.take_name = "louder"
    bpy.ops.lipsync.generate()
    takes = rtakes.list_takes(head)
    assert len(takes) == 2 and playing(head) == takes[1], (takes, playing(head))
    bpy.ops.lipsync.set_take(take=takes[0])
    assert rtakes.active_take(head) == takes[0] == playing(head), (rtakes.active_take(head), playing(head))
    return f"takes {takes}; switched back to {takes[0]!r}"


@step
def regenerate_range():
    import numpy as np

    sc = open_scene("cartoon_head.blend")
    use_file(sc, "CartoonHead")
    head = bpy.data.objects["CartoonHead"]
    jobs, rtakes, compat = pkg("addon.jobs"), pkg("rigging.blender.takes"), pkg("rigging.blender.compat")
    job = jobs.prepare_job(sc)
    analysis = jobs.analyze_job(job)
    jobs.apply_job(job, analysis)
    first = rtakes.active_take(head)
    fcs = {fc.data_path: fc for fc in compat.action_fcurves(bpy.data.actions[first])}
    fc = fcs['key_blocks["D_AI"].value']
    k = [p for p in fc.keyframe_points if 80 < p.co.x < 120][0]
    edited = float(k.co.x)
    k.co.y, k.type = 0.777, "KEYFRAME"  # the animator's edit inside the range

    def co(f):
        buf = np.zeros(len(f.keyframe_points) * 2, np.float32)
        f.keyframe_points.foreach_get("co", buf)
        return buf.reshape(-1, 2)

    before = {p: co(f) for p, f in fcs.items()}
    res = rtakes.generate_take(head, analysis.visemes, job.settings, fps=job.fps, start_frame=1,
                               frame_range=(60, 140), take_name="range fix", loudness=analysis.loudness)
    new = {fc.data_path: co(fc) for fc in compat.action_fcurves(bpy.data.actions[res.take_name])}
    kept = any(abs(x - edited) < 1e-4 and abs(y - 0.777) < 1e-6 for x, y in new['key_blocks["D_AI"].value'])

    def outside(keys):
        return keys[(keys[:, 0] < 60) | (keys[:, 0] > 140)]

    outside_same = all(np.array_equal(outside(b), outside(new[p])) for p, b in before.items())
    assert kept and outside_same and res.kept_user_keys >= 1 and playing(head) == res.take_name, (kept, outside_same)
    return f"frames 60-140 regenerated, {res.kept_user_keys} edited key kept, keys outside untouched"


@step
def multi_mesh_avatar():
    sc = open_scene("avatar.blend")
    use_file(sc, "Avatar_Head")
    res = bpy.ops.lipsync.generate()
    head, teeth, tongue = (bpy.data.objects[n] for n in ("Avatar_Head", "Avatar_Teeth", "Avatar_Tongue"))
    take = playing(head)
    assert res == {"FINISHED"} and take and playing(teeth) and playing(tongue), (playing(teeth), playing(tongue))
    compat = pkg("rigging.blender.compat")
    slots = [s.name_display for s in compat.action_slots(bpy.data.actions[take])]
    return f"head picked: {len(slots)} meshes keyed ({', '.join(slots)}), teeth play {playing(teeth)!r}"


@step
def generate_all():
    if not AUDASPACE:
        raise Skip("no sound strips without Audaspace")
    sc = open_scene("avatar.blend")
    with bpy.data.libraries.load(os.path.join(SCENES, "cartoon_head.blend")) as (src, dst):
        dst.objects = ["CartoonHead"]
    sc.collection.objects.link(dst.objects[0])
    strips = pkg("addon.strips")
    for s in list(strips.sound_strips(sc)):
        strips.remove_strip(sc, s)
    for i, (name, start) in enumerate((("avatar_1", 1), ("cartoon_1", 20), ("avatar_2", 300))):
        path = os.path.join(TMP, name + ".wav")
        shutil.copy(WAV, path)
        strips.new_sound_strip(sc, name, path, i + 1, start)
    sc.frame_end = 600
    res = bpy.ops.lipsync.generate_all()
    rtakes = pkg("rigging.blender.takes")
    a, c = rtakes.list_takes(bpy.data.objects["Avatar_Head"]), rtakes.list_takes(bpy.data.objects["CartoonHead"])
    assert res == {"FINISHED"} and len(a) == 2 and len(c) == 1, (res, a, c)
    return sc.lipsync.status


@step
def preview():
    sc = open_scene("cartoon_head.blend")
    use_file(sc, "CartoonHead")
    bpy.ops.lipsync.generate()
    path = os.path.join(TMP, "preview.mp4")
    pkg("addon.preview").render_preview(sc, path, scale=25, target=bpy.data.objects["CartoonHead"],
                                        frame_range=(40, 64), audio_path=WAV, audio_start_frame=1)
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,codec_name",
                            "-of", "json", path], capture_output=True, text=True)
    streams = sorted(f"{s['codec_type']} {s['codec_name']}" for s in json.loads(probe.stdout or "{}").get("streams", []))
    assert any(s.startswith("video h264") for s in streams), streams
    return f"25 frames, {', '.join(streams)}"


print("RESULT" + json.dumps(out))
