"""Which rig targets our visemes and controls drive (bpy-free).

A ``Mapping`` is a list of ``Binding``s. Each binding reads one *source*

- ``"viseme:A"`` .. ``"viseme:X"``: weight of a Preston Blair shape (0..1),
- ``"detail:PP"`` .. ``"detail:U"``: weight of one of the 15 detail visemes,
- ``"control:jaw_open"`` ..: a continuous control (``phonemes.visemes.CONTROLS``),

and drives one *target*:

- ``kind="shape_key"``: the shape key ``target`` (on mesh ``object``, or on every
  mesh that has it when ``object`` is empty), value = sum of weight * source;
- ``kind="bone_channel"``: ``pose.bones[target].<data_path>[index]`` =
  offset + sum of weight * source (e.g. jaw rotation from jaw opening);
  ``per_bone_length`` scales location weights by the bone's length;
- ``kind="bone_pose"``: ``target`` names an action holding one pose (e.g. the
  "D" mouth); all its channels are mixed in by the source's weight.
  ``resolve_poses`` turns these into bone_channel bindings once the pose values
  are known (done by ``rigging.blender.targets`` with bpy).

``PRESETS`` describe common rig conventions by candidate names; ``detect_preset``
matches them against the names a rig has (shape keys, bones, pose actions).
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

from ..phonemes.visemes import CONTROLS, DETAIL_VISEMES, VISEMES
from ..errors import MappingError

KINDS = ("shape_key", "bone_channel", "bone_pose")
GROUPS = ("jaw", "lips", "tongue", "mix")


@dataclass
class Binding:
    source: str
    kind: str
    target: str
    weight: float = 1.0
    data_path: str = ""
    index: int = 0
    offset: float = 0.0
    group: str = "mix"  # jaw / lips / tongue / mix (mix: by viseme) - for jaw/lips balance and loudness
    object: str = ""
    per_bone_length: bool = False

    def key(self) -> tuple:
        """Identity of the animated channel (bindings with the same key are summed)."""
        if self.kind == "shape_key":
            return ("shape_key", self.object, self.target, "value", 0)
        return (self.kind, self.object, self.target, self.data_path, self.index)

    def validate(self):
        if self.kind not in KINDS:
            raise MappingError(f"Binding kind must be one of {KINDS}, got {self.kind!r}.")
        src_kind, _, name = self.source.partition(":")
        valid = {"viseme": VISEMES, "detail": DETAIL_VISEMES, "control": CONTROLS}.get(src_kind)
        if valid is None or name not in valid:
            raise MappingError(
                f"Binding source {self.source!r} is not known; use viseme:A..H/X, detail:<one of "
                f"{', '.join(DETAIL_VISEMES)}> or control:<one of {', '.join(CONTROLS)}>.")
        if self.kind == "bone_channel" and self.data_path not in (
                "location", "rotation_euler", "rotation_quaternion", "scale", "rotation_axis_angle"):
            raise MappingError(f"Bone channel {self.target!r} needs data_path location/rotation_euler/"
                               f"rotation_quaternion/scale, got {self.data_path!r}.")
        if self.group not in GROUPS:
            raise MappingError(f"Binding group must be one of {GROUPS}, got {self.group!r}.")


@dataclass
class Mapping:
    name: str = "Custom"
    bindings: list[Binding] = field(default_factory=list)

    def validate(self) -> "Mapping":
        if not self.bindings:
            raise MappingError("The mapping is empty: pick a preset or bind at least one viseme to a shape key or bone.")
        for b in self.bindings:
            b.validate()
        return self

    def targets(self) -> list[str]:
        seen = []
        for b in self.bindings:
            if b.target not in seen:
                seen.append(b.target)
        return seen

    def to_json(self) -> str:
        return json.dumps({"name": self.name, "bindings": [asdict(b) for b in self.bindings]})

    @classmethod
    def from_json(cls, text: str) -> "Mapping":
        try:
            d = json.loads(text)
            return cls(d.get("name", "Custom"), [Binding(**b) for b in d.get("bindings", [])])
        except (ValueError, TypeError) as exc:
            raise MappingError(f"Saved mapping could not be read ({exc}); pick a preset again.") from exc


# ---------------------------------------------------------------- presets

@dataclass
class PresetEntry:
    """One binding of a preset with candidate target names (first one the rig has wins)."""

    source: str
    names: tuple[str, ...]
    weight: float = 1.0
    kind: str = "shape_key"
    group: str = "mix"
    data_path: str = ""
    index: int = 0
    offset: float = 0.0
    per_bone_length: bool = False
    required: bool = True  # missing required entries are reported


@dataclass
class Preset:
    name: str
    description: str
    entries: list[PresetEntry]
    letter_prefix: bool = False  # Preston Blair: "A_MBP", "D-AI" etc. match "A", "D"
    priority: float = 1.0  # detection weight: sets made for speech win over face-tracking sets on mixed rigs


def _pb(letter, *extra):
    return (letter,) + tuple(extra)


PRESTON_BLAIR = Preset(
    "Preston Blair", "Nine mouth shapes A-H and X (Rhubarb Lip Sync, Moho, Toon Boom)",
    [PresetEntry("viseme:A", _pb("A", "MBP", "A_MBP")),
     PresetEntry("viseme:B", _pb("B", "B_etc", "B_KST")),
     PresetEntry("viseme:C", _pb("C", "C_E", "C_EH")),
     PresetEntry("viseme:D", _pb("D", "D_AI", "D_AA")),
     PresetEntry("viseme:E", _pb("E", "E_O", "E_AO")),
     PresetEntry("viseme:F", _pb("F", "F_WQ", "F_U", "F_UW")),
     PresetEntry("viseme:G", _pb("G", "G_FV", "FV")),
     PresetEntry("viseme:H", _pb("H", "H_L"), required=False),
     PresetEntry("viseme:X", _pb("X", "X_rest", "rest"), required=False)],
    letter_prefix=True,
)

PAPAGAYO = Preset(
    "Papagayo", "Papagayo / Preston Blair names: AI, E, O, U, etc, FV, L, MBP, WQ, rest",
    [PresetEntry("viseme:A", ("MBP",)),
     PresetEntry("viseme:B", ("etc",)),
     PresetEntry("viseme:C", ("E",)),
     PresetEntry("viseme:D", ("AI",)),
     PresetEntry("viseme:E", ("O",)),
     PresetEntry("viseme:F", ("U", "WQ")),
     PresetEntry("detail:U", ("WQ",), weight=0.0, required=False),  # present so detection counts WQ
     PresetEntry("viseme:G", ("FV",)),
     PresetEntry("viseme:H", ("L",), required=False),
     PresetEntry("viseme:X", ("rest",), required=False)],
)

OCULUS = Preset(
    "Oculus / Ready Player Me", "15 visemes viseme_sil, viseme_PP, ... viseme_U (Meta OVR Lip Sync, Ready Player Me)",
    [PresetEntry(f"detail:{d}", (f"viseme_{d}", f"v_{d}", f"vrc.v_{d}"), required=(d != "sil"))
     for d in DETAIL_VISEMES],
    priority=1.5,  # Ready Player Me avatars carry both these and ARKit's: the visemes are the ones for speech
)

_ARKIT_MOUTH = [
    # source, name, weight, group
    ("control:jaw_open", "jawOpen", 0.85, "jaw"),
    ("control:pucker", "mouthPucker", 0.9, "lips"),
    # funnel opens the lips into an O: from the shapes (zero on M/B/P), not from pucker
    ("detail:O", "mouthFunnel", 0.7, "lips"),
    ("detail:U", "mouthFunnel", 0.35, "lips"),
    ("detail:CH", "mouthFunnel", 0.45, "lips"),
    ("detail:RR", "mouthFunnel", 0.3, "lips"),
    ("control:spread", "mouthStretchLeft", 0.5, "lips"),
    ("control:spread", "mouthStretchRight", 0.5, "lips"),
    ("control:spread", "mouthSmileLeft", 0.25, "lips"),
    ("control:spread", "mouthSmileRight", 0.25, "lips"),
    ("control:lip_close", "mouthPressLeft", 0.4, "lips"),
    ("control:lip_close", "mouthPressRight", 0.4, "lips"),
    ("control:lip_teeth", "mouthRollLower", 0.8, "lips"),
    ("control:lip_teeth", "mouthUpperUpLeft", 0.25, "lips"),
    ("control:lip_teeth", "mouthUpperUpRight", 0.25, "lips"),
    ("control:jaw_open", "mouthLowerDownLeft", 0.2, "lips"),
    ("control:jaw_open", "mouthLowerDownRight", 0.2, "lips"),
    ("detail:kk", "mouthShrugUpper", 0.1, "lips"),
    ("control:tongue_up", "tongueOut", 0.0, "tongue"),
]
ARKIT = Preset(
    "ARKit", "Apple ARKit's 52 blendshapes (jawOpen, mouthClose, mouthFunnel, mouthPucker, ...)",
    [PresetEntry(src, (name, name[0].upper() + name[1:], "blendShape1." + name, "blendShape." + name),
                 weight=w, group=g, required=w > 0)
     for src, name, w, g in _ARKIT_MOUTH if w > 0]
    # ARKit's mouthClose shuts the lips against an OPEN jaw (a product of two controls): M/B/P are closed
    # here by jawOpen = 0 plus mouthPress, so mouthClose is recognised but not keyed.
    + [PresetEntry("control:lip_close", ("mouthClose", "MouthClose"), 0.0, group="lips", required=False)],
)

VRM = Preset(
    "VRM", "VRM / VRoid vowels A, I, U, E, O (also aa, ih, ou, ee, oh and Fcl_MTH_A..)",
    [PresetEntry("detail:aa", ("A", "aa", "Fcl_MTH_A", "vrm_a", "mth_a")),
     PresetEntry("detail:I", ("I", "ih", "Fcl_MTH_I", "vrm_i", "mth_i")),
     PresetEntry("detail:SS", ("I", "ih", "Fcl_MTH_I", "vrm_i", "mth_i"), weight=0.4, required=False),
     PresetEntry("detail:DD", ("I", "ih", "Fcl_MTH_I", "vrm_i", "mth_i"), weight=0.25, required=False),
     PresetEntry("detail:nn", ("I", "ih", "Fcl_MTH_I", "vrm_i", "mth_i"), weight=0.2, required=False),
     PresetEntry("detail:U", ("U", "ou", "Fcl_MTH_U", "vrm_u", "mth_u")),
     PresetEntry("detail:CH", ("U", "ou", "Fcl_MTH_U", "vrm_u", "mth_u"), weight=0.5, required=False),
     PresetEntry("detail:RR", ("U", "ou", "Fcl_MTH_U", "vrm_u", "mth_u"), weight=0.4, required=False),
     PresetEntry("detail:E", ("E", "ee", "Fcl_MTH_E", "vrm_e", "mth_e")),
     PresetEntry("detail:kk", ("E", "ee", "Fcl_MTH_E", "vrm_e", "mth_e"), weight=0.3, required=False),
     PresetEntry("detail:O", ("O", "oh", "Fcl_MTH_O", "vrm_o", "mth_o")),
     PresetEntry("detail:FF", ("U", "ou", "Fcl_MTH_U", "vrm_u", "mth_u"), weight=0.2, required=False),
     PresetEntry("detail:TH", ("E", "ee", "Fcl_MTH_E", "vrm_e", "mth_e"), weight=0.2, required=False)],
)

# Rigify face rig (the "face" super_face / skin face): jaw_master rotates about X (opening), lip
# controls move in their local axes (X out to the side, Y up, Z forward - as Rigify builds them).
# Locations are in bone lengths (per_bone_length) so they suit any rig scale.
RIGIFY = Preset(
    "Rigify face", "Rigify face rig: jaw_master rotation from jaw opening, lip corner/lip controls",
    [PresetEntry("control:jaw_open", ("jaw_master", "jaw_master_mouth", "jaw"), 0.35, "bone_channel", "jaw",
                 "rotation_euler", 0),
     PresetEntry("control:spread", ("lips.L",), 0.4, "bone_channel", "lips", "location", 0, per_bone_length=True),
     PresetEntry("control:pucker", ("lips.L",), -0.8, "bone_channel", "lips", "location", 0, per_bone_length=True),
     PresetEntry("control:spread", ("lips.R",), -0.4, "bone_channel", "lips", "location", 0, per_bone_length=True),
     PresetEntry("control:pucker", ("lips.R",), 0.8, "bone_channel", "lips", "location", 0, per_bone_length=True),
     PresetEntry("control:pucker", ("lip.T",), 0.5, "bone_channel", "lips", "location", 2, per_bone_length=True,
                 required=False),
     PresetEntry("control:pucker", ("lip.B",), 0.5, "bone_channel", "lips", "location", 2, per_bone_length=True,
                 required=False),
     PresetEntry("control:lip_teeth", ("lip.B",), 0.6, "bone_channel", "lips", "location", 1, per_bone_length=True,
                 required=False),
     PresetEntry("control:lip_teeth", ("lip.B",), -0.3, "bone_channel", "lips", "location", 2, per_bone_length=True,
                 required=False),
     PresetEntry("control:lip_close", ("lip.B",), 0.2, "bone_channel", "lips", "location", 1, per_bone_length=True,
                 required=False),
     PresetEntry("control:lip_close", ("lip.T",), -0.15, "bone_channel", "lips", "location", 1, per_bone_length=True,
                 required=False)],
)

# A bone rig with one pose action per Preston Blair shape (e.g. "pose_A" .. "pose_X", "mouth_D")
# plus direct jaw / lip corner channels. Pose actions are matched by name.
POSE_PREFIXES = ("pose_", "pose.", "mouth_", "viseme_", "pb_", "lipsync_")
BONE_POSES = Preset(
    "Bone poses", "Armature with a pose action per mouth shape (pose_A..pose_X) and a jaw bone",
    [PresetEntry(f"viseme:{v}", tuple(p + v for p in POSE_PREFIXES), kind="bone_pose",
                 required=v not in ("H", "X"))
     for v in VISEMES]
    + [PresetEntry("control:jaw_open", ("jaw", "Jaw", "jaw_bone", "DEF-jaw"), 0.22, "bone_channel", "jaw",
                   "rotation_euler", 0, required=False),
       PresetEntry("control:spread", ("lip_corner.L", "lipcorner.L", "mouth_corner.L", "lip_corner_L"), 0.4,
                   "bone_channel", "lips", "location", 0, per_bone_length=True, required=False),
       PresetEntry("control:pucker", ("lip_corner.L", "lipcorner.L", "mouth_corner.L", "lip_corner_L"), -0.8,
                   "bone_channel", "lips", "location", 0, per_bone_length=True, required=False),
       PresetEntry("control:spread", ("lip_corner.R", "lipcorner.R", "mouth_corner.R", "lip_corner_R"), -0.4,
                   "bone_channel", "lips", "location", 0, per_bone_length=True, required=False),
       PresetEntry("control:pucker", ("lip_corner.R", "lipcorner.R", "mouth_corner.R", "lip_corner_R"), 0.8,
                   "bone_channel", "lips", "location", 0, per_bone_length=True, required=False)],
)

PRESETS: dict[str, Preset] = {p.name: p for p in (PRESTON_BLAIR, PAPAGAYO, OCULUS, ARKIT, VRM, RIGIFY, BONE_POSES)}

_STRIP_PREFIXES = ("blendshape1.", "blendshape.", "shapekey.", "key_", "sk_", "mouth.", "mth_")


def normalize_name(name: str) -> str:
    """Case- and separator-insensitive form of a target name ("Viseme_PP" -> "visemepp")."""
    n = name.strip().lower()
    for p in _STRIP_PREFIXES:
        if n.startswith(p) and len(n) > len(p):
            n = n[len(p):]
            break
    n = re.sub(r"\.\d{3}$", "", n)  # Blender duplicate suffix ".001"
    return re.sub(r"[\s_\-.]+", "", n)


def _letter_of(name: str) -> str | None:
    """"A_MBP" / "A-mbp" / "PB A" -> "A" (Preston Blair letter prefix), else None."""
    toks = [t for t in re.split(r"[\s_\-.]+", name.strip()) if t]
    if toks and toks[0].lower() in ("pb", "mouth", "viseme", "key", "sk") and len(toks) > 1:
        toks = toks[1:]
    if toks and len(toks[0]) == 1 and toks[0].upper() in VISEMES and len(toks) >= 2:
        return toks[0].upper()
    return None


def _resolve(preset: Preset, names: list[str], kind_of) -> tuple[Mapping, list[str], int]:
    """Bind ``preset`` to the available ``names``; returns (mapping, missing, matched entries)."""
    exact = {}
    norm = {}
    letter = {}
    for n in names:
        exact.setdefault(n, n)
        norm.setdefault(normalize_name(n), n)
        if preset.letter_prefix:
            lt = _letter_of(n)
            if lt:
                letter.setdefault(lt, n)
    bindings: list[Binding] = []
    missing: list[str] = []
    matched_targets: set[str] = set()
    for e in preset.entries:
        found = None
        for cand in e.names:
            if cand in exact and kind_of(exact[cand]) in _kinds_for(e.kind):
                found = exact[cand]
                break
        if found is None:
            for cand in e.names:
                n = norm.get(normalize_name(cand))
                if n is not None and kind_of(n) in _kinds_for(e.kind):
                    found = n
                    break
        if found is None and preset.letter_prefix and e.source.startswith("viseme:"):
            n = letter.get(e.source.split(":")[1])
            if n is not None and kind_of(n) in _kinds_for(e.kind):
                found = n
        if found is None:
            if e.required and e.names[0] not in missing:
                missing.append(e.names[0])
            continue
        matched_targets.add(found)
        if e.weight == 0.0:
            continue
        bindings.append(Binding(e.source, e.kind, found, e.weight, e.data_path, e.index, e.offset, e.group,
                                "", e.per_bone_length))
    # a candidate name found later removes it from missing (e.g. Papagayo U/WQ)
    missing = [m for m in missing if m not in matched_targets]
    return Mapping(preset.name, bindings), missing, len(matched_targets)


def _kinds_for(entry_kind: str) -> tuple[str, ...]:
    return {"shape_key": ("shape_key",), "bone_channel": ("bone",), "bone_pose": ("action",)}[entry_kind]


def detect_preset(available_names, kinds: dict[str, str] | None = None,
                  preset: str | None = None) -> tuple[str, Mapping, list[str]]:
    """Pick the preset whose names the rig has most of.

    ``available_names``: shape key, bone and pose action names of the rig.
    ``kinds`` (optional): name -> "shape_key" / "bone" / "action"; without it every
    name counts as a shape key. ``preset``: force this preset instead of detecting.
    Returns (preset name, mapping bound to the rig's real names, missing names);
    preset name is "" (and the mapping empty) when nothing matched.
    """
    names = list(dict.fromkeys(available_names))
    kinds = kinds or {}

    def kind_of(n):
        return kinds.get(n, "shape_key")

    if preset is not None:
        if preset not in PRESETS:
            raise MappingError(f"Unknown preset {preset!r}; choose one of: {', '.join(PRESETS)}.")
        m, missing, _ = _resolve(PRESETS[preset], names, kind_of)
        return preset, m, missing
    best = ("", Mapping("None"), [], 0, 0.0)
    for p in PRESETS.values():
        m, missing, n_matched = _resolve(p, names, kind_of)
        if n_matched == 0 or not m.bindings:
            continue
        n_required = sum(1 for e in p.entries if e.required) or 1
        frac = 1.0 - len(missing) / n_required
        score = (n_matched * frac * p.priority, frac)
        if score > (best[3], best[4]):
            best = (p.name, m, missing, *score)
    return best[0], best[1], best[2]


def resolve_poses(mapping: Mapping, poses: dict[str, dict[tuple[str, str, int], float]],
                  rest: dict[tuple[str, str, int], float]) -> tuple[Mapping, list[str]]:
    """Expand bone_pose bindings into bone_channel bindings.

    ``poses``: pose action name -> {(bone, data_path, index): value}; ``rest``:
    (bone, data_path, index) -> rest value (0 for location/rotation, 1 for scale and
    quaternion w). A channel's value = rest + sum_v weight_v * (pose_v - rest).
    Returns the new mapping and the pose names that were not found.
    """
    out: list[Binding] = []
    missing: list[str] = []
    for b in mapping.bindings:
        if b.kind != "bone_pose":
            out.append(b)
            continue
        pose = poses.get(b.target)
        if pose is None:
            missing.append(b.target)
            continue
        for (bone, path, idx), val in sorted(pose.items()):
            r = rest.get((bone, path, idx), _default_rest(path, idx))
            delta = val - r
            if abs(delta) < 1e-6:
                continue
            out.append(Binding(b.source, "bone_channel", bone, b.weight * delta, path, idx, r, b.group, b.object))
    return Mapping(mapping.name, out), missing


def _default_rest(path: str, idx: int) -> float:
    if path == "scale" or (path == "rotation_quaternion" and idx == 0):
        return 1.0
    return 0.0
