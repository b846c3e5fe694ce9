"""Transcribe in real bpy: the dialogue strip's words fill a Text datablock named after the strip, the panel's
transcript points at it, an edited Text is never overwritten, and Generate with Recognizer Auto and no
transcript uses the words (one subprocess: bpy keeps global state)."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIALOGUE = os.path.join(ROOT, "sample_scenes", "dialogue.wav")

SCRIPT = textwrap.dedent(r"""
    import json, sys
    import bpy
    import lipsync
    wav = sys.argv[-1]
    out = {}
    bpy.ops.wm.read_factory_settings(use_empty=True)
    lipsync.register()
    sc = bpy.context.scene
    bpy.ops.mesh.primitive_uv_sphere_add(segments=16, ring_count=8)
    head = bpy.context.object
    head.name = "Head"
    head.shape_key_add(name="Basis")
    for letter in "ABCDEFGHX":
        head.shape_key_add(name=letter)
    se = sc.sequence_editor_create()
    se.strips.new_sound("Line 12", wav, 1, 1)
    sc.lipsync.target = head
    out["res"] = sorted(bpy.ops.lipsync.transcribe())
    t = bpy.data.texts.get("Line 12")
    out["text"] = t.as_string() if t else None
    out["source"] = sc.lipsync.transcript_source
    out["points_at"] = sc.lipsync.transcript_text.name if sc.lipsync.transcript_text else None
    t.from_string("Mom, maybe bring the big blue map. I promise we will be back before supper! "
                  "Well, what about the puppy? Fine. We'll bring him too.")
    bpy.ops.lipsync.transcribe()
    out["kept"] = bpy.data.texts["Line 12"].as_string()
    out["texts"] = sorted(x.name for x in bpy.data.texts)
    # Generate with Recognizer Auto and no transcript: the words are heard and aligned
    sc.lipsync.transcript_source = "NONE"
    sc.lipsync.recognizer = "auto"
    from lipsync.addon import jobs
    job = jobs.prepare_job(sc)
    analysis = jobs.analyze_job(job)
    out["heard"] = analysis.heard.text if analysis.heard else None
    out["aligned_words"] = len(analysis.phones.words)
    # errors: no sound strip
    bpy.ops.wm.read_factory_settings(use_empty=True)
    try:
        bpy.ops.lipsync.transcribe()
        out["no_strip"] = "no error"
    except RuntimeError as exc:
        out["no_strip"] = str(exc)
    print("RESULT" + json.dumps(out))
""")


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    pytest.importorskip("bpy")
    from lipsync.phonemes import speech_models

    if not speech_models.status()[0]:
        pytest.skip("no speech model installed")
    tmp = tmp_path_factory.mktemp("transcribe")
    proc = subprocess.run([sys.executable, "-c", SCRIPT, DIALOGUE], capture_output=True, text=True, timeout=300,
                          cwd=str(tmp))
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    assert proc.returncode == 0 and lines, proc.stdout[-4000:] + proc.stderr[-4000:]
    return json.loads(lines[0][6:])


pytestmark = [pytest.mark.bpy, pytest.mark.slow]


def test_transcribe_fills_a_text_named_after_the_strip(result):
    assert result["res"] == ["FINISHED"]
    assert "bring the big blue map" in result["text"].lower() and "supper" in result["text"].lower()
    assert result["source"] == "TEXT" and result["points_at"] == "Line 12"


def test_an_edited_text_is_kept(result):
    assert "bring him too" in result["kept"]
    assert result["texts"] == ["Line 12", "Line 12.001"]


def test_generate_auto_uses_the_words(result):
    assert "puppy" in result["heard"].lower() and result["aligned_words"] >= 20


def test_no_strip_is_one_clear_line(result):
    assert "sound strip" in result["no_strip"].lower() and "Traceback" not in result["no_strip"]
