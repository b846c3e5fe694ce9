"""Generate Lip Sync: modal with progress and Esc in the UI, synchronous in background mode and scripts."""
import threading
import time
import traceback

import bpy

from ...errors import LipSyncError, failure_message
from ..jobs import analyze_job, apply_job, prepare_job, review_count_text


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
        doing = "checking the input"
        try:
            job = self._job(context)
            doing = "analysing the dialogue"
            analysis = analyze_job(job)
            doing = "keying the character"
            summary = apply_job(job, analysis)
        except LipSyncError as exc:
            self.report({"ERROR"}, failure_message(exc, doing))
            return {"CANCELLED"}
        except Exception as exc:
            traceback.print_exc()  # the details go to the system console for bug reports
            self.report({"ERROR"}, failure_message(exc, doing))
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
        except Exception as exc:
            if not isinstance(exc, LipSyncError):
                traceback.print_exc()
            self.report({"ERROR"}, failure_message(exc, "checking the input"))
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
            if not isinstance(err, LipSyncError):
                traceback.print_exception(err)
            self.report({"ERROR"}, failure_message(err, "analysing the dialogue"))
            return {"CANCELLED"}
        try:
            summary = apply_job(self._job_value, self._state["result"])
        except Exception as exc:
            if not isinstance(exc, LipSyncError):
                traceback.print_exc()
            self.report({"ERROR"}, failure_message(exc, "keying the character"))
            return {"CANCELLED"}
        self._report_done(summary)
        for area in context.screen.areas if context.screen else ():
            area.tag_redraw()
        return {"FINISHED"}

    def cancel(self, context):  # window closed / file loaded while running
        self._state["cancel"] = True
        self._finish(context)
        self.report({"WARNING"}, "Lip Sync stopped: the window was closed or a file was loaded while it ran; "
                                 "nothing was written.")


classes = (LIPSYNC_OT_generate,)
