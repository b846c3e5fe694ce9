"""Animator controls: the factory defaults, every range at its edges, the styles."""
import pytest

from lipsync.errors import SettingsError
from lipsync.rigging import settings
from lipsync.rigging.settings import INTERPOLATIONS, STYLE_PRESETS, AnimSettings

RANGES = {  # name: (lowest allowed, highest allowed, what the message says: the panel's label, range, unit)
    "lead_frames": (0.0, 10.0, "Lead (Anticipation) must be between 0 and 10 frames "
                               "(how early the mouth reaches each shape)"),  # anticipation only: never trails
    "min_hold_frames": (0.0, 12.0, "Minimum Hold must be between 0 and 12 frames"),
    "intensity": (0.0, 2.0, "Intensity must be between 0 and 2"),
    "jaw_lips_balance": (-1.0, 1.0, "Jaw / Lips Balance must be between -1 and 1 (-1 = all jaw, 1 = all lips)"),
    "smoothing": (0.0, 1.0, "Smoothing (Co-articulation) must be between 0 and 1"),
    "loudness_opening": (0.0, 1.0, "Loudness Opening must be between 0 and 1"),
    "rest_after_pause": (0.0, 10.0, "Rest After Pause (s) must be between 0 and 10 seconds"),
    "simplify_tolerance": (0.0, 0.5, "Simplify Tolerance must be between 0 and 0.5 (0 = no simplification)"),
}


def test_factory_defaults():
    assert AnimSettings().to_dict() == {
        "lead_frames": 1.0, "min_hold_frames": 2.0, "step": 1, "intensity": 1.0, "jaw_lips_balance": 0.0,
        "smoothing": 0.5, "loudness_opening": 0.3, "rest_after_pause": 0.3, "ensure_closure": True,
        "simplify_tolerance": 0.02, "interpolation": "BEZIER"}
    assert INTERPOLATIONS == ("BEZIER", "CONSTANT", "LINEAR")


@pytest.mark.parametrize("name", sorted(RANGES))
def test_each_range_at_its_edges(name):
    lo, hi, msg = RANGES[name]
    assert AnimSettings(**{name: lo}).validate() is not None and AnimSettings(**{name: hi}).validate()
    for bad in (lo - 0.01, hi + 0.01):
        with pytest.raises(SettingsError) as e:
            AnimSettings(**{name: bad}).validate()
        assert str(e.value) == f"{msg}, got {bad}."


def test_step_and_interpolation():
    for ok in (1, 2, 3, 4):
        AnimSettings(step=ok).validate()
    for bad in (0, 5, 2.0):
        with pytest.raises(SettingsError) as e:
            AnimSettings(step=bad).validate()
        assert str(e.value) == f"Step must be 1 (on ones), 2 (on twos), 3 or 4, got {bad!r}."
    for ok in INTERPOLATIONS:
        AnimSettings(interpolation=ok).validate()
    with pytest.raises(SettingsError) as e:
        AnimSettings(interpolation="bezier").validate()
    assert str(e.value) == "Interpolation must be one of BEZIER, CONSTANT, LINEAR, got 'bezier'."


@pytest.mark.parametrize("bad", ["lots", None, [1.0], float("nan")])
def test_a_value_that_is_not_a_number_is_refused(bad):
    with pytest.raises(SettingsError) as e:
        AnimSettings(intensity=bad).validate()
    assert str(e.value) == f"Intensity must be between 0 and 2, got {bad!r}."


def test_validate_returns_self_and_round_trips():
    s = AnimSettings(step=2, intensity=1.5)
    assert s.validate() is s
    assert AnimSettings.from_dict({**s.to_dict(), "retired_option": 3}) == s  # old saved settings still load
    assert AnimSettings.from_dict({"step": 3}) == AnimSettings(step=3)
    assert all(f.metadata["help"] for f in __import__("dataclasses").fields(AnimSettings))


def test_styles():
    assert list(STYLE_PRESETS) == ["Smooth 3D", "Snappy 2D (on twos)", "Subtle", "Exaggerated"]
    for s in STYLE_PRESETS.values():
        s.validate()
    assert STYLE_PRESETS["Smooth 3D"] == AnimSettings()
    snappy = STYLE_PRESETS["Snappy 2D (on twos)"]
    assert (snappy.step, snappy.interpolation, snappy.smoothing, snappy.min_hold_frames, snappy.intensity,
            snappy.simplify_tolerance) == (2, "CONSTANT", 0.0, 2, 1.1, 0.05)
    subtle, big = STYLE_PRESETS["Subtle"], STYLE_PRESETS["Exaggerated"]
    assert (subtle.intensity, subtle.smoothing, subtle.lead_frames) == (0.7, 0.8, 1.0)
    assert (big.intensity, big.smoothing, big.jaw_lips_balance, big.loudness_opening) == (1.4, 0.3, -0.2, 0.5)


def test_panel_labels_ranges_and_units():
    """One table (CONTROLS) gives the panel's label, the slider range and the unit of each control, in the
    order of the settings' fields; RANGES holds the numeric ones."""
    import dataclasses

    assert list(settings.CONTROLS) == [f.name for f in dataclasses.fields(AnimSettings)]
    assert {k: v[0] for k, v in settings.CONTROLS.items()} == {
        "lead_frames": "Lead (Anticipation)", "min_hold_frames": "Minimum Hold", "step": "Step (On Ones/Twos)",
        "intensity": "Intensity", "jaw_lips_balance": "Jaw / Lips Balance",
        "smoothing": "Smoothing (Co-articulation)", "loudness_opening": "Loudness Opening",
        "rest_after_pause": "Rest After Pause (s)", "ensure_closure": "Ensure Closure",
        "simplify_tolerance": "Simplify Tolerance", "interpolation": "Interpolation"}
    assert [settings.CONTROLS[k][3] for k in ("step", "intensity", "ensure_closure", "interpolation")] == [""] * 4
    assert settings.RANGES == {
        "lead_frames": (0.0, 10.0), "min_hold_frames": (0.0, 12.0), "step": (1, 4), "intensity": (0.0, 2.0),
        "jaw_lips_balance": (-1.0, 1.0), "smoothing": (0.0, 1.0), "loudness_opening": (0.0, 1.0),
        "rest_after_pause": (0.0, 10.0), "simplify_tolerance": (0.0, 0.5)}


CLI_HELP = {  # each control's --help line: its help text, the factory default, the range
    "--lead-frames": "Anticipation: the mouth reaches each shape this many frames before the sound. (1.0) [0 to 10]",
    "--min-hold-frames": "Every mouth shape is held at least this many frames (M/B/P closures are never dropped). "
                         "(2.0) [0 to 12]",
    "--step": "1 = animate on ones, 2 = on twos (keys every 2nd frame), 3 = on threes. (1) [1 to 4]",
    "--intensity": "Exaggeration: 1 = as detected, >1 pushes shapes further, <1 subtler. (1.0) [0 to 2]",
    "--jaw-lips-balance": "-1 = all jaw, 0 = neutral, +1 = all lips (jaw opening scaled down, lip shapes up). "
                          "(0.0) [-1 to 1]",
    "--smoothing": "Co-articulation amount 0..1: how much neighbouring shapes blend into each other. (0.5) [0 to 1]",
    "--loudness-opening": "0..1: how much the jaw opening follows loudness (needs a loudness envelope). (0.3) [0 to 1]",
    "--rest-after-pause": "Pauses longer than this (seconds) return to the rest pose; shorter ones glide through. "
                          "(0.3) [0 to 10]",
    "--ensure-closure": "Lips fully close for at least one frame on every M, B, P. (True)",
    "--simplify-tolerance": "Keys are thinned until the curve is within this error of the full-rate curve "
                            "(0 = key every frame). (0.02) [0 to 0.5]",
    "--interpolation": "\"BEZIER\" (smooth 3D), \"CONSTANT\" (stepped, 2D look) or \"LINEAR\". (BEZIER)",
}


def test_command_line_help_of_each_control():
    import argparse

    from lipsync import cli

    p = argparse.ArgumentParser()
    cli._add_settings_options(p)
    got = {a.option_strings[0]: a for a in p._actions if a.option_strings and a.option_strings[0] != "-h"}
    assert {k: a.help for k, a in got.items()} == CLI_HELP
    assert got["--ensure-closure"].option_strings == ["--ensure-closure", "--no-ensure-closure"]
    assert (got["--step"].type, got["--intensity"].type, got["--interpolation"].type) == (int, float, None)
    assert {a.dest for a in got.values()} == {"set_" + k[2:].replace("-", "_") for k in CLI_HELP}
    assert all(a.default is None for a in got.values())
    assert (got["--step"].metavar, got["--interpolation"].metavar, got["--ensure-closure"].metavar) == ("N", "NAME", None)
    args = p.parse_args(["--step", "2", "--no-ensure-closure", "--interpolation", "CONSTANT"])
    assert (args.set_step, args.set_ensure_closure, args.set_interpolation, args.set_intensity) == (2, False,
                                                                                                    "CONSTANT", None)
