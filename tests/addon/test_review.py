"""Review of low-confidence stretches (markers, list, jump, summary) and per-character settings, in real bpy.

One subprocess (bpy keeps global state). The recogniser is replaced by one that
returns phones whose confidences the test chooses, so the expected spans and
frames are known exactly; one case runs pocketsphinx with a transcript that has
a word that is not said.
"""
import json
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIALOGUE = os.path.join(ROOT, "sample_scenes", "dialogue.wav")
SAMPLES = os.path.join(ROOT, "sample_scenes")

SCRIPT = textwrap.dedent(r"""
    import json, os, sys
    import numpy as np
    import soundfile
    import bpy
    import lipsync
    from lipsync.phonemes import recognizers
    from lipsync.phonemes.types import PhoneTrack, TimedPhone, SIL
    from lipsync.rigging.blender import takes as rtakes
    from lipsync.addon import review, headless
    tmp, dialogue, samples = sys.argv[-3:]
    out = {}

    # -- a recogniser whose phones and confidences the test sets
    PHONES = {"doubtful": [
        (0.0, 0.5, SIL, None, 1.0), (0.5, 0.6, "h", "hello", 0.9), (0.6, 0.8, "ɛ", "hello", 0.3),
        (0.8, 0.9, "l", "hello", 0.2), (0.9, 1.1, "oʊ", "hello", 0.9), (1.1, 1.5, SIL, None, 1.0),
        (1.5, 1.6, "m", "mum", 0.1), (1.6, 1.8, "ʌ", "mum", 0.95), (1.8, 1.9, "m", "mum", 0.95),
        (1.9, 3.0, SIL, None, 1.0)],
        "sure": [(0.0, 0.5, SIL, None, 1.0), (0.5, 1.1, "ɑ", "ah", 0.9), (1.1, 1.5, SIL, None, 1.0),
                 (1.5, 1.9, "m", "mm", 0.9), (1.9, 3.0, SIL, None, 1.0)]}
    WARN = {"doubtful": ["the transcript does not fully match the audio: not heard: banana; check the transcript"],
            "sure": []}
    mode = {"which": "doubtful"}

    class FakeRecognizer:
        name = "fake"
        def recognize(self, audio, transcript=None, language="eng"):
            w = mode["which"]
            return PhoneTrack([TimedPhone(a, b, ph, c, wd) for a, b, ph, wd, c in PHONES[w]], audio.duration, recognizer="fake",
                              warnings=list(WARN[w]))

    from lipsync.phonemes import words as words_stage
    words_stage.vad_available = lambda: False  # the fake phones stand as given (no voice-activity gate on the noise)
    real_get = recognizers.get_recognizer
    # every recogniser name gets the fake one, except while mode["real"] is set
    recognizers.get_recognizer = lambda name="auto", **kw: real_get(name, **kw) if mode.get("real") else FakeRecognizer()
    wav = os.path.join(tmp, "clip.wav")
    rng = np.random.default_rng(0)
    soundfile.write(wav, (0.1 * rng.standard_normal(48000)).astype(np.float32), 16000)

    def add_head(name, x=0.0):
        bpy.ops.mesh.primitive_uv_sphere_add(segments=12, ring_count=6, location=(x, 0, 0))
        head = bpy.context.object
        head.name = name
        head.shape_key_add(name="Basis")
        for i, letter in enumerate("ABCDEFGHX"):
            kb = head.shape_key_add(name=letter)
            for v in kb.data:
                if v.co.z < -0.3:
                    v.co.z -= 0.05 * (i + 1)
        return head

    def new_scene():
        bpy.ops.wm.read_factory_settings(use_empty=True)
        if not hasattr(bpy.types.Scene, "lipsync"):
            lipsync.register()
        sc = bpy.context.scene
        sc.render.fps, sc.render.fps_base = 24, 1
        head = add_head("Head")
        s = sc.sequence_editor_create().strips.new_sound("Line", wav, 1, 11)
        sc.lipsync.target = head
        sc.lipsync.recognizer = "pocketsphinx"
        return sc, head, s

    def markers(sc):
        return sorted([m.name, m.frame] for m in sc.timeline_markers)

    # 1. spans become markers at the right frames; the user's markers stay; the summary lists the spans
    sc, head, s = new_scene()
    sc.timeline_markers.new("Beat", frame=30)
    sc.timeline_markers.new("LS reviewer notes", frame=40)   # looks like ours, but is not
    res = bpy.ops.lipsync.generate()
    take1 = rtakes.active_take(head)
    spans = review.take_spans(head, sc.lipsync.review_threshold)
    out["gen"] = dict(result=sorted(res), markers=markers(sc), status=sc.lipsync.status,
                      spans=[s_.to_dict() for s_ in spans], warnings=review.take_warnings(head),
                      stored=review.REVIEW_PROP in bpy.data.actions[take1])
    # threshold lower: fewer spans, markers follow at once
    sc.lipsync.review_threshold = 0.15
    out["low"] = markers(sc)
    sc.lipsync.review_threshold = 0.5
    # regenerate: our markers replaced (not duplicated), the user's kept
    bpy.ops.lipsync.generate()
    out["regen"] = markers(sc)
    # 2. a confident take has no markers; switching takes switches the spans
    mode["which"] = "sure"
    bpy.ops.lipsync.generate()
    take3 = rtakes.active_take(head)
    out["sure"] = dict(markers=markers(sc), spans=len(review.take_spans(head, 0.5)), status=sc.lipsync.status)
    bpy.ops.lipsync.set_take(take=take1)
    out["back"] = dict(markers=markers(sc), spans=[[x.frame_start, x.frame_end] for x in review.take_spans(head)])
    bpy.ops.lipsync.set_take(take=take3)
    out["forth"] = markers(sc)
    bpy.ops.lipsync.set_take(take=take1)
    # 3. jump: current frame and preview range
    sp = review.take_spans(head)[1]
    bpy.ops.lipsync.review_jump(frame_start=sp.frame_start, frame_end=sp.frame_end)
    out["jump"] = dict(frame=sc.frame_current, preview=[sc.use_preview_range, sc.frame_preview_start,
                                                        sc.frame_preview_end], span=[sp.frame_start, sp.frame_end])
    # 4. toggle off/on, clear
    sc.lipsync.show_review_markers = False
    out["hidden"] = markers(sc)
    sc.lipsync.show_review_markers = True
    out["shown"] = markers(sc)

    # 4b. a second line later on the timeline: the new take keeps the first line's spans and adds its own
    mode["which"] = "doubtful"
    sc.sequence_editor.strips.new_sound("Line2", wav, 2, 100)
    bpy.ops.lipsync.generate(strip="Line2")
    out["line2"] = dict(markers=markers(sc), spans=[[x.frame_start, x.frame_end] for x in review.take_spans(head)])
    sc.lipsync.strip = "Line"

    # 5. two characters: own settings and mapping, each take uses its own, markers per character
    mode["which"] = "doubtful"
    head2 = add_head("Head2", x=3.0)
    head.lipsync.settings.intensity = 1.7
    head2.lipsync.settings.intensity = 0.4
    head2.lipsync.settings.interpolation = "CONSTANT"
    sc.lipsync.target = head2
    bpy.ops.lipsync.detect_mapping()
    head2.lipsync.use_custom_mapping = True
    for b in head2.lipsync.mapping:
        if b.source == "viseme:A":
            b.target = "B"   # Head2's closed-mouth shape is its own "B" key
    bpy.ops.lipsync.generate()
    t2 = rtakes.active_take(head2)
    sc.lipsync.target = head
    bpy.ops.lipsync.generate()
    t1 = rtakes.active_take(head)
    a1, a2 = bpy.data.actions[t1], bpy.data.actions[t2]
    out["two"] = dict(s1=a1["lipsync_settings"], s2=a2["lipsync_settings"], m1=a1["lipsync_mapping"],
                      m2=a2["lipsync_mapping"], markers=markers(sc), custom1=head.lipsync.use_custom_mapping,
                      n_map1=len(head.lipsync.mapping), n_map2=len(head2.lipsync.mapping))
    # 6. save and reload: settings, mapping, markers, spans
    path = os.path.join(tmp, "shot.blend")
    bpy.ops.wm.save_as_mainfile(filepath=path)
    bpy.ops.wm.open_mainfile(filepath=path)
    sc = bpy.context.scene
    h1, h2 = bpy.data.objects["Head"], bpy.data.objects["Head2"]
    out["reload"] = dict(i1=h1.lipsync.settings.intensity, i2=h2.lipsync.settings.intensity,
                         interp2=h2.lipsync.settings.interpolation, custom2=h2.lipsync.use_custom_mapping,
                         mapA2=[b.target for b in h2.lipsync.mapping if b.source == "viseme:A"],
                         markers=markers(sc), spans=len(review.take_spans(h1)))
    bpy.ops.lipsync.clear_review_markers()
    out["cleared"] = dict(markers=markers(sc), show=sc.lipsync.show_review_markers)

    # 7. a linked character with a (system) library override keeps its own settings across saves
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    with bpy.data.libraries.load(os.path.join(samples, "cartoon_head.blend"), link=True) as (src, dst):
        dst.objects = ["CartoonHead"]
    for o in dst.objects:
        scene.collection.objects.link(o)
    ov = bpy.data.objects["CartoonHead"].override_hierarchy_create(scene, bpy.context.view_layer)
    scene.lipsync.target = ov
    ov.lipsync.settings.intensity = 1.6
    bpy.ops.lipsync.detect_mapping()
    ovr = []
    for cycle in range(2):
        p = os.path.join(tmp, f"override{cycle}.blend")
        bpy.ops.wm.save_as_mainfile(filepath=p)
        bpy.ops.wm.open_mainfile(filepath=p)
        ov = next(o for o in bpy.data.objects if o.name == "CartoonHead" and o.library is None)
        ovr.append([round(ov.lipsync.settings.intensity, 3), len(ov.lipsync.mapping),
                    ov.lipsync.mapping_detected])
        ov.lipsync.settings.intensity += 0.2   # edited after a reload, without picking the target again
    out["override"] = dict(cycles=ovr, is_system=ov.override_library.is_system_override)

    # 8. headless: the summary lists the spans, the saved file has the markers
    sc, head, s = new_scene()
    sc.sequence_editor.strips.remove(s)
    head.lipsync.settings.intensity = 1.4   # the character's own, saved in the .blend
    src_path = os.path.join(tmp, "in.blend")
    bpy.ops.wm.save_as_mainfile(filepath=src_path)
    info = headless.animate_file(src_path, wav, "Head", os.path.join(tmp, "out.blend"), recognizer="pocketsphinx",
                                 review_threshold=0.25, setting_overrides={"smoothing": 0.2})
    bpy.ops.wm.open_mainfile(filepath=os.path.join(tmp, "out.blend"))
    out["headless"] = dict(review=info["review"], threshold=info["review_threshold"],
                           settings=bpy.data.actions[info["take"]]["lipsync_settings"],
                           markers=markers(bpy.context.scene), json_ok=bool(json.dumps(info)))

    # 9. real recogniser: a transcript with a word that is not said is noted in the review
    sc, head, s = new_scene()
    sc.sequence_editor.strips.remove(s)
    sc.sequence_editor.strips.new_sound("Dialogue", dialogue, 1, 1)
    mode["real"] = True
    txt = bpy.data.texts.new("words")
    txt.write("Mom, maybe bring the big blue map. I promise we will be back before supper! Well, what about "
              "the hippopotamus puppy? Fine. We'll bring him too.")
    sc.lipsync.transcript_source = "TEXT"
    sc.lipsync.transcript_text = txt
    bpy.ops.lipsync.generate()
    out["real"] = dict(warnings=review.take_warnings(head), n_spans=len(review.take_spans(head)),
                       status=sc.lipsync.status)

    # the panels draw (a recording stand-in for the UI layout; there is no window in background mode)
    class Layout:
        def __init__(self, log):
            self.log = log
        def __getattr__(self, name):
            def call(*args, **kw):
                if name == "label":
                    self.log.append(kw.get("text", ""))
                elif name == "operator":
                    self.log.append("op:" + args[0] + ":" + kw.get("text", ""))
                    return type("Op", (), {})()
                elif name == "prop":
                    self.log.append("prop:" + args[1])
                return Layout(self.log)
            return call
        def __setattr__(self, name, value):
            object.__setattr__(self, name, value)
    from lipsync.addon import panel
    sc, head, s = new_scene()
    mode["real"] = False
    bpy.ops.lipsync.generate()
    drawn = {}
    for cls in panel.classes:
        if issubclass(cls, bpy.types.Panel):
            log = []
            fake = type("P", (), {"layout": Layout(log)})()
            cls.draw(fake, bpy.context)
            drawn[cls.__name__] = log
    out["drawn"] = drawn

    # icons the panels use exist in this Blender
    icons = set(bpy.types.UILayout.bl_rna.functions["label"].parameters["icon"].enum_items.keys())
    out["icons_missing"] = [i for i in ("OUTLINER_OB_MESH", "OUTLINER_OB_ARMATURE", "LIBRARY_DATA_DIRECT",
                                        "LIBRARY_DATA_OVERRIDE", "TIME", "MARKER", "CHECKMARK", "ERROR", "INFO",
                                        "BLANK1") if i not in icons]
    print("RESULT" + json.dumps(out))
""")


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    pytest.importorskip("bpy")
    tmp = tmp_path_factory.mktemp("confidence")
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp), DIALOGUE, SAMPLES], capture_output=True,
                          text=True, timeout=300, cwd=str(tmp))
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    assert proc.returncode == 0 and lines, proc.stdout[-4000:] + proc.stderr[-4000:]
    res = json.loads(lines[0][6:])
    res["stdout"] = proc.stdout
    return res


pytestmark = [pytest.mark.bpy]

# strip at frame 11, 24 fps: audio t seconds plays at frame 11 + 24 t
SPAN1 = [25, 32]  # ɛ l of "hello": 0.6-0.9 s -> frames 25.4-32.6
SPAN2 = [47, 49]  # m of "mum": 1.5-1.6 s -> frames 47-49.4
USER = [["Beat", 30], ["LS reviewer notes", 40]]


def test_spans_become_markers_at_their_frames(result):
    g = result["gen"]
    assert g["result"] == ["FINISHED"] and g["stored"]
    assert g["markers"] == sorted(USER + [["LS review 1 (Head)", 25], ["LS review 2 (Head)", 47]])
    s1, s2 = g["spans"]
    assert [s1["frame_start"], s1["frame_end"]] == SPAN1 and [s2["frame_start"], s2["frame_end"]] == SPAN2
    assert s1["words"] == ["hello"] and s1["phones"] == ["ɛ", "l"] and s1["confidence"] == pytest.approx(0.2)
    assert s2["words"] == ["mum"] and s2["confidence"] == pytest.approx(0.1)
    assert "banana" in s1["notes"][0] and "hello" in s1["label"]
    assert any("banana" in w for w in g["warnings"])


def test_report_and_status_count_the_stretches(result):
    assert "2 stretches need review" in result["gen"]["status"]
    assert "no stretch needs review" in result["sure"]["status"]
    # the operator's final report (printed in background mode)
    assert "2 stretches need review" in result["stdout"]


def test_threshold_and_regeneration_replace_only_our_markers(result):
    assert result["low"] == sorted(USER + [["LS review 1 (Head)", 47]])
    assert result["regen"] == result["gen"]["markers"]


def test_switching_takes_switches_spans(result):
    assert result["sure"]["markers"] == USER and result["sure"]["spans"] == 0
    assert result["back"]["spans"] == [SPAN1, SPAN2]
    assert result["back"]["markers"] == result["gen"]["markers"]
    assert result["forth"] == USER


def test_second_line_adds_its_spans_and_keeps_the_first(result):
    l2 = result["line2"]
    # Line2 at frame 100: 0.6-0.9 s -> 114.4-121.6, 1.5-1.6 s -> 136-138.4
    assert l2["spans"] == [SPAN1, SPAN2, [114, 121], [136, 138]]
    assert l2["markers"] == sorted(USER + [["LS review 1 (Head)", 25], ["LS review 2 (Head)", 47],
                                           ["LS review 3 (Head)", 114], ["LS review 4 (Head)", 136]])


def test_jump_sets_frame_and_preview_range(result):
    j = result["jump"]
    assert j["span"] == SPAN2 and j["frame"] == SPAN2[0]
    use, lo, hi = j["preview"]
    assert use and lo < SPAN2[0] and hi > SPAN2[1] and hi - lo < 30


def test_show_toggle_and_clear(result):
    assert result["hidden"] == USER
    assert result["shown"] == result["gen"]["markers"]
    c = result["cleared"]
    assert c["markers"] == USER and c["show"] is False


def test_two_characters_keep_their_own_settings(result):
    t = result["two"]
    assert "'intensity': 1.7" in t["s1"] and "'intensity': 0.4" in t["s2"]
    assert "CONSTANT" in t["s2"] and "CONSTANT" not in t["s1"]
    m1, m2 = json.loads(t["m1"]), json.loads(t["m2"])

    def targets(m, source):
        return {b["target"] for b in m["bindings"] if b["source"] == source}

    assert targets(m2, "viseme:A") == {"B"} and targets(m1, "viseme:A") == {"A"}
    assert not t["custom1"] and t["n_map1"] == 0 and t["n_map2"] > 5
    names = [m[0] for m in t["markers"]]
    assert "LS review 1 (Head)" in names and "LS review 1 (Head2)" in names and "Beat" in names


def test_settings_survive_save_and_reload(result):
    r = result["reload"]
    assert r["i1"] == pytest.approx(1.7) and r["i2"] == pytest.approx(0.4)
    assert r["interp2"] == "CONSTANT" and r["custom2"] and r["mapA2"] == ["B"]
    assert ["LS review 1 (Head2)", 25] in r["markers"] and r["spans"] == 4


def test_library_override_keeps_character_settings(result):
    o = result["override"]
    assert o["is_system"]
    (i0, n0, det0), (i1, n1, det1) = o["cycles"]
    assert i0 == pytest.approx(1.6) and i1 == pytest.approx(1.8)
    assert n0 > 5 and n1 == n0 and det0 == det1 == "Preston Blair"


def test_headless_summary_lists_spans(result):
    h = result["headless"]
    assert h["threshold"] == pytest.approx(0.25) and h["json_ok"]
    assert "'intensity': 1.4" in h["settings"] and "'smoothing': 0.2" in h["settings"]
    # audio at the scene's first frame (1): "l" 0.8-0.9 s -> 20.2-22.6, "m" 1.5-1.6 s -> 37-39.4
    assert [[s["frame_start"], s["frame_end"]] for s in h["review"]] == [[20, 22], [37, 39]]
    assert h["markers"] == [["LS review 1 (Head)", 20], ["LS review 2 (Head)", 37]]


def test_real_recogniser_notes_unsaid_word(result):
    r = result["real"]
    assert any("hippopotamus" in w for w in r["warnings"]), r


def test_panels_draw_target_settings_and_review(result):
    d = result["drawn"]
    assert "Settings of 'Head'" in d["LIPSYNC_PT_animation"] and "prop:intensity" in d["LIPSYNC_PT_animation"]
    assert "Settings of 'Head'" in d["LIPSYNC_PT_mapping"]
    r = d["LIPSYNC_PT_review"]
    assert "prop:review_threshold" in r and "prop:show_review_markers" in r
    assert "op:lipsync.review_jump:1: 25-32" in r and "op:lipsync.review_jump:2: 47-49" in r
    assert any("hello" in x and "0.20" in x for x in r) and any("banana" in x for x in r)


def test_panel_icons_exist(result):
    assert result["icons_missing"] == []


# ---------------------------------------------------------------- bpy-free parts

def test_review_spans_merge_and_number():
    from lipsync.addon.review import review_spans

    data = {"phones": [[10, 12, "a", "x", 0.9], [12, 14.5, "b", "x", 0.3], [14.5, 16, "c", "y", 0.4],
                       [16, 18, "d", "y", 0.8], [18, 19, "e", None, 0.1]],
            "warnings": [[17, 30, "late note"]]}
    s = review_spans(data, 0.5)
    assert [(x.index, x.frame_start, x.frame_end) for x in s] == [(1, 12, 15), (2, 18, 18)]
    assert s[0].words == ["x", "y"] and s[0].notes == [] and s[1].notes == ["late note"]
    assert s[1].label.startswith("/e/")
    assert review_spans(data, 0.05) == [] and review_spans(None) == []


def test_merge_phones_keeps_outside_of_range():
    from lipsync.addon.review import merge_phones

    old = [[0, 10, "a", None, 0.1], [10, 20, "b", None, 0.2], [20, 30, "c", None, 0.3]]
    new = [[12, 18, "z", None, 0.9]]
    got = merge_phones(old, new, 12, 18)
    assert got == [[0, 10, "a", None, 0.1], [10, 12, "b", None, 0.2], [12, 18, "z", None, 0.9],
                   [18, 20, "b", None, 0.2], [20, 30, "c", None, 0.3]]


def test_marker_names_are_recognisable():
    from lipsync.addon.review import is_ours, marker_name

    assert marker_name(3, "Head") == "LS review 3 (Head)"
    assert is_ours("LS review 3 (Head)", "Head") and not is_ours("LS review 3 (Head)", "Head2")
    assert is_ours("LS review 3 (Head)") and not is_ours("LS reviewer notes") and not is_ours("Beat")
    assert len(marker_name(1, "x" * 80).encode()) <= 63
