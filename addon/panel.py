"""The sidebar panel: 3D Viewport -> Sidebar (N) -> Lip Sync."""
import bpy

from . import strips as strips_mod


class _LipSyncPanel:
    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Lip Sync"


class LIPSYNC_UL_mapping(bpy.types.UIList):
    bl_idname = "LIPSYNC_UL_mapping"

    def draw_item(self, context, layout, data, item, icon, active_data, active_propname, index=0):
        row = layout.row(align=True)
        row.label(text=item.source, icon="CHECKMARK" if item.found else "ERROR")
        row.prop(item, "target", text="", emboss=True)
        row.prop(item, "weight", text="")


class LIPSYNC_PT_main(_LipSyncPanel, bpy.types.Panel):
    bl_idname = "LIPSYNC_PT_main"
    bl_label = "Lip Sync"

    def draw(self, context):
        from .preferences import missing_message

        layout = self.layout
        scene = context.scene
        props = scene.lipsync
        msg = missing_message()
        if msg:
            box = layout.box()
            box.alert = True
            for i, line in enumerate(_wrap(msg, 38)):
                box.label(text=line, icon="ERROR" if i == 0 else "BLANK1")
            box.operator("lipsync.install_dependencies", icon="IMPORT")

        layout.prop(props, "target")
        if props.target is None:
            layout.label(text="Pick the mesh with mouth shape keys or the face armature", icon="INFO")

        layout.prop(props, "source", expand=True)
        if props.source == "STRIP":
            se = scene.sequence_editor
            if se is None or not strips_mod.sound_strips(scene):
                layout.label(text="No sound strip: add the dialogue in the Video Sequencer", icon="ERROR")
            else:
                layout.prop_search(props, "strip", se, strips_mod.strips_collection_name(scene), text="Strip",
                                   icon="SOUND")
                if not props.strip:
                    s = strips_mod.default_sound_strip(scene)
                    layout.label(text=f"Using: {s.name}" if s else "Select a sound strip or pick one above",
                                 icon="SEQUENCE" if s else "ERROR")
                else:
                    s = next((x for x in strips_mod.sound_strips(scene) if x.name == props.strip), None)
                if s is not None:
                    row = layout.row(align=True)
                    row.prop(s, "lipsync_language", text="Strip Language")
                    if not s.lipsync_language.strip():
                        row.label(text=f"(scene: {props.language or 'eng'})")
        else:
            layout.prop(props, "audio_path")
            layout.prop(props, "file_start_frame")

        row = layout.row(align=True)
        row.prop(props, "transcript_source")
        row.operator("lipsync.transcribe", text="Transcribe", icon="TEXT")
        if props.transcript_source == "TEXT":
            layout.prop(props, "transcript_text")
        elif props.transcript_source == "FILE":
            layout.prop(props, "transcript_path")

        row = layout.row(align=True)
        row.prop(props, "recognizer", text="")
        row.prop(props, "language", text="Scene Language")
        layout.prop(props, "take_name")
        col = layout.column()
        col.scale_y = 1.5
        col.enabled = props.target is not None
        col.operator("lipsync.generate", icon="SPEAKER")
        if props.status:
            layout.label(text=props.status, icon="INFO")


def _character_layout(layout, context):
    """(layout to draw the target's own settings into, its props) or (None, None) without a target."""
    from .properties import character_editable

    obj = context.scene.lipsync.target
    if obj is None:
        layout.label(text="Pick a target: these settings belong to each character", icon="INFO")
        return None, None
    layout.label(text=f"Settings of '{obj.name}'", icon="OUTLINER_OB_" + ("ARMATURE" if obj.type == "ARMATURE"
                                                                        else "MESH"))
    editable = character_editable(obj)
    if not editable:
        for line in _wrap(f"'{obj.name}' is linked: make a library override (Object > Library Override > Make) "
                          "to change its settings.", 40):
            layout.label(text=line, icon="LIBRARY_DATA_DIRECT" if line.startswith("'") else "BLANK1")
    elif obj.override_library is not None and obj.override_library.is_system_override:
        for line in _wrap("System override: Object > Library Override > Make Editable to change these.", 40):
            layout.label(text=line, icon="LIBRARY_DATA_OVERRIDE" if line.startswith("System") else "BLANK1")
    col = layout.column()
    col.enabled = editable
    return col, obj.lipsync


class LIPSYNC_PT_mapping(_LipSyncPanel, bpy.types.Panel):
    bl_idname = "LIPSYNC_PT_mapping"
    bl_label = "Mapping"
    bl_parent_id = "LIPSYNC_PT_main"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout, props = _character_layout(self.layout, context)
        if props is None:
            return
        row = layout.row(align=True)
        row.prop(props, "mapping_preset", text="")
        row.operator("lipsync.detect_mapping", text="Detect", icon="VIEWZOOM")
        if props.mapping_detected:
            layout.label(text=f"Detected: {props.mapping_detected}", icon="CHECKMARK")
        if props.mapping_missing:
            col = layout.column()
            col.alert = True
            for line in _wrap("Missing: " + props.mapping_missing, 40):
                col.label(text=line)
        _draw_meshes(layout, context.scene.lipsync.target, props)
        layout.prop(props, "use_custom_mapping")
        row = layout.row()
        row.template_list("LIPSYNC_UL_mapping", "", props, "mapping", props, "mapping_index", rows=4)
        col = row.column(align=True)
        col.operator("lipsync.mapping_add", text="", icon="ADD")
        col.operator("lipsync.mapping_remove", text="", icon="REMOVE")
        if 0 <= props.mapping_index < len(props.mapping):
            item = props.mapping[props.mapping_index]
            box = layout.box()
            for name in ("source", "kind", "target", "weight", "data_path", "index", "offset", "group"):
                if hasattr(item, name):
                    box.prop(item, name)


def _draw_meshes(layout, obj, props):
    """The meshes a take on ``obj`` keys (its teeth, tongue, ...), each with a toggle to leave it out."""
    try:
        from ..rigging.blender.targets import rig_meshes

        meshes = rig_meshes(obj)
    except Exception as exc:  # a drawing panel must never raise
        layout.label(text=f"Meshes unavailable: {exc}", icon="ERROR")
        return
    if len(meshes) < 2:
        return
    left_out = {item.object.name for item in props.left_out if item.object is not None}
    box = layout.box()
    box.label(text="Meshes keyed together", icon="MESH_DATA")
    col = box.column(align=True)
    for m in meshes:
        row = col.row(align=True)
        if m == obj:
            row.label(text=f"{m.name} (target)", icon="CHECKBOX_HLT")
            continue
        op = row.operator("lipsync.toggle_mesh", text=m.name, emboss=False,
                          icon="CHECKBOX_DEHLT" if m.name in left_out else "CHECKBOX_HLT")
        op.mesh = m.name


class LIPSYNC_PT_batch(_LipSyncPanel, bpy.types.Panel):
    bl_idname = "LIPSYNC_PT_batch"
    bl_label = "Generate All"
    bl_parent_id = "LIPSYNC_PT_main"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        props = context.scene.lipsync
        layout.prop(props, "batch_selected_only")
        try:
            from . import batch

            items = batch.plan(context.scene, props.batch_selected_only)
        except Exception as exc:  # a drawing panel must never raise
            layout.label(text=f"Strips unavailable: {exc}", icon="ERROR")
            return
        if not items:
            layout.label(text="No sound strip to run on", icon="INFO")
            return
        col = layout.column(align=True)
        for it in items:
            row = col.row(align=True)
            row.label(text=it.strip, icon="SOUND")
            strip = next((x for x in strips_mod.sound_strips(context.scene) if x.name == it.strip), None)
            if strip is not None:
                row.prop(strip, "lipsync_language", text="")
            op = row.operator("lipsync.strip_character", text=it.label,
                              icon="USER" if it.character else "ERROR")
            op.strip = it.strip
        row = layout.row()
        row.scale_y = 1.3
        row.enabled = any(it.character for it in items)
        row.operator("lipsync.generate_all", icon="SPEAKER")


class LIPSYNC_PT_animation(_LipSyncPanel, bpy.types.Panel):
    bl_idname = "LIPSYNC_PT_animation"
    bl_label = "Animation"
    bl_parent_id = "LIPSYNC_PT_main"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout, props = _character_layout(self.layout, context)
        if props is None:
            return
        row = layout.row(align=True)
        row.prop(props, "style_preset", text="")
        row.operator("lipsync.apply_style", text="Apply")
        col = layout.column()
        col.use_property_split = True
        col.use_property_decorate = False
        for name in props.settings.bl_rna.properties.keys():
            if name not in ("rna_type", "name"):
                col.prop(props.settings, name)


class LIPSYNC_PT_takes(_LipSyncPanel, bpy.types.Panel):
    bl_idname = "LIPSYNC_PT_takes"
    bl_label = "Takes"
    bl_parent_id = "LIPSYNC_PT_main"

    def draw(self, context):
        layout = self.layout
        obj = context.scene.lipsync.target
        if obj is None:
            layout.label(text="No target")
            return
        try:
            from ..rigging.blender import takes as rtakes

            takes = rtakes.list_takes(obj)
            current = rtakes.active_take(obj)
        except Exception as exc:  # a drawing panel must never raise
            layout.label(text=f"Takes unavailable: {exc}", icon="ERROR")
            return
        if not takes:
            layout.label(text="No takes yet: click Generate Lip Sync")
            return
        col = layout.column(align=True)
        for t in takes:
            name = getattr(t, "name", t if isinstance(t, str) else str(t))
            active = name == current
            row = col.row(align=True)
            op = row.operator("lipsync.set_take", text=name, icon="RADIOBUT_ON" if active else "RADIOBUT_OFF",
                              depress=active)
            op.take = name


class LIPSYNC_PT_review(_LipSyncPanel, bpy.types.Panel):
    bl_idname = "LIPSYNC_PT_review"
    bl_label = "Review"
    bl_parent_id = "LIPSYNC_PT_main"

    def draw(self, context):
        layout = self.layout
        props = context.scene.lipsync
        row = layout.row(align=True)
        row.prop(props, "review_threshold", slider=True)
        row = layout.row(align=True)
        row.prop(props, "show_review_markers")
        row.prop(props, "review_preview_range", text="Loop")
        row = layout.row(align=True)
        row.prop(props, "show_word_markers")
        row.prop(props, "show_phone_markers")
        layout.operator("lipsync.clear_review_markers", icon="MARKER")
        obj = props.target
        if obj is None:
            return
        try:
            from . import review
            from ..rigging.blender import takes as rtakes

            take = rtakes.active_take(obj)
            spans = review.take_spans(obj, props.review_threshold)
            notes = review.take_warnings(obj)
        except Exception as exc:  # a drawing panel must never raise
            layout.label(text=f"Review unavailable: {exc}", icon="ERROR")
            return
        if take is None:
            layout.label(text="No take yet")
            return
        if not spans:
            layout.label(text=f"'{take}': nothing below {props.review_threshold:.2f}", icon="CHECKMARK")
        else:
            n = len(spans)
            layout.label(text=f"'{take}': {n} stretch{'es' if n != 1 else ''} to review", icon="ERROR")
        for note in notes:
            box = layout.box()
            for i, line in enumerate(_wrap(note, 40)):
                box.label(text=line, icon="INFO" if i == 0 else "BLANK1")
        col = layout.column(align=True)
        for s in spans:
            row = col.row(align=True)
            op = row.operator("lipsync.review_jump", text=f"{s.index}: {s.frame_start}-{s.frame_end}",
                              icon="TIME")
            op.frame_start, op.frame_end = s.frame_start, s.frame_end
            op.preview_range = props.review_preview_range
            row.label(text=s.label)


class LIPSYNC_PT_preview(_LipSyncPanel, bpy.types.Panel):
    bl_idname = "LIPSYNC_PT_preview"
    bl_label = "Preview"
    bl_parent_id = "LIPSYNC_PT_main"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        props = context.scene.lipsync
        layout.prop(props, "preview_path", text="")
        row = layout.row(align=True)
        row.prop(props, "preview_engine", text="")
        row.prop(props, "preview_scale")
        row = layout.row(align=True)
        row.prop(props, "preview_frame_face")
        row.prop(props, "preview_burn_in")
        layout.operator("lipsync.render_preview", icon="RENDER_ANIMATION")


def _wrap(text: str, width: int) -> list[str]:
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    if cur:
        lines.append(cur)
    return lines


classes = (LIPSYNC_UL_mapping, LIPSYNC_PT_main, LIPSYNC_PT_batch, LIPSYNC_PT_mapping, LIPSYNC_PT_animation,
           LIPSYNC_PT_takes, LIPSYNC_PT_review, LIPSYNC_PT_preview)
