"""Build the 2D sample character: a Grease Pencil (v3) head with a drawn mouth chart (no Blender GUI needed).

    .venv/bin/python sample_scenes/make_toon_2d.py [OUT.blend]   (default sample_scenes/toon_2d.blend)

One Grease Pencil object, ``ToonHead``, drawn in the XZ plane facing the camera: layers
``Head`` (face, ears, hair, nose), ``Eyes`` and ``Mouth``. The Mouth layer holds the mouth
chart, one drawing per frame 1..9 in the Preston Blair order A B C D E F G H X (named in the
object's ``lipsync_chart`` property), and a *Time Offset* modifier ``Mouth`` in *Fixed Frame*
mode on that layer shows the one its keyed offset picks: the usual 2D setup in Blender.
Every drawing is procedural: a mouth opening (lips, dark interior), teeth and tongue where
the shape shows them. Camera straight on, flat look, the sample dialogue as a sound strip
at frame 1 (the demo animates it on twos: ``--step 2``).
"""
from __future__ import annotations

import math
import os
import sys

import bpy

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_common as mc  # noqa: E402

ORDER = ("A", "B", "C", "D", "E", "F", "G", "H", "X")
MOUTH_Z = -0.42  # mouth centre on the face (head radius 1)
# per drawing: half width, upper and lower opening, corner lift, roundness exponent (higher = squarer),
# upper teeth shown, lower teeth shown, tongue height (0 = none), tongue raised (L), lower lip tucked (F/V)
SHAPES = {
    "A": dict(w=0.30, up=0.0, lo=0.0, smile=0.0),  # M B P: lips pressed shut
    "B": dict(w=0.33, up=0.05, lo=0.07, smile=0.02, teeth_up=0.05, teeth_lo=0.05),  # K S T, teeth together
    "C": dict(w=0.32, up=0.09, lo=0.16, smile=0.01, teeth_up=0.06, tongue=0.05),  # EH AE: open
    "D": dict(w=0.34, up=0.14, lo=0.30, smile=0.0, teeth_up=0.06, tongue=0.09),  # AA: wide open
    "E": dict(w=0.22, up=0.10, lo=0.18, smile=-0.02, p=0.6, tongue=0.05),  # AO ER: rounded
    "F": dict(w=0.11, up=0.07, lo=0.09, smile=0.0, p=0.5),  # UW OW W: puckered O
    "G": dict(w=0.30, up=0.04, lo=0.02, smile=0.01, teeth_up=0.06, tuck=True),  # F V: teeth on the lower lip
    "H": dict(w=0.30, up=0.10, lo=0.17, smile=0.01, teeth_up=0.05, tongue=0.14, tongue_up=True),  # L
    "X": dict(w=0.26, up=0.0, lo=0.0, smile=0.025),  # rest: relaxed, closed
}
N = 24  # points along each lip


def gp_material(name, stroke=None, fill=None):
    mat = bpy.data.materials.new(name)
    bpy.data.materials.create_gpencil_data(mat)
    g = mat.grease_pencil
    g.show_stroke = stroke is not None
    g.show_fill = fill is not None
    if stroke is not None:
        g.color = (*stroke, 1.0)
    if fill is not None:
        g.fill_color = (*fill, 1.0)
    mat.diffuse_color = (*(fill or stroke), 1.0)
    return mat


def add_stroke(drawing, pts, mat_index, radius=0.012, cyclic=True):
    drawing.add_strokes([len(pts)])
    s = drawing.strokes[len(drawing.strokes) - 1]
    s.cyclic = cyclic
    s.material_index = mat_index
    for p, (x, z) in zip(s.points, pts):
        p.position = (x, 0.0, z)
        p.radius = radius
        p.opacity = 1.0


def ellipse(cx, cz, rx, rz, n=40, a0=0.0, a1=2 * math.pi):
    return [(cx + rx * math.cos(a0 + (a1 - a0) * i / n), cz + rz * math.sin(a0 + (a1 - a0) * i / n))
            for i in range(n + (0 if a1 - a0 >= 2 * math.pi - 1e-9 else 1))]


def lips(sh):
    """Upper and lower lip edges, left corner to right corner: [(x, z)]."""
    w, p = sh["w"], sh.get("p", 0.8)
    up, lo, smile = sh["up"], sh["lo"], sh["smile"]
    upper, lower = [], []
    for i in range(N + 1):
        u = -1.0 + 2.0 * i / N
        bulge = (1.0 - u * u) ** p
        lift = smile * u * u
        upper.append((w * u, MOUTH_Z + lift + up * bulge))
        lower.append((w * u, MOUTH_Z + lift - lo * bulge))
    return upper, lower


def draw_mouth(drawing, sh, m):
    upper, lower = lips(sh)
    if sh["up"] + sh["lo"] <= 1e-6:  # closed: one lip line (pressed a little thicker for M/B/P)
        add_stroke(drawing, upper, m["Line"], radius=0.016 if sh["smile"] == 0 else 0.012, cyclic=False)
        corner = 0.04
        for side in (-1, 1):
            x, z = upper[0 if side < 0 else -1]
            add_stroke(drawing, [(x - side * 0.01, z + corner * 0.5), (x + side * 0.015, z - corner * 0.3)],
                       m["Line"], radius=0.009, cyclic=False)
        return
    opening = upper + lower[::-1]
    add_stroke(drawing, opening, m["Mouth"], radius=0.004)
    if sh.get("tongue"):
        t = sh["tongue"]
        if sh.get("tongue_up"):  # L: the tongue tip up behind the upper teeth
            base = MOUTH_Z - sh["lo"] * 0.8
            arch = [(0.14 * math.cos(math.pi * i / N), base + (t + sh["lo"] * 0.7) * math.sin(math.pi * i / N))
                    for i in range(N + 1)]
            add_stroke(drawing, arch, m["Tongue"], radius=0.004)
        else:  # resting on the floor of the mouth, inside the lower lip
            inner = [(0.8 * x, z) for x, z in lower]
            top = [(x, z + t * (1.0 - (2.0 * i / N - 1.0) ** 2)) for i, (x, z) in enumerate(inner)]
            add_stroke(drawing, inner + top[::-1], m["Tongue"], radius=0.004)
    if sh.get("teeth_up"):
        h = sh["teeth_up"]
        band = [(x, max(z - h, zl + 0.005)) for (x, z), (_, zl) in zip(upper, lower)]
        add_stroke(drawing, upper + band[::-1], m["Teeth"], radius=0.004)
    if sh.get("teeth_lo"):
        h = sh["teeth_lo"]
        band = [(x, min(z + h, zu - 0.005)) for (x, z), (_, zu) in zip(lower, upper)]
        add_stroke(drawing, lower + band[::-1], m["Teeth"], radius=0.004)
    add_stroke(drawing, opening, m["Line"], radius=0.013)
    if sh.get("tuck"):  # F/V: the lower lip rolled under the upper teeth
        lip = [(x, z - 0.05) for x, z in lower[3:-3]]
        add_stroke(drawing, lip, m["Line"], radius=0.009, cyclic=False)


def build(out):
    scene = mc.reset_scene("Toon2D")
    gp = bpy.data.grease_pencils.new("ToonHead")
    obj = bpy.data.objects.new("ToonHead", gp)
    scene.collection.objects.link(obj)
    mats = {"Skin": gp_material("Toon Skin", (0.10, 0.06, 0.05), (0.96, 0.78, 0.62)),
            "Line": gp_material("Toon Line", (0.10, 0.05, 0.05)),
            "Hair": gp_material("Toon Hair", (0.10, 0.06, 0.04), (0.35, 0.20, 0.10)),
            "White": gp_material("Toon Eye White", (0.10, 0.06, 0.05), (1.0, 1.0, 1.0)),
            "Pupil": gp_material("Toon Pupil", None, (0.08, 0.08, 0.12)),
            "Mouth": gp_material("Toon Mouth", None, (0.35, 0.05, 0.08)),
            "Teeth": gp_material("Toon Teeth", None, (1.0, 1.0, 0.97)),
            "Tongue": gp_material("Toon Tongue", None, (0.90, 0.40, 0.45)),
            "Cheek": gp_material("Toon Cheek", None, (0.98, 0.62, 0.55))}
    m = {}
    for i, (k, mat) in enumerate(mats.items()):
        gp.materials.append(mat)
        m[k] = i
    head = gp.layers.new("Head").frames.new(1).drawing
    for side in (-1, 1):  # ears behind the face
        add_stroke(head, ellipse(side * 0.98, 0.0, 0.16, 0.24), m["Skin"])
    add_stroke(head, ellipse(0.0, 0.0, 0.95, 1.08, 64), m["Skin"], radius=0.018)
    add_stroke(head, ellipse(0.0, 0.55, 0.98, 0.55, 32, 0.05, math.pi - 0.05), m["Hair"], radius=0.016)
    for side in (-1, 1):
        add_stroke(head, ellipse(side * 0.55, -0.2, 0.13, 0.08), m["Cheek"], radius=0.004)
    add_stroke(head, [(0.0, 0.05), (-0.06, -0.18), (0.04, -0.2)], m["Line"], radius=0.012, cyclic=False)  # nose
    eyes = gp.layers.new("Eyes").frames.new(1).drawing
    for side in (-1, 1):
        add_stroke(eyes, ellipse(side * 0.33, 0.18, 0.14, 0.18), m["White"], radius=0.012)
        add_stroke(eyes, ellipse(side * 0.31, 0.15, 0.06, 0.08), m["Pupil"], radius=0.004)
        add_stroke(eyes, [(side * 0.2, 0.45), (side * 0.33, 0.5), (side * 0.47, 0.45)], m["Line"], radius=0.016,
                   cyclic=False)  # brows
    mouth = gp.layers.new("Mouth")
    for i, name in enumerate(ORDER):
        draw_mouth(mouth.frames.new(i + 1).drawing, SHAPES[name], m)
    for layer in gp.layers:
        layer.use_lights = False  # flat colours, as drawn
    obj["lipsync_chart"] = " ".join(ORDER)
    mod = obj.modifiers.new("Mouth", "GREASE_PENCIL_TIME")
    mod.tree_node_filter = "Mouth"  # this layer only
    mod.mode = "FIX"
    mod.offset = ORDER.index("X") + 1  # rest until lip-synced

    cam_data = bpy.data.cameras.new("Camera")
    cam_data.type = "ORTHO"
    cam_data.ortho_scale = 2.7
    cam = bpy.data.objects.new("Camera", cam_data)
    cam.location = (0.0, -5.0, 0.0)
    cam.rotation_euler = (math.pi / 2, 0.0, 0.0)
    scene.collection.objects.link(cam)
    scene.camera = cam
    scene.render.engine = "BLENDER_EEVEE_NEXT" if "BLENDER_EEVEE_NEXT" in \
        bpy.types.RenderSettings.bl_rna.properties["engine"].enum_items.keys() else "BLENDER_EEVEE"
    scene.render.resolution_x, scene.render.resolution_y = 960, 960
    scene.render.resolution_percentage = 100
    world = bpy.data.worlds.new("World")
    world.color = (0.62, 0.78, 0.90)  # Workbench's background
    world.use_nodes = True  # EEVEE's: the Background node
    bg = next((n for n in world.node_tree.nodes if n.type == "BACKGROUND"), None)
    if bg is not None:
        bg.inputs["Color"].default_value = (0.62, 0.78, 0.90, 1.0)
    scene.world = world
    scene.view_settings.view_transform = "Standard"
    scene.display.shading.background_type = "WORLD"
    mc.add_dialogue(scene, out)
    mc.save(out)


if __name__ == "__main__":
    build(mc.out_path_from_argv("toon_2d.blend"))
