"""Headless entry points for the command line (``lipsync animate`` / ``lipsync preview``).

Both run in a plain ``python`` with the ``bpy`` module (Blender as a Python
module) and do exactly what the panel's buttons do. The input .blend is never
modified: ``animate_file`` saves a new file.
"""
import os

import bpy

from ..errors import BlendFileError, LipSyncError
from ..outputs import atomic_output, check_output
from .jobs import analyze_job, apply_job, prepare_job
from .preview import render_preview


def _ensure_registered() -> None:
    if not hasattr(bpy.types.Scene, "lipsync"):
        from .. import register

        register()


def _open(blend_path: str) -> None:
    path = os.path.abspath(os.fspath(blend_path))
    if not os.path.isfile(path):
        raise BlendFileError(f"Blend file not found: {path}. Check the path.")
    try:
        bpy.ops.wm.open_mainfile(filepath=path, load_ui=False)
    except RuntimeError as exc:  # Blender's "Error: ..." for a damaged, truncated or foreign file
        said = " ".join(str(exc).replace("Error:", "").split())
        raise BlendFileError(
            f"Could not open {os.path.basename(path)} as a Blender scene: it is damaged, incomplete or not a .blend "
            f"file (Blender says: {said}). Re-save it from Blender, or use a backup such as "
            f"{os.path.basename(path)}1.") from exc
    _ensure_registered()


def _strip_playing(scene, audio_path: str):
    from . import strips as strips_mod

    want = os.path.normcase(os.path.realpath(audio_path))
    for s in strips_mod.sound_strips(scene):
        try:
            p = strips_mod.strip_audio_path(s)
        except strips_mod.StripError:
            continue
        if os.path.normcase(os.path.realpath(p)) == want:
            return s
    return None


def animate_file(blend_path, audio_path, object_name, out_path, transcript=None, recognizer="auto",
                 settings=None, review_threshold=None, setting_overrides=None, language=None, markers=()) -> dict:
    """Open ``blend_path``, lip-sync ``object_name`` to ``audio_path`` as a new take, save to ``out_path``.

    When a sound strip of the scene plays ``audio_path`` its timing (start, trims, offset)
    is used; otherwise the audio starts at the scene's first frame and a sound strip
    for it is added so previews have the dialogue. ``audio_path=None`` uses the
    scene's selected / only sound strip. ``settings=None`` uses the character's own
    animator controls (``object.lipsync``, saved in the .blend); ``setting_overrides``
    (a dict, e.g. ``{"intensity": 1.3}``) changes some of them for this run only. Returns a summary dict (take, frame
    range, phones, recogniser, warnings, ``review``: the stretches below
    ``review_threshold`` (default: the scene's, 0.5) as dicts with frame_start,
    frame_end, words, phones, confidence, label, notes; they are also timeline
    markers ``LS review N (object)`` in the saved file). ``recognizer``: a name or a recogniser
    loaded once (a batch); ``language`` (ISO 639-3): the dialogue's language (default: the scene's).
    The output is written whole or not at all (``outputs.atomic_output``). Raises
    ``errors.LipSyncError`` (importable without bpy) with a message that says what to do.
    ``markers``: ("words", "phones") or one of them: timeline markers at each word / phone (``timeline``).
    """
    out_path = check_output(out_path)  # before the (slow) analysis: say now that it cannot be written
    _open(blend_path)
    scene = bpy.context.scene
    if object_name not in bpy.data.objects:
        names = ", ".join(o.name for o in bpy.data.objects if o.type in ("MESH", "ARMATURE", "GREASEPENCIL"))
        raise LipSyncError(f"No object called '{object_name}' in {blend_path}. Meshes and armatures there: "
                           f"{names or 'none'}.")
    added_strip = ""
    if review_threshold is not None:
        if not 0.0 <= float(review_threshold) <= 1.0:
            raise LipSyncError(f"Review threshold {review_threshold} is outside 0..1; use e.g. 0.5.")
        scene.lipsync.review_threshold = float(review_threshold)
    if language:
        scene.lipsync.language = str(language)
    if markers:
        scene.lipsync.show_word_markers = "words" in markers
        scene.lipsync.show_phone_markers = "phones" in markers
    if settings is None and setting_overrides:
        import dataclasses

        from .properties import settings_from_props

        try:
            settings = dataclasses.replace(settings_from_props(bpy.data.objects[object_name].lipsync.settings),
                                           **setting_overrides)
        except TypeError as exc:
            raise LipSyncError(f"Unknown animator setting in {sorted(setting_overrides)}: {exc}.") from exc
    kwargs = dict(target=object_name, transcript=transcript, recognizer=recognizer, settings=settings)
    if audio_path is None:
        job = prepare_job(scene, strip="", **kwargs)
    else:
        audio_path = os.path.abspath(os.fspath(audio_path))
        if not os.path.isfile(audio_path):
            raise LipSyncError(f"Audio file not found: {audio_path}. Check the path.")
        strip = _strip_playing(scene, audio_path)
        if strip is not None:
            job = prepare_job(scene, strip=strip.name, **kwargs)
        else:
            job = prepare_job(scene, filepath=audio_path, start_frame=scene.frame_start, **kwargs)
    analysis = analyze_job(job)
    if audio_path is not None and not job.strip_name:
        from . import strips as strips_mod

        channel = 1 + max([s.channel for s in strips_mod.sound_strips(scene)] or [0])
        try:
            added_strip = strips_mod.new_sound_strip(scene, os.path.basename(audio_path), audio_path, channel,
                                                     int(job.start_frame)).name
        except strips_mod.StripError as exc:  # the take is still made; only the preview has no dialogue
            job.warnings.append(f"No sound strip added for previews: {exc}")
    scene.lipsync.target = bpy.data.objects[object_name]
    summary = apply_job(job, analysis)
    summary["added_strip"] = added_strip
    with atomic_output(out_path) as tmp:  # a kill mid-save leaves no half-written scene at out_path
        os.remove(tmp)  # Blender would keep the placeholder as a .blend1 backup
        bpy.ops.wm.save_as_mainfile(filepath=tmp, copy=True, relative_remap=True)
    summary["output"] = out_path
    return summary


def _guess_target(scene):
    t = scene.lipsync.target
    if t is not None:
        return t
    for o in scene.objects:
        keys = getattr(getattr(o, "data", None), "shape_keys", None)
        if o.type == "MESH" and keys is not None and keys.animation_data and keys.animation_data.action:
            return o
    for o in scene.objects:
        if o.type == "ARMATURE" and o.animation_data and o.animation_data.action:
            return o
    from ..rigging.blender import takes as rtakes

    for o in scene.objects:  # a 2D character (Grease Pencil, image mouth) playing a take
        if o.type in ("GREASEPENCIL", "MESH") and rtakes.active_take(o):
            return o
    for o in scene.objects:
        keys = getattr(getattr(o, "data", None), "shape_keys", None)
        if o.type == "MESH" and keys is not None:
            return o
    return None


def preview_file(blend_path, out_path, engine="AUTO", scale=50, frame_face=True, frame_range=None, burn_in=False,
                 stats=None) -> str:
    """Render ``frame_range`` (first, last; default: the scene's frame range) of ``blend_path`` to ``out_path``
    (.mp4, H.264 + AAC with the scene's sound strips) at ``scale`` percent of the scene's resolution, framed on
    the lip-synced character (a 2D one through the scene's camera). ``burn_in``: frame number, word, phone and
    mouth shape stamped on the frames. ``stats``: a dict that receives the render time (``preview.render_preview``).
    Returns the written path."""
    out_path = check_output(out_path)
    _open(blend_path)
    scene = bpy.context.scene
    target = _guess_target(scene)
    if frame_range is None:
        frame_range = (scene.frame_start, scene.frame_end)
    if not 1 <= int(scale) <= 100:
        raise LipSyncError(f"Resolution {scale}% is outside 1..100; use e.g. 50.")
    if frame_range[1] < frame_range[0]:
        raise LipSyncError(f"Frames {frame_range[0]}-{frame_range[1]} are reversed; give FIRST-LAST, e.g. 1-48.")
    return render_preview(scene, os.path.abspath(os.fspath(out_path)), engine=engine, scale=scale,
                          target=target, frame_face=frame_face and target is not None,
                          frame_range=(int(frame_range[0]), int(frame_range[1])), burn_in=burn_in, stats=stats)
