"""Rig conventions: every preset's names are the convention's own, its weights stay in sensible ranges, detection
picks the right preset and reports what is missing, names match however a rig spells them, poses expand."""
import pytest

from lipsync.errors import MappingError
from lipsync.phonemes.visemes import CONTROLS, DETAIL_VISEMES, VISEMES
from lipsync.rigging import mapping as M

# Apple ARKit's blend shape locations (ARFaceAnchor.BlendShapeLocation), the mouth, jaw and tongue ones
ARKIT_OFFICIAL = {
    "jawForward", "jawLeft", "jawRight", "jawOpen", "mouthClose", "mouthFunnel", "mouthPucker", "mouthLeft",
    "mouthRight", "mouthSmileLeft", "mouthSmileRight", "mouthFrownLeft", "mouthFrownRight", "mouthDimpleLeft",
    "mouthDimpleRight", "mouthStretchLeft", "mouthStretchRight", "mouthRollLower", "mouthRollUpper",
    "mouthShrugLower", "mouthShrugUpper", "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft",
    "mouthLowerDownRight", "mouthUpperUpLeft", "mouthUpperUpRight", "tongueOut",
}
OCULUS_OFFICIAL = ["sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "I", "O", "U"]
PAPAGAYO_MOUTHS = {"AI", "E", "O", "U", "etc", "FV", "L", "MBP", "WQ", "rest"}


def entries(preset):
    return M.PRESETS[preset].entries


def test_presets_are_the_conventions_names():
    assert list(M.PRESETS) == ["Preston Blair", "Papagayo", "Oculus / Ready Player Me", "ARKit", "VRM",
                               "Rigify face", "Bone poses"]
    for name, p in M.PRESETS.items():
        assert p.name == name and p.description and p.entries
    for e in entries("ARKit"):
        assert e.names[0] in ARKIT_OFFICIAL and e.names[1] == e.names[0][0].upper() + e.names[0][1:]
        if e.weight > 0:  # keyed shapes are also found under their FBX export names
            assert e.names[2:] == ("blendShape1." + e.names[0], "blendShape." + e.names[0])
    assert [e.source for e in entries("Oculus / Ready Player Me")] == [f"detail:{d}" for d in OCULUS_OFFICIAL]
    for e in entries("Oculus / Ready Player Me"):
        d = e.source.split(":")[1]
        assert e.names == (f"viseme_{d}", f"v_{d}", f"vrc.v_{d}") and e.required == (d != "sil")
    assert {n for e in entries("Papagayo") for n in e.names} == PAPAGAYO_MOUTHS
    pb = entries("Preston Blair")
    assert [e.source for e in pb] == [f"viseme:{v}" for v in VISEMES] and M.PRESETS["Preston Blair"].letter_prefix
    assert all(e.names[0] == e.source[-1] for e in pb)  # the letter itself first
    assert [e.required for e in pb] == [True] * 7 + [False, False]  # H (long L) and X (rest) are optional
    vrm = {e.source: e.names[0] for e in entries("VRM")}
    assert vrm["detail:aa"] == "A" and vrm["detail:I"] == "I" and vrm["detail:U"] == "U" and \
        vrm["detail:E"] == "E" and vrm["detail:O"] == "O"
    assert {e.source for e in entries("VRM") if e.required} == {"detail:aa", "detail:I", "detail:U", "detail:E",
                                                                "detail:O"}
    poses = [e for e in entries("Bone poses") if e.kind == "bone_pose"]
    assert [e.source for e in poses] == [f"viseme:{v}" for v in VISEMES]
    assert all(e.names == tuple(p + e.source[-1] for p in M.POSE_PREFIXES) for e in poses)
    assert [e.required for e in poses] == [True] * 7 + [False, False]


def test_every_source_is_known_and_every_binding_is_valid():
    for p in M.PRESETS.values():
        for e in p.entries:
            kind, _, name = e.source.partition(":")
            assert name in {"viseme": VISEMES, "detail": DETAIL_VISEMES, "control": CONTROLS}[kind], e.source
            assert e.kind in M.KINDS and e.group in M.GROUPS


def test_weights_stay_in_sensible_ranges():
    """A shape key above 1 overshoots its sculpt; a jaw bone turning more than 0.5 rad per unit of opening, or a
    lip moving more than its own length, tears the face."""
    for p in M.PRESETS.values():
        for e in p.entries:
            if e.kind == "shape_key":
                assert 0.0 <= e.weight <= 1.0, (p.name, e.source, e.weight)
            elif e.kind == "bone_channel":
                limit = 0.5 if e.data_path == "rotation_euler" else 1.0
                assert 0.0 < abs(e.weight) <= limit, (p.name, e.source, e.names[0], e.weight)
                assert e.per_bone_length == (e.data_path == "location")
            else:
                assert e.weight == 1.0 and e.data_path == "" and e.group == "mix"
    arkit = {(e.source, e.names[0]): e for e in entries("ARKit")}
    assert arkit[("control:jaw_open", "jawOpen")].weight >= 0.5 and arkit[("control:jaw_open", "jawOpen")].group == "jaw"
    for side in ("Left", "Right"):  # left and right move alike
        assert arkit[("control:spread", f"mouthStretch{side}")].weight == arkit[("control:spread", "mouthStretchLeft")].weight
    assert all(e.group == "lips" for (s, n), e in arkit.items() if n.startswith("mouth"))
    assert arkit[("control:lip_close", "mouthClose")].weight == 0.0 and not arkit[("control:lip_close", "mouthClose")].required


def test_bone_rigs_mirror_left_and_right():
    for preset in ("Rigify face", "Bone poses"):
        ch = [e for e in entries(preset) if e.kind == "bone_channel" and e.data_path == "location" and e.index == 0]
        left = {e.source: e.weight for e in ch if e.names[0].endswith(("L", ".L"))}
        right = {e.source: e.weight for e in ch if e.names[0].endswith(("R", ".R"))}
        assert left and left == {s: -w for s, w in right.items()}, preset
        assert left["control:spread"] > 0 > left["control:pucker"]  # smile out to the side, pucker inwards
        jaw = [e for e in entries(preset) if e.source == "control:jaw_open"]
        assert len(jaw) == 1 and jaw[0].data_path == "rotation_euler" and jaw[0].index == 0 and jaw[0].group == "jaw"
    rig = {(e.names[0], e.source, e.index): e.weight for e in entries("Rigify face")}
    assert rig[("lip.B", "control:lip_teeth", 1)] > 0 and rig[("lip.B", "control:lip_teeth", 2)] < 0
    assert rig[("lip.B", "control:lip_close", 1)] > 0 > rig[("lip.T", "control:lip_close", 1)]  # lips meet


@pytest.mark.parametrize("raw,norm", [
    ("Viseme_PP", "visemepp"), ("blendShape1.jawOpen", "jawopen"), ("blendshape.mouthClose", "mouthclose"),
    ("key_A", "a"), ("SK_mouth open", "mouthopen"), ("mouth.AI", "ai"), ("mth_a", "a"), ("jawOpen.001", "jawopen"),
    ("  jaw-Open  ", "jawopen"), ("key_", "key"), ("Shapekey.E", "e"),
])
def test_normalize_name(raw, norm):
    assert M.normalize_name(raw) == norm


def test_letter_prefixes():
    assert M._letter_of("A_MBP") == "A" and M._letter_of("d-ai") == "D" and M._letter_of("PB X rest") == "X"
    assert M._letter_of("mouth F WQ") == "F" and M._letter_of("A") is None and M._letter_of("Q_foo") is None
    assert M._letter_of("pb") is None and M._letter_of("") is None


def test_detection_and_missing_targets():
    name, m, missing = M.detect_preset(["Basis", "A_MBP", "B", "C", "D_AI", "E", "F", "G", "extra"])
    assert name == "Preston Blair" and missing == []
    assert {b.source: b.target for b in m.bindings} == {"viseme:A": "A_MBP", "viseme:B": "B", "viseme:C": "C",
                                                         "viseme:D": "D_AI", "viseme:E": "E", "viseme:F": "F",
                                                         "viseme:G": "G"}
    name, m, missing = M.detect_preset(["viseme_" + d for d in OCULUS_OFFICIAL if d not in ("sil", "TH")])
    assert name == "Oculus / Ready Player Me" and missing == ["viseme_TH"]  # sil is optional, TH is not
    name, m, missing = M.detect_preset(["MBP", "etc", "E", "AI", "O", "WQ", "FV", "rest"])
    assert name == "Papagayo" and missing == []  # WQ stands in for U
    assert {b.source: b.target for b in m.bindings}["viseme:F"] == "WQ"
    assert all(b.weight > 0 for b in m.bindings)  # the zero-weight WQ entry only counts for detection
    name, m, missing = M.detect_preset(["nothing", "here"])
    assert (name, m.bindings, missing) == ("", [], [])
    forced, fm, fmiss = M.detect_preset(["A", "B"], preset="Preston Blair")
    assert forced == "Preston Blair" and fmiss == ["C", "D", "E", "F", "G"]
    with pytest.raises(MappingError, match="Unknown preset 'Toon'; choose one of: Preston Blair, Papagayo"):
        M.detect_preset(["A"], preset="Toon")


def test_kinds_keep_bones_shape_keys_and_actions_apart():
    kinds = {"jaw": "bone", "pose_A": "action", "pose_D": "action", "A": "shape_key"}
    name, m, _ = M.detect_preset(list(kinds), kinds, preset="Bone poses")
    got = {(b.kind, b.target) for b in m.bindings}
    assert ("bone_pose", "pose_A") in got and ("bone_channel", "jaw") in got
    # a shape key called like a pose action is not taken for one, nor a bone for a shape key
    name, m, _ = M.detect_preset(["pose_A", "jawOpen"], {"pose_A": "shape_key", "jawOpen": "bone"}, preset="Bone poses")
    assert not [b for b in m.bindings if b.kind == "bone_pose"]
    _, m, missing = M.detect_preset(["jawOpen"], {"jawOpen": "bone"}, preset="ARKit")
    assert m.bindings == [] and "jawOpen" in missing


def test_a_speech_set_wins_over_face_tracking_on_a_mixed_rig():
    mixed = sorted(ARKIT_OFFICIAL) + ["viseme_" + d for d in OCULUS_OFFICIAL]
    assert M.detect_preset(mixed)[0] == "Oculus / Ready Player Me"
    assert M.detect_preset(sorted(ARKIT_OFFICIAL))[0] == "ARKit"


def test_mapping_json_and_validation():
    m = M.Mapping("Mine", [M.Binding("viseme:A", "shape_key", "MBP", 0.8, group="lips", object="Head")])
    back = M.Mapping.from_json(m.to_json())
    assert back == m and back.targets() == ["MBP"]
    with pytest.raises(MappingError, match="Saved mapping could not be read"):
        M.Mapping.from_json("{bad")
    with pytest.raises(MappingError, match="Saved mapping could not be read"):
        M.Mapping.from_json('{"bindings": [{"nope": 1}]}')
    assert M.Mapping.from_json("{}") == M.Mapping("Custom", [])
    two = M.Mapping("x", [M.Binding("viseme:A", "shape_key", "T1"), M.Binding("viseme:B", "shape_key", "T2"),
                          M.Binding("viseme:C", "shape_key", "T1")])
    assert two.targets() == ["T1", "T2"]


def test_resolve_poses():
    m = M.Mapping("p", [M.Binding("viseme:D", "bone_pose", "pose_D", 0.5, group="jaw"),
                        M.Binding("viseme:A", "bone_pose", "pose_gone"),
                        M.Binding("control:jaw_open", "bone_channel", "jaw", 0.3, "rotation_euler")])
    poses = {"pose_D": {("jaw", "rotation_euler", 0): 0.4, ("lip", "scale", 0): 1.2, ("lip", "location", 1): 0.0,
                        ("jaw", "rotation_quaternion", 0): 1.0}}
    out, missing = M.resolve_poses(m, poses, rest={("jaw", "rotation_euler", 0): 0.1})
    assert missing == ["pose_gone"]
    got = {(b.target, b.data_path, b.index): (round(b.weight, 6), b.offset, b.kind, b.group) for b in out.bindings
           if b.source == "viseme:D"}
    assert got[("jaw", "rotation_euler", 0)] == (0.15, 0.1, "bone_channel", "jaw")  # 0.5 * (0.4 - 0.1) over rest 0.1
    assert got[("lip", "scale", 0)] == (0.1, 1.0, "bone_channel", "jaw")  # scale rests at 1
    assert ("lip", "location", 1) not in got and ("jaw", "rotation_quaternion", 0) not in got  # no change from rest
    assert out.bindings[-1] == m.bindings[2]  # direct channels are kept as they are
    assert M._default_rest("rotation_quaternion", 0) == 1.0 and M._default_rest("rotation_quaternion", 1) == 0.0
