"""Words from the dialogue: Transcribe (into a Text datablock the animator corrects) and speech-model downloads.

**Transcribe** recognises the words of the panel's dialogue (``phonemes.words``, the speech model chosen in
the preferences) in a worker thread, with progress per window and Esc to cancel, and writes them into a
Text datablock named after the strip (or the audio file). An existing Text of that name is never
overwritten: a new one (``Dialogue.001``) is made. The panel's transcript is then set to that Text, so
the next Generate Lip Sync aligns the corrected words.

**Download Speech Model** (Preferences) runs ``speech_models.download_model`` in a worker thread; nothing
is ever downloaded without this button or ``lipsync models download whisper``.
"""
import os
import threading
import traceback

import bpy

from ...errors import Cancelled, LipSyncError


def _run_in_thread(op, context, work, label):
    """Start ``work(progress, cancel)`` in a thread and the operator's modal timer; the state dict."""
    state = {"frac": 0.0, "msg": "Starting", "cancel": False, "result": None, "error": None}

    def progress(frac, msg):
        state["frac"], state["msg"] = float(frac), str(msg)

    def worker():
        try:
            state["result"] = work(progress, lambda: state["cancel"])
        except BaseException as exc:  # reported on the main thread
            state["error"] = exc

    state["thread"] = threading.Thread(target=worker, name=f"lipsync-{label}", daemon=True)
    state["thread"].start()
    wm = context.window_manager
    wm.progress_begin(0, 100)
    state["timer"] = wm.event_timer_add(0.1, window=context.window)
    wm.modal_handler_add(op)
    return state


def _modal_step(op, context, event, label):
    """Shared modal handling: Esc, progress text; returns None while running, else the finished state."""
    st = op._state
    if event.type == "ESC" and event.value == "PRESS":
        st["cancel"] = True
        st["msg"] = "Cancelling"
    if event.type != "TIMER":
        return {"PASS_THROUGH"} if event.type != "ESC" else {"RUNNING_MODAL"}
    if st["thread"].is_alive():
        context.window_manager.progress_update(int(st["frac"] * 100))
        if context.workspace is not None:
            context.workspace.status_text_set(f"Lip Sync: {label}: {st['msg']} ({int(st['frac'] * 100)}%) - "
                                              "Esc to cancel")
        return {"RUNNING_MODAL"}
    _end(context, st)
    return None


def _end(context, st):
    wm = context.window_manager
    if st.get("timer") is not None:
        wm.event_timer_remove(st["timer"])
        st["timer"] = None
    wm.progress_end()
    if context.workspace is not None:
        context.workspace.status_text_set(None)


def _report_error(op, err, what):
    if isinstance(err, Cancelled):
        op.report({"WARNING"}, f"{what} cancelled; nothing was changed.")
    elif isinstance(err, LipSyncError):
        op.report({"ERROR"}, str(err))
    else:
        traceback.print_exception(err)
        op.report({"ERROR"}, f"{what} failed: {type(err).__name__}: {err}. Report this with the audio file.")


class LIPSYNC_OT_transcribe(bpy.types.Operator):
    """Recognise the spoken words into a Text named after the strip: fix names and typos there, and Generate
    Lip Sync uses it as the transcript (Esc cancels)"""

    bl_idname = "lipsync.transcribe"
    bl_label = "Transcribe"
    bl_options = {"REGISTER", "UNDO"}

    strip: bpy.props.StringProperty(name="Strip", default="", options={"SKIP_SAVE"})
    filepath: bpy.props.StringProperty(name="Audio File", default="", subtype="FILE_PATH", options={"SKIP_SAVE"})

    _state = None

    def _prepare(self, context):
        from .. import strips as strips_mod
        from ..jobs import dialogue_source, speech_model_preference
        from ...phonemes.words import Transcriber

        path, strip_name, _timing, _start = dialogue_source(context.scene, self.strip or None, self.filepath or None)
        name = strip_name or os.path.splitext(os.path.basename(path))[0]
        language = context.scene.lipsync.language or "eng"
        if strip_name:  # the strip's own language, else the scene's
            language = strips_mod.strip_language(strips_mod.find_sound_strip(context.scene, strip_name), language)
        transcriber = Transcriber(speech_model_preference(), language)
        return path, name, transcriber

    @staticmethod
    def _work(path, transcriber):
        def work(progress, cancel):
            from ...phonemes.audio import load_audio

            progress(0.0, "Reading the dialogue")
            return transcriber.transcribe(load_audio(path), progress=progress, cancel=cancel)
        return work

    def execute(self, context):
        try:
            path, name, transcriber = self._prepare(context)
            result = self._work(path, transcriber)(lambda f, m: None, lambda: False)
        except Exception as exc:  # noqa: BLE001 - reported as one line
            _report_error(self, exc, "Transcription")
            return {"CANCELLED"}
        return self._fill(context, name, result)

    def invoke(self, context, event):
        if context.window is None:
            return self.execute(context)
        try:
            path, name, transcriber = self._prepare(context)
        except LipSyncError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        self._name = name
        self._state = _run_in_thread(self, context, self._work(path, transcriber), "transcribe")
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        done = _modal_step(self, context, event, "Transcribing")
        if done is not None:
            return done
        st = self._state
        if st["cancel"] or st["error"] is not None:
            _report_error(self, st["error"] or Cancelled(), "Transcription")
            return {"CANCELLED"}
        return self._fill(context, self._name, st["result"])

    def cancel(self, context):
        if self._state is not None:
            self._state["cancel"] = True
            _end(context, self._state)

    def _fill(self, context, name, result):
        from ...phonemes.words import transcript_text

        if not result.words:
            self.report({"WARNING"}, "No speech was heard in the dialogue: nothing to transcribe.")
            return {"CANCELLED"}
        body = transcript_text(result)
        text = bpy.data.texts.get(name)
        if text is None or text.as_string().strip() != body.strip():
            text = bpy.data.texts.new(name)  # an existing Text keeps its (perhaps corrected) words: Name.001
            text.from_string(body)
        props = context.scene.lipsync
        props.transcript_source = "TEXT"
        props.transcript_text = text
        for w in result.warnings[:2]:
            self.report({"WARNING"}, w)
        self.report({"INFO"}, f"{len(result.words)} words ({result.model}) in the Text '{text.name}': fix names "
                              "and typos in the Text Editor; Generate Lip Sync uses it as the transcript.")
        return {"FINISHED"}


class LIPSYNC_OT_download_speech_model(bpy.types.Operator):
    """Download a Whisper speech model (CTranslate2) into your user folder and check its files"""

    bl_idname = "lipsync.download_speech_model"
    bl_label = "Download Speech Model"
    bl_options = {"REGISTER", "INTERNAL"}

    name: bpy.props.StringProperty(name="Model", default="small")

    _state = None

    def _work(self):
        from ...phonemes.speech_models import download_model

        name = self.name

        def work(progress, cancel):
            return download_model(name, progress=progress)
        return work

    def _check(self):
        if not bpy.app.online_access:
            self.report({"ERROR"}, "Blender is set to work offline. Allow online access in Preferences -> System -> "
                                   "Network, then download the speech model again.")
            return False
        return True

    def execute(self, context):
        if not self._check():
            return {"CANCELLED"}
        try:
            m = self._work()(lambda f, msg: None, lambda: False)
        except Exception as exc:  # noqa: BLE001
            _report_error(self, exc, "The download")
            return {"CANCELLED"}
        self.report({"INFO"}, f"Speech model {m.name} installed in {m.path}.")
        return {"FINISHED"}

    def invoke(self, context, event):
        if context.window is None:
            return self.execute(context)
        if not self._check():
            return {"CANCELLED"}
        self._state = _run_in_thread(self, context, self._work(), "download")
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        done = _modal_step(self, context, event, f"Downloading {self.name}")
        if done is not None:
            return done
        st = self._state
        if st["error"] is not None:
            _report_error(self, st["error"], "The download")
            return {"CANCELLED"}
        self.report({"INFO"}, f"Speech model {st['result'].name} installed in {st['result'].path}.")
        return {"FINISHED"}

    def cancel(self, context):
        if self._state is not None:
            _end(context, self._state)


classes = (LIPSYNC_OT_transcribe, LIPSYNC_OT_download_speech_model)
