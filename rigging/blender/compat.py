"""Blender's animation API across versions (bpy): one place for actions, slots, channelbags and NLA.

Lip Sync runs on Blender 4.2 LTS and newer, and the animation API changed under it:

- **4.2 / 4.3, legacy actions.** F-curves live on ``Action.fcurves`` and an action animates one
  ID (its data paths are relative to that ID). There are no slots.
- **4.4 / 4.5, slotted actions.** One action animates several IDs, one *slot* each
  (``Action.slots``, ``AnimData.action_slot``, ``NlaStrip.action_slot``); F-curves live in
  channelbags (``action.layers[0].strips[0].channelbag(slot, ensure=True)``). The helper
  ``bpy_extras.anim_utils.action_ensure_channelbag_for_slot`` does not exist yet.
- **5.x.** Slotted only (``Action.fcurves`` is gone); the anim_utils helper exists.

Everything else in Lip Sync goes through the functions here. On slotted Blender a *take* is
one action with a slot per animated ID, as Blender intends. On legacy Blender the same take is
one action per ID: the take's own action (the one ``bpy.data.actions[take]`` names, with the
take's custom properties) animates the first ID written to it, and every further ID gets a
*part* action that names the take in ``PART_OF_PROP``. ``LegacySlot`` stands in for an
``ActionSlot`` there, so callers write the same code for both:

    slot = ensure_slot(action, id_block)          # ActionSlot, or LegacySlot on 4.2/4.3
    fc = ensure_fcurve(action, id_block, 'key_blocks["A"].value')
    assign_action(id_block, action, slot)         # the ID plays the take
    for fc in action_fcurves(action): ...         # every F-curve of every slot (and part)

``SLOTTED`` says which API this Blender has. The legacy branch takes its actions from
``_actions()`` (``bpy.data.actions``) so it can be unit tested with stand-ins.
"""
from __future__ import annotations

import bpy

from .names import PART_ID_PROP, PART_OF_PROP

#: Blender 4.4+: slotted actions (``AnimData.action_slot`` exists). False on 4.2 / 4.3.
SLOTTED: bool = "action_slot" in bpy.types.AnimData.bl_rna.properties

_ID_CODES = {"OBJECT": "OB", "KEY": "KE", "MESH": "ME", "MATERIAL": "MA", "ARMATURE": "AR", "CAMERA": "CA",
             "LIGHT": "LA", "SCENE": "SC", "WORLD": "WO", "NODETREE": "NT", "GREASEPENCIL": "GD",
             "GREASEPENCIL_V3": "GP", "CURVE": "CU", "LATTICE": "LT", "TEXTURE": "TE"}


def _actions():
    return bpy.data.actions


def id_identifier(id_type: str, name: str) -> str:
    """Blender's slot identifier for an ID: its two-letter type code and its name (``KEKey.001``)."""
    return _ID_CODES.get(id_type, id_type[:2]) + name


class LegacySlot:
    """An ``ActionSlot`` stand-in on Blender 4.2 / 4.3: the (part) action that animates one ID.

    Has what callers read from a real slot (``identifier``, ``name_display``,
    ``target_id_type``) plus ``action``, the legacy action holding its F-curves.
    """

    __slots__ = ("action", "target_id_type", "name_display")

    def __init__(self, action, target_id_type: str, name_display: str):
        self.action = action
        self.target_id_type = target_id_type
        self.name_display = name_display

    @property
    def identifier(self) -> str:
        return id_identifier(self.target_id_type, self.name_display)

    def __eq__(self, other):
        return isinstance(other, LegacySlot) and other.action == self.action

    def __hash__(self):
        return hash(self.identifier)

    def __repr__(self):
        return f"LegacySlot({self.identifier!r} in {getattr(self.action, 'name', '?')!r})"


def _part_key(id_type: str, name: str) -> str:
    return f"{id_type}|{name}"


def _legacy_slot(action):
    key = action.get(PART_ID_PROP)
    if not isinstance(key, str) or "|" not in key:
        return None
    id_type, _, name = key.partition("|")
    return LegacySlot(action, id_type, name)


# ---------------------------------------------------------------- takes made of several actions (4.2 / 4.3)

def part_actions(action) -> list:
    """The part actions of a take on legacy Blender (empty on slotted Blender and for other actions)."""
    if action is None:
        return []
    return [a for a in _actions() if a.get(PART_OF_PROP) == action.name and a != action]


def take_actions(action) -> list:
    """Every action that makes up ``action`` as a take: itself, then its legacy part actions."""
    return [] if action is None else [action, *part_actions(action)]


def copy_action(action, name: str):
    """A copy of ``action`` named ``name`` (Blender may add a suffix), legacy part actions copied with it."""
    parts = part_actions(action)
    new = action.copy()
    new.name = name
    for p in parts:
        q = p.copy()
        q.name = f"{new.name} {p.get(PART_ID_PROP, '').partition('|')[2]}"[:63]
        q[PART_OF_PROP] = new.name
    return new


def remove_action(action) -> None:
    """Delete ``action`` and its legacy part actions."""
    acts = _actions()
    for a in reversed(take_actions(action)):
        acts.remove(a)


# ---------------------------------------------------------------- slots

def action_slots(action) -> list:
    """The slots of ``action``: ``ActionSlot``s, or on legacy Blender one ``LegacySlot`` per take action."""
    if action is None:
        return []
    if SLOTTED:
        return list(action.slots)
    return [s for s in (_legacy_slot(a) for a in take_actions(action)) if s is not None]


def find_slot(action, id_block):
    """``action``'s slot for ``id_block`` (matched by ID type and name), or None."""
    for slot in action_slots(action):
        if slot.target_id_type == id_block.id_type and slot.name_display == id_block.name:
            return slot
    return None


def ensure_slot(action, id_block):
    """``action``'s slot for ``id_block``, made if needed (on legacy Blender: claims the action or adds a part)."""
    slot = find_slot(action, id_block)
    if slot is not None:
        return slot
    if SLOTTED:
        return action.slots.new(id_type=id_block.id_type, name=id_block.name)
    key = _part_key(id_block.id_type, id_block.name)
    if action.get(PART_ID_PROP) is None and not len(action.fcurves):
        action[PART_ID_PROP] = key  # a fresh action animates the first ID written to it
        return _legacy_slot(action)
    part = _actions().new(f"{action.name} {id_block.name}"[:63])
    part.use_fake_user = True  # kept while another take plays (as takes are)
    part[PART_OF_PROP] = action.name
    part[PART_ID_PROP] = key
    return _legacy_slot(part)


def slot_action(action, slot):
    """The action that holds ``slot``'s F-curves: ``action`` itself, or the legacy part action."""
    return slot.action if isinstance(slot, LegacySlot) else action


# ---------------------------------------------------------------- F-curves

def _keyframe_strip(action, create: bool):
    if not len(action.layers):
        if not create:
            return None
        action.layers.new("Layer")
    layer = action.layers[0]
    if not len(layer.strips):
        if not create:
            return None
        layer.strips.new(type="KEYFRAME")
    return layer.strips[0]


def channelbag(action, slot, ensure: bool = True):
    """The F-curve container of ``slot``: has ``.fcurves`` (find/new/remove) and ``.groups``.

    A channelbag on slotted Blender (made when ``ensure``; else None if there is none), the
    slot's legacy action on 4.2 / 4.3.
    """
    if isinstance(slot, LegacySlot):
        return slot.action
    strip = _keyframe_strip(action, ensure)
    if strip is None:
        return None
    return strip.channelbag(slot, ensure=ensure)


def slot_fcurves(action, slot) -> list:
    """The F-curves ``slot`` holds (none when it has no channelbag yet)."""
    bag = channelbag(action, slot, ensure=False)
    return [] if bag is None else list(bag.fcurves)


def action_fcurves(action) -> list:
    """Every F-curve of ``action``: all slots' channelbags, or a legacy take's actions."""
    if action is None:
        return []
    if not SLOTTED:
        return [fc for a in take_actions(action) for fc in a.fcurves]
    return [fc for layer in action.layers for strip in layer.strips for bag in strip.channelbags
            for fc in bag.fcurves]


def ensure_fcurve(action, id_block, data_path: str, index: int = 0, group: str | None = None):
    """The F-curve animating ``id_block``'s ``data_path[index]`` in ``action`` (made if needed).

    ``group``: the channel group a new F-curve goes into (e.g. the bone name).
    """
    bag = channelbag(action, ensure_slot(action, id_block))
    fc = bag.fcurves.find(data_path, index=index)
    if fc is None:
        fc = bag.fcurves.new(data_path, index=index)
        if group:
            fc.group = bag.groups.get(group) or bag.groups.new(group)
    return fc


# ---------------------------------------------------------------- assignment and NLA

def assign_action(id_block, action, slot=None):
    """Make ``id_block`` play ``action`` (through ``slot``, default its own slot, made if needed); returns the slot."""
    slot = slot if slot is not None else ensure_slot(action, id_block)
    ad = id_block.animation_data or id_block.animation_data_create()
    if SLOTTED:
        ad.action = action
        ad.action_slot = slot
    else:
        ad.action = slot_action(action, slot)
    return slot


def unassign_action(id_block) -> None:
    """Stop ``id_block`` playing its active action (the action itself is kept)."""
    ad = id_block.animation_data
    if ad is not None:
        ad.action = None


def plays(id_block, action) -> bool:
    """Whether ``id_block``'s active action is ``action`` (or one of its legacy parts)."""
    ad = getattr(id_block, "animation_data", None)
    return ad is not None and ad.action is not None and ad.action in take_actions(action)


def nla_strip_new(track, name: str, start: int, action, slot):
    """A new NLA strip on ``track`` playing ``slot`` of ``action`` from frame ``start``."""
    strip = track.strips.new(name, int(start), slot_action(action, slot))
    if SLOTTED:
        strip.action_slot = slot
    return strip


def slot_frame_range(action, slot) -> tuple[float, float]:
    """The frame range of ``slot``'s keys (the whole action's on slotted Blender)."""
    a, b = slot_action(action, slot).frame_range
    return float(a), float(b)


__all__ = ["SLOTTED", "LegacySlot", "id_identifier", "part_actions", "take_actions", "copy_action", "remove_action",
           "action_slots", "find_slot", "ensure_slot", "slot_action", "channelbag", "slot_fcurves", "action_fcurves",
           "ensure_fcurve", "assign_action", "unassign_action", "plays", "nla_strip_new", "slot_frame_range"]
