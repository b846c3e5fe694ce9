"""The job behind Generate Lip Sync, shared by the operator and the headless entry points.

The command line (``addon.headless``) runs exactly what the button runs:
``prepare_job`` (validate input on the main thread) -> ``analyze_job`` (bpy-free, in a
worker thread for the modal operator) -> ``apply_job`` (keys via
``rigging.blender.takes.generate_take`` on the main thread; the take's phones and
confidences are stored for review).

The analysis can take minutes while the animator keeps working, so ``prepare_job`` keeps a
snapshot (which file, scene, character, frame rate and sound strip the job is for) and
``apply_job`` writes nothing unless they are unchanged (:func:`check_unchanged`): a target that
was deleted or renamed, a file that was reloaded or replaced, a new frame rate or a moved strip
ends the job with a message that says what changed.
"""
import os
from dataclasses import dataclass, field

import bpy

from . import strips as strips_mod
from ..errors import LipSyncError, RecognizerError
from .strips import StripTiming


@dataclass
class Job:
    scene_name: str
    object_name: str
    audio_path: str
    fps: float
    timing: StripTiming | None  # None for a plain file until its duration is known
    start_frame: int  # for FILE sources: the scene frame where the file starts
    transcript: str | None
    recognizer: object  # a name (phonemes.recognizers.RECOGNIZER_NAMES) or a recogniser loaded once (batches)
    language: str
    settings: object  # rigging.settings.AnimSettings
    take_name: str
    mapping: object | None  # rigging.mapping.Mapping (edited in the panel) or None
    preset: str | None = None  # forced preset name; None with mapping None = auto-detect
    strip_name: str = ""
    warnings: list = field(default_factory=list)
    review_threshold: float = 0.5
    exclude: list = field(default_factory=list)  # meshes of the character left out (names; Mapping panel)
    speech_model: str | None = None  # for the words when there is no transcript (None: the default)
    snapshot: dict = field(default_factory=dict)  # what apply_job checks is unchanged (check_unchanged)


# ---------------------------------------------------------------- validation

def rig_target_names(obj) -> tuple[list[str], dict[str, str]]:
    """(names, kinds) of everything on ``obj`` a mapping can drive: shape keys, bones, pose actions, or a 2D
    rig's mouth drawings (listed as shape keys, so Detect / Edit Mapping bind visemes to them by name)."""
    from ..rigging.blender.targets import available_targets

    rig2d = _chart_rig(obj)
    if rig2d is not None:
        names = list(dict.fromkeys(n for ch in rig2d.channels for n in ch.values))
        return names, {n: "shape_key" for n in names}
    kinds = available_targets(obj)
    return list(kinds), kinds


def _chart_rig(obj):
    """The 2D mouth rig of ``obj`` (Grease Pencil, image sequence, sprite sheet) or None; RigError says what to do."""
    from ..rigging.blender.chart2d import detect_chart_rig

    return detect_chart_rig(obj)


def check_target(obj) -> None:
    if obj is None:
        raise LipSyncError("No target character. In the Lip Sync panel pick the mesh with the mouth shape keys "
                           "(or the face armature, or a 2D character) as Target.")
    if _chart_rig(obj) is not None:
        return
    if obj.type not in ("MESH", "ARMATURE"):
        raise LipSyncError(f"'{obj.name}' is a {obj.type.lower()}; the target must be a mesh with mouth shape keys "
                           "or an armature with mouth bones.")
    names, kinds = rig_target_names(obj)
    if obj.type == "MESH" and not names:
        raise LipSyncError(f"'{obj.name}' has no shape keys. Add mouth shape keys (e.g. Preston Blair A-H and X, "
                           "or Oculus visemes viseme_PP .. viseme_U) or pick another target.")


def resolve_mapping(obj, props):
    """(custom Mapping or None, preset name or None): the edited mapping when 'Edit Mapping' is on,
    else the chosen preset (None = auto-detect). ``props``: the character's settings (``obj.lipsync``).
    Raises LipSyncError when nothing on the rig matches."""
    from ..rigging import mapping as rmap

    if props is not None and props.use_custom_mapping and len(props.mapping):
        from .properties import mapping_from_props

        return mapping_from_props(props).validate(), None
    if _chart_rig(obj) is not None:
        return None, None  # a 2D chart: its drawings are matched by name (rigging.chart)
    names, kinds = rig_target_names(obj)
    preset = None if props is None or props.mapping_preset in ("", "AUTO") else props.mapping_preset
    name, mapping, missing = rmap.detect_preset(names, kinds, preset=preset)
    if not name or not mapping.bindings:
        shown = ", ".join(names[:8]) + (" ..." if len(names) > 8 else "")
        raise LipSyncError(
            f"'{obj.name}' has none of the mouth shape keys or bones Lip Sync knows ({shown or 'none'}). "
            "Rename them to a supported convention (Preston Blair A-H/X, Papagayo, Oculus viseme_*, ARKit, VRM, "
            "Rigify) or set up the mapping in the panel (Mapping -> Edit Mapping).")
    return None, preset


def read_transcript(props) -> str | None:
    if props.transcript_source == "TEXT":
        if props.transcript_text is None:
            raise LipSyncError("Transcript is set to Text but no Text datablock is chosen. Pick one or set "
                               "Transcript to None.")
        text = props.transcript_text.as_string().strip()
        if not text:
            raise LipSyncError(f"The transcript text '{props.transcript_text.name}' is empty. Type the spoken words "
                               "or set Transcript to None.")
        return text
    if props.transcript_source == "FILE":
        path = bpy.path.abspath(props.transcript_path) if props.transcript_path else ""
        if not path or not os.path.isfile(path):
            raise LipSyncError(f"Transcript file not found: {path or '(none chosen)'}. Choose the file or set "
                               "Transcript to None.")
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            text = fh.read().strip()
        if not text:
            raise LipSyncError(f"The transcript file {path} is empty. Add the spoken words or set Transcript to None.")
        return text
    return None


def check_readable(path: str) -> None:
    """Fail early, with a clear message, on files no reader can open.

    Blender's ``aud`` aborts the whole process (an uncaught C++ exception) when
    ``Sound.data()`` meets an unreadable file, so probe it with ``specs`` (which
    raises a Python error) first; a file soundfile can read is fine either way.
    """
    try:
        import aud
    except ImportError:
        return  # outside Blender: phonemes.audio reports unreadable files itself
    try:
        aud.Sound(path).specs
        return
    except Exception:
        pass
    try:
        import soundfile

        soundfile.info(path)
        return
    except Exception:
        pass
    raise LipSyncError(f"Could not read {os.path.basename(path)} as audio (corrupt or unsupported format). Convert "
                       "it to WAV or FLAC (e.g. `ffmpeg -i INPUT output.wav`) and try again.")


def dialogue_source(scene, strip=None, filepath=None, start_frame=None, fps=None):
    """(audio path, strip name or '', StripTiming or None for a file, start frame) of the panel's dialogue
    (or the given strip / file), checked readable. Raises LipSyncError."""
    props = scene.lipsync
    fps = strips_mod.scene_fps(scene.render) if fps is None else fps
    timing = None
    strip_name = ""
    if bool(filepath) or (strip is None and props.source == "FILE"):
        path = filepath if filepath else props.audio_path
        if not path:
            raise LipSyncError("No audio file chosen. Pick the dialogue file in the Lip Sync panel, or set the "
                               "source to Sound Strip.")
        path = strips_mod.resolve_path(path, None, bpy.path.abspath)
        if not os.path.isfile(path):
            raise LipSyncError(f"Audio file not found: {path}. Check the path and try again.")
        start = int(start_frame if start_frame is not None else props.file_start_frame)
    else:
        s = strips_mod.find_sound_strip(scene, strip if strip is not None else props.strip)
        path = strips_mod.strip_audio_path(s)
        timing = strips_mod.strip_timing(s, fps)
        start = int(round(timing.frame_final_start))
        strip_name = s.name
    check_readable(path)
    return path, strip_name, timing, start


def speech_model_preference() -> str | None:
    """The speech model chosen in the add-on's preferences (None: the default for the language)."""
    from .preferences import ROOT_PACKAGE

    try:
        name = bpy.context.preferences.addons[ROOT_PACKAGE].preferences.speech_model
    except (KeyError, AttributeError):
        return None
    return name if name and name != "DEFAULT" else None


def prepare_job(scene, *, target=None, strip=None, filepath=None, transcript=None, recognizer=None,
                settings=None, take_name=None, start_frame=None) -> Job:
    """Validate everything that can be checked before the (slow) analysis. Raises LipSyncError."""
    from .properties import settings_from_props

    props = scene.lipsync
    obj = target if target is not None else props.target
    if isinstance(obj, str):
        name = obj
        obj = bpy.data.objects.get(name)
        if obj is None:
            raise LipSyncError(f"There is no object called '{name}' in this file. Check the target name.")
    check_target(obj)
    char = obj.lipsync  # per-character: mapping and animator controls
    mapping, preset = resolve_mapping(obj, char)
    fps = strips_mod.scene_fps(scene.render)
    path, strip_name, timing, start = dialogue_source(scene, strip, filepath, start_frame, fps)
    language = props.language or "eng"
    if strip_name:
        language = strips_mod.strip_language(strips_mod.find_sound_strip(scene, strip_name), language)
    if transcript is None:
        transcript = read_transcript(props)
    if settings is None:
        settings = settings_from_props(char.settings)
    settings.validate()
    if take_name is None:
        take_name = props.take_name
    if not take_name:
        # a take is named after its dialogue: the strip, or the audio file
        take_name = strip_name or os.path.splitext(os.path.basename(path))[0]
    return Job(scene.name, obj.name, path, fps, timing, start, transcript, recognizer or props.recognizer,
               language, settings, take_name, mapping, preset, strip_name,
               review_threshold=float(props.review_threshold), exclude=left_out_meshes(obj),
               speech_model=speech_model_preference(),
               snapshot={"file": bpy.data.filepath, "scene": scene.as_pointer(), "object": obj.as_pointer()})


def left_out_meshes(obj) -> list[str]:
    """Names of the character's meshes the animator left out in the Mapping panel (``obj.lipsync.left_out``)."""
    return [item.object.name for item in obj.lipsync.left_out if item.object is not None]


def _same_datablock(collection, name: str, pointer: int | None, what: str, again: str):
    """The datablock ``name`` of ``collection`` if it is still the one at ``pointer``; else LipSyncError saying
    whether it was renamed or is gone (deleted, or the file was reloaded)."""
    found = collection.get(name)
    if pointer is None or (found is not None and found.as_pointer() == pointer):
        if found is None:
            raise LipSyncError(f"The {what} '{name}' was deleted while Lip Sync was running.{again}")
        return found
    renamed = next((d for d in collection if d.as_pointer() == pointer), None)
    if renamed is not None:
        raise LipSyncError(f"The {what} '{name}' was renamed to '{renamed.name}' while Lip Sync was running.{again}")
    if what == "scene":
        raise LipSyncError(f"The file was reloaded (or the scene '{name}' deleted) while Lip Sync was running.{again}")
    raise LipSyncError(f"The {what} '{name}' was deleted while Lip Sync was running.{again}")


def check_unchanged(job: Job):
    """(scene, target) of ``job`` when the file, scene, target, frame rate and strip are as ``prepare_job``
    found them; else LipSyncError saying what changed (nothing has been written)."""
    again = " Nothing was written; run Generate Lip Sync again."
    snap = job.snapshot
    if snap and bpy.data.filepath != snap["file"]:
        raise LipSyncError(f"Another file was opened while Lip Sync was running.{again}")
    scene = _same_datablock(bpy.data.scenes, job.scene_name, snap.get("scene"), "scene", again)
    obj = _same_datablock(bpy.data.objects, job.object_name, snap.get("object"), "target", again)
    fps = strips_mod.scene_fps(scene.render)
    if abs(fps - job.fps) > 1e-6:
        raise LipSyncError(f"The frame rate changed ({job.fps:g} -> {fps:g} fps) while Lip Sync was running; the "
                           f"keys would land on the wrong frames.{again}")
    if job.strip_name:
        strip = next((s for s in strips_mod.sound_strips(scene) if s.name == job.strip_name), None)
        if strip is None:
            raise LipSyncError(f"The sound strip '{job.strip_name}' was deleted or renamed while Lip Sync was "
                               f"running.{again}")
        if job.timing is not None and strips_mod.strip_timing(strip, fps) != job.timing:
            raise LipSyncError(f"The sound strip '{job.strip_name}' was moved or trimmed while Lip Sync was "
                               f"running.{again}")
    return scene, obj


def analyze_job(job: Job, progress=None, cancel=None):
    """The bpy-free analysis (safe in a worker thread). Raises LipSyncError (Cancelled when cancelled)."""
    try:
        from .. import pipeline
    except ImportError as exc:
        raise LipSyncError(f"A Python package is missing ({exc.name or exc}). Open Edit -> Preferences -> Add-ons -> "
                           "Lip Sync and click 'Install Dependencies'.") from exc
    try:
        return pipeline.analyze(job.audio_path, transcript=job.transcript, recognizer=job.recognizer,
                                language=job.language, progress=progress, cancel=cancel,
                                speech_model=job.speech_model)
    except ImportError as exc:
        if not _recognizer_package(exc, job.recognizer):
            raise LipSyncError(f"A Python package is missing ({exc.name or exc}). Open Edit -> Preferences -> "
                               "Add-ons -> Lip Sync and click 'Install Dependencies'.") from exc
        name = getattr(job.recognizer, "name", job.recognizer)
        raise RecognizerError(f"The '{name}' recogniser needs a Python package that is missing ({exc.name or exc}). "
                              "Open Edit -> Preferences -> Add-ons -> Lip Sync and click 'Install Dependencies', "
                              "or choose another recogniser.") from exc


def _recognizer_package(exc: ImportError, recognizer) -> bool:
    """Whether the missing module is one a recogniser needs (torch, pocketsphinx, ...), not another package.
    ``recognizer``: a registry name or a Recognizer instance."""
    from ..phonemes.recognizers.registry import REGISTRY

    top = (exc.name or "").partition(".")[0]
    name = getattr(recognizer, "name", recognizer) or "auto"
    info = REGISTRY.get(str(name).lower())
    needed = set(info.packages) if info is not None and info.packages else {
        p for i in REGISTRY.values() for p in i.packages}
    return not top or top in needed


def apply_job(job: Job, analysis) -> dict:
    """Write the take on the main thread (rigging.blender.takes.generate_take). Returns a summary dict."""
    from ..rigging.blender import takes as rtakes

    scene, obj = check_unchanged(job)
    timing = job.timing or strips_mod.file_timing(job.fps, job.start_frame, analysis.duration)
    # Keys only where the dialogue is heard. With an active take this makes the new take a copy of it with
    # just this range regenerated (other lines of dialogue and hand edits elsewhere stay); a first take on an
    # untrimmed strip simply covers the whole clip.
    heard = timing.frame_range
    full = (int(round(timing.frame_at(0.0))), int(round(timing.frame_at(analysis.duration))) - 1)
    first = rtakes.active_take(obj) is None
    frame_range = None if first and heard[0] <= full[0] and heard[1] >= full[1] else heard
    result = rtakes.generate_take(
        obj, analysis.visemes, job.settings, fps=timing.fps, start_frame=timing.audio_start_frame,
        frame_range=frame_range, take_name=job.take_name or None, mapping=job.mapping, preset=job.preset,
        loudness=analysis.loudness, exclude=job.exclude)
    spans = _store_review(scene, obj, result.take_name, analysis, timing, frame_range, job.review_threshold)
    from . import timeline

    n_markers = timeline.sync_markers(scene, obj, bool(scene.lipsync.show_word_markers),
                                      bool(scene.lipsync.show_phone_markers))
    summary = {
        "object": obj.name, "take": result.take_name, "preset": result.preset,
        "frame_range": list(timing.frame_range), "fps": timing.fps, "audio": job.audio_path,
        "strip": job.strip_name, "recognizer": analysis.recognizer, "n_phones": len(analysis.phones.phones),
        "n_cues": len(analysis.visemes.cues), "duration_s": analysis.duration,
        "warnings": list(job.warnings) + list(analysis.phones.warnings) + list(result.messages),
    }
    summary["n_keys"] = result.total_keys
    summary["channels"] = result.channels
    summary["objects"] = list(result.objects)
    summary["missing"] = list(result.missing)
    summary["markers"] = n_markers
    summary["review_threshold"] = job.review_threshold
    summary["review"] = [s.to_dict() for s in spans]
    scene.lipsync.status = (f"Take '{summary['take']}': frames {timing.frame_range[0]}-{timing.frame_range[1]}, "
                            f"{summary['n_phones']} phones ({analysis.recognizer}); {review_count_text(len(spans))}")
    return summary


def review_count_text(n: int) -> str:
    if n == 0:
        return "no stretch needs review"
    return f"{n} stretch{'es' if n != 1 else ''} need{'s' if n == 1 else ''} review"


def _store_review(scene, obj, take_name, analysis, timing, frame_range, threshold):
    """Keep the take's phones and confidences on its action (JSON), refresh the markers; the take's spans."""
    from . import review

    action = bpy.data.actions.get(take_name)
    if action is None:
        return []
    heard = timing.frame_range
    lo, hi = heard[0], heard[1] + 1  # the frames this analysis speaks for: [lo, hi)
    phones = review.record_phones(analysis.phones.phones, timing.frame_at, lo, hi)
    warnings = [[lo, heard[1], str(w)] for w in analysis.phones.warnings]
    old = review.load(action) if frame_range is not None else None  # a range regeneration copies the base take
    if old:
        phones = review.merge_phones(old.get("phones", []), phones, lo, hi)
        warnings = review.merge_warnings(old.get("warnings", []), warnings, lo, hi)
    review.store(action, {"version": 1, "fps": timing.fps, "phones": phones, "warnings": warnings})
    props = scene.lipsync
    return review.sync_markers(scene, obj, threshold, bool(props.show_review_markers))


def run_sync(scene, **kwargs) -> dict:
    """prepare -> analyze -> apply, synchronously (EXEC path, command line)."""
    job = prepare_job(scene, **kwargs)
    analysis = analyze_job(job)
    return apply_job(job, analysis)
