"""Render Preview: a video of the lip-synced range with the dialogue, for review."""
import os

import bpy

from ...errors import LipSyncError


class LIPSYNC_OT_render_preview(bpy.types.Operator):
    """Render the lip-synced range as a video with the dialogue (H.264 + AAC) for review"""

    bl_idname = "lipsync.render_preview"
    bl_label = "Render Preview"
    bl_options = {"REGISTER"}

    filepath: bpy.props.StringProperty(name="Output", default="", subtype="FILE_PATH", options={"SKIP_SAVE"})

    def execute(self, context):
        from .. import preview

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
                                          audio_start_frame=start, burn_in=props.preview_burn_in)
        except LipSyncError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        props.status = f"Preview written: {path}"
        self.report({"INFO"}, f"Preview written: {path}")
        return {"FINISHED"}


classes = (LIPSYNC_OT_render_preview,)
