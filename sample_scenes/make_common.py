"""Shared pieces of the sample-scene scripts (bpy, run headless): scene reset, materials,
camera framed on the face, light, Workbench look, and the dialogue as a sound strip."""
from __future__ import annotations

import math
import os
import sys

import bpy

HERE = os.path.dirname(os.path.abspath(__file__))
DIALOGUE = os.path.join(HERE, "dialogue.wav")
FPS = 24


def out_path_from_argv(default_name: str) -> str:
    args = sys.argv[sys.argv.index("--") + 1:] if "--" in sys.argv else sys.argv[1:]
    if len(args) > 1:
        sys.exit(f"usage: python {os.path.basename(sys.argv[0])} [OUT.blend]")
    return os.path.abspath(args[0] if args else os.path.join(HERE, default_name))


def reset_scene(name: str):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.name = name
    scene.render.fps = FPS
    scene.render.fps_base = 1.0
    return scene


def material(name: str, rgb, roughness: float = 0.5):
    mat = bpy.data.materials.get(name) or bpy.data.materials.new(name)
    mat.diffuse_color = (*rgb, 1.0)  # Workbench "Material" colour
    mat.roughness = roughness
    mat.use_nodes = True
    bsdf = mat.node_tree.nodes.get("Principled BSDF")
    if bsdf is not None:
        bsdf.inputs["Base Color"].default_value = (*rgb, 1.0)
        bsdf.inputs["Roughness"].default_value = roughness
    return mat


def camera_and_light(scene, target=(0.0, 0.0, 0.0), distance=7.0, lens=60.0, height=0.0):
    cam_data = bpy.data.cameras.new("Camera")
    cam_data.lens = lens
    cam = bpy.data.objects.new("Camera", cam_data)
    scene.collection.objects.link(cam)
    # front view (the face looks down -Y)
    cam.location = (target[0], target[1] - distance, target[2] + height)
    direction = (target[0] - cam.location[0], target[1] - cam.location[1], target[2] - cam.location[2])
    pitch = math.atan2(direction[2], math.hypot(direction[0], direction[1]))
    cam.rotation_euler = (math.pi / 2 + pitch, 0.0, 0.0)
    scene.camera = cam
    light_data = bpy.data.lights.new("Key Light", "SUN")
    light_data.energy = 3.0
    light = bpy.data.objects.new("Key Light", light_data)
    light.rotation_euler = (math.radians(50), math.radians(-20), math.radians(-25))
    scene.collection.objects.link(light)
    return cam, light


def workbench(scene, res=(1280, 720)):
    scene.render.engine = "BLENDER_WORKBENCH"
    scene.render.resolution_x, scene.render.resolution_y = res
    scene.render.resolution_percentage = 100
    sh = scene.display.shading
    sh.light = "STUDIO"
    sh.color_type = "MATERIAL"
    sh.show_cavity = True
    sh.cavity_type = "BOTH"
    sh.show_object_outline = True
    sh.object_outline_color = (0.05, 0.03, 0.03)
    sh.show_specular_highlight = True
    sh.show_shadows = False
    scene.display.shading.background_type = "WORLD"
    world = bpy.data.worlds.new("World")
    world.color = (0.55, 0.70, 0.85)
    scene.world = world
    scene.view_settings.view_transform = "Standard"


def add_dialogue(scene, out_blend: str, path: str = DIALOGUE, frame_start: int = 1):
    """The dialogue as a sound strip at ``frame_start``; the scene range covers it."""
    if not os.path.exists(path):
        sys.exit(f"{path} is missing; the sample dialogue must exist before building the sample scene.")
    se = scene.sequence_editor_create()
    coll = se.strips if hasattr(se, "strips") else se.sequences  # Blender 4.4+ / 4.2
    try:
        strip = coll.new_sound("dialogue", path, 1, frame_start)
    except RuntimeError as exc:  # a Blender built without Audaspace (PyPI's bpy 4.2) has no sound strips
        import wave

        with wave.open(path) as w:
            seconds = w.getnframes() / w.getframerate()
        print(f"no dialogue strip ({exc}); the scene range still covers {seconds:.2f} s of dialogue")
        scene.frame_start, scene.frame_current = frame_start, frame_start
        scene.frame_end = frame_start + int(round(seconds * scene.render.fps / scene.render.fps_base)) - 1
        return None
    rel = os.path.relpath(path, os.path.dirname(out_blend))
    strip.sound.filepath = "//" + rel.replace(os.sep, "/")
    strip.sound.use_memory_cache = False
    scene.frame_start = frame_start
    scene.frame_end = strip.frame_final_end - 1
    scene.frame_current = frame_start
    return strip


def save(out: str):
    os.makedirs(os.path.dirname(out), exist_ok=True)
    bpy.ops.wm.save_as_mainfile(filepath=out, compress=True, relative_remap=False)
    print(f"wrote {out}")
