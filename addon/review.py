"""Where the animator should look twice: low-confidence stretches of a take, as timeline markers and a list.

Every take (action) keeps the phones it was made from, in scene frames, with
their confidence, as JSON in the custom property ``lipsync_review``:

    {"version": 1, "fps": 24.0,
     "phones": [[first_frame, end_frame, "IPA", "word" or null, confidence], ...],
     "warnings": [[first_frame, last_frame, "text"], ...]}

so the spans can be listed for any threshold without analysing again, and a
take regenerated over a frame range keeps the earlier take's phones outside it.
``review_spans`` merges neighbouring phones below the threshold (like
``PhoneTrack.review_spans``). ``sync_markers`` makes the scene's timeline show
the active take's spans as markers named ``LS review 1 (Head)``, ...; markers
with other names (the animator's own) are never touched.

Everything but ``sync_markers`` / ``clear_markers`` / ``load`` / ``store`` is
bpy-free.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field

REVIEW_PROP = "lipsync_review"  # on take actions: JSON (see module doc)
MARKER_PREFIX = "LS review"
DEFAULT_THRESHOLD = 0.5
_MARKER_RE = re.compile(r"^LS review (\d+)(?: \((.*)\))?$")


@dataclass
class ReviewSpan:
    """One stretch to check: scene frames ``frame_start``..``frame_end`` (inclusive)."""

    index: int  # 1-based, in time order (the marker's number)
    frame_start: int
    frame_end: int
    phones: list[str]
    words: list[str]
    confidence: float  # the lowest phone confidence in the span
    notes: list[str] = field(default_factory=list)  # warnings of the analysis that concern this stretch

    @property
    def label(self) -> str:
        """What is doubtful, in one line: the words (or phones) and the confidence."""
        what = " ".join(self.words) if self.words else "/" + " ".join(self.phones) + "/"
        return f"{what} (confidence {self.confidence:.2f})"

    def to_dict(self) -> dict:
        d = asdict(self)
        d["label"] = self.label
        return d


def record_phones(phones, frame_at, lo: float = -math.inf, hi: float = math.inf) -> list[list]:
    """TimedPhones -> [[first_frame, end_frame, phone, word, confidence], ...] in scene frames.

    ``frame_at(t)`` maps audio seconds to a (fractional) scene frame; phones are
    clipped to [lo, hi) (the frames the take covers) and dropped outside it.
    """
    out = []
    for p in phones:
        f0, f1 = max(lo, frame_at(p.start)), min(hi, frame_at(p.end))
        if f1 <= f0:
            continue
        out.append([round(f0, 3), round(f1, 3), str(p.phone), p.word or None, round(float(p.confidence), 4)])
    return out


def merge_phones(old: list[list], new: list[list], lo: float, hi: float) -> list[list]:
    """The phones of a take regenerated over scene frames [lo, hi): ``old`` outside, ``new`` inside."""
    kept = []
    for f0, f1, ph, w, c in old:
        if f1 <= lo or f0 >= hi:
            kept.append([f0, f1, ph, w, c])
            continue
        if f0 < lo:  # straddles the start: keep the part before
            kept.append([f0, lo, ph, w, c])
        if f1 > hi:  # straddles the end: keep the part after
            kept.append([hi, f1, ph, w, c])
    return sorted(kept + [list(x) for x in new], key=lambda x: x[0])


def merge_warnings(old: list[list], new: list[list], lo: float, hi: float) -> list[list]:
    kept = [w for w in old if w[1] < lo or w[0] >= hi]
    return kept + [list(w) for w in new]


def review_spans(data: dict | None, threshold: float = DEFAULT_THRESHOLD) -> list[ReviewSpan]:
    """Merged stretches of ``data["phones"]`` with confidence below ``threshold``, numbered from 1."""
    if not data:
        return []
    groups: list[list[list]] = []
    for rec in data.get("phones", []):
        f0, f1, ph, w, c = rec
        if c >= threshold:
            continue
        if groups and abs(groups[-1][-1][1] - f0) < 1e-3:
            groups[-1].append(rec)
        else:
            groups.append([rec])
    spans = []
    warnings = data.get("warnings", [])
    for i, g in enumerate(groups, 1):
        a = int(math.floor(g[0][0] + 1e-6))
        b = max(a, int(math.ceil(g[-1][1] - 1e-6)) - 1)
        words = []
        for rec in g:
            if rec[3] and (not words or words[-1] != rec[3]):
                words.append(rec[3])
        notes = [w[2] for w in warnings if w[0] <= b and w[1] >= a]
        spans.append(ReviewSpan(i, a, b, [rec[2] for rec in g], words, min(rec[4] for rec in g), notes))
    return spans


def marker_name(index: int, obj_name: str) -> str:
    name = f"{MARKER_PREFIX} {index} ({obj_name})"
    if len(name.encode()) > 63:  # Blender's marker names hold 63 bytes
        name = f"{MARKER_PREFIX} {index}"
    return name


def is_ours(marker_name_: str, obj_name: str | None = None) -> bool:
    """A marker Lip Sync made (for ``obj_name``, or for any character when None)."""
    m = _MARKER_RE.match(marker_name_)
    if m is None:
        return False
    return obj_name is None or m.group(2) in (obj_name, None)


# ------------------------------------------------------------------ bpy side

def load(action) -> dict | None:
    """The review data stored on a take, or None (an older take, or not a take)."""
    if action is None:
        return None
    raw = action.get(REVIEW_PROP)
    if not isinstance(raw, str):
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def store(action, data: dict) -> None:
    action[REVIEW_PROP] = json.dumps(data, separators=(",", ":"))


def take_spans(obj, threshold: float = DEFAULT_THRESHOLD, take: str | None = None) -> list[ReviewSpan]:
    """The review spans of ``obj``'s active take (or of take ``take``)."""
    import bpy

    from ..rigging.blender import takes as rtakes

    name = take if take is not None else rtakes.active_take(obj)
    return review_spans(load(bpy.data.actions.get(name or "")), threshold)


def take_warnings(obj, take: str | None = None) -> list[str]:
    import bpy

    from ..rigging.blender import takes as rtakes

    name = take if take is not None else rtakes.active_take(obj)
    data = load(bpy.data.actions.get(name or "")) or {}
    out = []
    for w in data.get("warnings", []):
        if w[2] not in out:
            out.append(w[2])
    return out


def clear_markers(scene, obj_name: str | None = None) -> int:
    """Remove Lip Sync's review markers (of ``obj_name``, or all); returns how many. Others stay."""
    tm = scene.timeline_markers
    ours = [m for m in tm if is_ours(m.name, obj_name)]
    for m in ours:
        tm.remove(m)
    return len(ours)


def sync_markers(scene, obj, threshold: float = DEFAULT_THRESHOLD, show: bool = True) -> list[ReviewSpan]:
    """Make ``scene``'s review markers for ``obj`` those of its active take; returns the spans."""
    if obj is None:
        return []
    clear_markers(scene, obj.name)
    spans = take_spans(obj, threshold)
    if show:
        for s in spans:
            scene.timeline_markers.new(marker_name(s.index, obj.name), frame=s.frame_start)
    return spans
