"""The 2D sample end to end, as the demo runs it: ``animate_file`` (real analysis of the sample dialogue) on the
Grease Pencil character, word / phone markers beside the animator's own, regeneration, then the burn-in and a
short preview. One fresh Blender (subprocess): files are opened and saved."""

import pytest
from sample_checks import FPS, SAMPLES, assert_changes_every_second

SCRIPT = r"""
import json, os, sys
import bpy
import lipsync
from lipsync.addon import headless, preview, timeline
from lipsync.rigging.blender import takes as rtakes

samples, tmp = sys.argv[1], sys.argv[2]
wav, txt = os.path.join(samples, "dialogue.wav"), open(os.path.join(samples, "dialogue.txt")).read()
bpy.ops.wm.open_mainfile(filepath=os.path.join(samples, "toon_2d.blend"), load_ui=False)
sc = bpy.context.scene
sc.timeline_markers.new("my note", frame=30)
sc.timeline_markers.new("LS: maybe", frame=5)  # the animator's own, though named like ours
src = os.path.join(tmp, "in.blend")
bpy.ops.wm.save_as_mainfile(filepath=src)
out_blend = os.path.join(tmp, "toon_2d_lipsync.blend")
info = headless.animate_file(src, wav, "ToonHead", out_blend, transcript=txt, setting_overrides={"step": 2},
                             markers=("words", "phones"))
bpy.ops.wm.open_mainfile(filepath=out_blend, load_ui=False)
sc = bpy.context.scene
obj = bpy.data.objects["ToonHead"]
mod = obj.modifiers["Mouth"]
offsets = []
for f in range(sc.frame_start, sc.frame_end + 1):
    sc.frame_set(f)
    offsets.append(int(mod.offset))
from lipsync.addon import review
take = bpy.data.actions[rtakes.active_take(obj)]
res = dict(info={k: info[k] for k in ("preset", "take", "markers", "frame_range")}, offsets=offsets,
           frame_start=sc.frame_start, phones=review.load(take)["phones"], lead=obj.lipsync.settings.lead_frames,
           markers1=sorted([m.name, m.frame] for m in sc.timeline_markers))
# the burn-in note follows the take
handler = preview._burn_in(sc, obj)
notes = {}
for f in (40, 100, 200):
    sc.frame_set(f)
    notes[f] = sc.render.stamp_note_text
bpy.app.handlers.frame_change_pre.remove(handler)
res["notes"] = notes
res["shapes"] = rtakes.take_shapes(take)
# generate again with word markers only: the phone markers go, nothing doubles, the animator's stay
info2 = headless.animate_file(out_blend, wav, "ToonHead", os.path.join(tmp, "again.blend"), transcript=txt,
                              markers=("words",))
bpy.ops.wm.open_mainfile(filepath=os.path.join(tmp, "again.blend"), load_ui=False)
res["markers2"] = sorted([m.name, m.frame] for m in bpy.context.scene.timeline_markers)
res["takes2"] = rtakes.list_takes(bpy.data.objects["ToonHead"])
stats = {}
mp4 = headless.preview_file(os.path.join(tmp, "again.blend"), os.path.join(tmp, "p.mp4"), scale=10,
                            frame_range=(40, 43), burn_in=True, stats=stats, engine="WORKBENCH")
sc = bpy.context.scene
res["preview"] = dict(size=os.path.getsize(mp4), stats=stats, stamp_restored=sc.render.use_stamp,
                      handlers=len(bpy.app.handlers.frame_change_pre), cameras=[o.name for o in bpy.data.objects
                                                                                if o.type == "CAMERA"])
print("RESULT" + json.dumps(res))
"""


@pytest.mark.bpy
def test_2d_sample_end_to_end(run_bpy, tmp_path):
    r = run_bpy(SCRIPT, SAMPLES, tmp_path, timeout=900)
    assert r["info"]["preset"] == "Preston Blair (time_offset)"
    order = "ABCDEFGHX"
    offs = r["offsets"]
    letters = [order[o - 1] for o in offs]
    assert len(set(letters)) >= 6
    f0 = r["frame_start"]
    phones = r["phones"]
    # closed mouth on every M, B, P the analysis found (within the lead before it, on twos)
    mbp = [p for p in phones if p[2] in ("m", "b", "p")]
    assert len(mbp) >= 5
    lead = r["lead"]
    for a, b, ph, word, _ in mbp:
        lo, hi = int(a - lead) - 1, int(b) + 1
        assert "A" in letters[max(lo - f0, 0):hi - f0 + 1], (ph, word, a, b)
    # rest in the pauses
    pauses = [p for p in phones if p[2] in ("SIL", "sil") and p[1] - p[0] >= 12]
    assert pauses
    for a, b, *_ in pauses:
        mid = int(round((a + b) / 2))
        assert letters[mid - f0] == "X", (a, b)
    # changes at least once per second of speech
    speech_frames = sum(p[1] - p[0] for p in phones if p[2] not in ("SIL", "sil"))
    assert_changes_every_second(letters, speech_frames / FPS)
    # markers: ours at words and phones, the animator's kept (even one named like ours)
    m1 = r["markers1"]
    assert ["my note", 30] in m1 and ["LS: maybe", 5] in m1
    words = [m for m in m1 if m[0].startswith("LS: ") and m != ["LS: maybe", 5]]
    assert len(words) >= 10 and any(m[0].startswith("LS/") for m in m1)
    ours = [m for m in m1 if m[0].startswith(("LS: ", "LS/")) and m != ["LS: maybe", 5]]
    assert r["info"]["markers"] == len(ours)
    m2 = r["markers2"]
    assert ["my note", 30] in m2 and ["LS: maybe", 5] in m2
    assert not any(m[0].startswith("LS/") for m in m2)
    assert sorted(m for m in m2 if m[0].startswith("LS: ") and m != ["LS: maybe", 5]) == sorted(words)  # replaced, not doubled
    assert r["takes2"] == ["dialogue", "dialogue.001"]
    # the burn-in note: the word, phone and mouth shape of the frame
    for f, note in r["notes"].items():
        f = int(f)
        shape = next(s[2] for s in r["shapes"] if s[0] <= f <= s[1])
        assert note.endswith(f"mouth {shape}") and note.startswith('"'), note
    assert any(not n.startswith('"-"') for n in r["notes"].values())
    p = r["preview"]
    assert p["size"] > 1000 and p["stats"]["frames"] == 4 and p["stats"]["seconds_per_frame"] > 0
    assert p["stamp_restored"] is False and p["handlers"] == 0 and p["cameras"] == ["Camera"]
