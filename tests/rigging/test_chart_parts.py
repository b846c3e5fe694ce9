"""Mouth charts' parts with hand-made inputs: drawing names, substitutes, runs, curves, sprite sheets, errors."""
import numpy as np
import pytest

from lipsync.errors import MappingError, SettingsError
from lipsync.phonemes.types import VisemeCue, VisemeTrack
from lipsync.rigging.chart import (CHART_ORDER, ChartChannel, SheetLayout, chart_curves, chart_from_names,
                                   chart_names, chart_shapes, complete_chart, merge_runs, parse_order, shape_runs)
from lipsync.rigging.mapping import Binding, Mapping
from lipsync.rigging.settings import AnimSettings


def test_prefixed_and_repeated_names():
    names = ["Mouth A", "mth.B", "PB-C", "viseme_D", "MOUTH__E", "", "Mouth A", "Head"]
    name, chart, missing = chart_from_names(names)
    assert name == "Preston Blair"
    assert chart == {"A": "Mouth A", "B": "mth.B", "C": "PB-C", "D": "viseme_D", "E": "MOUTH__E"}
    assert missing == ["F", "G", "H", "X"]
    # a name that is nothing but a prefix keeps its whole name; Papagayo wins when it names more shapes
    name, chart, _ = chart_from_names(["mouth_MBP", "mouth_etc", "mouth_E", "mouth_AI", "mouth_O", "mouth_rest"])
    assert name == "Papagayo" and chart == {"A": "mouth_MBP", "B": "mouth_etc", "C": "mouth_E", "D": "mouth_AI",
                                            "E": "mouth_O", "X": "mouth_rest"}
    assert chart_from_names([]) == ("", {}, list(CHART_ORDER))


def test_a_custom_mapping_takes_the_first_binding_of_each_shape():
    m = Mapping("", [Binding("viseme:A", "shape_key", "shut"), Binding("viseme:A", "shape_key", "open"),
                     Binding("viseme:Q", "shape_key", "open"), Binding("detail:U", "shape_key", "open"),
                     Binding("viseme:B", "shape_key", "not a drawing"), Binding("viseme:X", "shape_key", "open")])
    assert chart_from_names(["shut", "open"], m) == ("Custom", {"A": "shut", "X": "open"},
                                                     ["B", "C", "D", "E", "F", "G", "H"])
    # an empty mapping is no mapping: the names decide
    assert chart_from_names(["A", "X"], Mapping("Empty", []))[:2] == ("Preston Blair", {"A": "A", "X": "X"})
    many = [f"n{i}" for i in range(14)]
    with pytest.raises(MappingError) as e:
        chart_from_names(many, Mapping("M", [Binding("viseme:A", "shape_key", "zzz")]))
    assert str(e.value) == ("The mapping binds no viseme:A..X to a drawing of this character (drawings: "
                            + ", ".join(many[:12]) + "). Bind each mouth shape to a drawing's name.")


def test_chart_names_by_preset():
    names = ["Head", "mouth_WQ", "MBP", "rest", "AI", "Eyes", "L"]
    assert chart_names(names, "Papagayo") == ["mouth_WQ", "MBP", "rest", "AI", "L"]
    assert chart_names(["A", "mouth_B", "X_rest", "Head"], "Preston Blair") == ["A", "mouth_B", "X_rest"]
    assert chart_names(names, "No Such Preset") == []


# each shape's substitutes when the chart lacks it, first choice then second (animators' usual borrowing)
FIRST = {"X": "A", "H": "C", "G": "B", "F": "E", "E": "D", "D": "C", "C": "B", "B": "C", "A": "X"}
SECOND = {"X": "B", "H": "B", "G": "A", "F": "B", "E": "C", "D": "E", "C": "D", "B": "A", "A": "B"}


@pytest.mark.parametrize("shape", CHART_ORDER)
def test_each_missing_shape_borrows_its_substitute(shape):
    others = {v: v.lower() for v in CHART_ORDER if v != shape}
    full, notes = complete_chart(others)
    assert full == {**others, shape: FIRST[shape].lower()} and notes == [f"{shape} shows {FIRST[shape].lower()!r}"]
    if shape != "X":  # X's only listed substitute is A; without it, the first drawing in the chart order
        fewer = {v: n for v, n in others.items() if v != FIRST[shape]}
        full, _ = complete_chart(fewer)
        assert full[shape] == SECOND[shape].lower()


def test_substitutes_fall_back_to_the_chart_order():
    full, notes = complete_chart({"A": "a", "C": "c", "D": "d"})
    assert full == {"A": "a", "B": "c", "C": "c", "D": "d", "E": "d", "F": "a", "G": "a", "H": "c", "X": "a"}
    assert notes == ["B shows 'c'", "E shows 'd'", "F shows 'a'", "G shows 'a'", "H shows 'c'", "X shows 'a'"]
    assert complete_chart({"H": "h"})[0] == dict.fromkeys(CHART_ORDER, "h")
    assert complete_chart({"X": "x"})[0]["A"] == "x"
    given = {"A": "a"}
    complete_chart(given)
    assert given == {"A": "a"}  # the caller's chart is not changed
    with pytest.raises(MappingError) as e:
        complete_chart({})
    assert str(e.value) == ("No mouth drawings recognised: name them A..H and X (or mouth_A.., Papagayo's AI, E, O, "
                            "U, etc, FV, L, MBP, WQ, rest) or bind them in the Lip Sync mapping.")


def track():
    """Rest, then D from 0.5 to 1.0 s, M/B/P (A) to 1.25 s, D to 1.5 s, rest to 2 s."""
    cues = [VisemeCue(0.0, 0.5, "X"), VisemeCue(0.5, 1.0, "D"), VisemeCue(1.0, 1.25, "A"), VisemeCue(1.25, 1.5, "D"),
            VisemeCue(1.5, 2.0, "X")]
    return VisemeTrack(cues, 2.0)


def test_chart_shapes_of_a_hand_made_track():
    s = AnimSettings(lead_frames=0, min_hold_frames=0)
    grid, letters, closure = chart_shapes(track(), s, 24, 1)
    assert list(grid) == list(range(1, 49))  # 2 s at 24 fps from frame 1
    # frame f shows the cue at (f - 1) / 24 s
    want = ["X"] * 12 + ["D"] * 12 + ["A"] * 6 + ["D"] * 6 + ["X"] * 12
    assert letters == want
    assert list(closure) == list(range(24, 30))  # the A cue: forced closed
    g, lt, c = chart_shapes(track(), s, 24, 1, frame_range=(200, 300))
    assert len(g) == 0 and lt == [] and c.dtype.kind == "i" and len(c) == 0
    for bad in (0, -24, float("nan"), float("inf")):
        with pytest.raises(ValueError) as e:
            chart_shapes(track(), s, bad, 1)
        assert str(e.value) == f"Frame rate must be positive, got {bad}. Check the scene's frame rate."
    with pytest.raises(SettingsError):
        chart_shapes(track(), AnimSettings(step=0), 24, 1)  # the settings are validated


def test_shape_runs_on_twos():
    assert shape_runs(np.array([1, 3, 5, 7, 9]), ["A", "A", "B", "B", "A"], 2) == [
        (1, 4, "A"), (5, 8, "B"), (9, 10, "A")]
    assert shape_runs(np.array([1, 2, 3]), ["X", "X", "D"]) == [(1, 2, "X"), (3, 3, "D")]
    assert shape_runs(np.array([]), []) == []


def test_merge_runs_with_fractional_bounds_and_runs_wholly_outside():
    old = [[1, 10, "X"], [11, 20, "D"], [21, 40, "B"]]
    assert merge_runs(old, [[11.5, 19, "A"]], 11.5, 19.5) == [[1, 10, "X"], [11, 11, "D"], [11.5, 19, "A"],
                                                              [20, 20, "D"], [21, 40, "B"]]
    # the range covers a whole old run: it goes; a run starting inside the range keeps only its outside part
    assert merge_runs(old, [(5, 25, "C")], 5, 25) == [[1, 4, "X"], [5, 25, "C"], [26, 40, "B"]]
    assert merge_runs([], [(3, 4, "A"), (1, 2, "X")], 1, 4) == [[1, 2, "X"], [3, 4, "A"]]


def test_chart_curves_key_each_change_of_drawing():
    s = AnimSettings(lead_frames=0, min_hold_frames=0)
    chart = {"X": "rest", "D": "wide", "A": "shut"}
    values = {"rest": 9.0, "wide": 4.0, "shut": 1.0}
    a, b = chart_curves(track(), chart, [ChartChannel("gp", "layers.active", 2, values),
                                         ChartChannel("obj", "offset", 0, values, "Mouth")], s, 24, 1)
    assert (a.kind, a.object, a.target, a.data_path, a.index, a.interpolation) == (
        "property", "gp", "layers.active", "layers.active", 2, "CONSTANT")
    assert (b.object, b.target, b.index) == ("obj", "Mouth", 0)
    assert list(a.frames) == [1, 13, 25, 31, 37] and list(a.values) == [9.0, 4.0, 1.0, 4.0, 9.0]
    assert not a.slopes.any() and a.n_dense == 48 and a.max_error == 0.0
    assert list(a.closure_frames) == [25, 26, 27, 28, 29, 30]
    assert chart_curves(track(), chart, [ChartChannel("o", "p", 0, values)], s, 24, 1, frame_range=(300, 400)) == []
    with pytest.raises(MappingError) as e:
        chart_curves(track(), chart, [ChartChannel("o", "p", 0, {"rest": 1.0})], s, 24, 1)
    assert str(e.value) == "p has no value for drawing(s) shut, wide."
    with pytest.raises(MappingError) as e:
        chart_curves(track(), chart, [ChartChannel("o", "p", 0, {"wide": 1.0}, "Mouth")], s, 24, 1)
    assert str(e.value) == "Mouth has no value for drawing(s) rest, shut."


def test_parse_order():
    assert parse_order("A B C\tD\nE") == ["A", "B", "C", "D", "E"]
    assert parse_order(" , ,") == [] and parse_order("") == []


def test_sprite_sheets():
    lay = SheetLayout(4, 3)
    assert lay.order == list(CHART_ORDER) and SheetLayout(1, 9).order is not SheetLayout(1, 9).order
    assert lay.offset("A") == (0.0, 0.0) and lay.offset("D") == (0.75, 0.0)
    assert lay.offset("E") == (0.0, pytest.approx(-1 / 3)) and lay.offset("X") == (0.0, pytest.approx(-2 / 3))
    p = SheetLayout.parse(" 5 X 2 ")
    assert (p.columns, p.rows, p.order) == (5, 2, list(CHART_ORDER))
    q = SheetLayout.parse("2x2", order=("A", "X", "D"))
    assert (q.columns, q.rows, q.order) == (2, 2, ["A", "X", "D"]) and q.offset("D") == (0.0, -0.5)
    assert SheetLayout.parse("3x3").rows == 3 and SheetLayout.parse("9x1").columns == 9
    for bad in ("three", "3x3x3", "3", "", "3xA"):
        with pytest.raises(MappingError) as e:
            SheetLayout.parse(bad)
        assert str(e.value) == f"Sprite sheet layout {bad!r}: write COLUMNSxROWS, e.g. 3x3."
    for bad, c, r in (("2x4", 2, 4), ("0x9", 0, 9), ("9x0", 9, 0)):
        with pytest.raises(MappingError) as e:
            SheetLayout.parse(bad)
        assert str(e.value) == (f"A {c}x{r} sprite sheet has {c * r} cells, too few for the 9 drawings "
                                "A B C D E F G H X.")
    with pytest.raises(MappingError) as e:
        SheetLayout.parse("1x1", order=["A", "X"])
    assert str(e.value) == "A 1x1 sprite sheet has 1 cells, too few for the 2 drawings A X."


def test_one_recognised_drawing_is_a_chart():
    assert chart_from_names(["A", "Head"]) == ("Preston Blair", {"A": "A"}, ["B", "C", "D", "E", "F", "G", "H", "X"])
    # Papagayo's WQ is bound to a detail viseme (for detection): it is no chart shape of its own
    name, chart, _ = chart_from_names(["MBP", "etc", "E", "AI", "O", "WQ", "FV", "L", "rest"])
    assert name == "Papagayo" and chart["F"] == "WQ" and set(chart) == set(CHART_ORDER)


def test_drawings_are_never_blended_whatever_the_smoothing():
    """One-frame cues: each drawing shows on its own frame even at full co-articulation smoothing."""
    seq = "DAEDCBFDAG"
    cues, t = [VisemeCue(0.0, 0.5, "X")], 0.5
    for v in seq:
        cues.append(VisemeCue(t, t + 1 / 24, v))
        t += 1 / 24
    cues.append(VisemeCue(t, t + 0.5, "X"))
    tr = VisemeTrack(cues, t + 0.5)
    for smoothing in (0.0, 1.0):
        _, letters, _ = chart_shapes(tr, AnimSettings(lead_frames=0, min_hold_frames=0, smoothing=smoothing), 24, 1)
        assert "".join(letters) == "X" * 12 + seq + "X" * 12, smoothing  # 34 frames in 1.42 s


def test_low_frame_rates_and_a_one_frame_range():
    s = AnimSettings(lead_frames=0, min_hold_frames=0)
    grid, letters, _ = chart_shapes(track(), s, 1, 1)  # 1 fps: frames at 0 s and 1 s
    assert list(grid) == [1, 2] and letters == ["X", "A"]
    grid, letters, _ = chart_shapes(track(), s, 24, 1, frame_range=(13, 13))
    assert list(grid) == [13] and letters == ["D"]
    assert ChartChannel("o", "p", 0, {}).label == ""


def test_merged_runs_come_in_frame_order_and_empty_runs_go():
    old = [[1, 10, "X"], [11, 40, "B"]]
    assert merge_runs(old, [(2, 3, "A"), (7, 6, "D"), (12, 20, "C")], 12, 20) == [
        [1, 10, "X"], [2, 3, "A"], [11, 11, "B"], [12, 20, "C"], [21, 40, "B"]]


def test_a_one_column_or_one_row_sheet():
    assert (SheetLayout.parse("1x9").columns, SheetLayout.parse("1x9").offset("X")) == (1, (0.0, pytest.approx(-8 / 9)))
    assert SheetLayout.parse("9x1").offset("X") == (pytest.approx(8 / 9), 0.0)


def test_papagayo_with_both_u_and_wq():
    """F is the first of U / WQ the character has; the other (WQ, bound to a detail viseme) is no chart shape."""
    name, chart, missing = chart_from_names(["MBP", "etc", "E", "AI", "O", "U", "WQ", "FV", "L", "rest"])
    assert name == "Papagayo" and chart["F"] == "U" and set(chart) == set(CHART_ORDER) and missing == []
