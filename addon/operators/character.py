"""The character's own settings: detect or edit its mapping, apply an animation style."""
import bpy

from ...errors import LipSyncError
from ..jobs import check_target, rig_target_names


def _character(op, context):
    """The target's per-character settings, or None (reported) without a target."""
    from ..properties import ensure_override_storage

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
        from ...rigging import mapping as rmap
        from ..properties import mapping_to_props

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
        from ...rigging.settings import STYLE_PRESETS
        from ..properties import settings_to_props

        props = _character(self, context)
        if props is None:
            return {"CANCELLED"}
        preset = STYLE_PRESETS.get(props.style_preset)
        if preset is None:
            self.report({"ERROR"}, f"Unknown style '{props.style_preset}'.")
            return {"CANCELLED"}
        settings_to_props(preset, props.settings)
        return {"FINISHED"}


class LIPSYNC_OT_toggle_mesh(bpy.types.Operator):
    """Key this mesh of the character with it (teeth, tongue, ...), or leave it out of its takes"""

    bl_idname = "lipsync.toggle_mesh"
    bl_label = "Key Mesh With Character"
    bl_options = {"REGISTER", "UNDO", "INTERNAL"}

    mesh: bpy.props.StringProperty(name="Mesh")

    def execute(self, context):
        props = _character(self, context)
        if props is None:
            return {"CANCELLED"}
        mesh = bpy.data.objects.get(self.mesh)
        if mesh is None:
            self.report({"ERROR"}, f"There is no mesh called '{self.mesh}'.")
            return {"CANCELLED"}
        for i, item in enumerate(props.left_out):
            if item.object == mesh:
                props.left_out.remove(i)
                self.report({"INFO"}, f"'{mesh.name}' is keyed with '{context.scene.lipsync.target.name}' again.")
                return {"FINISHED"}
        props.left_out.add().object = mesh
        self.report({"INFO"}, f"'{mesh.name}' is left out of the next takes.")
        return {"FINISHED"}


classes = (LIPSYNC_OT_detect_mapping, LIPSYNC_OT_mapping_add, LIPSYNC_OT_mapping_remove, LIPSYNC_OT_apply_style,
           LIPSYNC_OT_toggle_mesh)
