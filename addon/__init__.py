"""The Blender side: sidebar panel (3D Viewport -> N -> Lip Sync), operators, preferences, preview.

``register()`` / ``unregister()`` are called by the package root. Nothing heavy
(torch, pocketsphinx) is imported at registration: the analysis modules load
when Generate Lip Sync runs, and a missing dependency is reported in the panel.
"""

_registered: list = []


def _classes():
    from . import operators, panel, preferences, properties

    return (*preferences.classes, *properties.classes, *operators.classes, *panel.classes)


def register():
    import bpy

    from . import preferences, properties

    preferences.add_deps_to_path()
    for cls in _classes():
        bpy.utils.register_class(cls)
        _registered.append(cls)
    properties.register_props()


def unregister():
    import bpy

    from . import preferences, properties

    properties.unregister_props()
    for cls in reversed(_registered):
        try:
            bpy.utils.unregister_class(cls)
        except RuntimeError:
            pass  # already gone (a failed register)
    _registered.clear()
    preferences.remove_deps_from_path()
