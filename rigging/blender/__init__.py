"""The Blender side of rigging (the only part of ``rigging`` that imports bpy).

- ``takes``: ``generate_take`` (VisemeTrack -> a new take on a rig), ``list_takes``,
  ``active_take``, ``set_active_take``, ``remove_take``;
- ``targets``: what a rig offers a mapping, and binding a mapping to it;
- ``keys``: range regeneration that keeps the animator's keys;
- ``writers``: bulk ``foreach_set`` keyframe writes into slotted actions;
- ``names``: the custom properties and NLA track names Lip Sync stores in a .blend.
"""
