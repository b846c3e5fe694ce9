"""Generate All: every strip of the scene onto its character, in one undo step (Esc cancels the rest)."""
import threading

import bpy

from .. import batch
from .generate import LIPSYNC_OT_generate


def _report_run(op, run) -> None:
    for r in run.results:
        level = "INFO" if r.status in ("done", "cancelled") else "WARNING"
        op.report({level}, "Lip Sync: " + r.line())
    op.report({"INFO"} if run.n_done else {"WARNING"}, run.summary_line())


class LIPSYNC_OT_generate_all(bpy.types.Operator):
    """Lip-sync every unmuted sound strip (or the selected ones), each onto its character, as new takes.
    One undo step for the whole run; Esc cancels the strips not done yet and keeps the ones done"""

    bl_idname = "lipsync.generate_all"
    bl_label = "Generate All"
    bl_options = {"REGISTER", "UNDO"}

    _thread = None
    _timer = None
    _run = None

    def _plan(self, context):
        props = context.scene.lipsync
        items = batch.plan(context.scene, props.batch_selected_only)
        if not items:
            which = "selected " if props.batch_selected_only else "unmuted "
            self.report({"ERROR"}, f"No {which}sound strip in scene '{context.scene.name}'. Add the dialogue in the "
                                   "Video Sequencer (Add -> Sound)"
                        + (", or turn off 'Selected Strips Only'." if props.batch_selected_only else "."))
            return None
        return items

    def execute(self, context):
        items = self._plan(context)
        if items is None:
            return {"CANCELLED"}
        run = batch.BatchRun(context.scene, items)
        run.run_all()
        return self._done(context, run)

    def _done(self, context, run):
        _report_run(self, run)
        context.scene.lipsync.status = run.summary_line()
        # FINISHED whenever something was keyed, also after Esc: the strips done are kept, in one undo step
        return {"FINISHED"} if run.n_done else {"CANCELLED"}

    def invoke(self, context, event):
        if context.window is None:  # background mode / scripts without a window: synchronously
            return self.execute(context)
        items = self._plan(context)
        if items is None:
            return {"CANCELLED"}
        run = self._run = batch.BatchRun(context.scene, items)

        def worker():
            while run.analyze_next():
                pass

        self._thread = threading.Thread(target=worker, name="lipsync-generate-all", daemon=True)
        self._thread.start()
        wm = context.window_manager
        wm.progress_begin(0, 100)
        self._timer = wm.event_timer_add(0.1, window=context.window)
        wm.modal_handler_add(self)
        self._status(context)
        return {"RUNNING_MODAL"}

    def _status(self, context):
        run = self._run
        context.window_manager.progress_update(int(run.progress * 100))
        if context.workspace is not None:
            i = min(run.current, run.n - 1)
            r = run.results[i]
            what = "Cancelling" if run.cancel else f"{run.msg}"
            context.workspace.status_text_set(
                f"Lip Sync: strip {i + 1} of {run.n} '{r.strip}' -> {r.character or '?'}: {what} "
                f"({int(run.progress * 100)}% of all) - Esc cancels the rest")

    _finish = LIPSYNC_OT_generate._finish  # the same clean-up: timer, progress bar, status text

    def modal(self, context, event):
        run = self._run
        if event.type == "ESC" and event.value == "PRESS":
            run.cancel = True
            return {"RUNNING_MODAL"}
        if event.type != "TIMER":
            # look around while it runs, but nothing that edits the scene: the run stays one undo step
            nav = event.type in {"MOUSEMOVE", "INBETWEEN_MOUSEMOVE", "MIDDLEMOUSE", "WHEELUPMOUSE", "WHEELDOWNMOUSE",
                                 "TRACKPADPAN", "TRACKPADZOOM", "NDOF_MOTION"}
            return {"PASS_THROUGH"} if nav else {"RUNNING_MODAL"}
        if run.apply_ready():
            for area in context.screen.areas if context.screen else ():
                area.tag_redraw()
        if self._thread.is_alive():
            self._status(context)
            return {"RUNNING_MODAL"}
        run.apply_ready()
        run.finish_cancelled()
        self._finish(context)
        return self._done(context, run)

    def cancel(self, context):  # window closed / file loaded while running
        if self._run is not None:
            self._run.cancel = True
        self._finish(context)


def _character_items(self, context):
    items = [("__AUTO__", "Automatic", "Match the character from the strip's name")]
    try:
        items += [(o.name, o.name, f"{o.name} speaks this strip") for o in batch.characters(context.scene)]
    except Exception:  # noqa: BLE001 - a menu must never fail
        pass
    _ITEMS["chars"] = items  # Blender keeps raw pointers to dynamic enum strings
    return items


_ITEMS: dict = {}


class LIPSYNC_OT_strip_character(bpy.types.Operator):
    """Choose who speaks this strip (remembered with the strip; Automatic matches it from the names)"""

    bl_idname = "lipsync.strip_character"
    bl_label = "Character of Strip"
    bl_options = {"REGISTER", "UNDO", "INTERNAL"}
    bl_property = "character"

    strip: bpy.props.StringProperty(name="Strip")
    character: bpy.props.EnumProperty(name="Character", items=_character_items)

    def execute(self, context):
        from .. import strips as strips_mod
        from ...errors import LipSyncError

        try:
            s = strips_mod.find_sound_strip(context.scene, self.strip)
        except LipSyncError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        if self.character == "__AUTO__":
            if batch.CHARACTER_PROP in s:
                del s[batch.CHARACTER_PROP]
        else:
            s[batch.CHARACTER_PROP] = self.character
        for area in context.screen.areas if context.screen else ():
            area.tag_redraw()
        return {"FINISHED"}

    def invoke(self, context, event):
        context.window_manager.invoke_search_popup(self)
        return {"RUNNING_MODAL"}


classes = (LIPSYNC_OT_generate_all, LIPSYNC_OT_strip_character)
