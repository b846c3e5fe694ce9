"""Takes and review: switch the take a character plays, jump to a stretch to review, clear review markers."""
import bpy

from ...errors import LipSyncError
from .. import strips as strips_mod


class LIPSYNC_OT_set_take(bpy.types.Operator):
    """Make this take the one the character plays"""

    bl_idname = "lipsync.set_take"
    bl_label = "Use Take"
    bl_options = {"REGISTER", "UNDO"}

    take: bpy.props.StringProperty(name="Take")

    def execute(self, context):
        from ...rigging.blender import takes as rtakes

        obj = context.scene.lipsync.target
        if obj is None:
            self.report({"ERROR"}, "Pick the target character in the Lip Sync panel first.")
            return {"CANCELLED"}
        try:
            rtakes.set_active_take(obj, self.take)
        except LipSyncError as exc:
            self.report({"ERROR"}, f"Could not switch to take '{self.take}': {exc}")
            return {"CANCELLED"}
        from .. import review

        props = context.scene.lipsync
        review.sync_markers(context.scene, obj, props.review_threshold, props.show_review_markers)
        return {"FINISHED"}


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
        from .. import review

        props = context.scene.lipsync
        n = review.clear_markers(context.scene)
        if props.show_review_markers:
            props.show_review_markers = False  # stays cleared until turned on again
        self.report({"INFO"}, f"Removed {n} review marker{'s' if n != 1 else ''}; turn on 'Show Review Markers' "
                              "to bring them back.")
        return {"FINISHED"}


classes = (LIPSYNC_OT_set_take, LIPSYNC_OT_review_jump, LIPSYNC_OT_clear_review_markers)
