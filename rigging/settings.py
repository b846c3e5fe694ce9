"""Animator controls for one character (bpy-free).

The add-on stores these per character (panel) and the command line takes them
as options; ``rigging.curves.build_curves`` reads them.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from ..errors import SettingsError

INTERPOLATIONS = ("BEZIER", "CONSTANT", "LINEAR")


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
        def need(ok: bool, msg: str):
            if not ok:
                raise SettingsError(msg)

        need(-10.0 <= self.lead_frames <= 10.0, f"Lead (anticipation) must be between -10 and 10 frames, got {self.lead_frames}.")
        need(0.0 <= self.min_hold_frames <= 12.0, f"Minimum hold must be between 0 and 12 frames, got {self.min_hold_frames}.")
        need(isinstance(self.step, int) and 1 <= self.step <= 4,
             f"Step must be 1 (on ones), 2 (on twos), 3 or 4, got {self.step!r}.")
        need(0.0 <= self.intensity <= 2.0, f"Intensity must be between 0 and 2, got {self.intensity}.")
        need(-1.0 <= self.jaw_lips_balance <= 1.0,
             f"Jaw/lips balance must be between -1 (jaw) and 1 (lips), got {self.jaw_lips_balance}.")
        need(0.0 <= self.smoothing <= 1.0, f"Smoothing must be between 0 and 1, got {self.smoothing}.")
        need(0.0 <= self.loudness_opening <= 1.0, f"Loudness opening must be between 0 and 1, got {self.loudness_opening}.")
        need(0.0 <= self.rest_after_pause <= 10.0,
             f"Rest after pause must be between 0 and 10 seconds, got {self.rest_after_pause}.")
        need(0.0 <= self.simplify_tolerance <= 0.5,
             f"Simplify tolerance must be between 0 (no simplification) and 0.5, got {self.simplify_tolerance}.")
        need(self.interpolation in INTERPOLATIONS,
             f"Interpolation must be one of {', '.join(INTERPOLATIONS)}, got {self.interpolation!r}.")
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
