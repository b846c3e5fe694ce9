"""Sound strips of the scene's sequencer: listing, file paths and timing.

Timing model (Blender's own, see ``seq_update_sound_bounds`` / audaspace):
a sound strip plays audio time ``t`` (seconds from the start of the file) at
scene frame ``frame_start + (t + sound_offset) * fps``, where ``frame_start``
is where the *untrimmed* strip content begins, ``sound_offset`` (seconds)
delays the audio inside the strip (negative: plays it earlier; checked against
``bpy.ops.sound.mixdown`` in tests/test_addon_timing.py), and only frames in
``[frame_final_start, frame_final_end)`` (the strip after its left/right trims)
are heard. ``fps`` is ``scene.render.fps / scene.render.fps_base`` (23.976 is
24/1.001, 29.97 is 30/1.001).

The arithmetic (``StripTiming``) is bpy-free so it can be unit tested; the
functions taking a ``strip`` or ``scene`` only read attributes from them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from ..errors import StripError


def scene_fps(render) -> float:
    """Frames per second of ``scene.render`` including ``fps_base`` (29.97 = 30 / 1.001)."""
    fps = float(render.fps)
    base = float(getattr(render, "fps_base", 1.0) or 1.0)
    if fps <= 0 or base <= 0:
        raise StripError(f"The scene frame rate is invalid ({render.fps} / {base}); set it in Output Properties -> Format.")
    return fps / base


@dataclass(frozen=True)
class StripTiming:
    """Where a sound strip's audio sits on the scene's frame axis."""

    fps: float
    frame_start: float  # scene frame of the untrimmed content start (strip.frame_start)
    frame_final_start: float  # first heard frame (after the left trim)
    frame_final_end: float  # one past the last heard frame (after the right trim)
    sound_offset: float = 0.0  # seconds the audio is delayed after frame_start (strip.sound_offset)

    @property
    def audio_start_frame(self) -> float:
        """Scene frame (fractional) at which audio time 0 plays."""
        return self.frame_start + self.sound_offset * self.fps

    def frame_at(self, t: float) -> float:
        """Scene frame (fractional) at which audio time ``t`` seconds plays."""
        return self.audio_start_frame + t * self.fps

    def time_at(self, frame: float) -> float:
        """Audio time in seconds heard at scene ``frame``."""
        return (frame - self.audio_start_frame) / self.fps

    @property
    def frame_range(self) -> tuple[int, int]:
        """Integer scene frames (inclusive) on which the strip is heard."""
        return int(round(self.frame_final_start)), int(round(self.frame_final_end)) - 1

    @property
    def audio_span(self) -> tuple[float, float]:
        """(start, end) seconds of the audio file that is heard (trims and offset applied)."""
        return self.time_at(self.frame_final_start), self.time_at(self.frame_final_end)


def strip_timing(strip, fps: float) -> StripTiming:
    return StripTiming(
        fps=float(fps),
        frame_start=float(strip.frame_start),
        frame_final_start=float(strip.frame_final_start),
        frame_final_end=float(strip.frame_final_end),
        sound_offset=float(getattr(strip, "sound_offset", 0.0) or 0.0),
    )


def file_timing(fps: float, start_frame: float, duration: float) -> StripTiming:
    """Timing of a plain audio file placed at ``start_frame`` (no strip)."""
    end = start_frame + duration * fps
    return StripTiming(fps=float(fps), frame_start=float(start_frame), frame_final_start=float(start_frame),
                       frame_final_end=float(end))


# ---------------------------------------------------------------- sequencer access

def _all_strips(scene):
    se = getattr(scene, "sequence_editor", None)
    if se is None:
        return []
    coll = getattr(se, "strips_all", None)  # Blender 4.4+ / 5.x
    if coll is None:
        coll = getattr(se, "sequences_all", None)  # Blender 4.2 / 4.3
    return list(coll) if coll is not None else []


def strips_collection_name(scene) -> str:
    """Name of the sequence editor's all-strips collection (for ``layout.prop_search``)."""
    se = scene.sequence_editor
    return "strips_all" if hasattr(se, "strips_all") else "sequences_all"


def top_strips(se):
    """The sequence editor's top-level strip collection: ``strips`` (4.4+, 5.x) or ``sequences`` (4.2 / 4.3)."""
    coll = getattr(se, "strips", None)
    return coll if coll is not None else se.sequences


def new_sound_strip(scene, name: str, path: str, channel: int, frame_start: int):
    """Add a sound strip playing ``path`` at ``frame_start``; StripError when this Blender cannot.

    Blender built without its audio library (Audaspace; e.g. PyPI's ``bpy`` 4.2) cannot make
    sound strips at all.
    """
    se = scene.sequence_editor_create()
    try:
        return top_strips(se).new_sound(name, path, int(channel), int(frame_start))
    except RuntimeError as exc:
        if "audaspace" in str(exc).lower():
            raise StripError("This Blender was built without audio support (Audaspace), so it cannot add sound "
                             "strips: use 'Audio File' as the source in the Lip Sync panel.") from exc
        raise StripError(f"Could not add a sound strip for {os.path.basename(path)}: {exc}") from exc


def remove_strip(scene, strip) -> None:
    se = scene.sequence_editor
    if se is not None:
        top_strips(se).remove(strip)


def strip_muted(scene, strip) -> bool:
    """Whether ``strip`` is not heard: muted itself, or on a muted channel."""
    if getattr(strip, "mute", False):
        return True
    channels = getattr(scene.sequence_editor, "channels", None)
    try:
        return bool(channels is not None and channels[strip.channel].mute)
    except (IndexError, KeyError, TypeError):
        return False


def sound_strips(scene) -> list:
    """Every sound strip of the scene (meta strips included), in channel/start order."""
    out = [s for s in _all_strips(scene) if getattr(s, "type", "") == "SOUND"]
    out.sort(key=lambda s: (s.channel, s.frame_final_start, s.name))
    return out


def default_sound_strip(scene):
    """The active strip if it is a sound strip, else the first selected one, else the only one, else None."""
    se = getattr(scene, "sequence_editor", None)
    strips = sound_strips(scene)
    active = getattr(se, "active_strip", None) if se is not None else None
    if active is not None and getattr(active, "type", "") == "SOUND":
        return active
    selected = [s for s in strips if getattr(s, "select", False)]
    if selected:
        return selected[0]
    if len(strips) == 1:
        return strips[0]
    return None


def find_sound_strip(scene, name: str = ""):
    """The sound strip called ``name`` (or the default one when ``name`` is empty); StripError if none."""
    strips = sound_strips(scene)
    if name:
        for s in _all_strips(scene):
            if s.name == name:
                if getattr(s, "type", "") != "SOUND":
                    raise StripError(f"Strip '{name}' is a {s.type.lower()} strip, not a sound strip. "
                                     "Pick a sound strip in the Lip Sync panel.")
                return s
        raise StripError(f"Sound strip '{name}' is not in scene '{scene.name}'. Pick another strip in the Lip Sync "
                         "panel, or add the dialogue with Add -> Sound in the Video Sequencer.")
    if not strips:
        raise StripError(f"Scene '{scene.name}' has no sound strip. Add the dialogue in the Video Sequencer "
                         "(Add -> Sound), or choose 'Audio File' as the source in the Lip Sync panel.")
    s = default_sound_strip(scene)
    if s is None:
        names = ", ".join(f"'{x.name}'" for x in strips[:5])
        raise StripError(f"Scene '{scene.name}' has {len(strips)} sound strips ({names}); select one in the "
                         "Video Sequencer or pick it in the Lip Sync panel.")
    return s


def resolve_path(path: str, library=None, abspath=None) -> str:
    """Absolute, normalised file path. ``abspath`` is ``bpy.path.abspath`` (blend-relative ``//`` paths,
    relative to ``library``'s file when the data comes from a linked library)."""
    if abspath is not None:
        path = abspath(path, library=library) if library is not None else abspath(path)
    elif path.startswith("//"):
        raise StripError(f"'{path}' is relative to the .blend file; save the .blend file first.")
    return os.path.normpath(os.path.abspath(path))


def strip_language(strip, default: str = "eng") -> str:
    """The language of a strip's dialogue: its own ``lipsync_language`` when set, else ``default`` (the scene's)."""
    own = (getattr(strip, "lipsync_language", "") or "").strip() if strip is not None else ""
    return own or (default or "").strip() or "eng"


def strip_audio_path(strip) -> str:
    """Absolute path of the audio file a sound strip plays; StripError when it is missing or packed."""
    sound = getattr(strip, "sound", None)
    if sound is None:
        raise StripError(f"Sound strip '{strip.name}' has no sound data. Re-add the dialogue file in the Video Sequencer.")
    raw = sound.filepath
    import bpy  # deferred: the timing arithmetic above stays bpy-free

    if getattr(sound, "packed_file", None) is not None:
        # Packed audio: write it next to the blend (unpack) is the user's call; read it from a temp copy.
        import tempfile

        ext = os.path.splitext(raw)[1] or ".wav"
        tmp = os.path.join(tempfile.gettempdir(), f"lipsync_packed_{abs(hash((sound.name, raw))) & 0xffffffff:x}{ext}")
        with open(tmp, "wb") as fh:
            fh.write(bytes(sound.packed_file.data))
        return tmp
    if not raw:
        raise StripError(f"Sound strip '{strip.name}' has no file path. Re-add the dialogue file in the Video Sequencer.")
    path = resolve_path(raw, getattr(sound, "library", None), bpy.path.abspath)
    if not os.path.isfile(path):
        raise StripError(f"The file of sound strip '{strip.name}' is missing: {path}. Relink it in the Video Sequencer "
                         "(strip sidebar -> Sound -> file path) or use File -> External Data -> Find Missing Files.")
    return path
