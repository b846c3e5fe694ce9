"""rigging.curves / settings / mapping without Blender."""
import math
import os

import numpy as np
import pytest

from lipsync.phonemes.types import PhoneTrack, TimedPhone, VisemeCue, VisemeTrack
from lipsync.phonemes.visemes import VISEMES, phones_to_visemes
from lipsync.rigging.curves import build_curves, closure_frames, dense_values, frame_grid
from lipsync.rigging.mapping import (PRESETS, Binding, Mapping, MappingError, detect_preset, normalize_name,
                                     resolve_poses)
from lipsync.rigging.settings import AnimSettings, SettingsError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PB_NAMES = ["A_MBP", "B_etc", "C_E", "D_AI", "E_O", "F_WQ", "G_FV", "H_L", "X_rest"]


def dialogue_track() -> VisemeTrack:
    rows = [l.split("\t") for l in open(os.path.join(ROOT, "sample_scenes", "dialogue.phones.tsv"), encoding="utf-8")
            .read().strip().splitlines()]
    pt = PhoneTrack([TimedPhone(float(a), float(b), c.strip()) for a, b, c in rows], float(rows[-1][1]))
    return phones_to_visemes(pt)


def pb_mapping():
    name, m, missing = detect_preset(PB_NAMES)
    assert name == "Preston Blair" and not missing
    return m


def by_target(curves):
    return {c.target: c for c in curves}


RAW = AnimSettings(lead_frames=0, min_hold_frames=0, smoothing=0, simplify_tolerance=0, rest_after_pause=0,
                   loudness_opening=0)


@pytest.mark.parametrize("fps,start", [(24, 1), (29.97, 101), (23.976, 0)])
def test_time_maps_to_frames(fps, start):
    tr = VisemeTrack([VisemeCue(0, 1.0, "X"), VisemeCue(1.0, 1.5, "D"), VisemeCue(1.5, 3.0, "X")], 3.0)
    d = by_target(build_curves(tr, pb_mapping(), RAW, fps, start))["D_AI"]
    grid = frame_grid(tr, fps, start)
    val = dense_values(d, grid)
    on = grid[val > 0.5]
    assert on.min() >= start + 1.0 * fps - 1e-6 and on.min() < start + 1.0 * fps + 1
    assert on.max() < start + 1.5 * fps and on.max() >= start + 1.5 * fps - 1
    assert d.frames.min() >= start - 1e-9 and d.frames.max() <= start + 3.0 * fps + 1e-9


@pytest.mark.parametrize("fps,step", [(24, 1), (30, 1), (23.976, 2), (24, 2), (12, 1)])
def test_every_mbp_closes(fps, step):
    tr = dialogue_track()
    # add a very short P (10 ms) that falls between frames
    s = AnimSettings(step=step, interpolation="CONSTANT" if step > 1 else "BEZIER")
    curves = by_target(build_curves(tr, pb_mapping(), s, fps, 1))
    cf = closure_frames(tr, s, fps, 1)
    a_cues = [c for c in tr.cues if c.viseme == "A"]
    assert len(a_cues) >= 8
    for cue in a_cues:
        f0 = 1 + cue.start * fps - s.lead_frames - 2 * step
        f1 = 1 + cue.end * fps - s.lead_frames + 2 * step
        here = cf[(cf >= f0) & (cf <= f1)]
        assert len(here), f"no closure frame for the M/B/P at {cue.start:.3f}s"
        assert np.allclose(dense_values(curves["A_MBP"], here), 1.0)
        for name, c in curves.items():
            if name != "A_MBP":
                assert np.allclose(dense_values(c, here), 0.0, atol=1e-9), name


def test_short_p_between_frames_still_closes():
    tr = VisemeTrack([VisemeCue(0, 0.5, "D"), VisemeCue(0.5, 0.51, "A"), VisemeCue(0.51, 1.0, "D")], 1.0)
    s = AnimSettings(min_hold_frames=3)
    a = by_target(build_curves(tr, pb_mapping(), s, 24, 1))["A_MBP"]
    assert dense_values(a, frame_grid(tr, 24, 1)).max() == pytest.approx(1.0)
    s.ensure_closure = False
    s.smoothing = 0.8
    a = by_target(build_curves(tr, pb_mapping(), s, 24, 1))["A_MBP"]
    assert dense_values(a, frame_grid(tr, 24, 1)).max() < 0.99


@pytest.mark.parametrize("interp,tol", [("BEZIER", 0.02), ("BEZIER", 0.05), ("CONSTANT", 0.03), ("LINEAR", 0.02)])
def test_simplification_stays_within_bound(interp, tol):
    tr = dialogue_track()
    full = by_target(build_curves(tr, pb_mapping(), AnimSettings(simplify_tolerance=0, interpolation=interp), 24, 1))
    simp = by_target(build_curves(tr, pb_mapping(), AnimSettings(simplify_tolerance=tol, interpolation=interp), 24, 1))
    grid = frame_grid(tr, 24, 1)
    n_full = n_simp = 0
    for name, c in simp.items():
        ref = dense_values(full[name], grid)
        err = np.abs(dense_values(c, grid) - ref).max()
        assert err <= tol + 1e-6, (name, err)
        assert c.max_error <= tol + 1e-9
        n_full += full[name].n_dense
        n_simp += c.n_keys
    assert n_full == len(grid) * len(simp)
    assert n_simp < 0.6 * n_full


def test_on_twos_and_range():
    tr = dialogue_track()
    s = AnimSettings(step=2, interpolation="CONSTANT")
    curves = build_curves(tr, pb_mapping(), s, 24, 1, frame_range=(40, 120))
    for c in curves:
        assert c.interpolation == "CONSTANT"
        assert np.all((c.frames - 1) % 2 == 0), "keys on twos"
        assert c.frames.min() >= 40 and c.frames.max() <= 120


def test_lead_shifts_onset():
    tr = VisemeTrack([VisemeCue(0, 1.0, "X"), VisemeCue(1.0, 1.5, "D"), VisemeCue(1.5, 3.0, "X")], 3.0)
    grid = frame_grid(tr, 24, 1)
    on = []
    for lead in (0, 3):
        s = AnimSettings(lead_frames=lead, smoothing=0, simplify_tolerance=0, min_hold_frames=0)
        d = by_target(build_curves(tr, pb_mapping(), s, 24, 1))["D_AI"]
        on.append(grid[dense_values(d, grid) > 0.5].min())
    assert on[0] - on[1] == 3


def test_min_hold():
    cues, t = [], 0.0
    rng = np.random.default_rng(1)
    for _ in range(60):
        d = float(rng.uniform(0.02, 0.12))
        cues.append(VisemeCue(t, t + d, str(rng.choice(list("BCDEFGH")))))
        t += d
    tr = VisemeTrack(cues, t)
    s = AnimSettings(min_hold_frames=3, smoothing=0, simplify_tolerance=0, lead_frames=0)
    curves = by_target(build_curves(tr, pb_mapping(), s, 24, 1))
    grid = frame_grid(tr, 24, 1)
    order = [n for n in PB_NAMES]
    arg = np.argmax(np.stack([dense_values(curves[n], grid) for n in order]), axis=0)
    runs = np.split(arg, np.nonzero(np.diff(arg))[0] + 1)
    assert all(len(r) >= 3 for r in runs[1:-1]), [len(r) for r in runs]


def test_pauses_glide_or_rest():
    def track(pause):
        return VisemeTrack([VisemeCue(0, 0.3, "X"), VisemeCue(0.3, 0.6, "D"), VisemeCue(0.6, 0.6 + pause, "X"),
                            VisemeCue(0.6 + pause, 0.9 + pause, "C"), VisemeCue(0.9 + pause, 1.5 + pause, "X")],
                           1.5 + pause)
    s = AnimSettings(rest_after_pause=0.3, smoothing=0, simplify_tolerance=0, lead_frames=0)
    for pause, rests in ((0.15, False), (0.6, True)):
        tr = track(pause)
        x = by_target(build_curves(tr, pb_mapping(), s, 24, 1))["X_rest"]
        mid = (1 + np.array([0.6, 0.6 + pause]) * 24)
        g = frame_grid(tr, 24, 1)
        inside = g[(g > mid[0] + 0.5) & (g < mid[1] - 0.5)]
        vals = dense_values(x, inside) if len(inside) else np.zeros(1)
        assert (vals.max() > 0.5) == rests


def test_intensity_balance_loudness():
    tr = VisemeTrack([VisemeCue(0, 0.2, "X"), VisemeCue(0.2, 1.2, "D"), VisemeCue(1.2, 1.5, "X")], 1.5)
    m = Mapping("t", [Binding("control:jaw_open", "shape_key", "jawOpen", 1.0, group="jaw"),
                      Binding("control:spread", "shape_key", "smile", 1.0, group="lips")])
    base = dict(simplify_tolerance=0, smoothing=0, loudness_opening=0)
    g = frame_grid(tr, 24, 1)

    def peak(**kw):
        cs = by_target(build_curves(tr, m, AnimSettings(**{**base, **kw}), 24, 1, loudness=kw.pop("_l", None)))
        return dense_values(cs["jawOpen"], g).max()

    p1 = peak()
    assert peak(intensity=0.5) == pytest.approx(p1 * 0.5, rel=1e-3)
    assert peak(jaw_lips_balance=1.0) < p1 < peak(jaw_lips_balance=-1.0)
    loud = np.r_[np.zeros(20), np.ones(50), np.full(50, 0.1), np.zeros(30)]
    cs = by_target(build_curves(tr, m, AnimSettings(**{**base, "loudness_opening": 1.0}), 24, 1, loudness=loud))
    jaw = dense_values(cs["jawOpen"], g)
    t = (g - 1) / 24
    assert jaw[(t > 0.3) & (t < 0.6)].mean() > 2 * jaw[(t > 0.8) & (t < 1.1)].mean()


def test_settings_validate():
    AnimSettings().validate()
    for bad in (dict(step=5), dict(intensity=3), dict(interpolation="SPLINE"), dict(smoothing=-0.1),
                dict(jaw_lips_balance=2)):
        with pytest.raises(SettingsError):
            AnimSettings(**bad).validate()
    s = AnimSettings(step=2)
    assert AnimSettings.from_dict({**s.to_dict(), "unknown": 1}) == s


@pytest.mark.parametrize("names,expected", [
    (PB_NAMES, "Preston Blair"),
    (list("ABCDEFGHX"), "Preston Blair"),
    (["AI", "E", "O", "U", "etc", "FV", "L", "MBP", "WQ", "rest"], "Papagayo"),
    (["viseme_" + d for d in "sil PP FF TH DD kk CH SS nn RR aa E I O U".split()], "Oculus / Ready Player Me"),
    (["jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthSmileLeft", "mouthSmileRight", "eyeBlinkLeft"],
     "ARKit"),
    (["A", "I", "U", "E", "O"], "VRM"),
    # Ready Player Me: ARKit's 52 and the 15 Oculus visemes on one mesh -> the speech visemes
    (["jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthSmileLeft", "mouthSmileRight",
      "mouthStretchLeft", "mouthStretchRight", "mouthPressLeft", "mouthPressRight", "mouthRollLower",
      "mouthUpperUpLeft", "mouthUpperUpRight", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthShrugUpper"]
     + ["viseme_" + d for d in "sil PP FF TH DD kk CH SS nn RR aa E I O U".split()], "Oculus / Ready Player Me"),
    (["Fcl_MTH_A", "Fcl_MTH_I", "Fcl_MTH_U", "Fcl_MTH_E", "Fcl_MTH_O"], "VRM"),
])
def test_detect_preset(names, expected):
    name, m, missing = detect_preset(["Basis"] + names)
    assert name == expected
    assert m.bindings and all(b.target in names for b in m.bindings)


def test_detect_bones_and_partial():
    kinds = {"jaw_master": "bone", "lips.L": "bone", "lips.R": "bone", "lip.T": "bone", "lip.B": "bone"}
    name, m, missing = detect_preset(list(kinds), kinds)
    assert name == "Rigify face" and not missing
    assert {b.target for b in m.bindings} == set(kinds)
    # partial Preston Blair rig: works with what it has, names what is missing
    name, m, missing = detect_preset(["A_MBP", "D_AI", "E_O", "F_WQ", "C_E"])
    assert name == "Preston Blair"
    assert set(missing) == {"B", "G"}
    kinds = {**{f"pose_{v}": "action" for v in VISEMES}, "jaw": "bone"}
    name, m, missing = detect_preset(list(kinds), kinds)
    assert name == "Bone poses" and not missing
    with pytest.raises(MappingError):
        detect_preset(["x"], preset="Nope")


def test_resolve_poses_and_json():
    m = Mapping("p", [Binding("viseme:D", "bone_pose", "pose_D"), Binding("viseme:F", "bone_pose", "pose_F")])
    poses = {"pose_D": {("jaw", "rotation_euler", 0): 0.4, ("lip", "scale", 0): 1.0},
             "pose_F": {("lip", "scale", 0): 0.6}}
    r, missing = resolve_poses(m, poses, {})
    assert not missing
    ch = {(b.target, b.data_path, b.source): b for b in r.bindings}
    assert ch[("jaw", "rotation_euler", "viseme:D")].weight == pytest.approx(0.4)
    assert ch[("lip", "scale", "viseme:F")].weight == pytest.approx(-0.4)
    assert ch[("lip", "scale", "viseme:F")].offset == 1.0
    assert ("lip", "scale", "viseme:D") not in ch  # no change from rest
    assert Mapping.from_json(r.to_json()) == r
    assert normalize_name("Viseme_PP.001") == "visemepp"


def test_all_presets_have_valid_bindings():
    for p in PRESETS.values():
        for e in p.entries:
            Binding(e.source, e.kind if e.kind != "bone_pose" else "bone_pose", e.names[0], e.weight, e.data_path or
                    ("location" if e.kind == "bone_channel" else ""), e.index, e.offset, e.group).validate()


@pytest.mark.parametrize("kw,msg", [
    (dict(kind="bones"), "kind must be one of"),
    (dict(source="viseme:Q"), "source 'viseme:Q' is not known"),
    (dict(source="control:smile"), "is not known"),
    (dict(source="A"), "is not known"),
    (dict(kind="bone_channel", data_path="pose"), "needs data_path"),
    (dict(group="face"), "group must be one of"),
])
def test_binding_validate_names_what_is_wrong(kw, msg):
    from lipsync.errors import MappingError

    good = dict(source="viseme:A", kind="shape_key", target="A")
    Binding(**good).validate()  # the base binding is fine
    with pytest.raises(MappingError, match=msg):
        Binding(**{**good, **kw}).validate()
    with pytest.raises(MappingError, match="empty"):
        Mapping("x", []).validate()


def test_ten_minutes_is_fast():
    import time
    rng = np.random.default_rng(0)
    cues, t = [], 0.0
    while t < 600:
        d = float(rng.uniform(0.05, 0.25))
        cues.append(VisemeCue(t, t + d, str(rng.choice(list(VISEMES)))))
        t += d
    tr = VisemeTrack(cues, t)
    m = detect_preset(["viseme_" + d for d in "sil PP FF TH DD kk CH SS nn RR aa E I O U".split()])[1]
    t0 = time.perf_counter()
    curves = build_curves(tr, m, AnimSettings(), 24, 1)
    assert time.perf_counter() - t0 < 2.0
    assert len(curves) == 15
    assert math.isclose(curves[0].n_dense, len(frame_grid(tr, 24, 1)))


def test_controls_from_track_are_used_and_closed():
    """Per-frame controls from the model drive control bindings; closures still force the lips shut."""
    tr = VisemeTrack([VisemeCue(0, 0.3, "X"), VisemeCue(0.3, 0.5, "D"), VisemeCue(0.5, 0.56, "A"),
                      VisemeCue(0.56, 1.0, "D"), VisemeCue(1.0, 1.2, "X")], 1.2)
    n = 120
    ctl = np.zeros((n, 2), np.float32)
    ctl[:, 0] = np.linspace(0, 1, n)  # jaw_open ramps up regardless of the cues
    tr.controls, tr.control_names = ctl, ("jaw_open", "lip_close")
    m = Mapping("t", [Binding("control:jaw_open", "shape_key", "jawOpen", 1.0, group="jaw")])
    s = AnimSettings(smoothing=0, simplify_tolerance=0, loudness_opening=0, lead_frames=0)
    c = build_curves(tr, m, s, 100, 0)[0]
    g = frame_grid(tr, 100, 0)
    v = dense_values(c, g)
    cf = closure_frames(tr, s, 100, 0)
    assert len(cf) and np.allclose(dense_values(c, cf), 0.0)
    free = np.setdiff1d(g, cf)
    assert np.allclose(v[np.isin(g, free)], np.clip(free / 100 / 1.19, 0, 1), atol=0.02)


def test_bpy_free_modules_do_not_import_bpy():
    import subprocess
    import sys

    code = ("import sys, lipsync.rigging.curves, lipsync.rigging.mapping, lipsync.rigging.settings; "
            "sys.exit(1 if 'bpy' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0
