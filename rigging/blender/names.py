"""Names of what Lip Sync stores in a .blend: custom properties on actions and objects, NLA tracks.

A *take* is an action with ``TAKE_PROP`` (the rig object's name); the rig object remembers
the take it plays in ``ACTIVE_PROP``. Generated keys are recorded per F-curve in
``RECORD_PROP`` on the take (to tell the animator's edits from generated keys on range
regeneration). A take played over the rig's own action sits on an NLA track named
``NLA_PREFIX + take``. On Blender 4.2 / 4.3 (no action slots) a take that animates several IDs
is one action per ID: the extra *part* actions name their take in ``PART_OF_PROP``, and every
take action names the ID it animates in ``PART_ID_PROP`` (see ``compat``). No bpy import:
these are plain names and one test on an ID.
"""
from __future__ import annotations

TAKE_PROP = "lipsync_take"  # on actions: the rig object's name
TAKE_INDEX_PROP = "lipsync_take_index"  # on actions: 1, 2, ... per rig, in the order the takes were made
ACTIVE_PROP = "lipsync_active_take"  # on the rig object
RECORD_PROP = "lipsync_keys"  # on actions: the generated keys per F-curve
NLA_PREFIX = "LipSync: "
PART_OF_PROP = "lipsync_part_of"  # on legacy part actions: the take (action name) they belong to
PART_ID_PROP = "lipsync_part_id"  # on legacy take / part actions: "ID_TYPE|ID name" of the ID animated


def is_take(action) -> bool:
    """Whether ``action`` is a take Lip Sync made, or part of one (not the animator's own action)."""
    return action is not None and (TAKE_PROP in action or PART_OF_PROP in action)


__all__ = ["TAKE_PROP", "TAKE_INDEX_PROP", "ACTIVE_PROP", "RECORD_PROP", "NLA_PREFIX", "PART_OF_PROP", "PART_ID_PROP",
           "is_take"]
