"""Generate All and multi-mesh characters in real bpy, plus the messages of failures.

One subprocess (bpy keeps global state): the avatar sample (head + teeth + tongue under an
armature) and the cartoon head in one scene, three dialogue strips. pocketsphinx on 3 s clips
keeps it quick. The name matching is tested without Blender.
"""
import json
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLES = os.path.join(ROOT, "sample_scenes")

SCRIPT = textwrap.dedent(r"""
    import json, os, sys, threading
    import soundfile
    import bpy
    import lipsync
    from lipsync.addon import batch, jobs
    from lipsync.rigging.blender import takes as rtakes
    tmp, samples = sys.argv[-2:]
    out = {}
    x, sr = soundfile.read(os.path.join(samples, "dialogue.wav"), dtype="float32")
    for name, (a, b) in {"avatar_line1": (0, 3), "cartoon_01": (3.5, 6.5), "avatar_line2": (6.5, 9.5)}.items():
        soundfile.write(os.path.join(tmp, name + ".wav"), x[int(a * sr):int(b * sr)], sr)

    def shot():
        bpy.ops.wm.open_mainfile(filepath=os.path.join(samples, "avatar.blend"), load_ui=False)
        if not hasattr(bpy.types.Scene, "lipsync"):
            lipsync.register()
        sc = bpy.context.scene
        with bpy.data.libraries.load(os.path.join(samples, "cartoon_head.blend")) as (src, dst):
            dst.objects = ["CartoonHead"]
        sc.collection.objects.link(dst.objects[0])
        dst.objects[0].location.x = 3.0
        se = sc.sequence_editor
        for s in list(se.strips):
            se.strips.remove(s)
        se.strips.new_sound("avatar_line1", os.path.join(tmp, "avatar_line1.wav"), 1, 1)
        se.strips.new_sound("Cartoon 01", os.path.join(tmp, "cartoon_01.wav"), 2, 20)
        se.strips.new_sound("avatar_line2", os.path.join(tmp, "avatar_line2.wav"), 3, 120)
        sc.frame_end = 250
        sc.lipsync.recognizer = "pocketsphinx"
        return sc, se

    def takes_of(name):
        return rtakes.list_takes(bpy.data.objects[name])

    def playing(name):
        ad = bpy.data.objects[name].data.shape_keys.animation_data
        return ad.action.name if ad and ad.action else None

    # 1. the plan shown before running: characters (not the teeth), defaults from the names
    sc, se = shot()
    out["characters"] = [o.name for o in batch.characters(sc)]
    out["plan"] = [[p.strip, p.character, p.how, p.label] for p in batch.plan(sc)]
    # 2. Generate All: both characters keyed (the avatar's teeth too), one undo step for the whole run
    bpy.ops.ed.undo_push(message="before Generate All")
    res = bpy.ops.lipsync.generate_all()
    out["run"] = dict(result=sorted(res), undo="UNDO" in bpy.types.LIPSYNC_OT_generate_all.bl_options,
                      avatar=takes_of("Avatar_Head"), cartoon=takes_of("CartoonHead"), status=sc.lipsync.status,
                      teeth=playing("Avatar_Teeth"), tongue=playing("Avatar_Tongue"), head=playing("Avatar_Head"),
                      remembered={s.name: s.get(batch.CHARACTER_PROP) for s in se.strips})
    # the second avatar line is a range regeneration of the first: both lines keyed in the final take
    act = bpy.data.actions[playing("Avatar_Head")]
    ks = [k.co.x for fc in act.layers[0].strips[0].channelbags[0].fcurves for k in fc.keyframe_points]
    out["run"]["avatar_frames"] = [min(ks), max(ks)]
    bpy.ops.ed.undo_push(message="Generate All")
    bpy.ops.ed.undo()
    out["undone"] = dict(avatar=takes_of("Avatar_Head"), cartoon=takes_of("CartoonHead"), teeth=playing("Avatar_Teeth"))
    bpy.ops.ed.redo()
    out["redone"] = dict(avatar=takes_of("Avatar_Head"), cartoon=takes_of("CartoonHead"), teeth=playing("Avatar_Teeth"))

    # 3. a character chosen for a strip is remembered with it; muted strips, selected only, a broken strip
    sc, se = shot()
    bpy.ops.lipsync.strip_character(strip="avatar_line2", character="CartoonHead")
    se.strips["Cartoon 01"].mute = True
    out["chosen"] = [[p.strip, p.character, p.how] for p in batch.plan(sc)]
    for s in se.strips:
        s.select = s.name == "avatar_line1"
    out["selected"] = [p.strip for p in batch.plan(sc, selected_only=True)]
    se.strips["Cartoon 01"].mute = False
    se.strips["avatar_line2"].sound.filepath = os.path.join(tmp, "moved_away.wav")
    run = batch.BatchRun(sc, batch.plan(sc))
    run.run_all()
    out["broken"] = dict(status=[r.status for r in run.results], lines=[r.line() for r in run.results],
                         summary=run.summary_line())

    # 4. the modal path: a worker thread analyses, the main thread applies; a cancel keeps what is done
    sc, se = shot()
    run = batch.BatchRun(sc, batch.plan(sc))
    worker = threading.Thread(target=lambda: [None for _ in iter(run.analyze_next, False)])
    orig = jobs.analyze_job
    calls = []
    def esc_during_second(job, **kw):  # Esc while the second strip is being analysed
        calls.append(job.strip_name)
        run.cancel = len(calls) >= 2
        return orig(job, **kw)
    jobs.analyze_job = esc_during_second
    worker.start()
    while worker.is_alive():
        run.apply_ready()
        worker.join(0.05)
    run.apply_ready()
    run.finish_cancelled()
    jobs.analyze_job = orig
    out["cancel"] = dict(status=[r.status for r in run.results], summary=run.summary_line(),
                         avatar=takes_of("Avatar_Head"), cartoon=takes_of("CartoonHead"),
                         progress=run.progress)

    # 4b. the operator as the UI runs it: invoke, timer events, a stand-in window manager; Esc at once
    from types import SimpleNamespace
    import time
    from lipsync.addon.operators.batch import LIPSYNC_OT_generate_all
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
        _thread = _timer = _run = None
        def __init__(self): self.reports = []
        def report(self, kind, msg): self.reports.append([sorted(kind)[0], msg])
    for name in ("_plan", "execute", "_done", "invoke", "_status", "_finish", "modal", "cancel"):
        setattr(Harness, name, LIPSYNC_OT_generate_all.__dict__[name])
    def ev(t, v="NOTHING"):
        return SimpleNamespace(type=t, value=v)
    def drive(esc=False):
        sc, se = shot()
        op = Harness()
        ctx = SimpleNamespace(scene=sc, window=object(), window_manager=WM(), workspace=Workspace(), screen=None)
        first = sorted(op.invoke(ctx, ev("TIMER")))
        events = [sorted(op.modal(ctx, ev("MOUSEMOVE"))), sorted(op.modal(ctx, ev("G", "PRESS")))]
        if esc:
            events.append(sorted(op.modal(ctx, ev("ESC", "PRESS"))))
        for _ in range(1200):
            res = op.modal(ctx, ev("TIMER"))
            if res != {"RUNNING_MODAL"}:
                break
            time.sleep(0.05)
        wm = ctx.window_manager
        return dict(first=first, events=events, result=sorted(res), timers=len(wm.timers),
                    progress=[c for c in wm.calls if isinstance(c, int)], ends=[c for c in wm.calls if c == "end"],
                    status=ctx.workspace.status[-1], running=[t for t in ctx.workspace.status if t][:1],
                    reports=op.reports, avatar=takes_of("Avatar_Head"), cartoon=takes_of("CartoonHead"))
    out["modal"] = drive()
    out["modal_esc"] = drive(esc=True)

    # 5. the Mapping panel lists the head's teeth and tongue; leaving one out is stored on the character
    sc, se = shot()
    head = bpy.data.objects["Avatar_Head"]
    sc.lipsync.target = head
    bpy.ops.lipsync.toggle_mesh(mesh="Avatar_Teeth")
    calls = []
    class Layout:
        def __getattr__(self, name):
            def call(*a, **kw):
                calls.append([name, kw.get("text", ""), kw.get("icon", "")])
                return Layout()
            return call
        def __setattr__(self, k, v):
            pass
    for cls in (bpy.types.LIPSYNC_PT_mapping, bpy.types.LIPSYNC_PT_batch):
        cls.draw(type("P", (), {"layout": Layout()})(), bpy.context)
    out["panel"] = [c for c in calls if c[0] in ("operator", "label") and c[1]]
    out["left_out"] = [i.object.name for i in head.lipsync.left_out]
    res = bpy.ops.lipsync.generate(strip="avatar_line1")
    out["left_out_take"] = dict(teeth=playing("Avatar_Teeth"), tongue=playing("Avatar_Tongue"),
                                head=playing("Avatar_Head"))

    # 6. errors say the truth: an internal failure names what failed and where to report; a recogniser's
    # problem suggests another recogniser; neither says the other's advice
    from lipsync.addon.operators import generate as gen_op
    from lipsync.errors import RecognizerError
    def boom(job, **kw):
        raise ZeroDivisionError("division by zero")
    def no_rec(job, **kw):
        raise RecognizerError("pocketsphinx is not installed; install it with: pip install pocketsphinx")
    msgs = {}
    for name, fake in (("internal", boom), ("recognizer", no_rec)):
        gen_op.analyze_job = fake
        try:
            bpy.ops.lipsync.generate(strip="avatar_line1")
            msgs[name] = "no error"
        except RuntimeError as exc:
            msgs[name] = str(exc)
    gen_op.analyze_job = orig
    out["messages"] = msgs
    print("RESULT" + json.dumps(out))
""")


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    pytest.importorskip("bpy")
    tmp = tmp_path_factory.mktemp("batch")
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp), SAMPLES], capture_output=True, text=True,
                          timeout=300, cwd=str(tmp))
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    assert proc.returncode == 0 and lines, proc.stdout[-4000:] + proc.stderr[-4000:]
    return json.loads(lines[0][6:])


@pytest.mark.bpy
def test_plan_matches_strips_to_characters_by_name(result):
    assert result["characters"] == ["Avatar_Head", "CartoonHead"]  # the teeth and tongue are the head's
    assert [p[:3] for p in result["plan"]] == [["avatar_line1", "Avatar_Head", "name"],
                                               ["Cartoon 01", "CartoonHead", "name"],
                                               ["avatar_line2", "Avatar_Head", "name"]]
    assert result["plan"][0][3] == "Avatar_Head (by name)"


@pytest.mark.bpy
def test_generate_all_keys_both_characters_in_one_undo_step(result):
    r = result["run"]
    assert r["result"] == ["FINISHED"] and r["undo"]
    assert r["avatar"] == ["avatar_line1", "avatar_line2"] and r["cartoon"] == ["Cartoon 01"]
    assert r["head"] == r["teeth"] == r["tongue"] == "avatar_line2"  # the teeth keyed with the head
    assert r["avatar_frames"][0] < 20 and r["avatar_frames"][1] > 150  # both avatar lines are in the final take
    assert r["remembered"] == {"avatar_line1": "Avatar_Head", "Cartoon 01": "CartoonHead",
                               "avatar_line2": "Avatar_Head"}
    assert "3 of 3 strips keyed on Avatar_Head, CartoonHead" in r["status"]
    # one undo takes back all three strips on both characters; redo brings them all back
    assert result["undone"] == {"avatar": [], "cartoon": [], "teeth": None}
    assert result["redone"] == {"avatar": ["avatar_line1", "avatar_line2"], "cartoon": ["Cartoon 01"],
                                "teeth": "avatar_line2"}


@pytest.mark.bpy
def test_chosen_character_muted_and_selected_strips(result):
    assert result["chosen"] == [["avatar_line1", "Avatar_Head", "name"], ["avatar_line2", "CartoonHead", "remembered"]]
    assert result["selected"] == ["avatar_line1"]


@pytest.mark.bpy
def test_a_broken_strip_is_reported_and_the_others_run(result):
    b = result["broken"]
    assert b["status"] == ["done", "done", "error"]
    assert "keys on Avatar_Head, Avatar_Teeth, Avatar_Tongue" in b["lines"][0] and "review" in b["lines"][0]
    assert "moved_away.wav" in b["lines"][2] and "Relink" in b["lines"][2]
    assert "2 of 3 strips keyed" in b["summary"] and "1 with problems" in b["summary"]


@pytest.mark.bpy
def test_cancel_keeps_the_strips_done(result):
    c = result["cancel"]
    assert c["status"] == ["done", "cancelled", "cancelled"]
    assert c["avatar"] == ["avatar_line1"] and c["cartoon"] == [] and "cancelled, the strips done so far are kept" in c["summary"]


@pytest.mark.bpy
def test_modal_generate_all_one_progress_bar_and_esc(result):
    m = result["modal"]
    assert m["first"] == ["RUNNING_MODAL"] and m["events"] == [["PASS_THROUGH"], ["RUNNING_MODAL"]]  # no edits
    assert m["result"] == ["FINISHED"] and m["avatar"] == ["avatar_line1", "avatar_line2"] and m["cartoon"]
    assert m["progress"] and m["progress"] == sorted(m["progress"]) and m["progress"][-1] <= 100  # one bar, 0-100
    assert m["ends"] == ["end"] and m["timers"] == 0 and m["status"] is None
    assert "strip 1 of 3 'avatar_line1' -> Avatar_Head" in m["running"][0] and "Esc" in m["running"][0]
    assert [r[1] for r in m["reports"]][-1].startswith("Generate All: 3 of 3 strips keyed")
    assert sum("Lip Sync: '" in r[1] for r in m["reports"]) == 3  # a line per strip
    e = result["modal_esc"]
    assert e["events"][2] == ["RUNNING_MODAL"] and e["result"] == ["CANCELLED"] and e["timers"] == 0
    assert e["avatar"] == [] and e["cartoon"] == []
    assert e["reports"][-1] == ["WARNING", "Generate All: 0 of 3 strips keyed; cancelled, the strips done so far "
                                           "are kept"]


@pytest.mark.bpy
def test_mapping_panel_lists_meshes_and_leaves_one_out(result):
    panel = result["panel"]
    assert ["label", "Avatar_Head (target)", "CHECKBOX_HLT"] in panel
    assert ["operator", "Avatar_Teeth", "CHECKBOX_DEHLT"] in panel  # left out
    assert ["operator", "Avatar_Tongue", "CHECKBOX_HLT"] in panel
    assert any(c[0] == "operator" and c[1] == "Avatar_Head (by name)" for c in panel)  # Generate All's plan
    assert result["left_out"] == ["Avatar_Teeth"]
    t = result["left_out_take"]
    assert t["teeth"] is None and t["head"] == t["tongue"] == "avatar_line1"


@pytest.mark.bpy
def test_failure_messages_say_the_truth(result):
    m = result["messages"]
    assert "ZeroDivisionError" in m["internal"] and "analysing the dialogue" in m["internal"]
    assert "bug" in m["internal"] and "report it to Lip Sync developers" in m["internal"]
    assert "console" in m["internal"] and "another recogniser" not in m["internal"]
    assert "pocketsphinx is not installed" in m["recognizer"].lower() and "another recogniser" in m["recognizer"]
    assert "bug" not in m["recognizer"]


# ---------------------------------------------------------------- without Blender

def test_name_matching():
    from lipsync.addon.batch import match_character, name_tokens

    assert name_tokens("Alice_Line01.wav") == {"alice"}
    assert name_tokens("BobHead") == {"bob"}
    chars = {"Alice_Head": ["Alice_Head", "AliceRig"], "Bob": ["Bob"], "Avatar_Head": ["Avatar_Head", "Avatar"]}
    assert match_character(["alice_line01", "alice_line01.wav"], chars) == "Alice_Head"
    assert match_character(["Dialogue.001", "bob_sc12_take3.wav"], chars) == "Bob"
    assert match_character(["avatar_line2"], chars) == "Avatar_Head"
    assert match_character(["dialogue", "line01.wav"], chars) is None  # nothing tells: no guess
    assert match_character(["al"], {"Alan": ["Alan"], "Alice": ["Alice"]}) is None  # too short to tell


def test_failure_message_without_blender():
    from lipsync.errors import AudioError, ModelError, failure_message

    assert failure_message(AudioError("Could not read x.wav.")) == "Could not read x.wav."
    assert failure_message(ModelError("the 'model' recogniser cannot run: no torch")).endswith(
        "choose another recogniser in the Lip Sync panel (Recognizer).")
    msg = failure_message(KeyError("key_blocks"), "keying the character")
    assert msg.startswith("Lip Sync failed while keying the character (KeyError: 'key_blocks').")
    assert "another recogniser" not in msg and "report it" in msg


@pytest.mark.bpy
def test_missing_package_is_a_recognizer_error_only_for_a_recognizers_package(monkeypatch):
    pytest.importorskip("bpy")
    from types import SimpleNamespace

    from lipsync import pipeline
    from lipsync.addon import jobs
    from lipsync.errors import LipSyncError, RecognizerError, failure_message

    job = SimpleNamespace(audio_path="x.wav", transcript=None, recognizer="pocketsphinx", language="eng",
                          speech_model=None)
    for missing, recognizer_error in (("pocketsphinx", True), ("soundfile", False)):
        def analyze(*a, **kw):
            raise ImportError(f"No module named '{missing}'", name=missing)
        monkeypatch.setattr(pipeline, "analyze", analyze)
        with pytest.raises(LipSyncError) as err:
            jobs.analyze_job(job)
        assert isinstance(err.value, RecognizerError) is recognizer_error and missing in str(err.value)
        assert ("another recogniser" in failure_message(err.value)) is recognizer_error
