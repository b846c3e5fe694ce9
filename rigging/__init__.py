"""Visemes and controls -> curves (bpy-free) -> keyframes on shape keys and bones (bpy writers)."""
