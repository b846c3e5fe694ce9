"""rigging.curves: the tables (default details, the phone behind each detail, jaw shares), the closed mouth on M/B/P
frames and the edges of pauses, holds, closures, anticipation and smoothing, each expectation worked out by hand
(phonetics and the animation rules in the module's docstring), with times in eighths of a second at 8 fps so that
every boundary falls exactly where it is meant to."""
import numpy as np
import pytest

from lipsync.phonemes import phoneset
from lipsync.phonemes.types import VisemeCue, VisemeTrack
from lipsync.phonemes.visemes import (CONTROLS, DETAIL_TO_VISEME, DETAIL_VISEMES, VISEMES, detail_viseme_for_phone,
                                      viseme_for_phone)
from lipsync.rigging import curves as C
from lipsync.rigging.mapping import Binding, Mapping
from lipsync.rigging.settings import AnimSettings

FPS = 8  # 1 frame = 0.125 s: exact in binary
FLAT = AnimSettings(lead_frames=0, min_hold_frames=0, smoothing=0, simplify_tolerance=0, rest_after_pause=0,
                    loudness_opening=0)
ALL_SOURCES = ([f"viseme:{v}" for v in VISEMES] + [f"detail:{d}" for d in DETAIL_VISEMES]
               + [f"control:{c}" for c in CONTROLS])


def settings(**kw):
    return AnimSettings(**{**FLAT.to_dict(), **kw})


def vt(cues, duration):
    """Cues given in frames at 8 fps: (first, last, viseme, detail)."""
    return VisemeTrack([VisemeCue(a / FPS, b / FPS, v, 1.0, d) for a, b, v, d in cues], duration / FPS)


def bone(source, weight=1.0, group="mix"):
    """A bone channel (never clipped to 0..1, unlike shape keys) named after its source."""
    return Binding(source, "bone_channel", source, weight, "location", 0, group=group)


def values(track, sources=ALL_SOURCES, fps=FPS, start=0, frame_range=None, loudness=None, **kw):
    """{source: {frame: value}} with a key on every grid frame (no simplification)."""
    m = Mapping("m", [bone(s) for s in sources])
    curves = C.build_curves(track, m, settings(**kw), fps, start, loudness=loudness, frame_range=frame_range)
    return {c.target: dict(zip(c.frames.tolist(), c.values.tolist())) for c in curves}


def rows(segs):
    return [[round(a, 9), round(b, 9), v, d] for a, b, v, d in segs]


# ---------------------------------------------------------------- the tables
# The detail viseme a Preston Blair shape stands for when a cue has none: M/B/P close the lips (PP), B's clenched
# consonants are T/D (DD), C is EH (E), D is AA (aa), E is AO (O), F is OO/W (U), G is F/V (FF), H is L (nn, the
# alveolar nasal/lateral class), X is rest (sil).
DEFAULT_DETAIL = {"A": "PP", "B": "DD", "C": "E", "D": "aa", "E": "O", "F": "U", "G": "FF", "H": "nn", "X": "sil"}


def test_each_shape_without_a_detail_gets_its_own_detail():
    assert C.VISEME_TO_DETAIL == DEFAULT_DETAIL
    for v, d in DEFAULT_DETAIL.items():
        if v != "H":
            assert DETAIL_TO_VISEME[d] == v  # the round trip back to the shape
    assert viseme_for_phone("l") == "H" and detail_viseme_for_phone("l") == "nn"  # H's detail is L's
    # on the curves: two frames of each shape, none with a detail: only its default detail is on there
    order = ["B", "C", "D", "E", "F", "G", "H", "X", "A"]
    track = vt([(2 * i, 2 * i + 2, v, "") for i, v in enumerate(order)], 2 * len(order))
    got = values(track, [f"detail:{d}" for d in DETAIL_VISEMES])
    for i, v in enumerate(order):
        for f in (2 * i, 2 * i + 1):
            on = [d for d in DETAIL_VISEMES if got[f"detail:{d}"][f] != 0.0]
            assert on == [DEFAULT_DETAIL[v]], (v, f, on)
            assert got[f"detail:{DEFAULT_DETAIL[v]}"][f] == 1.0


def test_a_cue_with_neither_a_known_shape_nor_a_detail_rests():
    assert C._pause_glide([VisemeCue(0.0, 1.0, "Q")], 1.0, 0.0) == [[0.0, 1.0, "X", "sil"]]
    got = values(VisemeTrack([VisemeCue(0.0, 0.5, "Q")], 0.5), ["viseme:X", "detail:sil", "control:jaw_open"])
    assert set(got["viseme:X"].values()) == {1.0} and set(got["detail:sil"].values()) == {1.0}
    assert set(got["control:jaw_open"].values()) == {0.0}


def test_the_phone_behind_each_detail_is_a_built_in_phone_of_that_detail():
    """The controls of a cue without per-frame controls come from one phone per detail viseme: it must be a phone
    of the built-in inventory (not left to the optional panphon) and belong to that detail class."""
    assert set(C._DETAIL_PHONE) == set(DETAIL_VISEMES)
    assert phoneset.normalize(C._DETAIL_PHONE["sil"]) == phoneset.SIL
    for d, phone in C._DETAIL_PHONE.items():
        if d != "sil":
            assert phoneset.normalize(phone) in phoneset.BASE, (d, phone)
        assert detail_viseme_for_phone(phone) == d, (d, phone)


def test_derived_controls_follow_the_detail():
    """Without controls from the model, each detail's controls are those of its phone: lips shut on PP, lower lip
    on the teeth on FF, tongue tip up on TH/DD/nn, the jaw widest on aa, the lips most rounded on U, widest on I."""
    track = vt([(2 * i, 2 * i + 2, "", d) for i, d in enumerate(DETAIL_VISEMES)], 2 * len(DETAIL_VISEMES))
    got = values(track, [f"control:{c}" for c in CONTROLS], ensure_closure=False)

    def ctl(d, c):
        f = 2 * DETAIL_VISEMES.index(d)
        assert got[f"control:{c}"][f] == got[f"control:{c}"][f + 1]
        return got[f"control:{c}"][f]

    assert all(ctl("sil", c) == 0.0 for c in CONTROLS)
    assert ctl("PP", "lip_close") == 1.0 and ctl("PP", "jaw_open") < 0.1
    assert all(ctl(d, "lip_close") == 0.0 for d in DETAIL_VISEMES if d != "PP")
    assert ctl("FF", "lip_teeth") == 1.0 and ctl("FF", "jaw_open") < 0.1
    assert all(ctl(d, "lip_teeth") == 0.0 for d in DETAIL_VISEMES if d != "FF")
    assert ctl("TH", "tongue_up") == ctl("DD", "tongue_up") == ctl("nn", "tongue_up") == 1.0
    others = [d for d in DETAIL_VISEMES if d != "aa"]
    assert ctl("aa", "jaw_open") > max(ctl(d, "jaw_open") for d in others)
    assert ctl("U", "pucker") > max(ctl(d, "pucker") for d in DETAIL_VISEMES if d != "U")
    assert ctl("O", "pucker") > 0.5 and ctl("I", "spread") > max(ctl(d, "spread") for d in DETAIL_VISEMES if d != "I")


def test_jaw_shares_are_fractions_closed_shapes_have_no_jaw_and_aa_has_the_most():
    """The share of a shape that is jaw (the rest is lips) is a fraction; the closed and rest mouths move no jaw;
    the wide-open AA moves it most."""
    assert set(C.JAW_SHARE_VISEME) == set(VISEMES) and set(C.JAW_SHARE_DETAIL) == set(DETAIL_VISEMES)
    for table in (C.JAW_SHARE_VISEME, C.JAW_SHARE_DETAIL):
        assert all(0.0 <= s <= 1.0 for s in table.values()), table
    assert C.JAW_SHARE_VISEME["A"] == C.JAW_SHARE_VISEME["X"] == 0.0
    assert C.JAW_SHARE_DETAIL["PP"] == C.JAW_SHARE_DETAIL["sil"] == 0.0
    assert C.JAW_SHARE_VISEME["D"] > max(s for v, s in C.JAW_SHARE_VISEME.items() if v != "D")
    assert C.JAW_SHARE_DETAIL["aa"] > max(s for d, s in C.JAW_SHARE_DETAIL.items() if d != "aa")
    # lips-made shapes (rounded, lip to teeth) are mostly lips
    assert max(C.JAW_SHARE_VISEME[v] for v in "FG") < 0.5 and max(C.JAW_SHARE_DETAIL[d] for d in ("U", "FF")) < 0.5


def test_balance_moves_each_shape_by_its_jaw_share():
    """All lips (+1): jaw x0.5, lips x1.5, so a shape's peak is 1.5 - share; all jaw (-1): 0.5 + share. The two
    always add up to 2; A and X (no jaw) reach 1.5 with all lips; D (the most jaw) the least."""
    order = ["B", "C", "D", "E", "F", "G", "H", "X", "A"]
    track = vt([(2 * i, 2 * i + 2, v, DEFAULT_DETAIL[v]) for i, v in enumerate(order)], 2 * len(order))
    srcs = [f"viseme:{v}" for v in VISEMES] + [f"detail:{d}" for d in DETAIL_VISEMES]
    lips = values(track, srcs, jaw_lips_balance=1.0, ensure_closure=False)
    jaw = values(track, srcs, jaw_lips_balance=-1.0, ensure_closure=False)
    peak_l = {s: max(lips[s].values()) for s in srcs if max(lips[s].values()) > 0}
    peak_j = {s: max(jaw[s].values()) for s in srcs if max(jaw[s].values()) > 0}
    assert set(peak_l) == set(peak_j) == {f"viseme:{v}" for v in order} | {f"detail:{DEFAULT_DETAIL[v]}" for v in order}
    for s in peak_l:
        assert peak_l[s] + peak_j[s] == pytest.approx(2.0)
        assert 0.5 - 1e-9 <= peak_l[s] <= 1.5 + 1e-9, s  # share in 0..1
    for s in ("viseme:A", "viseme:X", "detail:PP", "detail:sil"):
        assert peak_l[s] == pytest.approx(1.5)
    vis = {s: p for s, p in peak_l.items() if s.startswith("viseme:")}
    det = {s: p for s, p in peak_l.items() if s.startswith("detail:")}
    assert min(vis, key=vis.get) == "viseme:D" and min(det, key=det.get) == "detail:aa"


def test_controls_are_jaw_or_lips_by_name_and_the_groups_override():
    """Without a group, control:jaw_open is all jaw and every other control all lips; the tongue group counts as
    lips whatever the source."""
    n = 3 * FPS
    track = vt([(0, 24, "D", "aa")], 24)
    track.controls = np.full((n * 10, len(CONTROLS)), 0.5, np.float32)
    track.control_names, track.hop = CONTROLS, 0.1 / FPS
    got = values(track, [f"control:{c}" for c in CONTROLS], jaw_lips_balance=1.0)
    assert set(got["control:jaw_open"].values()) == {0.25}  # 0.5 x 0.5
    for c in CONTROLS[1:]:
        assert set(got[f"control:{c}"].values()) == {0.75}, c  # 0.5 x 1.5
    m = Mapping("m", [bone("viseme:D", group="tongue")])
    c = C.build_curves(track, m, settings(jaw_lips_balance=-1.0), FPS, 0)[0]
    assert c.values.max() == pytest.approx(0.5)  # D is 90 % jaw, but a tongue bone follows the lips' gain


def test_control_names_without_controls_are_ignored():
    track = vt([(0, 8, "G", "FF")], 8)
    track.control_names = ("jaw_open",)  # names but no array: the controls come from the visemes
    got = values(track, ["control:lip_teeth", "control:jaw_open"])
    assert set(got["control:lip_teeth"].values()) == {1.0}
    assert set(got["control:jaw_open"].values()) == {0.08}


def test_missing_controls_are_derived_and_present_ones_are_read():
    track = vt([(0, 8, "G", "FF")], 8)
    track.controls = np.full((200, 1), 0.4, np.float32)
    track.control_names, track.hop = ("jaw_open",), 0.01
    got = values(track, ["control:lip_teeth", "control:jaw_open"])
    assert set(got["control:lip_teeth"].values()) == {1.0}  # F/V: lower lip on the teeth, from the detail
    assert set(got["control:jaw_open"].values()) == {0.4}  # from the track


# ---------------------------------------------------------------- the closed mouth
def test_a_closure_frame_is_the_closed_mouth_whatever_the_neighbours_and_the_controls_say():
    """An M/B/P from frame 2.5 to 3 (no grid frame inside: frame 3 is where the next D starts) closes on frame 3,
    the frame nearest its middle; there A and PP are 1, every other shape and detail 0, lip_close 1 and jaw_open,
    lip_teeth and spread 0, even with full smoothing and per-frame controls that say wide open."""
    track = vt([(0, 2.5, "D", "aa"), (2.5, 3, "A", "PP"), (3, 8, "D", "aa")], 8)
    n = 100
    ctl = np.ones((n, len(CONTROLS)), np.float32)
    ctl[:, CONTROLS.index("lip_close")] = 0.0
    track.controls, track.control_names, track.hop = ctl, CONTROLS, 0.01
    s = settings(smoothing=1.0, intensity=2.0, jaw_lips_balance=-1.0)
    assert C.closure_frames(track, s, FPS, 0).tolist() == [3.0]
    got = values(track, smoothing=1.0, intensity=2.0, jaw_lips_balance=-1.0)
    for v in VISEMES:
        assert got[f"viseme:{v}"][3.0] == (1.0 if v == "A" else 0.0), v
    for d in DETAIL_VISEMES:
        assert got[f"detail:{d}"][3.0] == (1.0 if d == "PP" else 0.0), d
    assert got["control:lip_close"][3.0] == 1.0
    for c in ("jaw_open", "lip_teeth", "spread"):
        assert got[f"control:{c}"][3.0] == 0.0, c
    # the neighbours are not closed: the D and the model's controls are back (gain 2 x 1.5 on the jaw)
    for f in (2.0, 4.0):
        assert got["viseme:A"][f] < 0.9 and got["control:lip_close"][f] < 0.5 and got["control:jaw_open"][f] > 1.0


def test_closures_without_ensure_closure_are_not_forced():
    track = vt([(0, 2.5, "D", "aa"), (2.5, 3, "A", "PP"), (3, 8, "D", "aa")], 8)
    assert C.closure_frames(track, settings(ensure_closure=False), FPS, 0).tolist() == []
    got = values(track, ["viseme:A", "detail:PP"], ensure_closure=False)
    assert max(got["viseme:A"].values()) == 0.0 and max(got["detail:PP"].values()) == 0.0


def test_a_closure_between_frames_after_one_on_frames_still_closes():
    """Frames 2 and 3 lie in the first M/B/P; the second (6.5 to 7) has none and closes on frame 7."""
    track = vt([(0, 2, "D", "aa"), (2, 4, "A", "PP"), (4, 6.5, "D", "aa"), (6.5, 7, "A", "PP"), (7, 10, "C", "E")], 10)
    assert C.closure_frames(track, FLAT, FPS, 0).tolist() == [2.0, 3.0, 7.0]
    a = values(track, ["viseme:A"])["viseme:A"]
    assert [f for f, v in a.items() if v == 1.0] == [2.0, 3.0, 7.0]


def test_closure_frames_follow_the_cue_and_a_frame_before_or_after_is_open():
    track = vt([(0, 3, "C", "E"), (3, 5, "A", "PP"), (5, 10, "C", "E")], 10)
    got = values(track, ["viseme:A", "viseme:C", "control:lip_close"])
    assert [f for f, v in got["viseme:A"].items() if v == 1.0] == [3.0, 4.0]
    assert got["viseme:C"][2.0] == got["viseme:C"][5.0] == 1.0 and got["control:lip_close"][2.0] == 0.0
    assert C.closure_frames(track, FLAT, FPS, 0).tolist() == [3.0, 4.0]


@pytest.mark.parametrize("first,last,want", [
    (4.5, 5.5, [6.0]),  # middle 5 = one step before the range: closes on its first frame
    (4.25, 5.25, []),  # middle 4.75: more than a step before
    (9.5, 10.5, [9.0]),  # middle 10 = one step after the range: closes on its last frame
    (9.75, 10.75, []),  # middle 10.25: more than a step after
    (1.5, 2.5, []),  # far before
    (12.5, 13.5, []),  # far after
])
def test_closures_just_outside_the_range_being_written(first, last, want):
    track = vt([(0, first, "D", "aa"), (first, last, "A", "PP"), (last, 16, "D", "aa")], 16)
    assert C.closure_frames(track, FLAT, FPS, 0, frame_range=(6, 9)).tolist() == want
    a = values(track, ["viseme:A"], frame_range=(6, 9))["viseme:A"]
    assert sorted(a) == [6.0, 7.0, 8.0, 9.0]
    assert [f for f, v in a.items() if v == 1.0] == want


def test_closure_on_the_last_frame_of_the_clip():
    """An M/B/P from frame 8.5 to the end (9) of a 9-frame clip closes on frame 8, the last one."""
    track = vt([(0, 8.5, "D", "aa"), (8.5, 9, "A", "PP")], 9)
    assert C.closure_frames(track, FLAT, FPS, 0).tolist() == [8.0]
    track = vt([(0, 3, "D", "aa"), (3, 6, "A", "PP")], 6)  # the clip ends closed: frames 3, 4, 5
    assert C.closure_frames(track, FLAT, FPS, 0).tolist() == [3.0, 4.0, 5.0]


def test_a_short_closure_survives_the_minimum_hold():
    """A 1-frame M/B/P with a 3-frame minimum hold: it cannot borrow from the 2-frame C after it, and a closure
    is never merged away; the C (too short, nothing to borrow from) goes into the closure."""
    track = vt([(0, 4, "D", "aa"), (4, 5, "A", "PP"), (5, 7, "C", "E"), (7, 7.5, "X", "sil")], 7.5)
    assert C.closure_frames(track, settings(min_hold_frames=3), FPS, 0).tolist() == [4.0, 5.0, 6.0]
    assert C.closure_frames(track, settings(min_hold_frames=3, ensure_closure=False), FPS, 0).tolist() == []


# ---------------------------------------------------------------- pauses
def test_pause_glide_edges():
    # the pause second to last is still inner: glided (the neighbours meet in its middle, 0.3125 s)
    got = C._pause_glide([VisemeCue(0, 0.25, "D"), VisemeCue(0.25, 0.375, "X"), VisemeCue(0.375, 0.75, "C")],
                         0.75, 0.25)
    assert rows(got) == [[0.0, 0.3125, "D", "aa"], [0.3125, 0.75, "C", "E"]]
    # a pause exactly as long as rest_after_pause is not shorter: it rests
    cues = [VisemeCue(0, 0.25, "D"), VisemeCue(0.25, 0.5, "X"), VisemeCue(0.5, 0.75, "C")]
    assert rows(C._pause_glide(cues, 0.75, 0.25)) == [[0.0, 0.25, "D", "aa"], [0.25, 0.5, "X", "sil"],
                                                      [0.5, 0.75, "C", "E"]]
    # a short pause next to a rest (after or before it) stays
    for a, b in ((0.375, 1.0), (0.875, 1.0)):
        cues = [VisemeCue(0, 0.25, "D"), VisemeCue(0.25, a, "X"), VisemeCue(a, b, "X"), VisemeCue(1.0, 1.25, "C")]
        assert [(r[0], r[1], r[2]) for r in rows(C._pause_glide(cues, 1.25, 0.25))] == [
            (0.0, 0.25, "D"), (0.25, a, "X"), (a, 1.0, "X"), (1.0, 1.25, "C")]
    # a short pause at the very end is an edge: kept
    cues = [VisemeCue(0, 0.5, "D"), VisemeCue(0.5, 0.625, "X")]
    assert rows(C._pause_glide(cues, 0.625, 1.0)) == [[0.0, 0.5, "D", "aa"], [0.5, 0.625, "X", "sil"]]
    # a short pause between two shapes that are not rest glides even when it is the only one
    cues = [VisemeCue(0, 0.5, "D"), VisemeCue(0.5, 0.625, "X"), VisemeCue(0.625, 1.0, "D")]
    assert rows(C._pause_glide(cues, 1.0, 0.5)) == [[0.0, 0.5625, "D", "aa"], [0.5625, 1.0, "D", "aa"]]


def test_pause_glide_without_gaps_adds_no_rest():
    cues = [VisemeCue(0, 0.5, "D"), VisemeCue(0.5, 1.0, "C")]
    assert rows(C._pause_glide(cues, 1.0, 0.0)) == [[0.0, 0.5, "D", "aa"], [0.5, 1.0, "C", "E"]]
    # a gap shorter than a second is still a rest (not glided with rest_after_pause 0)
    cues = [VisemeCue(0, 0.5, "D"), VisemeCue(0.75, 1.0, "C")]
    assert rows(C._pause_glide(cues, 1.5, 0.0)) == [[0.0, 0.5, "D", "aa"], [0.5, 0.75, "X", "sil"],
                                                    [0.75, 1.0, "C", "E"], [1.0, 1.5, "X", "sil"]]
    # a cue starting before 0 is clipped there; no duration (0): the cues are not clipped at the end
    assert rows(C._pause_glide([VisemeCue(-0.25, 0.5, "D")], 0.0, 0.0)) == [[0.0, 0.5, "D", "aa"]]
    assert rows(C._pause_glide([VisemeCue(0.25, 0.5, "D")], 2.0, 0.0)) == [
        [0.0, 0.25, "X", "sil"], [0.25, 0.5, "D", "aa"], [0.5, 2.0, "X", "sil"]]


# ---------------------------------------------------------------- holds
def seg(*r):
    return [list(x) for x in r]


def test_hold_edges():
    # the next shape can lend exactly what leaves it at the minimum: it lends
    assert C._apply_holds(seg((0, 3, "B", "DD"), (3, 4, "C", "E"), (4, 7, "D", "aa")), 2, True) == seg(
        (0, 3, "B", "DD"), (3, 5, "C", "E"), (5, 7, "D", "aa"))
    # the last shape too short: it goes into the one before
    assert C._apply_holds(seg((0, 6, "D", "aa"), (6, 7, "C", "E")), 2, True) == seg((0, 7, "D", "aa"))
    # the whole clip shorter than the minimum: one shape
    assert C._apply_holds(seg((0, 1, "C", "E"), (1, 2, "D", "aa")), 3, True) == seg((0, 2, "D", "aa"))
    # shapes exactly as long as the minimum are left alone
    exact = seg((0, 2, "B", "DD"), (2, 4, "C", "E"), (4, 6, "D", "aa"))
    assert C._apply_holds(exact, 2, True) == exact
    # the same shape with different details is two shapes; without a minimum nothing is joined
    two = seg((0, 3, "B", "DD"), (3, 6, "B", "SS"))
    assert C._apply_holds(two, 2, True) == two
    same = seg((0, 3, "B", "DD"), (3, 6, "B", "DD"))
    assert C._apply_holds(same, 0, True) == same
    # a one-frame closure first: it keeps its frame; the short shape after it goes into it
    assert C._apply_holds(seg((0, 1, "A", "PP"), (1, 2, "D", "aa")), 2, True) == seg((0, 2, "A", "PP"))
    assert C._apply_holds(seg((0, 1, "A", "PP"), (1, 2, "D", "aa")), 2, False) == seg((0, 2, "D", "aa"))


def test_min_hold_on_the_curves():
    """A 1-frame C between long shapes borrows a frame from the D after it: C on frames 3-4, D from 5."""
    track = vt([(0, 3, "B", "DD"), (3, 4, "C", "E"), (4, 10, "D", "aa")], 10)
    got = values(track, ["viseme:B", "viseme:C", "viseme:D"], min_hold_frames=2)
    on = {f: [v for v in "BCD" if got[f"viseme:{v}"][f] == 1.0] for f in range(10)}
    assert on == {0: ["B"], 1: ["B"], 2: ["B"], 3: ["C"], 4: ["C"], **{f: ["D"] for f in range(5, 10)}}


# ---------------------------------------------------------------- anticipation and time
def test_lead_reads_the_controls_and_loudness_ahead():
    """With a 2-frame lead the mouth at frame f shows the sound of frame f + 2: a control that ramps with time
    (value = seconds) reads (f + 2 - start) / fps, here from frame 5 at 10 fps."""
    track = VisemeTrack([VisemeCue(0, 1.0, "D", 1.0, "aa")], 1.0)
    n = 200
    track.controls = (np.arange(n) * 0.01).astype(np.float64)[:, None]
    track.control_names, track.hop = ("jaw_open",), 0.01
    got = values(track, ["control:jaw_open"], fps=10, start=5, lead_frames=2)["control:jaw_open"]
    assert sorted(got) == [float(f) for f in range(5, 15)]
    for f, v in got.items():
        assert v == pytest.approx((f + 2 - 5) / 10, abs=1e-6), f
    # the loudness envelope is read with the same lead: the louder half (from 0.5 s) opens 2 frames early
    loud = np.r_[np.full(50, 0.1), np.ones(50)]
    jaw = Mapping("m", [Binding("control:jaw_open", "bone_channel", "jaw", 1.0, "location", 0, group="jaw")])
    plain = vt([(0, 80, "D", "aa")], 80)
    c = C.build_curves(plain, jaw, settings(loudness_opening=1.0, lead_frames=2), 10, 5, loudness=loud)[0]
    v = dict(zip(c.frames.tolist(), c.values.tolist()))
    assert v[7] == pytest.approx(0.9 * 0.1) and v[8] == pytest.approx(0.9)  # frame 8 + 2 - 5 = 5 -> 0.5 s: loud


def test_loudness_time_and_reference():
    env = np.arange(101, dtype=float)  # 95th percentile = 95
    g = C._loudness_on_grid(env, 0.01, np.array([5.0, 6.0, 12.0]), 5, 10, 2)
    assert g.tolist() == pytest.approx([20 / 95, 30 / 95, 90 / 95])  # (f + 2 - 5) / 10 s: samples 20, 30, 90


def test_lead_starts_every_shape_earlier_in_frames():
    track = vt([(0, 4, "X", "sil"), (4, 8, "D", "aa"), (8, 16, "X", "sil")], 16)
    for lead in (0, 1, 3):
        d = values(track, ["viseme:D"], lead_frames=lead)["viseme:D"]
        assert [f for f, v in d.items() if v == 1.0] == [float(f) for f in range(4 - lead, 8 - lead)], lead


# ---------------------------------------------------------------- smoothing
def test_smoothing_width_is_a_time_not_a_number_of_frames():
    """Co-articulation is a Gaussian blend 60 ms x smoothing wide (its standard deviation), the same time at any
    frame rate and on twos: measured on the rise of a D from 0.5 s, as the spread of the frame-to-frame increases."""
    track = VisemeTrack([VisemeCue(0, 0.5, "X"), VisemeCue(0.5, 1.0, "D"), VisemeCue(1.0, 1.5, "X")], 1.5)

    def width(fps, step, smoothing):
        d = values(track, ["viseme:D"], fps=fps, smoothing=smoothing, step=step)["viseme:D"]
        f = np.array(sorted(d))
        t, v = f / fps, np.array([d[k] for k in f])
        rise = np.diff(v[t < 0.75])
        mid = (t[t < 0.75][1:] + t[t < 0.75][:-1]) / 2
        mean = (rise * mid).sum() / rise.sum()
        return np.sqrt((rise * (mid - mean) ** 2).sum() / rise.sum())

    for fps, step in ((24, 1), (48, 1), (24, 2), (30, 1)):
        assert width(fps, step, 1.0) == pytest.approx(0.06, rel=0.03), (fps, step)
    for fps in (24, 48):
        assert width(fps, 1, 0.5) == pytest.approx(0.03, rel=0.03), fps
    d = values(track, ["viseme:D"], fps=24, smoothing=1.0)["viseme:D"]
    assert d[18.0] > 0.99 and 0.1 < d[11.0] < 0.5  # the middle is reached; the frame before the D already moves


def test_gauss_blurs_two_frames_and_skips_tiny_widths():
    x = np.array([[0.0], [1.0]])
    assert not np.allclose(C._gauss(x, 1.0), x)
    step = np.r_[np.zeros(5), np.ones(5)][:, None]
    assert C._gauss(step, 0.5)[4, 0] > 0.01  # half a frame already blends the frames next to the change
    assert C._gauss(step, 0.04) is step
    assert C._gauss(x[:1], 3.0) is not None and C._gauss(x[:1], 3.0).tolist() == [[0.0]]


# ---------------------------------------------------------------- keys and curves
def test_key_values_are_rounded_to_millionths():
    track = vt([(0, 8, "D", "aa")], 8)
    c = C.build_curves(track, Mapping("m", [bone("viseme:D", weight=1 / 3)]), FLAT, FPS, 0)[0]
    assert set(c.values.tolist()) == {0.333333}


def test_curve_defaults():
    c = C.Curve("shape_key", "", "A", "value", 0, np.zeros(1), np.zeros(1), np.zeros(1))
    assert c.interpolation == "BEZIER" and c.n_dense == 0 and c.max_error == 0.0
    assert isinstance(c.closure_frames, np.ndarray) and c.closure_frames.tolist() == [] and c.n_keys == 1


def test_simplifier_edges():
    assert C.simplify_steps(np.zeros(0), 0.1)[1] == 0.0
    x = np.arange(3.0)
    idx, slopes, err = C.simplify_smooth(x, np.array([0.0, 0.5, 1.0]), 0.01)  # a straight line: its two ends
    assert idx.tolist() == [0, 2] and slopes.tolist() == [0.5, 0.5] and err == 0.0
    idx, slopes, err = C.simplify_smooth(np.arange(8.0), np.array([0, 0, 0, 0, 1, 1, 1, 1.0]), 0.01)
    assert idx.tolist() == [0, 3, 4, 7] and err == 0.0  # a hold's corners


def test_more_hold_edges():
    # a minimum of one frame still gives a half-frame shape a whole frame (borrowed from the next)
    assert C._apply_holds(seg((0, 3, "B", "DD"), (3, 3.5, "C", "E"), (3.5, 6, "D", "aa")), 1, True) == seg(
        (0, 3, "B", "DD"), (3, 4, "C", "E"), (4, 6, "D", "aa"))
    # after a merge into the previous shape the rest are still held
    assert C._apply_holds(seg((0, 4, "B", "DD"), (4, 5, "C", "E"), (5, 7, "D", "aa"), (7, 8, "E", "O"),
                              (8, 12, "F", "U")), 2, True) == seg((0, 5, "B", "DD"), (5, 7, "D", "aa"),
                                                                  (7, 9, "E", "O"), (9, 12, "F", "U"))
    # a too short first shape goes into the second, not elsewhere
    assert C._apply_holds(seg((0, 1, "C", "E"), (1, 2, "D", "aa"), (2, 5, "B", "DD")), 2, True) == seg(
        (0, 2, "D", "aa"), (2, 5, "B", "DD"))
    # two too short shapes at the start, one after the other, both go forward
    assert C._apply_holds(seg((0, 1, "C", "E"), (1, 2, "E", "O"), (2, 3, "B", "DD"), (3, 4, "D", "aa")), 3,
                          True) == seg((0, 4, "B", "DD"))


def test_an_empty_cue_is_skipped_and_the_rest_are_kept():
    cues = [VisemeCue(0, 0.5, "D"), VisemeCue(0.5, 0.5, "A"), VisemeCue(0.5, 1.0, "C")]
    assert rows(C._pause_glide(cues, 1.0, 0.0)) == [[0.0, 0.5, "D", "aa"], [0.5, 1.0, "C", "E"]]


def test_a_closure_inside_the_range_after_one_outside_it_still_closes():
    track = vt([(0, 1.5, "D", "aa"), (1.5, 2.5, "A", "PP"), (2.5, 7.5, "D", "aa"), (7.5, 8, "A", "PP"),
                (8, 16, "D", "aa")], 16)
    assert C.closure_frames(track, FLAT, FPS, 0, frame_range=(6, 9)).tolist() == [8.0]


def test_one_frame_clips_and_slow_frame_rates():
    track = vt([(0, 1, "D", "aa")], 1)
    assert C.closure_frames(track, FLAT, FPS, 0).tolist() == []
    c = C.build_curves(VisemeTrack([VisemeCue(0, 4.0, "D")], 4.0), Mapping("m", [bone("viseme:D")]), FLAT, 1, 0)
    assert c[0].frames.tolist() == [0.0, 1.0, 2.0, 3.0] and c[0].values.tolist() == [1.0] * 4  # 1 fps is a rate


def test_refusals_say_what_is_wrong_first():
    from lipsync.errors import MappingError

    with pytest.raises(ValueError, match=r"^Frame rate must be positive, got 0\. Check the scene's frame rate\.$"):
        C.build_curves(vt([(0, 8, "D", "aa")], 8), Mapping("m", [bone("viseme:D")]), FLAT, 0, 0)
    with pytest.raises(MappingError, match=r"^Bone pose bindings must be resolved to channels first"):
        C.build_curves(vt([(0, 8, "D", "aa")], 8), Mapping("m", [Binding("viseme:A", "bone_pose", "p")]), FLAT,
                       FPS, 0)


@pytest.mark.parametrize("interp", ["CONSTANT", "LINEAR"])
def test_stepped_and_linear_curves_have_flat_handles_and_their_own_keys(interp):
    """A ramp from 0 to 1 over 8 frames: steps key where it moved more than the tolerance, lines need only the
    ends and corners; neither has Bézier slopes."""
    track = vt([(0, 8, "X", "sil"), (8, 16, "D", "aa"), (16, 24, "X", "sil")], 24)
    m = Mapping("m", [bone("viseme:D")])
    c = C.build_curves(track, m, settings(smoothing=1.0, simplify_tolerance=0.3, interpolation=interp), FPS, 0)[0]
    assert c.interpolation == interp and c.slopes.shape == (c.n_keys,) and (c.slopes == 0).all()
    y = np.array([v for v in values(track, ["viseme:D"], smoothing=1.0)["viseme:D"].values()])
    full = np.arange(24.0)
    if interp == "CONSTANT":
        held = c.values[np.searchsorted(c.frames, full, side="right") - 1]
        assert np.abs(held - y).max() <= 0.3 and c.values.tolist() == y[c.frames.astype(int)].tolist()
    else:
        assert np.abs(np.interp(full, c.frames, c.values) - y).max() <= 0.3 + 1e-9


def test_small_step_and_line_simplifications():
    assert C.simplify_steps(np.array([0.5]), 0.1)[0].tolist() == [0]
    assert C.simplify_steps(np.array([0.0, 1.0]), 0.1)[0].tolist() == [0, 1]
    x = np.arange(5.0)
    y = np.array([0.0, 0.0, 0.4, 0.0, 0.0])
    idx, err = C._simplify_linear(x, y, 0.5, None)  # within tolerance with the two ends
    assert idx.tolist() == [0, 4] and err == pytest.approx(0.4)
    idx, err = C._simplify_linear(x, y, 0.5, np.array([2]))  # but a closure frame must be exact: it is keyed
    assert idx.tolist() == [0, 2, 4] and err == pytest.approx(0.2)
