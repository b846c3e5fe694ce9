"""Bindings, mappings and the Preston Blair names, with hand-written expected values and whole error lines."""
import pytest

from lipsync.errors import MappingError
from lipsync.phonemes.visemes import CONTROLS, DETAIL_VISEMES
from lipsync.rigging.mapping import (GROUPS, KINDS, PRESTON_BLAIR, Binding, Mapping, Preset, PresetEntry, _resolve)


def test_defaults():
    b = Binding("viseme:A", "shape_key", "t")
    assert (b.weight, b.data_path, b.index, b.offset, b.group, b.object, b.per_bone_length) == (
        1.0, "", 0, 0.0, "mix", "", False)
    assert Mapping().name == "Custom" and Mapping().bindings == [] and Mapping().bindings is not Mapping().bindings
    e = PresetEntry("viseme:A", ("A",))
    assert (e.weight, e.kind, e.group, e.data_path, e.index, e.offset, e.per_bone_length, e.required) == (
        1.0, "shape_key", "mix", "", 0, 0.0, False, True)
    p = Preset("P", "d", [e])
    assert (p.letter_prefix, p.priority) == (False, 1.0)
    assert KINDS == ("shape_key", "bone_channel", "bone_pose") and GROUPS == ("jaw", "lips", "tongue", "mix")


def test_channel_keys():
    assert Binding("viseme:A", "shape_key", "Smile", data_path="x", index=2, object="Face").key() == (
        "shape_key", "Face", "Smile", "value", 0)
    assert Binding("control:jaw_open", "bone_channel", "jaw", data_path="rotation_euler", index=0).key() == (
        "bone_channel", "", "jaw", "rotation_euler", 0)
    assert Binding("viseme:D", "bone_pose", "D", index=3, object="Rig").key() == ("bone_pose", "Rig", "D", "", 3)


def test_validation_lines():
    for group in GROUPS:
        Binding("viseme:A", "shape_key", "t", group=group).validate()
    for path in ("location", "rotation_euler", "rotation_quaternion", "scale", "rotation_axis_angle"):
        Binding("control:jaw_open", "bone_channel", "jaw", data_path=path).validate()
    cases = [
        (Binding("viseme:A", "mesh", "t"),
         "Binding kind must be one of ('shape_key', 'bone_channel', 'bone_pose'), got 'mesh'."),
        (Binding("viseme:Q", "shape_key", "t"),
         "Binding source 'viseme:Q' is not known; use viseme:A..H/X, detail:<one of " + ", ".join(DETAIL_VISEMES)
         + "> or control:<one of " + ", ".join(CONTROLS) + ">."),
        (Binding("control:jaw_open", "bone_channel", "jaw", data_path="rotation"),
         "Bone channel 'jaw' needs data_path location/rotation_euler/rotation_quaternion/scale, got 'rotation'."),
        (Binding("viseme:A", "shape_key", "t", group="teeth"),
         "Binding group must be one of ('jaw', 'lips', 'tongue', 'mix'), got 'teeth'."),
    ]
    for b, line in cases:
        with pytest.raises(MappingError) as e:
            b.validate()
        assert str(e.value) == line
    assert "PP, FF" in cases[1][1] and "jaw_open, lip_close" in cases[1][1]
    with pytest.raises(MappingError) as e:
        Mapping("M", []).validate()
    assert str(e.value) == "The mapping is empty: pick a preset or bind at least one viseme to a shape key or bone."
    with pytest.raises(MappingError) as e:
        Mapping.from_json("{oops")
    assert str(e.value).startswith("Saved mapping could not be read (") and str(e.value).endswith(
        "); pick a preset again.")


# the Preston Blair names of each shape (besides the bare letter): a rig with only that name gets the shape
PB_NAMES = {"A": ["MBP", "A_MBP"], "B": ["B_etc", "B_KST"], "C": ["C_E", "C_EH"], "D": ["D_AI", "D_AA"],
            "E": ["E_O", "E_AO"], "F": ["F_WQ", "F_U", "F_UW"], "G": ["G_FV", "FV"], "H": ["H_L"],
            "X": ["X_rest", "rest"]}


@pytest.mark.parametrize("shape", sorted(PB_NAMES))
def test_each_preston_blair_name(shape):
    for name in [shape] + PB_NAMES[shape]:
        m, _missing, n = _resolve(PRESTON_BLAIR, [name, "Head"], lambda _n: "shape_key")
        assert [(b.source, b.target) for b in m.bindings] == [(f"viseme:{shape}", name)], name
        # a listed name wins over another name that only starts with the shape's letter
        m, _, _ = _resolve(PRESTON_BLAIR, [f"{shape}_other", name], lambda _n: "shape_key")
        assert [b.target for b in m.bindings] == [name], name
    # with every candidate present the listed order decides: the bare letter first, then the names in order
    names = list(reversed([shape] + PB_NAMES[shape]))
    m, _, _ = _resolve(PRESTON_BLAIR, names, lambda _n: "shape_key")
    assert [b.target for b in m.bindings] == [shape]


def test_papagayo_required_shapes_and_its_wq():
    from lipsync.rigging.mapping import PAPAGAYO

    full = ["MBP", "etc", "E", "AI", "O", "WQ", "FV", "L", "rest"]
    m, missing, n = _resolve(PAPAGAYO, full, lambda _n: "shape_key")
    assert [(b.source, b.target) for b in m.bindings] == [
        ("viseme:A", "MBP"), ("viseme:B", "etc"), ("viseme:C", "E"), ("viseme:D", "AI"), ("viseme:E", "O"),
        ("viseme:F", "WQ"), ("viseme:G", "FV"), ("viseme:H", "L"), ("viseme:X", "rest")]
    assert missing == [] and n == 9 and m.name == "Papagayo"
    # L and rest may be missing; WQ counts as a match (detection) but drives nothing of its own
    m, missing, n = _resolve(PAPAGAYO, ["MBP", "etc", "E", "AI", "O", "U", "WQ", "FV"], lambda _n: "shape_key")
    assert missing == [] and n == 8 and [b.target for b in m.bindings].count("WQ") == 0
    m, missing, _ = _resolve(PAPAGAYO, ["MBP", "etc", "AI", "O", "FV"], lambda _n: "shape_key")
    assert missing == ["E", "U"]  # the first name of each required shape not found (U or WQ)


def test_names_normalised_and_letters():
    from lipsync.rigging.mapping import _letter_of, normalize_name

    assert normalize_name(" Viseme_PP ") == "visemepp"
    assert normalize_name("blendShape1.jawOpen") == "jawopen" and normalize_name("blendShape.jawOpen") == "jawopen"
    assert normalize_name("mth_A.001") == "a" and normalize_name("key_") == "key"  # a bare prefix stays
    assert normalize_name("SK_mouth-Smile.L") == "mouthsmilel"
    assert [_letter_of(n) for n in ("A_MBP", "d-ai", "PB A x", "mouth_E_O", "A", "AI", "pb_A", "Q_x", "")] == [
        "A", "D", "A", "E", None, None, None, None, None]


def test_detection_prefers_the_best_covered_preset():
    from lipsync.rigging.mapping import detect_preset

    pb = ["A", "B", "C", "D", "E", "F", "G", "H", "X"]
    name, m, missing = detect_preset(pb + ["jawOpen"])
    assert name == "Preston Blair" and missing == [] and len(m.bindings) == 9
    assert detect_preset(["Head", "Eyes"]) == ("", Mapping("None"), [])
    name, m, missing = detect_preset(["A", "B"], preset="Preston Blair")
    assert name == "Preston Blair" and missing == ["C", "D", "E", "F", "G"]
    with pytest.raises(MappingError) as e:
        detect_preset(pb, preset="Nope")
    assert str(e.value) == ("Unknown preset 'Nope'; choose one of: Preston Blair, Papagayo, Oculus / Ready Player Me, "
                            "ARKit, VRM, Rigify face, Bone poses.")
    # kinds: a bone named like a shape key is no shape key
    name, m, _ = detect_preset(pb, kinds={n: "bone" for n in pb})
    assert name == "" and m.bindings == []


def test_pose_bindings_expand_into_channels():
    from lipsync.rigging.mapping import resolve_poses

    m = Mapping("Poses", [Binding("viseme:D", "bone_pose", "pose_D", weight=0.5, group="mix", object="Rig"),
                          Binding("viseme:E", "bone_pose", "pose_E"),
                          Binding("control:jaw_open", "bone_channel", "jaw", data_path="rotation_euler")])
    poses = {"pose_D": {("jaw", "rotation_euler", 0): 0.3, ("lip", "scale", 1): 1.5, ("lip", "location", 2): 0.0,
                        ("lip", "rotation_quaternion", 0): 0.5, ("lip", "rotation_quaternion", 1): 0.25}}
    out, missing = resolve_poses(m, poses, rest={("jaw", "rotation_euler", 0): 0.1})
    assert missing == ["pose_E"] and out.name == "Poses"
    got = [(b.source, b.kind, b.target, round(b.weight, 6), b.data_path, b.index, b.offset, b.group, b.object)
           for b in out.bindings]
    assert got == [
        ("viseme:D", "bone_channel", "jaw", 0.1, "rotation_euler", 0, 0.1, "mix", "Rig"),  # 0.5 * (0.3 - 0.1)
        ("viseme:D", "bone_channel", "lip", -0.25, "rotation_quaternion", 0, 1.0, "mix", "Rig"),  # w rests at 1
        ("viseme:D", "bone_channel", "lip", 0.125, "rotation_quaternion", 1, 0.0, "mix", "Rig"),
        ("viseme:D", "bone_channel", "lip", 0.25, "scale", 1, 1.0, "mix", "Rig"),  # scale rests at 1
        ("control:jaw_open", "bone_channel", "jaw", 1.0, "rotation_euler", 0, 0.0, "mix", ""),
    ]  # the lip location equal to its rest (0) gives no channel
