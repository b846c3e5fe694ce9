"""Visemes and controls -> curves (bpy-free) -> keyframes on shape keys and bones (bpy writers).

- ``settings.AnimSettings``: the animator controls (lead, holds, ones/twos, intensity, jaw/lips
  balance, smoothing, loudness opening, rest after pauses, M/B/P closure, simplification, interpolation).
- ``mapping``: ``Binding`` / ``Mapping`` (visemes, detail visemes and controls -> shape keys, bone
  channels, pose actions), ``PRESETS`` (Preston Blair, Papagayo, Oculus / Ready Player Me, ARKit,
  VRM, Rigify face, bone poses) and ``detect_preset(names, kinds) -> (preset, mapping, missing)``.
- ``curves.build_curves(track, mapping, settings, fps, start_frame, loudness=None, frame_range=None)``
  -> ``list[Curve]`` (numpy only), plus ``closure_frames`` and ``dense_values``.
- ``blender`` (bpy): ``takes.generate_take``, ``list_takes``, ``active_take``, ``set_active_take``,
  ``remove_take``; ``targets`` (rig inspection), ``keys`` (range regeneration), ``writers`` (bulk
  ``foreach_set`` writes into slotted actions), ``names`` (what is stored in the .blend).

Only ``blender`` imports bpy.
"""
