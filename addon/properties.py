"""Blender properties of the Lip Sync panel.

``scene.lipsync`` holds what belongs to the shot (target, dialogue source, transcript,
recogniser, review, preview); ``object.lipsync`` holds what belongs to a character
(mapping and animator controls), so two characters in one shot keep their own.

``LIPSYNC_PG_settings`` is generated from ``rigging.settings.AnimSettings``'s
dataclass fields, so the panel can never drift from what the rigging reads:
a new field shows up as a property automatically (``UI`` below only adds
labels, ranges and tooltips). ``settings_from_props`` / ``settings_to_props``
convert both ways.
"""

import dataclasses
import typing

import bpy

from ..phonemes.recognizers.registry import REGISTRY as RECOGNIZERS
from ..rigging import settings as rig_settings
from ..rigging.settings import AnimSettings


# name -> description (tooltip); labels and ranges are rigging.settings.CONTROLS (what validate() checks).
UI = {
    "lead_frames": "Frames the mouth reaches each shape before the sound",
    "min_hold_frames": "Every mouth shape is held at least this many frames (M/B/P closures are never dropped)",
    "step": "1 = animate on ones, 2 = on twos (keys every 2nd frame), 3 = on threes",
    "intensity": "Exaggeration: 1 = as detected, above 1 pushes shapes further, below 1 is subtler",
    "jaw_lips_balance": "-1 = all jaw, 0 = neutral, +1 = all lips",
    "smoothing": "How much neighbouring shapes blend into each other",
    "loudness_opening": "How much the jaw opening follows the loudness",
    "rest_after_pause": "Pauses longer than this return to the rest pose",
    "ensure_closure": "Lips fully close for at least one frame on every M, B, P",
    "simplify_tolerance": "Keys are thinned until the curve is within this error of the full-rate curve "
                          "(0 = key every frame)",
    "interpolation": "Smooth (Bezier), stepped (Constant, 2D look) or Linear keys",
}
ENUM_ITEMS = {
    "interpolation": getattr(rig_settings, "INTERPOLATIONS", ("BEZIER", "CONSTANT", "LINEAR")),
}


# Per-character properties live on the object; on a library-overridden character they must be
# overridable or Blender drops the edits when the file is saved (see ensure_override_storage).
OVERRIDABLE = {"LIBRARY_OVERRIDABLE"}


def _field_type(f, hints):
    t = hints.get(f.name, f.type)
    return t if isinstance(t, type) else type(f.default)


def _make_property(f, hints):
    label, lo, hi, _unit = rig_settings.CONTROLS.get(f.name, (f.name.replace("_", " ").title(), None, None, ""))
    desc = UI.get(f.name, "")
    t = _field_type(f, hints)
    default = f.default if f.default is not dataclasses.MISSING else (
        f.default_factory() if f.default_factory is not dataclasses.MISSING else None)
    ov = OVERRIDABLE
    if f.name in ENUM_ITEMS:
        items = [(v, v.title(), "") for v in ENUM_ITEMS[f.name]]
        return bpy.props.EnumProperty(name=label, description=desc, items=items, default=default, override=ov)
    if t is bool:
        return bpy.props.BoolProperty(name=label, description=desc, default=bool(default), override=ov)
    if t is int:
        kw = {} if lo is None else {"min": int(lo), "max": int(hi)}
        return bpy.props.IntProperty(name=label, description=desc, default=int(default), override=ov, **kw)
    if t is float:
        kw = {} if lo is None else {"min": float(lo), "max": float(hi)}
        return bpy.props.FloatProperty(name=label, description=desc, default=float(default), override=ov, **kw)
    return bpy.props.StringProperty(name=label, description=desc, default=str(default or ""), override=ov)


def _settings_annotations() -> dict:
    hints = typing.get_type_hints(AnimSettings)
    return {f.name: _make_property(f, hints) for f in dataclasses.fields(AnimSettings)}


LIPSYNC_PG_settings = type(
    "LIPSYNC_PG_settings", (bpy.types.PropertyGroup,),
    {"__annotations__": _settings_annotations(), "__doc__": "Animator controls (rigging.settings.AnimSettings)"},
)


def settings_from_props(pg) -> AnimSettings:
    def value(name):
        v = getattr(pg, name)
        return round(v, 6) if isinstance(v, float) else v  # Blender floats are 32-bit: 0.3 -> 0.30000001

    return AnimSettings(**{f.name: value(f.name) for f in dataclasses.fields(AnimSettings)})


def settings_to_props(settings: AnimSettings, pg) -> None:
    for f in dataclasses.fields(AnimSettings):
        setattr(pg, f.name, getattr(settings, f.name))


_ENUM_CACHE: dict[str, list] = {}  # dynamic enum strings must stay referenced (Blender keeps raw pointers)


def style_preset_items(self, context):
    presets = getattr(rig_settings, "STYLE_PRESETS", {})
    items = [(name, name, f"Set the animator controls to the '{name}' style") for name in presets]
    _ENUM_CACHE["style"] = items
    return items


# ------------------------------------------------------------------ scene properties

def _target_poll(self, obj):
    if obj.type in ("ARMATURE", "GREASEPENCIL"):
        return True
    from ..rigging.blender.chart2d import is_chart_object

    if is_chart_object(obj):
        return True
    keys = getattr(getattr(obj, "data", None), "shape_keys", None)
    return obj.type == "MESH" and keys is not None and len(keys.key_blocks) > 1


def mapping_preset_items(self, context):
    items = [("AUTO", "Auto-detect", "Detect the preset from the target's shape key / bone names")]
    try:
        from ..rigging.mapping import PRESETS

        for name, preset in PRESETS.items():
            items.append((name, name, preset.description))
    except ImportError:
        pass
    _ENUM_CACHE["mapping"] = items
    return items


def _binding_annotations() -> dict:
    from ..rigging.mapping import GROUPS, KINDS, Binding

    hints = typing.get_type_hints(Binding)
    ann = {}
    for f in dataclasses.fields(Binding):
        label = f.name.replace("_", " ").title()
        t = _field_type(f, hints)
        default = f.default if f.default is not dataclasses.MISSING else None
        if f.name == "kind":
            ann[f.name] = bpy.props.EnumProperty(name=label, items=[(k, k.replace("_", " ").title(), "") for k in KINDS],
                                                 default=default or KINDS[0], override=OVERRIDABLE)
        elif f.name == "group":
            ann[f.name] = bpy.props.EnumProperty(name=label, items=[(g, g.title(), "") for g in GROUPS],
                                                 default=default or "mix", override=OVERRIDABLE)
        elif t is bool:
            ann[f.name] = bpy.props.BoolProperty(name=label, default=bool(default), override=OVERRIDABLE)
        elif t is int:
            ann[f.name] = bpy.props.IntProperty(name=label, default=int(default or 0), override=OVERRIDABLE)
        elif t is float:
            ann[f.name] = bpy.props.FloatProperty(name=label, default=float(default or 0.0), soft_min=-2, soft_max=2,
                                                 override=OVERRIDABLE)
        else:
            ann[f.name] = bpy.props.StringProperty(name=label, default=str(default or ""), override=OVERRIDABLE)
    ann["found"] = bpy.props.BoolProperty(name="Found", description="The target exists on the character",
                                          override=OVERRIDABLE)
    return ann


# One rigging.mapping.Binding (viseme / control -> shape key or bone), generated from its fields.
LIPSYNC_PG_binding = type("LIPSYNC_PG_binding", (bpy.types.PropertyGroup,),
                          {"__annotations__": _binding_annotations(), "__doc__": "One mapping binding"})


def mapping_to_props(mapping, props, available_names=()) -> None:
    from ..rigging.mapping import Binding

    avail = set(available_names)
    props.mapping.clear()
    for b in mapping.bindings:
        item = props.mapping.add()
        for f in dataclasses.fields(Binding):
            setattr(item, f.name, getattr(b, f.name))
        item.name = f"{b.source} -> {b.target}"
        item.found = b.target in avail
    props.mapping_index = 0


def mapping_from_props(props):
    from ..rigging.mapping import Binding, Mapping

    bindings = [Binding(**{f.name: getattr(item, f.name) for f in dataclasses.fields(Binding)}) for item in props.mapping]
    return Mapping(props.mapping_detected or "Custom", bindings)


class LIPSYNC_PG_object_ref(bpy.types.PropertyGroup):
    """One object named by a character's settings (a mesh left out of its takes)."""

    object: bpy.props.PointerProperty(type=bpy.types.Object, override=OVERRIDABLE)


class LIPSYNC_PG_character(bpy.types.PropertyGroup):
    """Per-character settings (``object.lipsync``): mapping and animator controls, saved with the object."""

    mapping_preset: bpy.props.EnumProperty(name="Mapping", items=mapping_preset_items, override=OVERRIDABLE,
                                           description="Which shape keys / bones the visemes drive")
    mapping: bpy.props.CollectionProperty(type=LIPSYNC_PG_binding, override={"LIBRARY_OVERRIDABLE", "USE_INSERTION"})
    mapping_detected: bpy.props.StringProperty(name="Detected Preset", default="", override=OVERRIDABLE)
    mapping_missing: bpy.props.StringProperty(name="Missing Targets", default="", override=OVERRIDABLE)
    mapping_index: bpy.props.IntProperty(override=OVERRIDABLE)
    use_custom_mapping: bpy.props.BoolProperty(
        name="Edit Mapping", default=False, override=OVERRIDABLE,
        description="Use the mapping edited below instead of the preset")
    settings: bpy.props.PointerProperty(type=LIPSYNC_PG_settings, override=OVERRIDABLE)
    style_preset: bpy.props.EnumProperty(name="Style", items=style_preset_items, override=OVERRIDABLE,
                                         description="Set all animator controls to a style")
    left_out: bpy.props.CollectionProperty(
        type=LIPSYNC_PG_object_ref, override={"LIBRARY_OVERRIDABLE", "USE_INSERTION"},
        description="Meshes of this character (teeth, tongue, ...) that its takes leave out")


def character_props(obj):
    """The per-character settings of ``obj`` (``obj.lipsync``), or None for no object."""
    return None if obj is None else obj.lipsync


def character_editable(obj) -> bool:
    """Whether edits to ``obj``'s settings are kept: a local object or a library override (not plain linked)."""
    return obj is not None and (obj.library is None or obj.override_library is not None)


def ensure_override_storage(obj) -> None:
    """Make a library override keep its edited Lip Sync settings when the file is saved.

    Blender saves an override as the difference to the linked original; when the
    original has never had Lip Sync settings the difference cannot be written and
    the edits are silently dropped. Touching the original's (in memory, never
    saved to the library) group gives it one. Called on target change, before
    saving and after loading.
    """
    if obj is None or obj.override_library is None:
        return
    ref = obj.override_library.reference
    if ref is None:
        return
    try:
        _touch_group(ref.lipsync)
    except (AttributeError, RuntimeError, TypeError):
        pass


def _touch_group(pg) -> None:
    """Create ``pg``'s ID property group, and those of its nested groups, by writing a value back."""
    touched = False
    for prop in pg.bl_rna.properties:
        if prop.identifier in ("rna_type", "name") or prop.is_readonly and prop.type != "POINTER":
            continue
        if prop.type == "POINTER" and isinstance(getattr(pg, prop.identifier), bpy.types.PropertyGroup):
            _touch_group(getattr(pg, prop.identifier))
        elif not touched and prop.type in ("INT", "FLOAT", "BOOLEAN", "STRING") and not getattr(prop, "is_array",
                                                                                               False):
            setattr(pg, prop.identifier, getattr(pg, prop.identifier))
            touched = True


def ensure_all_override_storage() -> None:
    for o in bpy.data.objects:
        if o.override_library is not None:
            ensure_override_storage(o)


def _target_update(self, context):
    ensure_override_storage(self.target)
    _review_update(self, context)


def _review_update(self, context):
    from . import review

    scene = self.id_data
    try:
        if self.show_review_markers:
            if self.target is not None:
                review.sync_markers(scene, self.target, self.review_threshold, True)
        else:
            review.clear_markers(scene)
    except Exception:  # an update callback must never raise (the property stays set)
        pass


def _timeline_update(self, context):
    from . import timeline

    try:
        if self.target is not None:
            timeline.sync_markers(self.id_data, self.target, self.show_word_markers, self.show_phone_markers)
    except Exception:  # an update callback must never raise (the property stays set)
        pass


class LIPSYNC_PG_scene(bpy.types.PropertyGroup):
    target: bpy.props.PointerProperty(
        name="Target", type=bpy.types.Object, poll=_target_poll, update=_target_update,
        description="The character: a mesh with mouth shape keys, or an armature with mouth bones")
    source: bpy.props.EnumProperty(
        name="Source", default="STRIP",
        items=[("STRIP", "Sound Strip", "A sound strip of this scene's Video Sequencer"),
               ("FILE", "Audio File", "An audio file on disk")],
        description="Where the dialogue comes from")
    strip: bpy.props.StringProperty(
        name="Strip", description="Sound strip with the dialogue (empty: the selected sound strip)")
    audio_path: bpy.props.StringProperty(name="Audio File", subtype="FILE_PATH",
                                         description="Dialogue audio (WAV, FLAC, OGG, MP3, ...)")
    file_start_frame: bpy.props.IntProperty(name="Start Frame", default=1,
                                            description="Scene frame where the audio file starts")
    transcript_source: bpy.props.EnumProperty(
        name="Transcript", default="NONE",
        items=[("NONE", "None", "Recognise the words from the audio"),
               ("TEXT", "Text", "A Text datablock (Text Editor)"),
               ("FILE", "File", "A plain-text file")],
        description="Optional transcript of the dialogue: improves the timing of the phones")
    transcript_text: bpy.props.PointerProperty(name="Text", type=bpy.types.Text)
    transcript_path: bpy.props.StringProperty(name="Transcript File", subtype="FILE_PATH")
    recognizer: bpy.props.EnumProperty(
        name="Recognizer", default="auto",
        items=[(i.name, i.label, i.description) for i in RECOGNIZERS.values()])
    language: bpy.props.StringProperty(name="Language", default="eng",
                                       description="ISO 639-3 code of the dialogue language (eng, deu, fra, rus, cmn, ...): "
                                                   "the default of every strip that has no language of its own")
    take_name: bpy.props.StringProperty(name="Take Name", default="",
                                        description="Name of the new take (empty: named after the sound strip or audio file)")
    review_threshold: bpy.props.FloatProperty(
        name="Review Below", default=0.5, min=0.0, max=1.0, update=_review_update,
        description="Stretches whose phone confidence is below this are listed and marked for review "
                    "(higher = more stretches)")
    show_review_markers: bpy.props.BoolProperty(
        name="Show Review Markers", default=True, update=_review_update,
        description="Put a timeline marker (LS review 1, 2, ...) at each stretch of the active take that "
                    "needs review; your own markers are never touched")
    review_preview_range: bpy.props.BoolProperty(
        name="Set Preview Range", default=True,
        description="Jumping to a stretch also sets the preview range around it (to loop it)")
    show_word_markers: bpy.props.BoolProperty(
        name="Word Markers", default=False, update=_timeline_update,
        description="Put a timeline marker (LS: word) at the first frame of every word of the active take; "
                    "replaced when you generate again, your own markers are never touched")
    show_phone_markers: bpy.props.BoolProperty(
        name="Phone Markers", default=False, update=_timeline_update,
        description="Put a timeline marker (LS/phone/) at the first frame of every phone of the active take")
    preview_burn_in: bpy.props.BoolProperty(
        name="Burn In", default=True,
        description="Print the frame number, the current word, phone and mouth shape into the preview "
                    "(render metadata stamp)")
    preview_path: bpy.props.StringProperty(name="Preview File", subtype="FILE_PATH", default="//lipsync_preview.mp4")
    preview_engine: bpy.props.EnumProperty(
        name="Engine", default="AUTO",
        items=[("AUTO", "Auto", "EEVEE where there is a GPU, else Workbench"),
               ("WORKBENCH", "Workbench", "Fast solid shading"),
               ("EEVEE", "EEVEE", "Materials and lighting (slower; GPU where available)")])
    preview_scale: bpy.props.IntProperty(name="Resolution %", default=50, min=5, max=100, subtype="PERCENTAGE")
    preview_frame_face: bpy.props.BoolProperty(
        name="Frame the Face", default=True,
        description="Render from a temporary camera framed on the character's mouth area")
    batch_selected_only: bpy.props.BoolProperty(
        name="Selected Strips Only", default=False,
        description="Generate All runs on the selected sound strips only (else on every unmuted one)")
    # runtime state shown by the panel
    status: bpy.props.StringProperty(name="Status", default="")


classes = (LIPSYNC_PG_settings, LIPSYNC_PG_binding, LIPSYNC_PG_object_ref, LIPSYNC_PG_character, LIPSYNC_PG_scene)


@bpy.app.handlers.persistent
def _save_pre(*_args):
    ensure_all_override_storage()


@bpy.app.handlers.persistent
def _load_post(*_args):
    ensure_all_override_storage()


_HANDLERS = ((bpy.app.handlers.save_pre, _save_pre), (bpy.app.handlers.load_post, _load_post))


def register_props():
    bpy.types.Scene.lipsync = bpy.props.PointerProperty(type=LIPSYNC_PG_scene)
    bpy.types.Object.lipsync = bpy.props.PointerProperty(type=LIPSYNC_PG_character, override=OVERRIDABLE)
    # per sound strip: the language of its dialogue (a dub's strips can each be in another language)
    bpy.types.Strip.lipsync_language = bpy.props.StringProperty(
        name="Language", default="",
        description="ISO 639-3 code of this strip's dialogue (fra, deu, rus, cmn, ...); empty: the scene's language")
    for handlers, fn in _HANDLERS:
        if fn not in handlers:
            handlers.append(fn)


def unregister_props():
    for handlers, fn in _HANDLERS:
        if fn in handlers:
            handlers.remove(fn)
    if hasattr(bpy.types.Strip, "lipsync_language"):
        del bpy.types.Strip.lipsync_language
    if hasattr(bpy.types.Object, "lipsync"):
        del bpy.types.Object.lipsync
    if hasattr(bpy.types.Scene, "lipsync"):
        del bpy.types.Scene.lipsync


__all__ = ["LIPSYNC_PG_settings", "LIPSYNC_PG_character", "LIPSYNC_PG_scene", "settings_from_props", "settings_to_props",
           "character_props", "character_editable", "ensure_override_storage"]
