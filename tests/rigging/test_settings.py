"""Animator controls: the factory defaults, every range at its edges, the styles."""
import pytest

from lipsync.errors import SettingsError
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
        with pytest.raises(SettingsError, match=r"Step must be 1 \(on ones\), 2 \(on twos\), 3 or 4, got"):
            AnimSettings(step=bad).validate()
    for ok in INTERPOLATIONS:
        AnimSettings(interpolation=ok).validate()
    with pytest.raises(SettingsError, match="Interpolation must be one of BEZIER, CONSTANT, LINEAR, got 'bezier'."):
        AnimSettings(interpolation="bezier").validate()


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
