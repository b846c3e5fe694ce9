"""Lip Sync: mouth animation from dialogue audio.

As a Blender extension this package registers the sidebar panel and operators
(``addon``). As a Python package (``lipsync``) it is the same pipeline without
Blender: ``phonemes`` (audio -> timed phones), ``inference`` (the torch model),
``rigging`` (visemes -> curves -> keyframes) and the ``lipsync`` command line.
Only ``addon`` and the writers in ``rigging`` import ``bpy``.
"""

__version__ = "0.1.0"


def register():
    from . import addon

    addon.register()


def unregister():
    from . import addon

    addon.unregister()
