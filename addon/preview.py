"""Render Preview: a playblast of the lip-synced range with the dialogue muxed in (H.264 + AAC).

Engine AUTO (the default) is EEVEE where the machine has a GPU, else Workbench
(fast, works headless on CPUs); either can be asked for. The seconds per frame
are measured (``stats``). With ``burn_in`` the frames carry Blender's render
stamp: the frame number and a note with the current word, phone and mouth shape
of the target's active take (``timeline.label_at``), updated on every frame. The scene's render settings, frame range and camera are restored
afterwards; a temporary camera framed on the character's mouth area is
added and removed when ``frame_face`` is on (or when the scene has no camera).
Usable from the operator and headless (``addon.headless.preview_file``).
"""
import glob
import math
import os
import sys
import time

import bpy
from mathutils import Vector

from . import strips as strips_mod
from ..errors import PreviewError


def _mouth_bounds(obj):
    """World-space (min, max) corners of the part of ``obj`` its shape keys move (the mouth), else of the object."""
    pts = []
    if obj.type == "MESH" and obj.data.shape_keys is not None and len(obj.data.shape_keys.key_blocks) > 1:
        kb = obj.data.shape_keys.key_blocks
        basis = kb[0].data
        n = len(basis)
        moved = set()
        for k in kb[1:]:
            for i in range(n):
                if (k.data[i].co - basis[i].co).length_squared > 1e-10:
                    moved.add(i)
        mw = obj.matrix_world
        pts = [mw @ basis[i].co for i in moved]
    if not pts:
        targets = [obj] + [c for c in obj.children_recursive if c.type == "MESH"]
        for o in targets:
            pts += [o.matrix_world @ Vector(c) for c in o.bound_box]
    lo = Vector((min(p.x for p in pts), min(p.y for p in pts), min(p.z for p in pts)))
    hi = Vector((max(p.x for p in pts), max(p.y for p in pts), max(p.z for p in pts)))
    return lo, hi


def _add_face_camera(scene, obj):
    """A temporary camera in front (-Y) of the character's face.

    A head-sized object (up to six mouths tall) is framed whole; on a bigger
    character the frame is the face around the mouth (four mouths wide, centred
    a little above the mouth). The mouth is what its shape keys move.
    """
    lo, hi = _mouth_bounds(obj)
    olo, ohi = _object_bounds(obj)
    mouth = max(hi.x - lo.x, hi.z - lo.z, 1e-3)
    if ohi.z - olo.z <= 6.0 * mouth:
        center = (olo + ohi) / 2
        w, h = (ohi.x - olo.x) * 1.15, (ohi.z - olo.z) * 1.15
    else:
        center = (lo + hi) / 2 + Vector((0.0, 0.0, 0.8 * mouth))
        w = h = 4.0 * mouth
    cam_data = bpy.data.cameras.new("LipSyncPreviewCam")
    cam_data.lens = 50.0
    cam_data.sensor_fit = "AUTO"
    cam = bpy.data.objects.new("LipSyncPreviewCam", cam_data)
    scene.collection.objects.link(cam)
    r = scene.render
    aspect = (r.resolution_x * r.pixel_aspect_x) / max(1e-6, r.resolution_y * r.pixel_aspect_y)
    half = math.atan(cam_data.sensor_width / (2 * cam_data.lens))  # half angle along the longer side
    tan_x = math.tan(half) if aspect >= 1 else math.tan(half) * aspect
    tan_y = math.tan(half) / aspect if aspect >= 1 else math.tan(half)
    dist = max((w / 2) / tan_x, (h / 2) / tan_y)
    front = min(lo.y, olo.y)
    cam.location = Vector((center.x, front - dist, center.z))
    cam.rotation_euler = (math.pi / 2, 0.0, 0.0)  # looking along +Y at the face
    cam_data.clip_start = max(1e-3, dist * 0.01)
    cam_data.clip_end = max(100.0, dist * 10 + (ohi.y - olo.y))
    return cam


def _object_bounds(obj):
    pts = []
    for o in [obj] + [c for c in obj.children_recursive if c.type == "MESH"]:
        pts += [o.matrix_world @ Vector(c) for c in o.bound_box]
    lo = Vector((min(p.x for p in pts), min(p.y for p in pts), min(p.z for p in pts)))
    hi = Vector((max(p.x for p in pts), max(p.y for p in pts), max(p.z for p in pts)))
    return lo, hi


def preview_range(scene, target=None) -> tuple[int, int]:
    """The lip-synced range: the target's animation range, else the dialogue strip's, else the scene's."""
    if target is not None:
        rng = _anim_range(target)
        if rng is not None:
            return rng
    s = strips_mod.default_sound_strip(scene) if scene.sequence_editor else None
    if s is not None:
        return int(s.frame_final_start), int(s.frame_final_end) - 1
    return scene.frame_start, scene.frame_end


def _anim_range(obj):
    from ..rigging.blender.chart2d import rig_ids

    datas = [obj]
    if obj.type == "MESH" and obj.data.shape_keys is not None:
        datas.append(obj.data.shape_keys)
    datas += rig_ids(obj)  # a 2D mouth's Grease Pencil data or material node tree
    lo = hi = None
    for d in datas:
        ad = getattr(d, "animation_data", None)
        act = ad.action if ad is not None else None
        if act is None:
            continue
        a, b = act.frame_range
        lo = a if lo is None else min(lo, a)
        hi = b if hi is None else max(hi, b)
    if lo is None or hi - lo < 1:
        return None
    return int(math.floor(lo)), int(math.ceil(hi))


_STAMP_KEYS = ("use_stamp", "use_stamp_date", "use_stamp_time", "use_stamp_render_time", "use_stamp_frame",
               "use_stamp_frame_range", "use_stamp_memory", "use_stamp_hostname", "use_stamp_camera",
               "use_stamp_lens", "use_stamp_scene", "use_stamp_marker", "use_stamp_filename",
               "use_stamp_sequencer_strip", "use_stamp_note", "stamp_note_text", "use_stamp_labels",
               "stamp_font_size", "stamp_foreground", "stamp_background")


def has_gpu() -> bool:
    """Whether this machine has a GPU EEVEE can render on (a render node on Linux; always on macOS / Windows)."""
    if sys.platform.startswith("linux"):
        return bool(glob.glob("/dev/nvidia[0-9]*") or glob.glob("/dev/dri/renderD*"))
    return True


def _burn_in(scene, target):
    """Turn the stamp on (frame number + note); returns the frame handler that updates the note, or None."""
    from . import timeline

    r = scene.render
    for k in _STAMP_KEYS:
        if k.startswith("use_stamp_"):
            setattr(r, k, False)
    r.use_stamp = True
    r.use_stamp_frame = True
    r.use_stamp_note = True
    r.use_stamp_labels = True
    r.stamp_font_size = max(10, int(r.resolution_y * r.resolution_percentage / 100 / 40))
    r.stamp_foreground = (1.0, 1.0, 1.0, 1.0)
    r.stamp_background = (0.0, 0.0, 0.0, 0.6)
    words, phones, shapes = timeline.take_timeline(target) if target is not None else ([], [], [])

    def update(sc, *_):
        if sc == scene:
            sc.render.stamp_note_text = timeline.label_at(sc.frame_current, words, phones, shapes)

    update(scene)
    bpy.app.handlers.frame_change_pre.append(update)
    return update


def _snapshot(scene):
    r = scene.render
    im = r.image_settings
    ff = r.ffmpeg
    snap = {
        "engine": r.engine, "filepath": r.filepath, "res": r.resolution_percentage,
        "frame_start": scene.frame_start, "frame_end": scene.frame_end, "camera": scene.camera,
        "file_format": im.file_format, "media_type": getattr(im, "media_type", None),
        "ff": {k: getattr(ff, k) for k in ("format", "codec", "audio_codec", "audio_channels", "audio_mixrate",
                                            "constant_rate_factor", "ffmpeg_preset", "audio_bitrate")},
        "use_sequencer": r.use_sequencer,
        "stamp": {k: getattr(r, k) for k in _STAMP_KEYS if hasattr(r, k)},
        "render_aa": scene.display.render_aa,
    }
    return snap


def _restore(scene, snap):
    r = scene.render
    r.engine = snap["engine"]
    r.filepath = snap["filepath"]
    r.resolution_percentage = snap["res"]
    scene.frame_start, scene.frame_end = snap["frame_start"], snap["frame_end"]
    scene.camera = snap["camera"]
    if snap["media_type"] is not None:
        r.image_settings.media_type = snap["media_type"]
    try:
        r.image_settings.file_format = snap["file_format"]
    except TypeError:
        pass
    for k, v in snap["ff"].items():
        try:
            setattr(r.ffmpeg, k, v)
        except (TypeError, AttributeError):
            pass
    r.use_sequencer = snap["use_sequencer"]
    for k, v in snap["stamp"].items():
        setattr(r, k, v)
    scene.display.render_aa = snap["render_aa"]


def _engine_id(engine: str) -> str:
    engine = engine.upper()
    if engine == "AUTO":
        engine = "EEVEE" if has_gpu() else "WORKBENCH"
    if engine == "WORKBENCH":
        return "BLENDER_WORKBENCH"
    if engine.startswith("EEVEE"):
        items = bpy.types.RenderSettings.bl_rna.properties["engine"].enum_items.keys()
        return "BLENDER_EEVEE_NEXT" if "BLENDER_EEVEE_NEXT" in items else "BLENDER_EEVEE"
    raise PreviewError(f"Unknown preview engine '{engine}'; use AUTO, WORKBENCH or EEVEE.")


def render_preview(scene, out_path: str, engine: str = "AUTO", scale: int = 50, target=None,
                   frame_face: bool = True, frame_range: tuple[int, int] | None = None,
                   audio_path: str | None = None, audio_start_frame: int | None = None,
                   burn_in: bool = False, stats: dict | None = None) -> str:
    """Render ``frame_range`` (default: the lip-synced range) to ``out_path`` (.mp4, H.264 + AAC).

    The scene's sound strips are muxed; ``audio_path`` adds a temporary strip at
    ``audio_start_frame`` for dialogue that is not in the sequencer. ``burn_in``: frame
    number, word, phone and mouth shape stamped on every frame. A 2D target (Grease
    Pencil, image mouth) is rendered through the scene's camera when it has one.
    ``stats`` (a dict) receives engine, frames, seconds and seconds_per_frame. Returns the written path.
    """
    if not out_path:
        raise PreviewError("No preview file chosen. Set the preview path in the Lip Sync panel.")
    out_path = os.path.abspath(bpy.path.abspath(out_path))
    if not out_path.lower().endswith(".mp4"):
        out_path += ".mp4"
    out_dir = os.path.dirname(out_path)
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise PreviewError(f"Cannot create the folder {out_dir} ({exc}); choose another preview path.") from exc
    if not os.access(out_dir, os.W_OK):
        raise PreviewError(f"The folder {out_dir} is not writable; choose another preview path.")
    if target is None and scene.camera is None:
        raise PreviewError("The scene has no camera and no target to frame. Pick the target in the Lip Sync panel "
                           "or add a camera.")
    rng = frame_range or preview_range(scene, target)
    snap = _snapshot(scene)
    temp_cam = temp_strip = handler = None
    from ..rigging.blender.chart2d import is_chart_object

    if target is not None and is_chart_object(target) and scene.camera is not None:
        frame_face = False  # a drawn character is staged for its camera
    try:
        r = scene.render
        r.engine = _engine_id(engine)
        if r.engine == "BLENDER_WORKBENCH":
            scene.display.render_aa = "FXAA"  # a playblast: one sample, smoothed (8 samples cost ~4x)
        if burn_in:
            handler = _burn_in(scene, target)
        r.resolution_percentage = int(scale)
        scene.frame_start, scene.frame_end = int(rng[0]), int(rng[1])
        if target is not None and (frame_face or scene.camera is None):
            temp_cam = _add_face_camera(scene, target)
            scene.camera = temp_cam
        if audio_path:
            channel = 1 + max([s.channel for s in strips_mod.sound_strips(scene)] or [0])
            try:
                temp_strip = strips_mod.new_sound_strip(
                    scene, "LipSyncPreviewAudio", audio_path, channel,
                    int(audio_start_frame if audio_start_frame is not None else rng[0]))
            except strips_mod.StripError:
                temp_strip = None  # a Blender without audio support: the preview is silent
        if hasattr(r.image_settings, "media_type"):
            r.image_settings.media_type = "VIDEO"  # Blender 5: movies are a media type
        r.image_settings.file_format = "FFMPEG"
        ff = r.ffmpeg
        ff.format = "MPEG4"
        ff.codec = "H264"
        ff.constant_rate_factor = "MEDIUM"
        ff.ffmpeg_preset = "REALTIME"
        ff.audio_codec = "AAC"
        ff.audio_channels = "STEREO"
        ff.audio_mixrate = 48000
        ff.audio_bitrate = 128
        r.use_sequencer = False  # render the 3D scene; the sequencer's sound is still mixed in
        base, _ = os.path.splitext(out_path)
        r.filepath = base + "_"  # Blender appends the frame range and extension
        for old in glob.glob(glob.escape(base) + "_*.mp4"):
            os.remove(old)
        t0 = time.perf_counter()
        try:
            bpy.ops.render.render(animation=True, scene=scene.name)
        except RuntimeError as exc:
            raise PreviewError(f"Rendering the preview failed: {exc}. Try the Workbench engine or a lower "
                               "resolution.") from exc
        written = sorted(glob.glob(glob.escape(base) + "_*.mp4"), key=os.path.getmtime)
        if not written:
            raise PreviewError(f"Blender wrote no movie next to {out_path}; check that Blender was built with "
                               "FFmpeg (File -> Export -> movie formats) and try again.")
        os.replace(written[-1], out_path)
        seconds = time.perf_counter() - t0
        if stats is not None:
            n = int(rng[1]) - int(rng[0]) + 1
            stats.update(engine=r.engine, frames=n, seconds=round(seconds, 2),
                         seconds_per_frame=round(seconds / max(n, 1), 3),
                         resolution=(r.resolution_x * r.resolution_percentage // 100,
                                     r.resolution_y * r.resolution_percentage // 100))
    finally:
        if handler is not None and handler in bpy.app.handlers.frame_change_pre:
            bpy.app.handlers.frame_change_pre.remove(handler)
        if temp_strip is not None:
            strips_mod.remove_strip(scene, temp_strip)
        _restore(scene, snap)
        if temp_cam is not None:
            cam_data = temp_cam.data
            bpy.data.objects.remove(temp_cam)
            bpy.data.cameras.remove(cam_data)
    return out_path
