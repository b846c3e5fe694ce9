"""Each sound strip can have its own dialogue language (a dub): jobs, Generate All and Transcribe use it, and a
strip without one uses the scene's. Real bpy, in a subprocess."""
import os
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMPLES = os.path.join(ROOT, "sample_scenes")

SCRIPT = textwrap.dedent(r"""
    import json, os, sys
    import bpy
    import lipsync
    from lipsync.addon import batch, jobs, strips
    samples = sys.argv[-1]
    bpy.ops.wm.open_mainfile(filepath=os.path.join(samples, "avatar.blend"), load_ui=False)
    if not hasattr(bpy.types.Scene, "lipsync"):
        lipsync.register()
    sc = bpy.context.scene
    se = sc.sequence_editor
    for s in list(se.strips):
        se.strips.remove(s)
    wav = os.path.join(samples, "dialogue.wav")
    a = se.strips.new_sound("line_fr", wav, 1, 1)
    b = se.strips.new_sound("line_en", wav, 2, 400)
    a.lipsync_language = "fra"
    sc.lipsync.language = "deu"
    target = next(o for o in batch.characters(sc))
    out = {
        "fr": jobs.prepare_job(sc, target=target, strip="line_fr", transcript="").language,
        "default": jobs.prepare_job(sc, target=target, strip="line_en", transcript="").language,
        "helper": [strips.strip_language(a, "deu"), strips.strip_language(b, "deu"), strips.strip_language(None, "")],
    }
    sc.lipsync.target = target
    run = batch.BatchRun(sc, batch.plan(sc))
    out["batch"] = {j.strip_name: j.language for j in run.jobs if j is not None}
    print("RESULT" + json.dumps(out))
""")


def test_strip_language_overrides_the_scene(run_bpy):
    out = run_bpy(SCRIPT, SAMPLES)
    assert out["fr"] == "fra" and out["default"] == "deu"
    assert out["helper"] == ["fra", "deu", "eng"]
    assert out["batch"] == {"line_fr": "fra", "line_en": "deu"}
