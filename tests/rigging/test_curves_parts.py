"""The steps of rigging.curves one by one, with expectations worked out by hand: pauses, holds, the frame grid,
the monotone slopes and the simplifiers, gains, closures, and evaluating a curve the way Blender does."""
import numpy as np
import pytest

from lipsync.errors import MappingError
from lipsync.phonemes.types import VisemeCue, VisemeTrack
from lipsync.rigging import curves as C
from lipsync.rigging.mapping import Binding, Mapping
from lipsync.rigging.settings import AnimSettings

FLAT = AnimSettings(lead_frames=0, min_hold_frames=0, smoothing=0, simplify_tolerance=0, rest_after_pause=0,
                    loudness_opening=0)


def vt(cues, duration):
    return VisemeTrack([VisemeCue(a, b, v, 1.0, d) for a, b, v, d in cues], duration)


# ---------------------------------------------------------------- pauses
def test_pause_glide_fills_gaps_and_glides_short_pauses():
    cues = [VisemeCue(0.1, 0.3, "D"), VisemeCue(0.3, 0.4, "X"), VisemeCue(0.4, 0.6, "C", detail="E"),
            VisemeCue(0.8, 1.0, "B")]
    out = C._pause_glide(cues, 1.2, rest_after_pause=0.15)
    assert [(round(a, 6), round(b, 6), v, d) for a, b, v, d in out] == [
        (0.0, 0.1, "X", "sil"),  # before the first cue: rest
        (0.1, 0.35, "D", "aa"),  # the 0.1 s pause is glided through: the neighbours meet in its middle
        (0.35, 0.6, "C", "E"),
        (0.6, 0.8, "X", "sil"),  # 0.2 s: long enough to rest
        (0.8, 1.0, "B", "DD"), (1.0, 1.2, "X", "sil")]
    # edges are never glided, and a pause next to rest stays
    edge = C._pause_glide([VisemeCue(0.0, 0.05, "X"), VisemeCue(0.05, 0.2, "A")], 0.2, 1.0)
    assert [v for _, _, v, _ in edge] == ["X", "A"]
    # an unknown shape is taken from its detail viseme; cues are sorted and clipped to the clip
    odd = C._pause_glide([VisemeCue(0.5, 2.0, "Q", detail="PP"), VisemeCue(0.0, 0.5, "D")], 1.0, 0.0)
    assert [(a, b, v, d) for a, b, v, d in odd] == [(0.0, 0.5, "D", "aa"), (0.5, 1.0, "A", "PP")]
    assert C._pause_glide([VisemeCue(0.3, 0.3, "A")], 1.0, 0.0) == [[0.0, 1.0, "X", "sil"]]


# ---------------------------------------------------------------- holds
def seg(*rows):
    return [list(r) for r in rows]


def test_holds_borrow_from_the_next_shape_or_merge():
    # 1 frame of C then 6 of D: C borrows 1 frame from D (D keeps 5 >= 2)
    got = C._apply_holds(seg((0, 3, "B", "DD"), (3, 4, "C", "E"), (4, 10, "D", "aa")), 2, True)
    assert got == seg((0, 3, "B", "DD"), (3, 5, "C", "E"), (5, 10, "D", "aa"))
    # the next is too short to lend: merge into the previous shape
    got = C._apply_holds(seg((0, 4, "B", "DD"), (4, 5, "C", "E"), (5, 7, "D", "aa")), 2, True)
    assert got == seg((0, 5, "B", "DD"), (5, 7, "D", "aa"))
    # a closure is never merged away
    got = C._apply_holds(seg((0, 4, "B", "DD"), (4, 5, "A", "PP"), (5, 7, "D", "aa")), 2, True)
    assert got == seg((0, 4, "B", "DD"), (4, 5, "A", "PP"), (5, 7, "D", "aa"))
    got = C._apply_holds(seg((0, 4, "B", "DD"), (4, 5, "A", "PP"), (5, 7, "D", "aa")), 2, False)
    assert got == seg((0, 5, "B", "DD"), (5, 7, "D", "aa"))
    # the very first shape, too short and nothing to borrow: it joins the next one
    got = C._apply_holds(seg((0, 1, "C", "E"), (1, 3, "D", "aa")), 2, True)
    assert got == seg((0, 3, "D", "aa"))
    # neighbours that end up alike are joined; nothing to do without a minimum or with one segment
    got = C._apply_holds(seg((0, 3, "B", "DD"), (3, 4, "C", "E"), (4, 6, "B", "DD")), 2, True)
    assert got == seg((0, 6, "B", "DD"))
    one = seg((0, 1, "C", "E"))
    assert C._apply_holds(one, 2, True) == one and C._apply_holds(seg((0, 1, "C", "E"), (1, 2, "D", "aa")), 0, True) \
        == seg((0, 1, "C", "E"), (1, 2, "D", "aa"))


# ---------------------------------------------------------------- the grid
@pytest.mark.parametrize("duration,fps,start,step,rng,want", [
    (1.0, 24, 1, 1, None, list(range(1, 25))),  # 24 frames, like a 1 s sound strip from frame 1
    (1.0, 24, 1, 2, None, list(range(1, 25, 2))),  # on twos
    (0.5, 24, 10.5, 1, None, list(range(11, 22))),  # a fractional start: whole frames inside the clip
    (1.0, 24, 1, 1, (5, 8), [5, 6, 7, 8]),
    (0.01, 24, 1, 1, None, [1]),  # shorter than a frame: still one frame
])
def test_frame_grid(duration, fps, start, step, rng, want):
    g = C.frame_grid(VisemeTrack([VisemeCue(0, duration, "A")], duration), fps, start, step, rng)
    assert g.tolist() == want and g.dtype == np.float64


# ---------------------------------------------------------------- slopes, Hermite, simplification
def test_pchip_slopes():
    assert C._pchip_slopes(np.array([0.0]), np.array([1.0])).tolist() == [0.0]
    assert C._pchip_slopes(np.array([0.0, 2.0]), np.array([0.0, 1.0])).tolist() == [0.5, 0.5]
    m = C._pchip_slopes(np.array([0.0, 1.0, 2.0, 3.0]), np.array([0.0, 1.0, 1.0, 0.0]))
    assert m.tolist() == [0.0, 0.0, 0.0, 0.0]  # flat at the extremes and the ends: no overshoot
    m = C._pchip_slopes(np.array([0.0, 1.0, 3.0]), np.array([0.0, 1.0, 2.0]))
    # interior: weighted harmonic mean of the secant slopes 1 and 0.5 (h = 1, 2): 3 / (3 * 1 ... ) worked out:
    w1, w2 = 2 * 2 + 1, 2 + 2 * 1
    assert m[1] == pytest.approx((w1 + w2) / (w1 / 1.0 + w2 / 0.5)) and m[0] == 0.0 and m[2] == 0.0


def test_hermite_passes_through_the_keys_and_is_exact_for_lines():
    x = np.array([0.0, 2.0, 5.0])
    y = np.array([1.0, 3.0, 6.0])
    slopes = np.array([1.0, 1.0, 1.0])
    assert np.allclose(C._hermite_eval(x, y, slopes, x), y)
    xs = np.linspace(0, 5, 11)
    assert np.allclose(C._hermite_eval(x, y, slopes, xs), 1.0 + xs)  # y = 1 + x with its own slope
    mid = C._hermite_eval(np.array([0.0, 1.0]), np.array([0.0, 1.0]), np.array([0.0, 0.0]), np.array([0.5]))
    assert mid[0] == pytest.approx(0.5)  # ease in/out: smoothstep's middle


def test_simplify_smooth_keeps_the_error_bound_and_the_closures():
    x = np.arange(40, dtype=float)
    y = np.clip(np.sin(x / 5.0), 0, None)
    idx, slopes, err = C.simplify_smooth(x, y, 0.02, keep=np.array([7]))
    assert idx[0] == 0 and idx[-1] == 39 and len(idx) < 40 and 7 in idx.tolist()
    back = C._hermite_eval(x[idx], y[idx], slopes, x)
    assert np.abs(back - y).max() <= 0.02 + 1e-12 and err == pytest.approx(np.abs(back - y).max())
    flat_ends = [i for i in range(1, 39) if (y[i] == 0) != (y[i + 1] == 0) or (y[i] == 0) != (y[i - 1] == 0)]
    assert set(flat_ends) & set(idx.tolist())  # the corners of a hold are keys
    all_idx, s, e = C.simplify_smooth(x, y, 0.0)
    assert all_idx.tolist() == list(range(40)) and e == 0.0
    two, _, _ = C.simplify_smooth(x[:2], y[:2], 0.5)
    assert two.tolist() == [0, 1]


def test_simplify_steps_and_lines():
    y = np.array([0.0, 0.0, 0.01, 0.5, 0.5, 0.52, 1.0, 1.0])
    idx, err = C.simplify_steps(y, 0.05)
    assert idx.tolist() == [0, 3, 6] and err == pytest.approx(0.02)
    idx, err = C.simplify_steps(y, 0.05, keep=np.array([2]))
    assert idx.tolist() == [0, 2, 3, 6]  # a closure frame whose value moved at all is a key
    idx, err = C.simplify_steps(y, 0.0)
    assert idx.tolist() == [0, 2, 3, 5, 6]
    assert C.simplify_steps(np.zeros(0), 0.1)[0].tolist() == []
    x = np.arange(8, dtype=float)
    idx, err = C._simplify_linear(x, y, 0.05, np.array([], int))
    assert np.abs(np.interp(x, x[idx], y[idx]) - y).max() <= 0.05 and idx[0] == 0 and idx[-1] == 7
    line = np.arange(8, dtype=float) / 7
    assert C._simplify_linear(x, line, 0.01, np.array([3]))[0].tolist() in ([0, 3, 7], [0, 7])


def test_dense_values_evaluate_like_blender():
    def curve(frames, values, slopes, interp):
        return C.Curve("shape_key", "", "t", "value", 0, np.array(frames, float), np.array(values, float),
                       np.array(slopes, float), interp)

    f = np.array([0.0, 1.0, 1.5, 2.0, 3.0])
    assert C.dense_values(curve([1], [0.4], [0], "BEZIER"), f).tolist() == [0.4] * 5
    assert C.dense_values(curve([0, 2], [0.0, 1.0], [0, 0], "CONSTANT"), f).tolist() == [0, 0, 0, 1, 1]
    assert C.dense_values(curve([0, 2], [0.0, 1.0], [0, 0], "LINEAR"), f).tolist() == [0, 0.5, 0.75, 1, 1]
    bez = C.dense_values(curve([0, 2], [0.0, 1.0], [0, 0], "BEZIER"), np.array([-1.0, 1.0, 3.0]))
    assert bez.tolist() == [0.0, 0.5, 1.0]  # held before the first and after the last key


# ---------------------------------------------------------------- gains, groups, closures
def one(track, binding, **kw):
    curves = C.build_curves(track, Mapping("m", [binding]), AnimSettings(**{**FLAT.to_dict(), **kw}), 10, 0)
    assert len(curves) == 1
    return curves[0]


TRACK = vt([(0.0, 0.2, "X", "sil"), (0.2, 0.8, "D", "aa"), (0.8, 1.0, "X", "sil")], 1.0)


def test_gains_follow_balance_groups_and_intensity():
    jaw = Binding("viseme:D", "shape_key", "D", 1.0)  # D is 90 % jaw
    peak = lambda **kw: one(TRACK, jaw, **kw).values.max()  # noqa: E731
    assert peak() == pytest.approx(1.0)
    assert peak(jaw_lips_balance=1.0) == pytest.approx(0.9 * 0.5 + 0.1 * 1.5)  # jaw x0.5, lips x1.5
    assert peak(jaw_lips_balance=-1.0) == 1.0  # 0.9 * 1.5 + 0.1 * 0.5 = 1.4: clipped at the sculpt
    assert peak(intensity=0.5) == pytest.approx(0.5)
    lips = Binding("viseme:D", "shape_key", "D", 1.0, group="lips")  # the group overrides the shape's share
    assert one(TRACK, lips, jaw_lips_balance=1.0).values.max() == 1.0  # 1.5, clipped
    assert one(TRACK, lips, jaw_lips_balance=-1.0).values.max() == pytest.approx(0.5)
    jawg = Binding("viseme:D", "shape_key", "D", 1.0, group="jaw")
    assert one(TRACK, jawg, jaw_lips_balance=1.0).values.max() == pytest.approx(0.5)
    bone = Binding("viseme:D", "bone_channel", "jaw", -2.0, "rotation_euler", 0, offset=0.25)
    c = one(TRACK, bone)
    assert c.kind == "bone_channel" and c.data_path == "rotation_euler" and c.values.min() == pytest.approx(-1.75)
    assert c.values.max() == pytest.approx(0.25)  # bones are not clipped to 0..1; offset where the shape is off


def test_loudness_scales_the_jaw_only():
    loud = np.r_[np.zeros(20), np.full(30, 1.0), np.full(30, 0.2), np.zeros(20)]
    jaw = Binding("control:jaw_open", "shape_key", "jaw", 1.0)
    c = C.build_curves(TRACK, Mapping("m", [jaw]), AnimSettings(**{**FLAT.to_dict(), "loudness_opening": 1.0}),
                       10, 0, loudness=loud)[0]
    v = dict(zip(c.frames.tolist(), c.values.tolist()))
    assert v[3] > 2 * v[6]  # loud at 0.3 s, quiet at 0.6 s
    assert C._loudness_on_grid(np.zeros(10), 0.01, np.arange(3.0), 0, 10, 0) is None
    assert C._loudness_on_grid([], 0.01, np.arange(3.0), 0, 10, 0) is None
    env = np.r_[0.0, np.ones(18), 100.0]  # one very loud frame: the 95th percentile is 1 + 0.05 * 99 = 5.95
    g = C._loudness_on_grid(env, 0.1, np.array([0.0, 1.0, 19.0]), 0, 10, 0)
    assert g.tolist() == pytest.approx([0.0, 1.0 / 5.95, 1.25])  # scaled by that, capped at 1.25


def test_closure_frames_on_twos_and_the_closed_mouth():
    tr = vt([(0.0, 0.3, "X", "sil"), (0.3, 0.34, "A", "PP"), (0.34, 1.0, "D", "aa")], 1.0)
    s = {**FLAT.to_dict(), "step": 2}
    frames = C.closure_frames(tr, AnimSettings(**s), 10, 0)
    assert frames.tolist() == [4.0]  # the 40 ms M/B/P falls between grid frames 2 and 4: the nearer one closes
    m = Mapping("m", [Binding("viseme:A", "shape_key", "A", 0.6), Binding("control:jaw_open", "shape_key", "jaw", 1.0),
                      Binding("control:lip_close", "shape_key", "close", 1.0)])
    curves = {c.target: c for c in C.build_curves(tr, m, AnimSettings(**{**s, "intensity": 0.5}), 10, 0)}
    at = lambda t: dict(zip(curves[t].frames.tolist(), curves[t].values.tolist()))[4.0]  # noqa: E731
    assert at("A") == pytest.approx(0.6) and at("jaw") == 0.0 and at("close") == 1.0  # gain 1 on closures
    assert curves["A"].closure_frames.tolist() == [4.0]
    none = C.closure_frames(tr, AnimSettings(**{**s, "ensure_closure": False}), 10, 0)
    assert none.tolist() == []
    assert C.closure_frames(tr, AnimSettings(**s), 10, 0, frame_range=(6, 9)).tolist() == []


def test_build_curves_refuses_what_it_cannot_key():
    with pytest.raises(ValueError, match="Frame rate must be positive, got 0"):
        C.build_curves(TRACK, Mapping("m", [Binding("viseme:A", "shape_key", "A")]), FLAT, 0, 1)
    with pytest.raises(MappingError, match="Bone pose bindings must be resolved"):
        C.build_curves(TRACK, Mapping("m", [Binding("viseme:A", "bone_pose", "pose_A")]), FLAT, 24, 1)
    assert C.build_curves(TRACK, Mapping("m", []), FLAT, 24, 1) == []
    assert C.build_curves(TRACK, Mapping("m", [Binding("viseme:A", "shape_key", "A")]), FLAT, 24, 1,
                          frame_range=(500, 600)) == []
    c = one(TRACK, Binding("viseme:D", "shape_key", "D", 1.0), interpolation="LINEAR", simplify_tolerance=0.01)
    assert c.interpolation == "LINEAR" and (c.slopes == 0).all() and c.n_dense == 10 and c.n_keys < 10
    assert c.data_path == "value" and c.object == "" and c.index == 0
