"""Generate All: every unmuted (or every selected) sound strip of the scene, each onto its character.

- **Who speaks.** Each strip remembers its character in the custom property
  ``CHARACTER_PROP`` (set in the panel, and after a run); a strip without one gets a
  default matched from the strip's and its file's name against the characters' names
  (``name_tokens`` / ``match_character``: ``alice_line01.wav`` -> ``Alice`` or
  ``Alice_Head``), else the panel's Target, else the scene's only character.
- **Characters.** Objects Lip Sync can key (mouth shape keys or a mouth rig) that are not
  the teeth or tongue of another one (``characters``).
- **The run.** ``BatchRun`` prepares every strip's job on the main thread, analyses them one
  after another (``analyze_next``, safe in a worker thread), and applies each result on
  the main thread (``apply_ready``) as a new take; one strip's failure is reported and the
  others go on; a cancel stops the analysis and keeps what was applied. Transcripts: a Text
  datablock named after the strip or its file, else ``NAME.txt`` beside the audio file.

Name matching is bpy-free; the rest only reads and writes what it is given.
"""
from __future__ import annotations

import os
import re
import threading
import traceback
from dataclasses import dataclass, field

from ..errors import Cancelled, LipSyncError, failure_message

CHARACTER_PROP = "lipsync_character"  # on sound strips: the name of the character who speaks it
GENERIC = {"dialogue", "dialog", "line", "lines", "vo", "voice", "take", "audio", "sound", "strip", "wav", "mp3",
           "flac", "ogg", "aif", "aiff", "final", "mix", "char", "character", "head", "mesh", "face", "geo", "rig",
           "armature", "body", "the", "and", "sfx", "fx", "track", "clip", "shot", "scene", "sc", "sh"}


# ---------------------------------------------------------------- matching names (bpy-free)

def name_tokens(name: str) -> set[str]:
    """The words of a name that can tell characters apart: ``"Alice_Line01.wav"`` -> ``{"alice"}``."""
    words = re.sub(r"([a-z])([A-Z])", r"\1 \2", os.path.splitext(name)[0] if "." in name[-5:] else name)
    return {w for w in re.split(r"[^a-z]+", words.lower()) if len(w) >= 2 and w not in GENERIC}


def _score(a: set[str], b: set[str]) -> int:
    best = 0
    for x in a:
        for y in b:
            if x == y:
                best = max(best, 2 * len(x))
            elif min(len(x), len(y)) >= 3 and (x.startswith(y) or y.startswith(x)):
                best = max(best, min(len(x), len(y)))
    return best


def match_character(strip_names, characters: dict[str, list[str]]) -> str | None:
    """The character whose names share the most with ``strip_names`` (the strip's and its file's).

    ``characters``: character -> the names it goes by (object, armature, parent). None when no
    character matches, or two match equally well.
    """
    words = set().union(*(name_tokens(n) for n in strip_names if n))
    scored = sorted(((max(_score(words, name_tokens(n)) for n in names), c) for c, names in characters.items()),
                    reverse=True)
    if not scored or scored[0][0] == 0 or (len(scored) > 1 and scored[1][0] == scored[0][0]):
        return None
    return scored[0][1]


@dataclass
class PlanItem:
    """One strip of a Generate All run, before it runs."""

    strip: str
    character: str | None
    how: str  # "remembered", "name", "target", "only", or "" (no character: the strip is skipped)

    @property
    def label(self) -> str:
        if self.character is None:
            return "no character: pick one"
        return self.character + ("" if self.how == "remembered" else f" (by {self.how})")


@dataclass
class StripResult:
    """What a Generate All run did with one strip: the report line says it."""

    strip: str
    character: str | None
    status: str = "pending"  # pending, done, error, skipped, cancelled
    take: str = ""
    n_keys: int = 0
    meshes: list = field(default_factory=list)
    n_review: int = 0
    message: str = ""

    def line(self) -> str:
        who = f"'{self.strip}' -> {self.character or '?'}"
        if self.status == "done":
            from .jobs import review_count_text

            on = f" on {', '.join(self.meshes)}" if len(self.meshes) > 1 else ""
            return f"{who}: take '{self.take}', {self.n_keys} keys{on}; {review_count_text(self.n_review)}"
        if self.status == "cancelled":
            return f"{who}: not done (cancelled)"
        return f"{who}: {self.status}: {self.message}"


# ---------------------------------------------------------------- the scene (bpy)

def batch_strips(scene, selected_only: bool = False) -> list:
    """The sound strips Generate All runs on: unmuted ones (on unmuted channels), or the selected ones."""
    from . import strips as strips_mod

    out = [s for s in strips_mod.sound_strips(scene) if not strips_mod.strip_muted(scene, s)]
    if selected_only:
        out = [s for s in out if getattr(s, "select", False)]
    return out


def characters(scene) -> list:
    """Objects of ``scene`` Lip Sync can key, one per character (not the teeth or tongue of another)."""
    from ..rigging.blender.targets import character_root, companion_meshes
    from ..rigging.mapping import detect_preset
    from .jobs import rig_target_names

    found = []
    for o in scene.objects:
        if o.type not in ("MESH", "ARMATURE"):
            continue
        if o.type == "MESH" and (o.data.shape_keys is None or len(o.data.shape_keys.key_blocks) < 2):
            continue
        names, kinds = rig_target_names(o)
        if names and detect_preset(names, kinds)[1].bindings:
            found.append(o)
    meshes = [o for o in found if o.type == "MESH"]
    # a character's smaller meshes (teeth, tongue) are keyed with its head: they are not characters
    drop = {c.name for m in meshes for c in companion_meshes(m) if len(c.data.vertices) < len(m.data.vertices)}
    roots = {character_root(m) for m in meshes if m.name not in drop}
    return [o for o in found if o.name not in drop and not (o.type == "ARMATURE" and o in roots)]


def character_names(obj) -> list[str]:
    """The names a character goes by: the object's, its armature's or parent's."""
    from ..rigging.blender.targets import character_root

    root = character_root(obj) if obj.type == "MESH" else None
    return [obj.name] + ([root.name] if root is not None else [])


def plan(scene, selected_only: bool = False) -> list[PlanItem]:
    """Which character each strip of a Generate All run goes to, and why."""
    chars = characters(scene)
    by_name = {c.name: c for c in chars}
    names = {c.name: character_names(c) for c in chars}
    target = scene.lipsync.target
    items = []
    for s in batch_strips(scene, selected_only):
        remembered = s.get(CHARACTER_PROP)
        if isinstance(remembered, str) and remembered in scene.objects:
            items.append(PlanItem(s.name, remembered, "remembered"))
            continue
        sound = getattr(s, "sound", None)
        file_name = os.path.basename(getattr(sound, "filepath", "") or "")
        hit = match_character([s.name, file_name], names)
        if hit is not None:
            items.append(PlanItem(s.name, by_name[hit].name, "name"))
        elif target is not None:
            items.append(PlanItem(s.name, target.name, "target"))
        elif len(chars) == 1:
            items.append(PlanItem(s.name, chars[0].name, "only"))
        else:
            items.append(PlanItem(s.name, None, ""))
    return items


def strip_transcript(strip, audio_path: str) -> str | None:
    """A strip's own transcript: a Text datablock named after the strip or its file, else NAME.txt beside it."""
    import bpy

    stem = os.path.splitext(os.path.basename(audio_path))[0]
    for name in (strip.name, stem, strip.name + ".txt", stem + ".txt"):
        text = bpy.data.texts.get(name)
        if text is not None and text.as_string().strip():
            return text.as_string().strip()
    path = os.path.splitext(audio_path)[0] + ".txt"
    if os.path.isfile(path):
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            text = fh.read().strip()
        return text or None
    return None


# ---------------------------------------------------------------- the run

class BatchRun:
    """One Generate All run over ``items`` (``plan``): prepare all, then analyse and apply one by one.

    The modal operator calls ``analyze_next`` from a worker thread and ``apply_ready`` on the
    main thread at each timer tick; ``run_all`` does both synchronously (background mode).
    """

    def __init__(self, scene, items: list[PlanItem]):
        from .jobs import prepare_job

        self.scene_name = scene.name
        self.results = [StripResult(it.strip, it.character) for it in items]
        self.jobs: list = [None] * len(items)
        self.analyses: list = [None] * len(items)
        self.cancel = False
        self.frac = 0.0  # of the strip being analysed
        self.msg = ""
        self.current = 0  # index of the strip being analysed
        self._applied = 0
        self._shown = 0.0
        self._lock = threading.Lock()
        for i, (it, res) in enumerate(zip(items, self.results)):
            if it.character is None:
                res.status, res.message = "skipped", "no character: pick one for this strip in the Lip Sync panel"
                continue
            try:
                job = prepare_job(scene, target=it.character, strip=it.strip, take_name="", transcript="")
                job.transcript = strip_transcript(_strip(scene, it.strip), job.audio_path)
                self.jobs[i] = job
            except Exception as exc:  # noqa: BLE001 - one strip's problem is reported, the others run
                if not isinstance(exc, LipSyncError):
                    traceback.print_exc()
                res.status, res.message = "error", failure_message(exc, "checking the strip")

    @property
    def n(self) -> int:
        return len(self.results)

    @property
    def progress(self) -> float:
        """0..1 across all strips (never going back, though the worker moves on between reads)."""
        self._shown = max(self._shown, min(1.0, (self.current + self.frac) / max(1, self.n)))
        return self._shown

    def analyze_next(self) -> bool:
        """Analyse the next prepared strip (bpy-free: runs in a worker thread). False when none is left."""
        from .jobs import analyze_job

        while self.current < self.n and self.jobs[self.current] is None:
            self.current += 1
        if self.current >= self.n or self.cancel:
            return False
        i = self.current
        res = self.results[i]

        def progress(frac, msg):
            self.frac, self.msg = float(frac), str(msg)

        self.frac, self.msg = 0.0, "Starting"
        try:
            result = analyze_job(self.jobs[i], progress=progress, cancel=lambda: self.cancel)
            with self._lock:
                self.analyses[i] = result
        except Cancelled:
            res.status = "cancelled"
            return False
        except Exception as exc:  # noqa: BLE001 - reported per strip
            if not isinstance(exc, LipSyncError):
                traceback.print_exception(exc)
            res.status, res.message = "error", failure_message(exc, "analysing the dialogue")
        self.current, self.frac = i + 1, 0.0
        return True

    def apply_ready(self) -> int:
        """Key every analysed strip not yet applied (main thread); returns how many were applied now."""
        from .jobs import apply_job

        done = 0
        while self._applied < self.n:
            i = self._applied
            with self._lock:
                analysis = self.analyses[i]
            res = self.results[i]
            if analysis is None:
                if res.status == "pending" and self.jobs[i] is not None:
                    break  # still being analysed
                self._applied += 1
                continue
            try:
                summary = apply_job(self.jobs[i], analysis)
                import bpy

                res.status, res.take, res.n_keys = "done", summary["take"], summary["n_keys"]
                res.n_review, res.meshes = len(summary["review"]), summary["objects"]
                _strip(bpy.data.scenes[self.scene_name], res.strip)[CHARACTER_PROP] = summary["object"]
            except Exception as exc:  # noqa: BLE001 - reported per strip
                if not isinstance(exc, LipSyncError):
                    traceback.print_exc()
                res.status, res.message = "error", failure_message(exc, "keying the character")
            with self._lock:
                self.analyses[i] = None  # free the analysis
            self._applied += 1
            done += 1
        return done

    def finish_cancelled(self) -> None:
        """After a cancel: strips never analysed are marked as not done."""
        for r in self.results:
            if r.status == "pending":
                r.status = "cancelled"

    def run_all(self) -> list[StripResult]:
        while self.analyze_next():
            self.apply_ready()
        self.apply_ready()
        self.finish_cancelled()
        return self.results

    @property
    def n_done(self) -> int:
        return sum(r.status == "done" for r in self.results)

    def summary_line(self) -> str:
        done, n = self.n_done, self.n
        errors = sum(r.status in ("error", "skipped") for r in self.results)
        chars = sorted({r.character for r in self.results if r.status == "done"})
        text = f"Generate All: {done} of {n} strip{'s' if n != 1 else ''} keyed"
        if chars:
            text += f" on {', '.join(chars)}"
        if errors:
            text += f"; {errors} with problems (see the lines above)"
        if any(r.status == "cancelled" for r in self.results):
            text += "; cancelled, the strips done so far are kept"
        return text


def _strip(scene, name: str):
    from . import strips as strips_mod

    return strips_mod.find_sound_strip(scene, name)


__all__ = ["CHARACTER_PROP", "name_tokens", "match_character", "PlanItem", "StripResult", "batch_strips",
           "characters", "character_names", "plan", "strip_transcript", "BatchRun"]
