"""Build the stylised cartoon head sample (no Blender GUI needed).

    .venv/bin/python sample_scenes/make_cartoon_head.py [OUT.blend]   (default sample_scenes/cartoon_head.blend)

One mesh, ``CartoonHead``: head, ears, nose, eyes with pupils, brows, and a mouth
(lips, dark mouth interior, upper and lower teeth, tongue, a chin that drops
with the jaw). Its shape keys are the nine Preston Blair mouths, named so the
Preston Blair preset detects them: A_MBP, B_etc, C_E, D_AI, E_O, F_WQ, G_FV,
H_L, X_rest (rest = a relaxed, closed mouth; the Basis is the same neutral).
Camera on the face, a light, Workbench look, and the sample dialogue as a
sound strip at frame 1 with the scene range covering it.
"""
from __future__ import annotations

import math
import os
import sys

import bpy  # noqa: I001  (bpy before bmesh)
import bmesh
from mathutils import Vector

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_common as mc  # noqa: E402

N = 40  # points around each mouth contour
MOUTH_Y = -0.38  # mouth height on the head (head radius 1, face looks down -Y)
HEAD_SCALE = Vector((1.0, 0.95, 1.12))

# Mouth shape parameters per Preston Blair mouth:
# w: half width of the opening, up / lo: upper / lower opening, lip: lip thickness,
# round: 0 = wide oval, 1 = round, push: lips forward, jaw: chin drop,
# tuck: lower lip under the upper teeth (F/V), tongue: tongue tip raised (L),
# teeth: how much of the teeth shows, smile: corner lift.
SHAPES = {
    "X_rest": dict(w=0.30, up=0.0, lo=0.0, lip=0.045, round=0.0, push=0.0, jaw=0.0, tuck=0.0, tongue=0.0,
                   teeth=0.0, smile=0.02),
    "A_MBP": dict(w=0.28, up=0.0, lo=0.0, lip=0.03, round=0.0, push=0.01, jaw=0.0, tuck=0.0, tongue=0.0,
                  teeth=0.0, smile=0.0),
    "B_etc": dict(w=0.31, up=0.045, lo=0.05, lip=0.045, round=0.0, push=0.0, jaw=0.02, tuck=0.0, tongue=0.0,
                  teeth=1.0, smile=0.03),
    "C_E": dict(w=0.31, up=0.07, lo=0.14, lip=0.045, round=0.1, push=0.0, jaw=0.08, tuck=0.0, tongue=0.0,
                teeth=0.7, smile=0.02),
    "D_AI": dict(w=0.29, up=0.09, lo=0.27, lip=0.045, round=0.2, push=0.0, jaw=0.2, tuck=0.0, tongue=0.0,
                 teeth=0.6, smile=0.0),
    "E_O": dict(w=0.17, up=0.08, lo=0.15, lip=0.06, round=0.85, push=0.05, jaw=0.1, tuck=0.0, tongue=0.0,
                teeth=0.2, smile=-0.01),
    "F_WQ": dict(w=0.08, up=0.035, lo=0.045, lip=0.07, round=1.0, push=0.12, jaw=0.03, tuck=0.0, tongue=0.0,
                 teeth=0.0, smile=0.0),
    "G_FV": dict(w=0.29, up=0.05, lo=0.0, lip=0.04, round=0.0, push=0.0, jaw=0.02, tuck=1.0, tongue=0.0,
                 teeth=1.0, smile=0.01),
    "H_L": dict(w=0.30, up=0.07, lo=0.12, lip=0.045, round=0.1, push=0.0, jaw=0.07, tuck=0.0, tongue=1.0,
                teeth=0.6, smile=0.02),
}
ORDER = ["A_MBP", "B_etc", "C_E", "D_AI", "E_O", "F_WQ", "G_FV", "H_L", "X_rest"]


def head_z(x, z):
    """Depth (toward -Y) of the head's front surface at (x, z), for placing the mouth on it."""
    sx, sy, sz = HEAD_SCALE
    r2 = 1.0 - (x / sx) ** 2 - (z / sz) ** 2
    return sy * math.sqrt(max(r2, 0.05))


def mouth_points(p):
    """All mouth vertex positions for one shape: (outer, inner, interior, upper teeth, lower teeth, tongue)."""
    outer, inner = [], []
    for k in range(N):
        th = 2 * math.pi * k / N
        c, s = math.cos(th), math.sin(th)
        # corners: round mouths pull the corners in and round the contour
        w = p["w"]
        ex = 1.0 - 0.5 * p["round"]
        xs = math.copysign(abs(c) ** ex, c)
        x = w * xs
        h = p["up"] if s > 0 else p["lo"]
        y_in = h * s + p["smile"] * (c * c) - (0.5 * p["up"] if p["tuck"] > 0 and s < 0 else 0.0) * 0
        lip = p["lip"] * (1.0 + 0.4 * p["round"])
        if p["tuck"] > 0 and s < 0:
            # lower lip rolls up under the upper teeth: it rises and thins
            y_in = p["smile"] * (c * c) + 0.02 * s
        yo_h = (h + lip * (1.25 if s > 0 else 1.0)) * s
        corner = 0.035 + 0.02 * p["round"]
        xo = (w + corner) * xs
        y_out = yo_h + p["smile"] * (c * c) * 1.2 - (0.0 if s > 0 else 0.3 * p["jaw"] * abs(s))
        if s < 0:
            y_in -= 0.3 * p["jaw"] * abs(s) * 0  # the opening already includes the jaw
        inner.append((x, y_in))
        outer.append((xo, y_out))
    # teeth: bands from the upper inner contour down and the lower one up, never past the opening
    up_t, lo_t = [], []
    half = [k for k in range(N) if math.sin(2 * math.pi * k / N) > 1e-9]
    for k in half:
        x, y = inner[k]
        kb = (N - k) % N  # the matching lower point (mirror in y)
        ylo = inner[kb][1]
        gap = y - ylo
        tooth = min(0.065, 0.55 * gap) * p["teeth"] + 0.0
        if p["tuck"] > 0:
            tooth = min(0.07, gap + 0.03) * p["teeth"]
        up_t.append(((x * 0.92, y), (x * 0.92, y - tooth)))
        lt = min(0.05, 0.45 * gap) * p["teeth"] * (0.0 if p["tuck"] > 0 else 1.0)
        lo_t.append(((x * 0.92, ylo), (x * 0.92, ylo + lt)))
    # tongue: an oval lying in the lower part of the opening, its tip raised for L
    tongue = []
    open_h = p["up"] + p["lo"]
    for k in range(16):
        th = 2 * math.pi * k / 16
        tw = 0.6 * p["w"] * (1.0 - 0.5 * p["round"])
        th_h = min(0.4 * open_h, min(0.35 * open_h, 0.06) * (1.0 + 1.2 * p["tongue"]))
        cy = -p["lo"] * 0.75 + th_h * 0.5 + p["tongue"] * 0.35 * open_h
        cy = max(min(cy, p["up"] * 0.8 - th_h), -p["lo"] * 0.85 + th_h)
        tongue.append((tw * math.cos(th), cy + th_h * math.sin(th)))
    return outer, inner, up_t, lo_t, tongue


def build_mouth_verts(p):
    """3D positions of every mouth vertex (fixed order) for shape parameters p."""
    outer, inner, up_t, lo_t, tongue = mouth_points(p)
    verts = []

    def put(x, y, lift):
        X, Z = x + p.get("shift", 0.0), MOUTH_Y + y
        return Vector((X, -(head_z(X, Z) + lift + p["push"] * (1.0 - min(1.0, abs(x) / 0.4))), Z))

    for x, y in outer:
        verts.append(put(x, y, 0.014))
    for x, y in inner:
        verts.append(put(x, y, 0.06))
    # interior fan: centre + copies of the inner contour, just above the skin
    verts.append(put(0.0, (p["up"] - p["lo"]) * 0.5, 0.022))
    for x, y in inner:
        verts.append(put(x, y, 0.03))
    for (a, b) in up_t:
        verts.append(put(*a, 0.045))
        verts.append(put(*b, 0.045))
    for (a, b) in lo_t:
        verts.append(put(*a, 0.045))
        verts.append(put(*b, 0.045))
    for x, y in tongue:
        verts.append(put(x, y, 0.038))
    return verts


def make_head(scene, name: str, rest: dict | None = None):
    """The head mesh object (mouth in the ``rest`` shape). Returns (obj, parts): parts maps
    "head", "outer", "inner", "centre", "fan", "upper_teeth", "lower_teeth", "tongue" to vertex indices."""
    mats = {
        "Skin": mc.material("LS Skin", (0.98, 0.72, 0.55)),
        "Lips": mc.material("LS Lips", (0.72, 0.16, 0.18)),
        "Mouth": mc.material("LS Mouth Interior", (0.22, 0.04, 0.06)),
        "Teeth": mc.material("LS Teeth", (0.97, 0.96, 0.92)),
        "Tongue": mc.material("LS Tongue", (0.90, 0.42, 0.45)),
        "EyeWhite": mc.material("LS Eye White", (0.98, 0.98, 0.98)),
        "Pupil": mc.material("LS Pupil", (0.06, 0.05, 0.08)),
        "Hair": mc.material("LS Hair", (0.30, 0.16, 0.08)),
    }
    slot = {k: i for i, k in enumerate(mats)}
    me = bpy.data.meshes.new(name)
    obj = bpy.data.objects.new(name, me)
    scene.collection.objects.link(obj)
    for m in mats.values():
        me.materials.append(m)

    bm = bmesh.new()

    def sphere(center, scale, mat, segs=24, rings=12):
        geom = bmesh.ops.create_uvsphere(bm, u_segments=segs, v_segments=rings, radius=1.0)
        vs = geom["verts"]
        for v in vs:
            v.co = Vector((v.co.x * scale[0] + center[0], v.co.y * scale[1] + center[1], v.co.z * scale[2] + center[2]))
        faces = {f for v in vs for f in v.link_faces}
        for f in faces:
            f.material_index = slot[mat]
            f.smooth = True
        return vs

    head_verts = sphere((0, 0, 0), HEAD_SCALE, "Skin", 40, 24)
    sphere((-1.0, 0.05, 0.05), (0.14, 0.1, 0.24), "Skin", 12, 8)  # ears
    sphere((1.0, 0.05, 0.05), (0.14, 0.1, 0.24), "Skin", 12, 8)
    sphere((0.0, -1.0, 0.05), (0.15, 0.16, 0.13), "Skin", 16, 10)  # nose
    for sx in (-1, 1):
        sphere((0.34 * sx, -0.82, 0.38), (0.2, 0.12, 0.25), "EyeWhite", 20, 12)
        sphere((0.31 * sx, -0.93, 0.33), (0.08, 0.04, 0.1), "Pupil", 12, 8)
        brow = sphere((0.36 * sx, -0.86, 0.72), (0.2, 0.05, 0.045), "Hair", 12, 6)
        for v in brow:  # a slight angle
            v.co.z += 0.08 * sx * (v.co.x - 0.36 * sx) * -0.6
    sphere((0.0, 0.12, 0.9), (0.9, 0.85, 0.35), "Hair", 24, 10)  # hair cap

    # mouth: topology from the rest shape
    mverts = [bm.verts.new(co) for co in build_mouth_verts(rest or SHAPES["X_rest"])]
    o = mverts[0:N]
    i = mverts[N:2 * N]
    c = mverts[2 * N]
    fan = mverts[2 * N + 1:3 * N + 1]
    n_half = len([k for k in range(N) if math.sin(2 * math.pi * k / N) > 1e-9])
    base = 3 * N + 1
    ut = mverts[base:base + 2 * n_half]
    lt = mverts[base + 2 * n_half:base + 4 * n_half]
    tg = mverts[base + 4 * n_half:]

    def face(vs, mat):
        f = bm.faces.new(vs)
        f.material_index = slot[mat]
        f.smooth = True
        return f

    for k in range(N):
        k2 = (k + 1) % N
        face([o[k], o[k2], i[k2], i[k]], "Lips")
        face([c, fan[k2], fan[k]], "Mouth")
    for j in range(n_half - 1):
        face([ut[2 * j], ut[2 * j + 2], ut[2 * j + 3], ut[2 * j + 1]], "Teeth")
        face([lt[2 * j], lt[2 * j + 1], lt[2 * j + 3], lt[2 * j + 2]], "Teeth")
    face(tg, "Tongue")
    # recalc normals toward the camera (-Y) for the mouth parts
    for f in bm.faces:
        if f.material_index in (slot["Lips"], slot["Mouth"], slot["Teeth"], slot["Tongue"]):
            f.normal_update()
            if f.normal.y > 0:
                f.normal_flip()
    # (bmesh reuses freed slots, so vertex order is not creation order: take the indices it will write)
    bm.verts.index_update()
    mouth_idx = [v.index for v in mverts]
    head_idx = [v.index for v in head_verts if v.is_valid]
    parts = {"outer": [v.index for v in o], "inner": [v.index for v in i], "centre": [c.index],
             "fan": [v.index for v in fan], "upper_teeth": [v.index for v in ut], "lower_teeth": [v.index for v in lt],
             "tongue": [v.index for v in tg], "head": head_idx, "mouth": mouth_idx}
    bm.to_mesh(me)
    bm.free()
    return obj, parts


def jaw_point(v, jaw: float):
    """Where head vertex ``v`` (basis position) goes when the jaw drops by ``jaw``; None above the chin.

    Chin vertices slide down along the head's surface (no bulge in front of the mouth).
    """
    if not (v.z < MOUTH_Y - 0.12 and v.y < 0.3):
        return None
    fall = min(1.0, (MOUTH_Y - 0.12 - v.z) / 0.3) * max(0.0, 1.0 - abs(v.x) / 0.9)
    z2 = v.z - jaw * 0.6 * fall
    y2 = v.y * head_z(v.x, z2) / max(head_z(v.x, v.z), 1e-3) if v.y < 0 else v.y
    return Vector((v.x, y2, z2))


def build():
    out = mc.out_path_from_argv("cartoon_head.blend")
    scene = mc.reset_scene("Cartoon Head")
    obj, parts = make_head(scene, "CartoonHead")
    mouth_idx, head_idx = parts["mouth"], parts["head"]
    # chin/jaw: head vertices below the mouth drop with the jaw
    basis = obj.shape_key_add(name="Basis", from_mix=False)
    for name in ORDER:
        p = SHAPES[name]
        kb = obj.shape_key_add(name=name, from_mix=False)
        for idx, co in zip(mouth_idx, build_mouth_verts(p)):
            kb.data[idx].co = co
        if p["jaw"] > 0:
            for idx in head_idx:
                co = jaw_point(basis.data[idx].co, p["jaw"])
                if co is not None:
                    kb.data[idx].co = co
        kb.slider_max = 1.0
        kb.value = 0.0
    obj.data.shape_keys.name = "CartoonHeadKeys"
    obj.active_shape_key_index = 0

    mc.camera_and_light(scene, target=(0.0, 0.0, 0.05), distance=7.5, lens=70.0, height=0.4)
    mc.workbench(scene)
    mc.add_dialogue(scene, out)
    mc.save(out)


if __name__ == "__main__":
    build()
