"""Animator controls for one character (bpy-free).

The add-on stores these per character (panel) and the command line takes them
as options; ``rigging.curves.build_curves`` reads them.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from ..errors import SettingsError

INTERPOLATIONS = ("BEZIER", "CONSTANT", "LINEAR")

# name -> (label, min, max, unit) of each control: the panel's label and slider range
# (addon.properties), the command line's ranges and validate()'s checks all read this one table.
# Lead is anticipation only: the mouth never trails the sound (to move the whole animation, move
# the sound strip or the keys).
CONTROLS: dict[str, tuple] = {
    "lead_frames": ("Lead (Anticipation)", 0.0, 10.0, " frames (how early the mouth reaches each shape)"),
    "min_hold_frames": ("Minimum Hold", 0.0, 12.0, " frames"),
    "step": ("Step (On Ones/Twos)", 1, 4, ""),
    "intensity": ("Intensity", 0.0, 2.0, ""),
    "jaw_lips_balance": ("Jaw / Lips Balance", -1.0, 1.0, " (-1 = all jaw, 1 = all lips)"),
    "smoothing": ("Smoothing (Co-articulation)", 0.0, 1.0, ""),
    "loudness_opening": ("Loudness Opening", 0.0, 1.0, ""),
    "rest_after_pause": ("Rest After Pause (s)", 0.0, 10.0, " seconds"),
    "ensure_closure": ("Ensure Closure", None, None, ""),
    "simplify_tolerance": ("Simplify Tolerance", 0.0, 0.5, " (0 = no simplification)"),
    "interpolation": ("Interpolation", None, None, ""),
}
RANGES: dict[str, tuple] = {k: (lo, hi) for k, (_label, lo, hi, _unit) in CONTROLS.items() if lo is not None}


@dataclass
class AnimSettings:
    lead_frames: float = field(default=1.0, metadata={"help": (
        "Anticipation: the mouth reaches each shape this many frames before the sound.")})
    min_hold_frames: float = field(default=2.0, metadata={"help": (
        "Every mouth shape is held at least this many frames (M/B/P closures are never dropped).")})
    step: int = field(default=1, metadata={"help": (
        "1 = animate on ones, 2 = on twos (keys every 2nd frame), 3 = on threes.")})
    intensity: float = field(default=1.0, metadata={"help": (
        "Exaggeration: 1 = as detected, >1 pushes shapes further, <1 subtler.")})
    jaw_lips_balance: float = field(default=0.0, metadata={"help": (
        "-1 = all jaw, 0 = neutral, +1 = all lips (jaw opening scaled down, lip shapes up).")})
    smoothing: float = field(default=0.5, metadata={"help": (
        "Co-articulation amount 0..1: how much neighbouring shapes blend into each other.")})
    loudness_opening: float = field(default=0.3, metadata={"help": (
        "0..1: how much the jaw opening follows loudness (needs a loudness envelope).")})
    rest_after_pause: float = field(default=0.3, metadata={"help": (
        "Pauses longer than this (seconds) return to the rest pose; shorter ones glide through.")})
    ensure_closure: bool = field(default=True, metadata={"help": (
        "Lips fully close for at least one frame on every M, B, P.")})
    simplify_tolerance: float = field(default=0.02, metadata={"help": (
        "Keys are thinned until the curve is within this error of the full-rate curve (0 = key every frame).")})
    interpolation: str = field(default="BEZIER", metadata={"help": (
        "\"BEZIER\" (smooth 3D), \"CONSTANT\" (stepped, 2D look) or \"LINEAR\".")})

    def validate(self) -> "AnimSettings":
        """Raise SettingsError naming the first bad value; returns self so calls chain."""
        for name, (what, lo, hi, unit) in CONTROLS.items():
            if lo is None:
                continue
            v = getattr(self, name)
            if name == "step":
                if not (isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi):
                    raise SettingsError(f"Step must be 1 (on ones), 2 (on twos), 3 or 4, got {v!r}.")
                continue
            try:
                ok = lo <= float(v) <= hi  # False for NaN
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise SettingsError(f"{what} must be between {lo:g} and {hi:g}{unit}, got {v!r}.")
        if self.interpolation not in INTERPOLATIONS:
            raise SettingsError(f"Interpolation must be one of {', '.join(INTERPOLATIONS)}, got {self.interpolation!r}.")
        return self

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "AnimSettings":
        """Build from a dict (unknown keys are ignored so older saved settings still load)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


STYLE_PRESETS = {
    "Smooth 3D": AnimSettings(),
    "Snappy 2D (on twos)": AnimSettings(step=2, interpolation="CONSTANT", smoothing=0.0, min_hold_frames=2,
                                        intensity=1.1, simplify_tolerance=0.05),
    "Subtle": AnimSettings(intensity=0.7, smoothing=0.8, lead_frames=1.0),
    "Exaggerated": AnimSettings(intensity=1.4, smoothing=0.3, jaw_lips_balance=-0.2, loudness_opening=0.5),
}
