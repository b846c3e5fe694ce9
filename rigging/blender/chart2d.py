"""2D mouths in Blender (bpy): which convention a rig uses, and the properties that switch its drawings.

Conventions recognised (``detect_chart_rig``), the ones 2D animators in Blender use:

- ``time_offset``: a Grease Pencil (v3, Blender 4.3+) object whose mouth layer holds one
  drawing per keyframe, shown through a *Time Offset* modifier in *Fixed Frame* mode; the
  modifier's ``offset`` (the frame whose drawing shows) is keyed. The drawings are named by
  the object's custom property ``lipsync_chart`` (their names in frame order, e.g.
  ``"A B C D E F G H X"``), else they are the Preston Blair order A B C D E F G H X.
- ``layer_visibility``: a Grease Pencil object with one layer per mouth shape (``A`` .. ``X``,
  ``mouth_A``, Papagayo's ``MBP``, ``AI`` ...): every mouth layer's ``hide`` is keyed, one
  shown at a time.
- ``image_sequence``: a mesh (a plane) whose material shows an image sequence (one file per
  drawing, in the ``lipsync_chart`` order or A..X): the Image Texture node's
  ``image_user.frame_offset`` is keyed (its *Frames* must be 1, so the offset alone picks the file).
- ``sprite_sheet``: a mesh whose material's Image Texture reads a sheet of drawings through a
  *Mapping* node; the material's (or object's) ``lipsync_sheet`` property gives the layout
  (``"3x3"``, read left to right, top to bottom in the ``lipsync_chart`` order); the Mapping's
  Location x/y is keyed (the plane's UVs show the top-left cell).

Keys are constant (a drawing is never blended) and go into a take like shape keys do.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import bpy

from ...errors import RigError
from ..chart import CHART_ORDER, ChartChannel, SheetLayout, chart_from_names, chart_names, complete_chart, parse_order
from ..mapping import Mapping

CHART_PROP = "lipsync_chart"  # drawing names in order (object / material)
SHEET_PROP = "lipsync_sheet"  # "COLUMNSxROWS" (material / object)
CONVENTIONS = ("time_offset", "layer_visibility", "image_sequence", "sprite_sheet")


@dataclass
class ChartRig:
    convention: str
    chart: dict[str, str]  # viseme -> drawing name (before substitutes)
    channels: list[ChartChannel]
    ids: dict[str, object]  # id_key -> ID block
    preset: str = ""
    missing: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def id_blocks(self) -> list:
        return list(self.ids.values())


def gpv3_available() -> bool:
    """Whether this Blender has Grease Pencil v3 (4.3 and later)."""
    return hasattr(bpy.types, "GreasePencilTimeModifier") or hasattr(bpy.types, "GreasePencilv3")


def _legacy_gp_message(obj) -> str:
    return (f"{obj.name!r} is a legacy Grease Pencil object: lip sync drives Grease Pencil v3 only (Blender 4.3 or "
            f"later). Open the file in Blender 4.3+ (it converts the object), then generate again.")


def is_chart_object(obj) -> bool:
    """Whether ``obj`` looks like a 2D mouth rig (Grease Pencil, or a mesh without shape keys showing images)."""
    if obj is None:
        return False
    if obj.type in ("GREASEPENCIL", "GPENCIL"):
        return True
    if obj.type == "MESH" and (obj.data.shape_keys is None or len(obj.data.shape_keys.key_blocks) < 2):
        return _image_node(obj) is not None
    return False


def _order(*owners) -> list[str] | None:
    for o in owners:
        if o is not None and isinstance(o.get(CHART_PROP), str) and o.get(CHART_PROP).strip():
            return parse_order(o[CHART_PROP])
    return None


def _esc(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"')


def _resolve_chart(names: list[str], mapping: Mapping | None, what: str):
    preset, chart, missing = chart_from_names(names, mapping)
    if not chart:
        raise RigError(f"No mouth drawings recognised in {what} ({', '.join(names[:12]) or 'none'}): name them "
                       f"A..H and X (mouth_A.., or Papagayo's MBP, etc, E, AI, O, U, WQ, FV, L, rest), set the "
                       f"'{CHART_PROP}' property to their names in order, or bind them in the Lip Sync mapping.")
    return preset, chart, missing


def _mouth_time_modifier(obj):
    mods = [m for m in obj.modifiers if m.type == "GREASE_PENCIL_TIME" and m.mode == "FIX"]
    if not mods:
        return None
    named = [m for m in mods if "mouth" in (m.name + getattr(m, "tree_node_filter", "")).lower()]
    return (named or mods)[0]


def _gp_time_offset(obj, mod, mapping):
    gp = obj.data
    lname = getattr(mod, "tree_node_filter", "") or ""
    layer = gp.layers.get(lname) if lname else None
    if layer is None:
        layer = next((lay for lay in gp.layers if "mouth" in lay.name.lower()), None)
    if layer is None:
        raise RigError(f"The Time Offset modifier {mod.name!r} of {obj.name!r} filters no mouth layer: set its "
                       f"layer to the layer that holds the mouth drawings.")
    frames = sorted(fr.frame_number for fr in layer.frames)
    order = _order(obj) or list(CHART_ORDER)[:len(frames)]
    if len(order) > len(frames):
        raise RigError(f"Layer {layer.name!r} has {len(frames)} drawings but '{CHART_PROP}' names {len(order)} "
                       f"({' '.join(order)}); give one name per drawing in frame order.")
    names = order[:len(frames)]
    preset, chart, missing = _resolve_chart(names, mapping, f"layer {layer.name!r}")
    values = {n: float(f) for n, f in zip(names, frames)}
    ch = ChartChannel("object", f'modifiers["{_esc(mod.name)}"].offset', 0, values, f"{mod.name}.offset")
    return ChartRig("time_offset", chart, [ch], {"object": obj}, preset, missing)


def _gp_layers(obj, mapping):
    gp = obj.data
    names = [lay.name for lay in gp.layers]
    preset, chart, missing = _resolve_chart(names, mapping, f"the layers of {obj.name!r}")
    used = list(dict.fromkeys(chart.values()))
    # every mouth layer is keyed, also one no shape shows (Papagayo's WQ): it must not stay visible
    layers = list(dict.fromkeys(used + chart_names(names, preset)))
    chans = [ChartChannel("data", f'layers["{_esc(n)}"].hide', 0,
                          {m: (0.0 if m == n else 1.0) for m in used}, f"{n}.hide") for n in layers]
    return ChartRig("layer_visibility", chart, chans, {"data": gp}, preset, missing)


def _image_node(obj):
    """(material, image texture node, mapping node or None) of the first material showing an image."""
    for slot in getattr(obj, "material_slots", ()):
        mat = slot.material
        if mat is None or mat.node_tree is None:
            continue
        for node in mat.node_tree.nodes:
            if node.type == "TEX_IMAGE" and node.image is not None:
                mapping = next((n for n in mat.node_tree.nodes if n.type == "MAPPING"), None)
                return mat, node, mapping
    return None


def _image_rig(obj, mapping):
    mat, node, mnode = _image_node(obj)
    tree = mat.node_tree
    sheet = mat.get(SHEET_PROP) or obj.get(SHEET_PROP)
    order = _order(mat, obj) or list(CHART_ORDER)
    if sheet:
        if mnode is None:
            raise RigError(f"Material {mat.name!r} has a '{SHEET_PROP}' layout but no Mapping node: add a Mapping "
                           f"node between the UVs and the image so its Location can pick the cell.")
        layout = SheetLayout.parse(sheet, order)
        preset, chart, missing = _resolve_chart(order, mapping, f"sprite sheet {node.image.name!r}")
        loc = f'nodes["{_esc(mnode.name)}"].inputs[1].default_value'
        chans = [ChartChannel("tree", loc, axis, {n: layout.offset(n)[axis] for n in order}, f"{mnode.name}.loc[{axis}]")
                 for axis in (0, 1)]
        return ChartRig("sprite_sheet", chart, chans, {"tree": tree}, preset, missing)
    if node.image.source != "SEQUENCE":
        raise RigError(f"Material {mat.name!r} shows a single image: use an image sequence (one file per mouth "
                       f"drawing) or set '{SHEET_PROP}' (e.g. 3x3) on the material for a sprite sheet.")
    if node.image_user.frame_duration != 1:
        raise RigError(f"Image Texture {node.name!r} of {mat.name!r} plays {node.image_user.frame_duration} frames: "
                       f"set its Frames to 1 so the keyed offset alone picks the mouth drawing.")
    preset, chart, missing = _resolve_chart(order, mapping, f"image sequence {node.image.name!r}")
    values = {n: float(i) for i, n in enumerate(order)}  # offset 0 = the first file
    ch = ChartChannel("tree", f'nodes["{_esc(node.name)}"].image_user.frame_offset', 0, values,
                      f"{node.name}.frame_offset")
    return ChartRig("image_sequence", chart, [ch], {"tree": tree}, preset, missing)


def detect_chart_rig(obj, mapping: Mapping | None = None) -> ChartRig | None:
    """The 2D convention ``obj`` uses and what to key, or None when ``obj`` is not a 2D mouth rig.

    Raises RigError (one line, what to do) for a 2D rig that cannot be driven as it is.
    """
    if not is_chart_object(obj):
        return None
    if obj.type == "GPENCIL" or (obj.type == "GREASEPENCIL" and not gpv3_available()):
        raise RigError(_legacy_gp_message(obj))
    if obj.type == "GREASEPENCIL":
        mod = _mouth_time_modifier(obj)
        rig = _gp_time_offset(obj, mod, mapping) if mod is not None else _gp_layers(obj, mapping)
    else:
        rig = _image_rig(obj, mapping)
    full, notes = complete_chart(rig.chart)
    if notes:
        rig.messages.append("Mouth chart has no drawing for " + ", ".join(sorted(set(rig.missing))) + ": "
                            + "; ".join(notes) + ".")
    return rig


__all__ = ["ChartRig", "CONVENTIONS", "CHART_PROP", "SHEET_PROP", "detect_chart_rig", "is_chart_object",
           "gpv3_available"]


def rig_ids(obj) -> list:
    """The IDs besides ``obj`` that a 2D take may animate: the Grease Pencil data, the materials' node trees."""
    if obj is None:
        return []
    if obj.type == "GREASEPENCIL":
        return [obj.data]
    out = []
    for slot in getattr(obj, "material_slots", ()):
        mat = slot.material
        if mat is not None and mat.node_tree is not None and mat.node_tree not in out:
            out.append(mat.node_tree)
    return out
