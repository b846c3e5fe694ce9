"""The modal Generate when the scene changes while the analysis runs: a clear message, nothing written.

The operator's own invoke() and modal() are driven with a stand-in context and fake timer events
(bpy as a module has no event loop), in one bpy subprocess.
"""
import os
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIALOGUE = os.path.join(ROOT, "sample_scenes", "dialogue.wav")

SCRIPT = textwrap.dedent(r"""
    import json, os, sys, types
    import bpy
    import lipsync
    from lipsync.addon.operators.generate import LIPSYNC_OT_generate as Op
    tmp, wav = sys.argv[-2], sys.argv[-1]
    saved = os.path.join(tmp, "shot.blend")

    def scene_with_head():
        bpy.ops.wm.read_factory_settings(use_empty=True)
        if not hasattr(bpy.types.Scene, "lipsync"):
            lipsync.register()
        sc = bpy.context.scene
        sc.render.fps, sc.render.fps_base = 24, 1.0
        bpy.ops.mesh.primitive_uv_sphere_add(segments=8, ring_count=4)
        head = bpy.context.object
        head.name = "Head"
        head.shape_key_add(name="Basis")
        for letter in "ABCDEFGHX":
            head.shape_key_add(name=letter)
        sc.sequence_editor_create().strips.new_sound("Dialogue", wav, 1, 1)
        sc.lipsync.target = head
        sc.lipsync.recognizer = "pocketsphinx"
        bpy.ops.wm.save_as_mainfile(filepath=saved)
        return sc

    class WM:
        def progress_begin(self, a, b): pass
        def progress_update(self, v): pass
        def progress_end(self): pass
        def event_timer_add(self, t, window=None): return object()
        def event_timer_remove(self, t): pass
        def modal_handler_add(self, op): pass

    class Context:  # what the operator reads from bpy.context, with a window so it goes modal
        window, workspace, screen = object(), None, None
        window_manager = WM()
        @property
        def scene(self):
            return bpy.context.scene

    def operator():
        op = types.SimpleNamespace(target="", strip="", filepath="", transcript="", _thread=None, _timer=None,
                                   reports=[])
        op.report = lambda kind, msg: op.reports.append((sorted(kind)[0], msg))
        for name in ("_job", "_status", "_finish", "_report_done", "invoke", "modal", "cancel"):
            setattr(op, name, types.MethodType(getattr(Op, name), op))
        return op

    def run(change):
        scene_with_head()
        n_actions = len(bpy.data.actions)
        op, ctx = operator(), Context()
        started = op.invoke(ctx, types.SimpleNamespace(type="NONE", value="NOTHING"))
        change()
        op._thread.join(120)
        res = op.modal(ctx, types.SimpleNamespace(type="TIMER", value="NOTHING"))
        head = bpy.data.objects.get("Head") or next((o for o in bpy.data.objects if o.type == "MESH"), None)
        keys = head is not None and head.data.shape_keys is not None and head.data.shape_keys.animation_data
        return dict(started=sorted(started), result=sorted(res), reports=op.reports,
                    new_actions=len(bpy.data.actions) - n_actions, keyed=bool(keys and keys.action))

    def delete():
        bpy.data.objects.remove(bpy.data.objects["Head"])

    def rename():
        bpy.data.objects["Head"].name = "Head.renamed"

    def fps():
        bpy.context.scene.render.fps = 25

    def revert():
        bpy.ops.wm.open_mainfile(filepath=saved)  # File -> Revert: the same file, loaded again

    def other_file():
        bpy.ops.wm.read_factory_settings(use_empty=True)

    def move_strip():
        bpy.context.scene.sequence_editor.strips["Dialogue"].frame_start = 40

    out = {name: run(fn) for name, fn in [("unchanged", lambda: None), ("deleted", delete), ("renamed", rename),
                                           ("fps", fps), ("reverted", revert), ("other_file", other_file),
                                           ("strip_moved", move_strip)]}
    print("RESULT" + json.dumps(out))
""")


@pytest.fixture(scope="module")
def result(tmp_path_factory, run_bpy):
    import soundfile as sf

    tmp = tmp_path_factory.mktemp("modal")
    x, sr = sf.read(DIALOGUE, dtype="float32")
    sf.write(tmp / "line.wav", x[: int(3.5 * sr)], sr)  # a short line: seven analyses run
    return run_bpy(SCRIPT, tmp, tmp / "line.wav", cwd=str(tmp))


pytestmark = [pytest.mark.bpy, pytest.mark.slow]


def test_unchanged_scene_gets_its_take(result):
    r = result["unchanged"]
    assert r["started"] == ["RUNNING_MODAL"] and r["result"] == ["FINISHED"]
    assert r["new_actions"] == 1 and r["keyed"]


@pytest.mark.parametrize("case,says", [
    ("deleted", "The target 'Head' was deleted"),
    ("renamed", "The target 'Head' was renamed to 'Head.renamed'"),
    ("fps", "The frame rate changed (24 -> 25 fps)"),
    ("reverted", "The file was reloaded"),
    ("other_file", "Another file was opened"),
    ("strip_moved", "The sound strip 'Dialogue' was moved or trimmed"),
])
def test_a_change_while_running_ends_clearly_with_nothing_written(result, case, says):
    r = result[case]
    assert r["started"] == ["RUNNING_MODAL"] and r["result"] == ["CANCELLED"]
    assert [kind for kind, _ in r["reports"]] == ["ERROR"], r["reports"]
    msg = r["reports"][0][1]
    assert says in msg and "Nothing was written" in msg, msg
    assert r["new_actions"] == 0 and not r["keyed"]
