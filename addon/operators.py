"""Operators: Generate Lip Sync (modal with progress / Esc, or synchronous EXEC), takes, mapping, preview.

The work is split so the command line (``addon.headless``) runs exactly what the
button runs: ``prepare_job`` (validate input on the main thread) ->
``analyze_job`` (bpy-free, in a worker thread for the modal operator) ->
``apply_job`` (keys via ``rigging.apply.generate_take`` on the main thread).
"""
import os
import threading
import time
import traceback
from dataclasses import dataclass, field

import bpy

from . import strips as strips_mod
from ..errors import LipSyncError
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
    recognizer: str
    language: str
    settings: object  # rigging.settings.AnimSettings
    take_name: str
    mapping: object | None  # rigging.mapping.Mapping (edited in the panel) or None
    preset: str | None = None  # forced preset name; None with mapping None = auto-detect
    strip_name: str = ""
    warnings: list = field(default_factory=list)
    review_threshold: float = 0.5


# ---------------------------------------------------------------- validation

def rig_target_names(obj) -> tuple[list[str], dict[str, str]]:
    """(names, kinds) of everything on ``obj`` a mapping can drive: shape keys, bones, pose actions."""
    from ..rigging.apply import available_targets

    kinds = available_targets(obj)
    return list(kinds), kinds


def check_target(obj) -> None:
    if obj is None:
        raise LipSyncError("No target character. In the Lip Sync panel pick the mesh with the mouth shape keys "
                           "(or the face armature) as Target.")
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
    use_file = bool(filepath) or (strip is None and props.source == "FILE")
    timing = None
    strip_name = ""
    if use_file:
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
               props.language or "eng", settings, take_name, mapping, preset, strip_name,
               review_threshold=float(props.review_threshold))


def analyze_job(job: Job, progress=None, cancel=None):
    """The bpy-free analysis (safe in a worker thread). Raises LipSyncError (Cancelled when cancelled)."""
    try:
        from .. import pipeline
    except ImportError as exc:
        raise LipSyncError(f"A Python package is missing ({exc.name or exc}). Open Edit -> Preferences -> Add-ons -> "
                           "Lip Sync and click 'Install Dependencies'.") from exc
    try:
        return pipeline.analyze(job.audio_path, transcript=job.transcript, recognizer=job.recognizer,
                                language=job.language, progress=progress, cancel=cancel)
    except ImportError as exc:
        raise LipSyncError(f"The '{job.recognizer}' recogniser needs a Python package that is missing "
                           f"({exc.name or exc}). Open Edit -> Preferences -> Add-ons -> Lip Sync and click "
                           "'Install Dependencies', or choose another recogniser.") from exc


def apply_job(job: Job, analysis) -> dict:
    """Write the take on the main thread (rigging.apply.generate_take). Returns a summary dict."""
    from ..rigging import apply as rapply

    scene = bpy.data.scenes.get(job.scene_name)
    obj = bpy.data.objects.get(job.object_name)
    if scene is None or obj is None:
        raise LipSyncError("The scene or the target was deleted while Lip Sync was running; run it again.")
    timing = job.timing or strips_mod.file_timing(job.fps, job.start_frame, analysis.duration)
    # Keys only where the dialogue is heard. With an active take this makes the new take a copy of it with
    # just this range regenerated (other lines of dialogue and hand edits elsewhere stay); a first take on an
    # untrimmed strip simply covers the whole clip.
    heard = timing.frame_range
    full = (int(round(timing.frame_at(0.0))), int(round(timing.frame_at(analysis.duration))) - 1)
    first = rapply.active_take(obj) is None
    frame_range = None if first and heard[0] <= full[0] and heard[1] >= full[1] else heard
    result = rapply.generate_take(
        obj, analysis.visemes, job.settings, fps=timing.fps, start_frame=timing.audio_start_frame,
        frame_range=frame_range, take_name=job.take_name or None, mapping=job.mapping, preset=job.preset,
        loudness=analysis.loudness)
    spans = _store_review(scene, obj, result.take_name, analysis, timing, frame_range, job.review_threshold)
    summary = {
        "object": obj.name, "take": result.take_name, "preset": result.preset,
        "frame_range": list(timing.frame_range), "fps": timing.fps, "audio": job.audio_path,
        "strip": job.strip_name, "recognizer": analysis.recognizer, "n_phones": len(analysis.phones.phones),
        "n_cues": len(analysis.visemes.cues), "duration_s": analysis.duration,
        "warnings": list(job.warnings) + list(analysis.phones.warnings) + list(result.messages),
    }
    summary["n_keys"] = result.total_keys
    summary["channels"] = result.channels
    summary["missing"] = list(result.missing)
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


# ---------------------------------------------------------------- Generate

class LIPSYNC_OT_generate(bpy.types.Operator):
    """Analyse the dialogue and key the character's mouth as a new take (Esc cancels)"""

    bl_idname = "lipsync.generate"
    bl_label = "Generate Lip Sync"
    bl_options = {"REGISTER", "UNDO"}

    # Optional overrides (scripts / command line); empty = use the panel's settings.
    target: bpy.props.StringProperty(name="Target", default="", options={"SKIP_SAVE"})
    strip: bpy.props.StringProperty(name="Strip", default="", options={"SKIP_SAVE"})
    filepath: bpy.props.StringProperty(name="Audio File", default="", subtype="FILE_PATH", options={"SKIP_SAVE"})
    transcript: bpy.props.StringProperty(name="Transcript", default="", options={"SKIP_SAVE"},
                                         description="The spoken words (overrides the panel's transcript)")

    _thread = None
    _timer = None

    def _job(self, context):
        return prepare_job(
            context.scene,
            target=self.target or None,
            strip=self.strip or None,
            filepath=self.filepath or None,
            transcript=self.transcript or None,
        )

    def execute(self, context):
        try:
            job = self._job(context)
            summary = apply_job(job, analyze_job(job))
        except LipSyncError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        except Exception as exc:
            traceback.print_exc()  # the details go to the system console for bug reports
            self.report({"ERROR"}, f"Lip Sync failed: {type(exc).__name__}: {exc}. Try another recogniser, "
                                   "or report this with the audio file.")
            return {"CANCELLED"}
        self._report_done(summary)
        return {"FINISHED"}

    def _report_done(self, summary):
        for w in summary["warnings"][:3]:
            self.report({"WARNING"}, str(w))
        n = len(summary["review"])
        where = " (Lip Sync -> Review, and the LS review markers)" if n else ""
        self.report({"INFO"}, f"Lip Sync: take '{summary['take']}' on '{summary['object']}', frames "
                              f"{summary['frame_range'][0]}-{summary['frame_range'][1]}; "
                              f"{review_count_text(n)}{where}.")

    def invoke(self, context, event):
        if context.window is None:  # no UI (background mode): run synchronously
            return self.execute(context)
        try:
            self._job_value = self._job(context)
        except LipSyncError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self._state = {"frac": 0.0, "msg": "Starting", "cancel": False, "result": None, "error": None}
        state = self._state
        job = self._job_value

        def progress(frac, msg):
            state["frac"], state["msg"] = float(frac), str(msg)

        def worker():
            try:
                state["result"] = analyze_job(job, progress=progress, cancel=lambda: state["cancel"])
            except BaseException as exc:  # reported on the main thread
                state["error"] = exc

        self._thread = threading.Thread(target=worker, name="lipsync-analyze", daemon=True)
        self._thread.start()
        wm = context.window_manager
        wm.progress_begin(0, 100)
        self._timer = wm.event_timer_add(0.1, window=context.window)
        wm.modal_handler_add(self)
        self._t0 = time.monotonic()
        self._status(context)
        return {"RUNNING_MODAL"}

    def _status(self, context):
        st = self._state
        context.window_manager.progress_update(int(st["frac"] * 100))
        if context.workspace is not None:
            context.workspace.status_text_set(f"Lip Sync: {st['msg']} ({int(st['frac'] * 100)}%) - Esc to cancel")

    def _finish(self, context):
        wm = context.window_manager
        if self._timer is not None:
            wm.event_timer_remove(self._timer)
            self._timer = None
        wm.progress_end()
        if context.workspace is not None:
            context.workspace.status_text_set(None)

    def modal(self, context, event):
        if event.type == "ESC" and event.value == "PRESS":
            self._state["cancel"] = True
            self._state["msg"] = "Cancelling"
        if event.type != "TIMER":
            return {"PASS_THROUGH"} if event.type != "ESC" else {"RUNNING_MODAL"}
        if self._thread.is_alive():
            self._status(context)
            return {"RUNNING_MODAL"}
        self._finish(context)
        err = self._state["error"]
        if self._state["cancel"]:
            self.report({"WARNING"}, "Lip Sync cancelled; nothing was changed.")
            return {"CANCELLED"}
        if err is not None:
            if isinstance(err, LipSyncError):
                self.report({"ERROR"}, str(err))
            else:
                traceback.print_exception(err)
                self.report({"ERROR"}, f"Lip Sync failed: {type(err).__name__}: {err}. Try another recogniser, "
                                       "or report this with the audio file.")
            return {"CANCELLED"}
        try:
            summary = apply_job(self._job_value, self._state["result"])
        except LipSyncError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self._report_done(summary)
        for area in context.screen.areas if context.screen else ():
            area.tag_redraw()
        return {"FINISHED"}

    def cancel(self, context):  # window closed / file loaded while running
        self._state["cancel"] = True
        self._finish(context)


# ---------------------------------------------------------------- takes

class LIPSYNC_OT_set_take(bpy.types.Operator):
    """Make this take the one the character plays"""

    bl_idname = "lipsync.set_take"
    bl_label = "Use Take"
    bl_options = {"REGISTER", "UNDO"}

    take: bpy.props.StringProperty(name="Take")

    def execute(self, context):
        from ..rigging import apply as rapply

        obj = context.scene.lipsync.target
        if obj is None:
            self.report({"ERROR"}, "Pick the target character in the Lip Sync panel first.")
            return {"CANCELLED"}
        try:
            rapply.set_active_take(obj, self.take)
        except LipSyncError as exc:
            self.report({"ERROR"}, f"Could not switch to take '{self.take}': {exc}")
            return {"CANCELLED"}
        from . import review

        props = context.scene.lipsync
        review.sync_markers(context.scene, obj, props.review_threshold, props.show_review_markers)
        return {"FINISHED"}


# ---------------------------------------------------------------- mapping

def _character(op, context):
    """The target's per-character settings, or None (reported) without a target."""
    from .properties import ensure_override_storage

    obj = context.scene.lipsync.target
    if obj is None:
        op.report({"ERROR"}, "Pick the target character in the Lip Sync panel first.")
        return None
    ensure_override_storage(obj)
    return obj.lipsync


class LIPSYNC_OT_detect_mapping(bpy.types.Operator):
    """Detect which shape keys / bones the visemes drive and load them into the editable mapping"""

    bl_idname = "lipsync.detect_mapping"
    bl_label = "Detect Mapping"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        from ..rigging import mapping as rmap
        from .properties import mapping_to_props

        obj = context.scene.lipsync.target
        try:
            check_target(obj)
        except LipSyncError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        props = obj.lipsync
        names, kinds = rig_target_names(obj)
        preset = None if props.mapping_preset in ("", "AUTO") else props.mapping_preset
        try:
            name, mapping, missing = rmap.detect_preset(names, kinds, preset=preset)
        except ValueError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        mapping_to_props(mapping, props, names)
        props.mapping_detected = name
        props.mapping_missing = ", ".join(missing)
        if not name:
            self.report({"WARNING"}, f"No known mouth shape keys or bones on '{obj.name}'; add bindings by hand.")
        else:
            self.report({"INFO"}, f"Mapping: {name}, {len(mapping.bindings)} bindings"
                                  + (f", missing: {', '.join(missing)}" if missing else ""))
        return {"FINISHED"}


class LIPSYNC_OT_mapping_add(bpy.types.Operator):
    """Add a binding to the edited mapping"""

    bl_idname = "lipsync.mapping_add"
    bl_label = "Add Binding"
    bl_options = {"REGISTER", "UNDO", "INTERNAL"}

    def execute(self, context):
        props = _character(self, context)
        if props is None:
            return {"CANCELLED"}
        b = props.mapping.add()
        b.source = "viseme:A"
        b.kind = "shape_key"
        props.mapping_index = len(props.mapping) - 1
        props.use_custom_mapping = True
        return {"FINISHED"}


class LIPSYNC_OT_mapping_remove(bpy.types.Operator):
    """Remove the selected binding from the edited mapping"""

    bl_idname = "lipsync.mapping_remove"
    bl_label = "Remove Binding"
    bl_options = {"REGISTER", "UNDO", "INTERNAL"}

    def execute(self, context):
        props = _character(self, context)
        if props is None:
            return {"CANCELLED"}
        if 0 <= props.mapping_index < len(props.mapping):
            props.mapping.remove(props.mapping_index)
            props.mapping_index = max(0, props.mapping_index - 1)
        return {"FINISHED"}


class LIPSYNC_OT_apply_style(bpy.types.Operator):
    """Set all animator controls to the chosen style"""

    bl_idname = "lipsync.apply_style"
    bl_label = "Apply Style"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        from ..rigging.settings import STYLE_PRESETS
        from .properties import settings_to_props

        props = _character(self, context)
        if props is None:
            return {"CANCELLED"}
        preset = STYLE_PRESETS.get(props.style_preset)
        if preset is None:
            self.report({"ERROR"}, f"Unknown style '{props.style_preset}'.")
            return {"CANCELLED"}
        settings_to_props(preset, props.settings)
        return {"FINISHED"}


# ---------------------------------------------------------------- review

class LIPSYNC_OT_review_jump(bpy.types.Operator):
    """Jump to this stretch (and loop it in the preview range) to check the mouth there"""

    bl_idname = "lipsync.review_jump"
    bl_label = "Jump to Stretch"
    bl_options = {"REGISTER", "UNDO"}

    frame_start: bpy.props.IntProperty(name="First Frame")
    frame_end: bpy.props.IntProperty(name="Last Frame")
    preview_range: bpy.props.BoolProperty(name="Set Preview Range", default=True,
                                          description="Also set the preview range around the stretch")

    def execute(self, context):
        scene = context.scene
        scene.frame_set(self.frame_start)
        if self.preview_range:
            pad = max(2, int(round(strips_mod.scene_fps(scene.render) * 0.25)))  # a quarter second of context
            scene.use_preview_range = True
            lo = max(0, self.frame_start - pad)
            hi = max(lo + 1, self.frame_end + pad)
            if lo > scene.frame_preview_end:  # set in an order Blender accepts (start <= end at all times)
                scene.frame_preview_end = hi
                scene.frame_preview_start = lo
            else:
                scene.frame_preview_start = lo
                scene.frame_preview_end = hi
        return {"FINISHED"}


class LIPSYNC_OT_clear_review_markers(bpy.types.Operator):
    """Remove Lip Sync's review markers (LS review 1, 2, ...) from the timeline; your own markers stay"""

    bl_idname = "lipsync.clear_review_markers"
    bl_label = "Clear Review Markers"
    bl_options = {"REGISTER", "UNDO"}

    def execute(self, context):
        from . import review

        props = context.scene.lipsync
        n = review.clear_markers(context.scene)
        if props.show_review_markers:
            props.show_review_markers = False  # stays cleared until turned on again
        self.report({"INFO"}, f"Removed {n} review marker{'s' if n != 1 else ''}; turn on 'Show Review Markers' "
                              "to bring them back.")
        return {"FINISHED"}


# ---------------------------------------------------------------- preview

class LIPSYNC_OT_render_preview(bpy.types.Operator):
    """Render the lip-synced range as a video with the dialogue (H.264 + AAC) for review"""

    bl_idname = "lipsync.render_preview"
    bl_label = "Render Preview"
    bl_options = {"REGISTER"}

    filepath: bpy.props.StringProperty(name="Output", default="", subtype="FILE_PATH", options={"SKIP_SAVE"})

    def execute(self, context):
        from . import preview

        props = context.scene.lipsync
        out = self.filepath or props.preview_path
        audio = start = None
        if props.source == "FILE" and props.audio_path:  # dialogue not in the sequencer: mux it for the preview
            audio = bpy.path.abspath(props.audio_path)
            start = props.file_start_frame
            if not os.path.isfile(audio):
                self.report({"ERROR"}, f"Audio file not found: {audio}. Check the path in the Lip Sync panel.")
                return {"CANCELLED"}
        try:
            path = preview.render_preview(context.scene, bpy.path.abspath(out), engine=props.preview_engine,
                                          scale=props.preview_scale, target=props.target,
                                          frame_face=props.preview_frame_face, audio_path=audio,
                                          audio_start_frame=start)
        except LipSyncError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        props.status = f"Preview written: {path}"
        self.report({"INFO"}, f"Preview written: {path}")
        return {"FINISHED"}


classes = (LIPSYNC_OT_generate, LIPSYNC_OT_set_take, LIPSYNC_OT_detect_mapping, LIPSYNC_OT_mapping_add,
           LIPSYNC_OT_mapping_remove, LIPSYNC_OT_apply_style, LIPSYNC_OT_review_jump,
           LIPSYNC_OT_clear_review_markers, LIPSYNC_OT_render_preview)
