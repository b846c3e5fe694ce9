"""rigging.chart (2D mouth charts) and addon.timeline's bpy-free parts, without Blender."""
import os

import numpy as np
import pytest

from lipsync.errors import MappingError
from lipsync.phonemes.types import PhoneTrack, TimedPhone, VisemeTrack
from lipsync.phonemes.visemes import phones_to_visemes
from lipsync.rigging.chart import (CHART_ORDER, ChartChannel, SheetLayout, chart_curves, chart_from_names,
                                   chart_shapes, complete_chart, merge_runs, parse_order, shape_runs)
from lipsync.rigging.curves import closure_frames, dense_values
from lipsync.rigging.mapping import Binding, Mapping
from lipsync.rigging.settings import AnimSettings

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def dialogue_track() -> VisemeTrack:
    rows = [l.split("\t") for l in open(os.path.join(ROOT, "sample_scenes", "dialogue.phones.tsv"), encoding="utf-8")
            .read().strip().splitlines()]
    pt = PhoneTrack([TimedPhone(float(a), float(b), c.strip()) for a, b, c in rows], float(rows[-1][1]))
    return phones_to_visemes(pt)


TRACK = dialogue_track()


def test_names_of_the_common_charts():
    assert chart_from_names(list(CHART_ORDER))[1] == {v: v for v in CHART_ORDER}
    name, chart, missing = chart_from_names(["mouth_A", "mouth_B", "mouth_C", "mouth_D", "mouth_E", "Head"])
    assert name == "Preston Blair" and chart["A"] == "mouth_A" and chart["E"] == "mouth_E"
    assert missing == ["F", "G", "H", "X"]
    name, chart, _ = chart_from_names(["AI", "E", "O", "U", "etc", "FV", "L", "MBP", "WQ", "rest"])
    assert name == "Papagayo" and chart["A"] == "MBP" and chart["C"] == "E" and chart["D"] == "AI"
    assert chart["X"] == "rest" and chart["G"] == "FV"
    assert chart_from_names(["Head", "Eyes"])[1] == {}


def test_a_custom_mapping_names_the_drawings():
    m = Mapping("Mine", [Binding("viseme:A", "shape_key", "closed"), Binding("viseme:D", "shape_key", "wide"),
                         Binding("control:jaw_open", "shape_key", "wide")])
    name, chart, missing = chart_from_names(["closed", "wide", "other"], m)
    assert name == "Mine" and chart == {"A": "closed", "D": "wide"} and "X" in missing
    with pytest.raises(MappingError, match="binds no viseme"):
        chart_from_names(["a", "b"], Mapping("M", [Binding("viseme:A", "shape_key", "zzz")]))


def test_missing_shapes_borrow_a_substitute():
    full, notes = complete_chart({"A": "a", "C": "c", "D": "d"})
    assert full["X"] == "a" and full["H"] == "c" and full["E"] == "d" and full["B"] == "c"
    assert set(full) == set(CHART_ORDER) and len(notes) == 6
    with pytest.raises(MappingError, match="No mouth drawings"):
        complete_chart({})


def test_shapes_close_on_every_mbp_and_rest_in_pauses():
    s = AnimSettings()
    grid, letters, closure = chart_shapes(TRACK, s, 24, 1)
    assert len(grid) == len(letters) and len(set(letters)) >= 6
    cf = closure_frames(TRACK, s, 24, 1)
    assert set(grid[closure]) == set(cf) and all(letters[i] == "A" for i in closure)
    assert sum(1 for c in TRACK.cues if c.viseme == "A") <= len(cf)
    # a pause longer than rest_after_pause is at rest, away from the lead at its end
    pauses = [(c0.end, c1.start) for c0, c1 in zip(TRACK.cues, TRACK.cues[1:]) if c1.start - c0.end > 0.4]
    pauses += [(c.start, c.end) for c in TRACK.cues if c.viseme == "X" and c.end - c.start > 0.4]
    assert pauses
    for a, b in pauses:
        mid = int(round(1 + 0.5 * (a + b) * 24))
        assert letters[int(np.searchsorted(grid, mid))] == "X", (a, b)


def test_on_twos_and_minimum_hold():
    grid, letters, _ = chart_shapes(TRACK, AnimSettings(step=2, min_hold_frames=4), 24, 1)
    assert np.all(np.diff(grid) == 2)
    runs = shape_runs(grid, letters, 2)
    assert runs[0][0] == grid[0] and runs[-1][1] == grid[-1] + 1
    # closures are never dropped; every other drawing holds >= 4 frames unless a closure cut into it
    for prev, r, nxt in zip(runs, runs[1:], runs[2:]):
        assert r[1] - r[0] + 1 >= 4 or r[2] == "A" or "A" in (prev[2], nxt[2]), (prev, r, nxt)
    assert sum(1 for r in runs if r[1] - r[0] + 1 < 4 and r[2] != "A") <= 2


def test_lead_moves_the_drawings_earlier():
    g0, l0, _ = chart_shapes(TRACK, AnimSettings(lead_frames=0, min_hold_frames=0), 24, 1)
    g3, l3, _ = chart_shapes(TRACK, AnimSettings(lead_frames=3, min_hold_frames=0), 24, 1)
    first0 = next(i for i, v in enumerate(l0) if v != "X")
    first3 = next(i for i, v in enumerate(l3) if v != "X")
    assert first0 - first3 == 3


def test_curves_are_stepped_values_of_the_drawings():
    values = {v: float(i + 1) for i, v in enumerate(CHART_ORDER)}
    ch = ChartChannel("object", 'modifiers["Mouth"].offset', 0, values, "Mouth.offset")
    chart = {v: v for v in CHART_ORDER}
    (c,) = chart_curves(TRACK, chart, [ch], AnimSettings(), 24, 1)
    assert c.kind == "property" and c.interpolation == "CONSTANT" and c.data_path == 'modifiers["Mouth"].offset'
    grid, letters, _ = chart_shapes(TRACK, AnimSettings(), 24, 1)
    assert np.array_equal(dense_values(c, grid), [values[v] for v in letters])
    assert np.all(np.diff(c.values) != 0) and c.n_keys < len(grid) / 2  # a key only where the drawing changes
    # a range: keys only inside it
    (r,) = chart_curves(TRACK, chart, [ch], AnimSettings(), 24, 1, frame_range=(50, 120))
    assert r.frames.min() >= 50 and r.frames.max() <= 120
    with pytest.raises(MappingError, match="no value for drawing"):
        chart_curves(TRACK, chart, [ChartChannel("o", "p", 0, {"A": 1.0})], AnimSettings(), 24, 1)


def test_merge_runs_keeps_the_outside():
    old = [[1, 10, "X"], [11, 20, "D"], [21, 40, "X"]]
    new = [[15, 18, "A"]]
    assert merge_runs(old, new, 15, 18) == [[1, 10, "X"], [11, 14, "D"], [15, 18, "A"], [19, 20, "D"], [21, 40, "X"]]


def test_sheet_layout_and_order():
    lay = SheetLayout.parse("3x3")
    assert lay.offset("A") == (0.0, 0.0) and lay.offset("E") == pytest.approx((1 / 3, -1 / 3))
    assert lay.offset("X") == pytest.approx((2 / 3, -2 / 3))
    with pytest.raises(MappingError, match="COLUMNSxROWS"):
        SheetLayout.parse("three")
    with pytest.raises(MappingError, match="too few"):
        SheetLayout.parse("2x2")
    assert parse_order("MBP, etc  E,AI") == ["MBP", "etc", "E", "AI"]


def test_timeline_spans_labels_and_marker_names():
    from lipsync.addon.timeline import label_at, marker_names, phone_spans, word_spans

    phones = [[1, 5, "SIL", None, 1.0], [5, 8, "h", "hello", 1.0], [8, 12, "ə", "hello", 1.0],
              [12, 16, "l", "hello", 0.9], [16, 20, "oʊ", "hello", 1.0], [20, 24, "w", "world", 1.0]]
    words = word_spans(phones)
    assert words == [(5, 19, "hello"), (20, 23, "world")]
    ph = phone_spans(phones)
    assert ph[0] == (5, 7, "h") and len(ph) == 5
    shapes = [[1, 4, "X"], [5, 9, "B"]]
    assert label_at(6, words, ph, shapes) == '"hello"  /h/  mouth B'
    assert label_at(2, words, ph, shapes) == '"-"  /-/  mouth X'
    names = marker_names(words, ph, True, False)
    assert names == [("LS: hello", 5), ("LS: world", 20)]
    assert ("LS/ə/", 8) in marker_names(words, ph, False, True) and marker_names(words, ph, False, False) == []
