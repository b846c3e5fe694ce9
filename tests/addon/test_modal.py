"""The modal Generate as the UI runs it (invoke, timer events, Esc, cancel), undo around it, and range
regeneration through the operator that keeps the animator's hand-edited keys. Real bpy, one subprocess.

Background mode has no window, so Blender itself would run ``execute``; here the operator's own
``invoke`` / ``modal`` / ``cancel`` are driven with a stand-in window manager (it records the progress
bar and the timer) and real ``TIMER`` / ``ESC`` events, on the real scene.
"""
import json
import os
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIALOGUE = os.path.join(ROOT, "sample_scenes", "dialogue.wav")

SCRIPT = textwrap.dedent(r"""
    import json, sys, time
    from types import SimpleNamespace
    import bpy
    import lipsync
    from lipsync.addon.operators.generate import LIPSYNC_OT_generate
    wav = sys.argv[-1]
    out = {}

    def scene_with_head():
        bpy.ops.wm.read_factory_settings(use_empty=True)
        if not hasattr(bpy.types.Scene, "lipsync"):
            lipsync.register()
        sc = bpy.context.scene
        sc.render.fps = 24
        bpy.ops.mesh.primitive_uv_sphere_add(segments=16, ring_count=8)
        head = bpy.context.object
        head.name = "Head"
        head.shape_key_add(name="Basis")
        for i, letter in enumerate("ABCDEFGHX"):
            kb = head.shape_key_add(name=letter)
            for v in kb.data:
                if v.co.z < -0.3:
                    v.co.z -= 0.05 * (i + 1)
        strip = sc.sequence_editor_create().strips.new_sound("Dialogue", wav, 1, 1)
        sc.lipsync.target = head
        sc.lipsync.recognizer = "pocketsphinx"
        return sc, head, strip

    class WM:
        def __init__(self):
            self.calls, self.timers = [], []
        def progress_begin(self, a, b): self.calls.append("begin")
        def progress_update(self, v): self.calls.append(v)
        def progress_end(self): self.calls.append("end")
        def event_timer_add(self, step, window=None):
            t = object(); self.timers.append(t); return t
        def event_timer_remove(self, t): self.timers.remove(t)
        def modal_handler_add(self, op): self.calls.append("handler")

    class Workspace:
        def __init__(self): self.status = []
        def status_text_set(self, text): self.status.append(text)

    class Harness:
        # the operator's own methods on a plain object (Blender cannot make operator instances outside a call)
        target = strip = filepath = transcript = ""
        def __init__(self): self.reports = []
        def report(self, kind, msg): self.reports.append([sorted(kind)[0], msg])
    for name in ("_job", "execute", "invoke", "modal", "cancel", "_status", "_finish", "_report_done"):
        setattr(Harness, name, LIPSYNC_OT_generate.__dict__[name])

    def context(sc):
        return SimpleNamespace(scene=sc, window=object(), window_manager=WM(), workspace=Workspace(), screen=None)

    TIMER = SimpleNamespace(type="TIMER", value="NOTHING")
    ESC = SimpleNamespace(type="ESC", value="PRESS")
    MOUSE = SimpleNamespace(type="MOUSEMOVE", value="NOTHING")

    def run_until_done(op, ctx, before=lambda: None, limit=600):
        for _ in range(limit):
            before()
            res = op.modal(ctx, TIMER)
            if res != {"RUNNING_MODAL"}:
                return sorted(res)
            time.sleep(0.05)
        return ["TIMEOUT"]

    def animated(head):
        ad = head.data.shape_keys.animation_data
        return ad is not None and ad.action is not None

    # 1. invoke -> timer events -> the take is written on the main thread, progress bar closed, timer removed
    sc, head, _ = scene_with_head()
    op, ctx = Harness(), context(sc)
    first = sorted(op.invoke(ctx, TIMER))
    passthrough = sorted(op.modal(ctx, MOUSE))  # the UI stays usable while it runs
    res = run_until_done(op, ctx)
    wm = ctx.window_manager
    out["run"] = dict(first=first, passthrough=passthrough, result=res, animated=animated(head),
                      takes=[a.name for a in bpy.data.actions], progress=[c for c in wm.calls if isinstance(c, int)],
                      begin_end=[c for c in wm.calls if isinstance(c, str)], timers=len(wm.timers),
                      status=ctx.workspace.status[-1], reports=op.reports)

    # 2. Esc right away: cancelled, nothing written
    sc, head, _ = scene_with_head()
    op, ctx = Harness(), context(sc)
    op.invoke(ctx, TIMER)
    esc = sorted(op.modal(ctx, ESC))
    res = run_until_done(op, ctx)
    out["esc"] = dict(esc=esc, result=res, animated=animated(head), actions=len(bpy.data.actions),
                      timers=len(ctx.window_manager.timers), reports=op.reports)

    # 3. Esc after the analysis has finished but before the next timer event: still nothing written
    sc, head, _ = scene_with_head()
    op, ctx = Harness(), context(sc)
    op.invoke(ctx, TIMER)
    op._thread.join(120)
    op.modal(ctx, ESC)
    res = run_until_done(op, ctx)
    out["late_esc"] = dict(result=res, finished_analysis=op._state["result"] is not None,
                           animated=animated(head), actions=len(bpy.data.actions), reports=op.reports)

    # 4. cancel() (window closed, another file loaded): the worker stops, nothing is applied afterwards
    sc, head, _ = scene_with_head()
    op, ctx = Harness(), context(sc)
    op.invoke(ctx, TIMER)
    op.cancel(ctx)
    op._thread.join(120)
    out["cancel"] = dict(flag=op._state["cancel"], timers=len(ctx.window_manager.timers),
                         ended="end" in ctx.window_manager.calls, animated=animated(head),
                         actions=len(bpy.data.actions))

    # 5. undo as the UI does it: an undo step before and after the operator (it is REGISTER | UNDO)
    sc, head, strip = scene_with_head()
    bpy.ops.ed.undo_push(message="before Generate")
    r1 = sorted(bpy.ops.lipsync.generate())
    bpy.ops.ed.undo_push(message="Generate Lip Sync")
    take1 = bpy.data.objects["Head"].data.shape_keys.animation_data.action.name
    r2 = sorted(bpy.ops.lipsync.generate())
    bpy.ops.ed.undo_push(message="Generate Lip Sync")
    takes_before_undo = sorted(a.name for a in bpy.data.actions)
    bpy.ops.ed.undo()
    head = bpy.data.objects["Head"]
    after_one = dict(takes=sorted(a.name for a in bpy.data.actions),
                     active=head.data.shape_keys.animation_data.action.name)
    bpy.ops.ed.undo()
    head = bpy.data.objects["Head"]
    out["undo"] = dict(results=[r1, r2], options=sorted(LIPSYNC_OT_generate.bl_options), take1=take1,
                       takes_before_undo=takes_before_undo, after_one=after_one,
                       after_two=dict(actions=len(bpy.data.actions), animated=animated(head),
                                      markers=len(bpy.context.scene.timeline_markers)))

    # 6. range regeneration through the operator: the animator edits a key, then the line is re-done with the
    #    strip trimmed to its second half; the new take keeps the edit and the first half, and the old take stays
    sc, head, strip = scene_with_head()
    bpy.ops.lipsync.generate()
    key = head.data.shape_keys
    t1 = key.animation_data.action
    from bpy_extras.anim_utils import action_get_channelbag_for_slot
    bag = action_get_channelbag_for_slot(t1, key.animation_data.action_slot)
    fc = next(f for f in bag.fcurves if f.data_path == 'key_blocks["A"].value')
    mid = 200.0  # inside the regenerated range
    k = min(fc.keyframe_points, key=lambda p: abs(p.co.x - mid))
    k.co.y, k.type = 0.77, "KEYFRAME"  # the animator's edit
    edited_frame = k.co.x
    early = {f.data_path: [(round(p.co.x, 3), round(p.co.y, 4)) for p in f.keyframe_points if p.co.x < 120]
             for f in bag.fcurves}
    strip.frame_offset_start = 130  # heard from frame 131: only that range is regenerated
    res = sorted(bpy.ops.lipsync.generate())
    t2 = key.animation_data.action
    bag2 = action_get_channelbag_for_slot(t2, key.animation_data.action_slot)
    fc2 = next(f for f in bag2.fcurves if f.data_path == 'key_blocks["A"].value')
    kept = [(p.co.x, p.co.y, p.type) for p in fc2.keyframe_points if abs(p.co.x - edited_frame) < 1e-3]
    early2 = {f.data_path: [(round(p.co.x, 3), round(p.co.y, 4)) for p in f.keyframe_points if p.co.x < 120]
              for f in bag2.fcurves}
    out["range"] = dict(result=res, new_take=t2.name != t1.name, old_take_kept=t1.name in bpy.data.actions,
                        kept=kept, early_same=early == early2, n_early=sum(len(v) for v in early.values()),
                        status=sc.lipsync.status)
    print("RESULT" + json.dumps(out))
""")


def test_modal_generate_esc_cancel_undo_and_range_regeneration(tmp_path):
    script = tmp_path / "modal.py"
    script.write_text(SCRIPT)
    proc = subprocess.run([sys.executable, str(script), DIALOGUE], capture_output=True, text=True, timeout=600)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")), None)
    assert line, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = json.loads(line[len("RESULT"):])

    run = out["run"]
    assert run["first"] == ["RUNNING_MODAL"] and run["passthrough"] == ["PASS_THROUGH"]
    assert run["result"] == ["FINISHED"] and run["animated"] and run["takes"] == ["Dialogue"]
    assert run["progress"] and run["progress"] == sorted(run["progress"]) and max(run["progress"]) <= 100
    assert run["begin_end"][0] == "begin" and run["begin_end"][-1] == "end" and run["timers"] == 0
    assert run["status"] is None  # the status bar text is cleared
    assert any(kind == "INFO" and "take 'Dialogue'" in msg for kind, msg in run["reports"])

    for case in ("esc", "late_esc"):
        c = out[case]
        assert c["result"] == ["CANCELLED"], c
        assert not c["animated"] and c["actions"] == 0, c  # nothing applied after Esc
        assert c["reports"] == [["WARNING", "Lip Sync cancelled; nothing was changed."]], c
    assert out["esc"]["esc"] == ["RUNNING_MODAL"] and out["esc"]["timers"] == 0
    assert out["late_esc"]["finished_analysis"]  # the analysis was done, and still not applied

    c = out["cancel"]
    assert c["flag"] and c["timers"] == 0 and c["ended"] and not c["animated"] and c["actions"] == 0

    u = out["undo"]
    assert u["results"] == [["FINISHED"], ["FINISHED"]] and "UNDO" in u["options"]
    assert len(u["takes_before_undo"]) == 2
    assert u["after_one"] == {"takes": [u["take1"]], "active": u["take1"]}  # one undo: back to the first take
    assert u["after_two"] == {"actions": 0, "animated": False, "markers": 0}  # two: as before Generate

    r = out["range"]
    assert r["result"] == ["FINISHED"] and r["new_take"] and r["old_take_kept"]
    assert len(r["kept"]) == 1 and abs(r["kept"][0][1] - 0.77) < 1e-6 and r["kept"][0][2] == "KEYFRAME"
    assert r["early_same"] and r["n_early"] > 10  # frames before the regenerated range are untouched
    assert "Kept" in r["status"] or r["kept"]
