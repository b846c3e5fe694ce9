"""Build the ARKit-blendshape head sample (no Blender GUI needed).

    .venv/bin/python sample_scenes/make_arkit_head.py [OUT.blend]   (default sample_scenes/arkit_head.blend)

Mesh ``ArkitHead`` (the cartoon head's geometry) with Apple ARKit's 52 blendshape
names. The jaw, mouth and tongue shapes (jawOpen, mouthFunnel, mouthPucker,
mouthSmileLeft, ..., tongueOut; 28 of them) are sculpted procedurally; the eye,
brow, cheek and nose shapes exist with their ARKit names but are left neutral
(this sample is about the mouth). Camera, light, Workbench and the dialogue
strip as in the other samples.
"""
from __future__ import annotations

import os
import sys

import bpy  # noqa: I001

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_common as mc  # noqa: E402
import make_cartoon_head as ch  # noqa: E402

ARKIT_52 = [
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft", "eyeSquintLeft",
    "eyeWideLeft", "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight",
    "eyeSquintRight", "eyeWideRight", "jawForward", "jawLeft", "jawRight", "jawOpen", "mouthClose", "mouthFunnel",
    "mouthPucker", "mouthLeft", "mouthRight", "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft",
    "mouthFrownRight", "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight",
    "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthPressLeft", "mouthPressRight",
    "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft", "mouthUpperUpRight", "browDownLeft",
    "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight", "cheekPuff", "cheekSquintLeft",
    "cheekSquintRight", "noseSneerLeft", "noseSneerRight", "tongueOut",
]
assert len(ARKIT_52) == 52

REST = ch.SHAPES["X_rest"]
# Mouth shapes as changes of the parametric mouth (see make_cartoon_head.SHAPES); side: +1 left, -1 right.
DELTAS = {
    "jawOpen": (dict(lo=0.24, up=0.03, jaw=0.22, teeth=0.6), 0),
    "jawForward": (dict(push=0.04, jaw=0.02), 0),
    "jawLeft": (dict(shift=0.04), 0),
    "jawRight": (dict(shift=-0.04), 0),
    "mouthClose": (dict(lo=-0.1, up=-0.02, lip=-0.01), 0),
    "mouthFunnel": (dict(round=0.8, w=-0.1, up=0.04, lo=0.05, push=0.04, lip=0.015, teeth=0.2), 0),
    "mouthPucker": (dict(round=1.0, w=-0.21, push=0.1, lip=0.025), 0),
    "mouthLeft": (dict(shift=0.06), 0),
    "mouthRight": (dict(shift=-0.06), 0),
    "mouthSmileLeft": (dict(smile=0.06, w=0.03), 1),
    "mouthSmileRight": (dict(smile=0.06, w=0.03), -1),
    "mouthFrownLeft": (dict(smile=-0.06), 1),
    "mouthFrownRight": (dict(smile=-0.06), -1),
    "mouthDimpleLeft": (dict(w=0.025), 1),
    "mouthDimpleRight": (dict(w=0.025), -1),
    "mouthStretchLeft": (dict(w=0.05, up=0.01, lo=0.03, teeth=0.5), 1),
    "mouthStretchRight": (dict(w=0.05, up=0.01, lo=0.03, teeth=0.5), -1),
    "mouthRollLower": (dict(tuck=1.0, up=0.03, teeth=1.0), 0),
    "mouthRollUpper": (dict(lip=-0.02), 0),
    "mouthShrugLower": (dict(lo=-0.015, push=0.02), 0),
    "mouthShrugUpper": (dict(up=-0.01, push=0.02), 0),
    "mouthPressLeft": (dict(lip=-0.015), 1),
    "mouthPressRight": (dict(lip=-0.015), -1),
    "mouthLowerDownLeft": (dict(lo=0.05, teeth=0.5), 1),
    "mouthLowerDownRight": (dict(lo=0.05, teeth=0.5), -1),
    "mouthUpperUpLeft": (dict(up=0.045, teeth=0.6), 1),
    "mouthUpperUpRight": (dict(up=0.045, teeth=0.6), -1),
    "tongueOut": (dict(lo=0.1, tongue=1.0, up=0.02, teeth=0.3), 0),
}


def _side_weight(x: float, side: int) -> float:
    if side == 0:
        return 1.0
    t = max(0.0, min(1.0, (side * x + 0.08) / 0.16))
    return t * t * (3 - 2 * t)


def build():
    out = mc.out_path_from_argv("arkit_head.blend")
    scene = mc.reset_scene("ARKit Head")
    obj, parts = ch.make_head(scene, "ArkitHead")
    mouth_idx, head_idx = parts["mouth"], parts["head"]
    basis = obj.shape_key_add(name="Basis", from_mix=False)
    rest_pos = ch.build_mouth_verts(REST)
    for name in ARKIT_52:
        kb = obj.shape_key_add(name=name, from_mix=False)
        kb.value = 0.0
        if name not in DELTAS:
            continue  # neutral (eyes, brows, cheeks, nose): present for name compatibility
        delta, side = DELTAS[name]
        p = dict(REST)
        for k, v in delta.items():
            p[k] = p.get(k, 0.0) + v
        for idx, co, r in zip(mouth_idx, ch.build_mouth_verts(p), rest_pos):
            w = _side_weight(r.x, side)
            kb.data[idx].co = r + (co - r) * w
        if delta.get("jaw", 0) > 0:
            for idx in head_idx:
                co = ch.jaw_point(basis.data[idx].co, delta["jaw"])
                if co is not None:
                    kb.data[idx].co = co
    obj.data.shape_keys.name = "ArkitHeadKeys"
    obj.active_shape_key_index = 0
    mc.camera_and_light(scene, target=(0.0, 0.0, 0.05), distance=7.5, lens=70.0, height=0.4)
    mc.workbench(scene)
    mc.add_dialogue(scene, out)
    mc.save(out)


if __name__ == "__main__":
    build()
