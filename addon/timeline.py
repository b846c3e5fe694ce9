"""Hand-polish aids: word and phone markers on the timeline, and what the preview burns in.

A take keeps its phones (with their words) in scene frames (``review``) and the mouth shape
each frame holds (``takes.take_shapes``). From these:

- ``sync_markers`` puts optional timeline markers on the scene: ``LS: word`` at each word's
  first frame, ``LS/phone/`` at each phone's. The markers Lip Sync made for a character are
  remembered on the scene (``MARKERS_PROP``: name and frame per marker) and exactly those are
  replaced on the next generation; markers the animator made (any other name or frame) are
  never touched.
- ``frame_labels`` / ``label_at``: the word, phone and shape at a frame, for the preview's
  burn-in (Blender's render stamp: frame number plus a note updated on every frame).

``word_spans``, ``phone_spans``, ``label_at`` and ``marker_names`` are bpy-free.
"""
from __future__ import annotations

import bisect
import json

MARKERS_PROP = "lipsync_markers"  # on the scene: JSON {object name: [[marker name, frame], ...]}
WORD_PREFIX = "LS: "
PHONE_PREFIX = "LS/"
SILENT = {"SIL", "sil", "", "sp", "spn"}


def word_spans(phones) -> list[tuple[int, int, str]]:
    """[(first frame, last frame, word)] from stored phones [[f0, f1, phone, word, conf], ...]."""
    out: list[list] = []
    prev_word = None
    for f0, f1, _ph, word, _c in phones:
        if not word:
            prev_word = None
            continue
        a, b = int(round(f0)), max(int(round(f0)), int(round(f1)) - 1)
        if out and word == prev_word and a <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b, str(word)])
        prev_word = word
    return [tuple(s) for s in out]


def phone_spans(phones) -> list[tuple[int, int, str]]:
    """[(first frame, last frame, phone)] of the spoken phones (silences left out)."""
    out = []
    for f0, f1, ph, _w, _c in phones:
        if str(ph) in SILENT:
            continue
        a = int(round(f0))
        out.append((a, max(a, int(round(f1)) - 1), str(ph)))
    return out


def _at(spans, frame: int) -> str:
    starts = [s[0] for s in spans]
    i = bisect.bisect_right(starts, frame) - 1
    if i >= 0 and spans[i][0] <= frame <= spans[i][1]:
        return spans[i][2]
    return ""


def label_at(frame: int, words, phones, shapes) -> str:
    """The burn-in note for ``frame``: ``"hello" /h/ mouth C`` (dashes where nothing is said)."""
    w, p, s = _at(words, frame), _at(phones, frame), _at([tuple(r) for r in shapes], frame)
    return f"\"{w or '-'}\"  /{p or '-'}/  mouth {s or '-'}"


def marker_names(words, phones, use_words: bool, use_phones: bool) -> list[tuple[str, int]]:
    """(name, frame) of every marker to show (names at most 63 characters, Blender's limit)."""
    out = []
    if use_words:
        out += [((WORD_PREFIX + w)[:63], a) for a, _b, w in words]
    if use_phones:
        out += [((PHONE_PREFIX + p + "/")[:63], a) for a, _b, p in phones]
    return out


# ---------------------------------------------------------------- bpy side

def take_timeline(obj):
    """(words, phones, shapes) spans of ``obj``'s active take; empty lists when it has none."""
    import bpy

    from . import review
    from ..rigging.blender import takes as rtakes

    name = rtakes.active_take(obj) if obj is not None else None
    action = bpy.data.actions.get(name) if name else None
    data = review.load(action) or {}
    phones = data.get("phones", [])
    return word_spans(phones), phone_spans(phones), rtakes.take_shapes(action)


def _records(scene) -> dict:
    try:
        return json.loads(scene.get(MARKERS_PROP, "{}"))
    except (TypeError, ValueError):
        return {}


def clear_markers(scene, obj_name: str) -> int:
    """Remove the word / phone markers Lip Sync made for ``obj_name`` (only those); returns how many."""
    rec = _records(scene)
    mine = {(n, int(f)) for n, f in rec.pop(obj_name, [])}
    gone = [m for m in scene.timeline_markers if (m.name, m.frame) in mine]
    for m in gone:
        scene.timeline_markers.remove(m)
    scene[MARKERS_PROP] = json.dumps(rec)
    return len(gone)


def sync_markers(scene, obj, use_words: bool, use_phones: bool) -> int:
    """Replace ``obj``'s word / phone markers by those of its active take; returns the number shown."""
    clear_markers(scene, obj.name)
    if not (use_words or use_phones):
        return 0
    words, phones, _ = take_timeline(obj)
    want = marker_names(words, phones, use_words, use_phones)
    taken = {(m.name, m.frame) for m in scene.timeline_markers}  # the animator's: never doubled or claimed
    made = []
    for name, frame in want:
        if (name, frame) in taken:
            continue
        scene.timeline_markers.new(name, frame=frame)
        made.append([name, frame])
        taken.add((name, frame))
    rec = _records(scene)
    rec[obj.name] = made
    scene[MARKERS_PROP] = json.dumps(rec)
    return len(made)


__all__ = ["word_spans", "phone_spans", "label_at", "marker_names", "take_timeline", "sync_markers",
           "clear_markers", "MARKERS_PROP", "WORD_PREFIX", "PHONE_PREFIX"]
