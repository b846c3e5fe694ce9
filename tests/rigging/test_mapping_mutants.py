"""Rig conventions bound end to end: each spelling a convention uses finds its shape key, bone or pose action (also
next to a Blender duplicate ".001"), optional entries never make a rig fail, detection weighs complete sets over
partial ones, and the tooltips name the conventions. Fake rigs are plain name lists (plus their kinds)."""
import pytest

from lipsync.errors import MappingError
from lipsync.phonemes.visemes import DETAIL_VISEMES
from lipsync.rigging import mapping as M


def shape_keys(_name):
    return "shape_key"


def bind(preset, names, kinds=None):
    """(source, target) -> Binding of ``preset`` forced onto a rig with ``names``, and the missing names."""
    _, m, missing = M.detect_preset(names, kinds, preset=preset)
    return {(b.source, b.target): b for b in m.bindings}, missing


def dup_first(names):
    """A rig where a Blender duplicate (".001", e.g. a copied mesh) of each name comes first: the exact name wins."""
    return [n + ".001" for n in names] + list(names)


# ------------------------------------------------------------------------------------------------ VRM

VRM_SPELLINGS = {  # VRM 0.x (UniVRM) names, VRM 1.0 names, VRoid Studio's own shape keys, and two exporters'
    "vrm0": ("A", "I", "U", "E", "O"),
    "vrm1": ("aa", "ih", "ou", "ee", "oh"),
    "vroid": ("Fcl_MTH_A", "Fcl_MTH_I", "Fcl_MTH_U", "Fcl_MTH_E", "Fcl_MTH_O"),
    "vrm_": ("vrm_a", "vrm_i", "vrm_u", "vrm_e", "vrm_o"),
    "mth_": ("mth_a", "mth_i", "mth_u", "mth_e", "mth_o"),
}
# which vowel shape each detail viseme is shown with (index into the five names above: a, i, u, e, o)
VRM_TABLE = {"detail:aa": 0, "detail:I": 1, "detail:SS": 1, "detail:DD": 1, "detail:nn": 1, "detail:U": 2,
             "detail:CH": 2, "detail:RR": 2, "detail:FF": 2, "detail:E": 3, "detail:kk": 3, "detail:TH": 3,
             "detail:O": 4}
VRM_VOWELS = {"detail:aa", "detail:I", "detail:U", "detail:E", "detail:O"}


@pytest.mark.parametrize("spelling", sorted(VRM_SPELLINGS))
def test_vrm_vowels_bind_in_every_spelling(spelling):
    keys = VRM_SPELLINGS[spelling]
    for rig in (list(keys), dup_first(keys)):
        got, missing = bind("VRM", ["Face", *rig])
        assert missing == []
        assert {s: t for s, t in got} == {s: keys[i] for s, i in VRM_TABLE.items()}, (spelling, rig)
        for (s, _t), b in got.items():
            assert b.kind == "shape_key" and b.object == "" and b.group == "mix"
            if s in VRM_VOWELS:
                assert b.weight == 1.0
            else:  # a consonant only hints at the vowel's shape
                assert 0.0 < b.weight < 1.0, s
    # detected without being forced, too
    assert M.detect_preset(["Body", *keys])[0] == "VRM"


def test_vrm_secondary_entries_are_optional():
    got, missing = bind("VRM", ["A", "I", "U", "E", "O"])
    assert missing == []
    got, missing = bind("VRM", ["A", "E"])
    assert missing == ["I", "U", "O"]  # only the five vowels are reported, each once


# ------------------------------------------------------------------------------------------------ ARKit

ARKIT_TABLE = {  # what drives each ARKit mouth shape
    ("control:jaw_open", "jawOpen"): "jaw", ("control:pucker", "mouthPucker"): "lips",
    ("detail:O", "mouthFunnel"): "lips", ("detail:U", "mouthFunnel"): "lips", ("detail:CH", "mouthFunnel"): "lips",
    ("detail:RR", "mouthFunnel"): "lips", ("control:spread", "mouthStretchLeft"): "lips",
    ("control:spread", "mouthStretchRight"): "lips", ("control:spread", "mouthSmileLeft"): "lips",
    ("control:spread", "mouthSmileRight"): "lips", ("control:lip_close", "mouthPressLeft"): "lips",
    ("control:lip_close", "mouthPressRight"): "lips", ("control:lip_teeth", "mouthRollLower"): "lips",
    ("control:lip_teeth", "mouthUpperUpLeft"): "lips", ("control:lip_teeth", "mouthUpperUpRight"): "lips",
    ("control:jaw_open", "mouthLowerDownLeft"): "lips", ("control:jaw_open", "mouthLowerDownRight"): "lips",
    ("detail:kk", "mouthShrugUpper"): "lips",
}
ARKIT_KEYED = sorted({t for _s, t in ARKIT_TABLE})


def test_arkit_face_binds_each_control_to_its_arkit_name():
    face = ARKIT_KEYED + ["mouthClose", "tongueOut", "eyeBlinkLeft"]
    got, missing = bind("ARKit", face)
    assert missing == []
    assert {k: b.group for k, b in got.items()} == ARKIT_TABLE  # neither mouthClose nor tongueOut is keyed
    assert all(0.0 < b.weight <= 1.0 and b.object == "" for b in got.values())
    # the tongue is no part of the preset: it is not needed, not bound and not counted as a match
    got, missing = bind("ARKit", ARKIT_KEYED)
    assert missing == [] and len(got) == len(ARKIT_TABLE)
    _m, _missing, n = M._resolve(M.ARKIT, ARKIT_KEYED + ["tongueOut"], shape_keys)
    assert n == len(ARKIT_KEYED)
    _m, _missing, n = M._resolve(M.ARKIT, ARKIT_KEYED + ["mouthClose"], shape_keys)
    assert n == len(ARKIT_KEYED) + 1  # mouthClose is recognised as ARKit's
    assert M.detect_preset(["jawOpen", "tongueOut"])[0] == "ARKit"


def test_a_single_arkit_shape_is_an_arkit_rig_with_the_rest_missing():
    name, m, missing = M.detect_preset(["Basis", "jawOpen"])
    assert name == "ARKit" and [(b.source, b.target) for b in m.bindings] == [("control:jaw_open", "jawOpen")]
    assert set(missing) == set(ARKIT_KEYED) - {"jawOpen"} and len(missing) == len(ARKIT_KEYED) - 1
    # mouthClose alone is recognised but drives nothing: no preset
    assert M.detect_preset(["Basis", "mouthClose"]) == ("", M.Mapping("None"), [])
    assert M.detect_preset(["Basis", "tongueOut"]) == ("", M.Mapping("None"), [])


# ------------------------------------------------------------------------------------------------ Rigify

RIGIFY_LIPS = ["lips.L", "lips.R", "lip.T", "lip.B"]
# Rigify's lip controls: X out to the side, Y up, Z forward
RIGIFY_TABLE = {
    ("control:spread", "lips.L", "location", 0), ("control:pucker", "lips.L", "location", 0),
    ("control:spread", "lips.R", "location", 0), ("control:pucker", "lips.R", "location", 0),
    ("control:pucker", "lip.T", "location", 2), ("control:pucker", "lip.B", "location", 2),  # pucker: forward
    ("control:lip_teeth", "lip.B", "location", 1), ("control:lip_teeth", "lip.B", "location", 2),  # F/V: lower lip
    ("control:lip_close", "lip.B", "location", 1), ("control:lip_close", "lip.T", "location", 1),  # lips meet
}


@pytest.mark.parametrize("jaw", ["jaw_master", "jaw_master_mouth", "jaw"])
def test_rigify_face_binds_its_jaw_and_lip_bones(jaw):
    bones = ["root", "DEF-spine", jaw, *RIGIFY_LIPS]
    _, m, missing = M.detect_preset(bones, {b: "bone" for b in bones}, preset="Rigify face")
    assert missing == []
    binds = m.bindings
    table = {(b.source, b.target, b.data_path, b.index) for b in binds}
    assert table == RIGIFY_TABLE | {("control:jaw_open", jaw, "rotation_euler", 0)}
    assert len(binds) == 11 and all(b.kind == "bone_channel" for b in binds)
    assert all(b.per_bone_length for b in binds if b.data_path == "location")
    assert [b.group for b in binds if b.target == jaw] == ["jaw"]


def test_rigify_needs_only_the_jaw_and_the_lip_corners():
    bones = ["jaw_master", "lips.L", "lips.R"]
    got, missing = bind("Rigify face", bones, {b: "bone" for b in bones})
    assert missing == [] and {t for _s, t in got} == set(bones)
    bones = ["jaw_master", "lip.T", "lip.B"]
    _got, missing = bind("Rigify face", bones, {b: "bone" for b in bones})
    assert missing == ["lips.L", "lips.R"]


# ------------------------------------------------------------------------------------------------ Bone poses

PB_LETTERS = ["A", "B", "C", "D", "E", "F", "G", "H", "X"]


@pytest.mark.parametrize("prefix", ["pose_", "pose.", "mouth_", "viseme_", "pb_", "lipsync_"])
def test_pose_actions_are_found_under_each_prefix(prefix):
    actions = [prefix + v for v in PB_LETTERS]
    for rig in (actions, dup_first(actions)):
        got, missing = bind("Bone poses", rig, {a: "action" for a in rig})
        assert missing == []
        assert {s: t for s, t in got} == {f"viseme:{v}": prefix + v for v in PB_LETTERS}, rig
        assert all(b.kind == "bone_pose" and b.weight == 1.0 for b in got.values())


def test_a_pose_rig_needs_no_jaw_or_lip_bones_and_h_x_are_optional():
    actions = ["pose_" + v for v in "ABCDEFG"]
    got, missing = bind("Bone poses", actions, {a: "action" for a in actions})
    assert missing == [] and len(got) == 7
    _got, missing = bind("Bone poses", actions[:5], {a: "action" for a in actions[:5]})
    assert missing == ["pose_F", "pose_G"]


@pytest.mark.parametrize("jaw", ["jaw", "Jaw", "jaw_bone", "DEF-jaw"])
@pytest.mark.parametrize("corner", ["lip_corner.{}", "lipcorner.{}", "mouth_corner.{}", "lip_corner_{}"])
def test_bone_pose_rig_jaw_and_lip_corner_spellings(jaw, corner):
    left, right = corner.format("L"), corner.format("R")
    actions = ["pose_" + v for v in PB_LETTERS]
    bones = [jaw, left, right]
    for rig_bones in (bones, dup_first(bones)):
        kinds = {**{a: "action" for a in actions}, **{b: "bone" for b in rig_bones}}
        got, missing = bind("Bone poses", actions + rig_bones, kinds)
        assert missing == []
        channels = {(s, t, b.data_path, b.index, b.group) for (s, t), b in got.items() if b.kind == "bone_channel"}
        assert channels == {("control:jaw_open", jaw, "rotation_euler", 0, "jaw"),
                            ("control:spread", left, "location", 0, "lips"),
                            ("control:pucker", left, "location", 0, "lips"),
                            ("control:spread", right, "location", 0, "lips"),
                            ("control:pucker", right, "location", 0, "lips")}, rig_bones


# ------------------------------------------------------------------------------------------------ matching rules

def test_preston_blair_letter_prefixed_names_bind_to_their_shape():
    rig = ["Basis", "A_closed", "B-teeth", "C open", "D.wide", "E_round", "F_pucker", "G_lip_bite", "H_tongue",
           "X_idle"]
    got, missing = bind("Preston Blair", rig)
    assert missing == []
    assert {s: t for s, t in got} == {f"viseme:{n[0]}": n for n in rig[1:]}
    assert M.detect_preset(rig)[0] == "Preston Blair"
    # letter-prefixed bones are not shape keys
    got, missing = bind("Preston Blair", rig, {n: "bone" for n in rig})
    assert got == {} and missing == ["A", "B", "C", "D", "E", "F", "G"]
    # the letter only counts for Preston Blair shapes: Papagayo's own names are needed there
    _m, missing, n = M._resolve(M.PAPAGAYO, rig, shape_keys)
    assert n == 0 and missing == ["MBP", "etc", "E", "AI", "O", "U", "FV"]


@pytest.mark.parametrize("raw,letter", [("viseme_A_MBP", "A"), ("key_D_AI", "D"), ("sk_E_O", "E"),
                                        ("Mouth-F-WQ", "F"), ("PB G FV", "G")])
def test_letter_after_an_export_prefix(raw, letter):
    assert M._letter_of(raw) == letter
    got, _missing = bind("Preston Blair", [raw])
    assert {s: t for s, t in got} == {f"viseme:{letter}": raw}


def test_other_case_and_separators_still_match():
    visemes = {d: f"VISEME-{d.upper()}" for d in DETAIL_VISEMES}
    got, missing = bind("Oculus / Ready Player Me", list(visemes.values()))
    assert missing == [] and {s: t for s, t in got} == {f"detail:{d}": n for d, n in visemes.items()}
    got, missing = bind("ARKit", ["JawOpen", "MOUTH_PUCKER"])
    assert {s: t for s, t in got} == {"control:jaw_open": "JawOpen", "control:pucker": "MOUTH_PUCKER"}


def test_the_first_listed_spelling_wins_in_any_case():
    """A VRChat avatar carrying both Oculus spellings in lower case drives the viseme_ ones."""
    rig = ["vrc.v_" + d.lower() for d in DETAIL_VISEMES] + ["viseme_" + d.lower() for d in DETAIL_VISEMES]
    got, missing = bind("Oculus / Ready Player Me", rig)
    assert missing == [] and {s: t for s, t in got} == {f"detail:{d}": "viseme_" + d.lower() for d in DETAIL_VISEMES}
    # an exact spelling wins over one that only matches in another case, wherever it is listed
    got, _ = bind("Oculus / Ready Player Me", ["VISEME_PP", "vrc.v_PP"])
    assert {s: t for s, t in got} == {"detail:PP": "vrc.v_PP"}
    got, _ = bind("Preston Blair", ["A.001", "a", "A"])
    assert {s: t for s, t in got} == {"viseme:A": "A"}


def test_one_export_prefix_is_stripped_not_a_chain():
    assert M.normalize_name("sk_mth_A") == "mtha"
    assert M.normalize_name("key_sk_E") == "ske"
    assert M.normalize_name("blendShape1.mouth.AI") == "mouthai"


def test_bindings_drive_every_mesh_that_has_the_key():
    for names in (["A", "B", "C", "D", "E", "F", "G"], ["jawOpen", "mouthPucker"], ["aa", "ih"]):
        m = M.detect_preset(names)[1]
        assert m.bindings and all(b.object == "" for b in m.bindings)


def test_every_detail_and_control_source_validates():
    for d in DETAIL_VISEMES:
        M.Binding(f"detail:{d}", "shape_key", "t").validate()
    for p in M.PRESETS.values():
        names = [n for e in p.entries for n in e.names]
        kinds = {n: {"shape_key": "shape_key", "bone_channel": "bone", "bone_pose": "action"}[e.kind]
                 for e in p.entries for n in e.names}
        m = M.detect_preset(names, kinds, preset=p.name)[1]
        assert m.validate() is m
    with pytest.raises(MappingError):
        M.Binding("details:PP", "shape_key", "t").validate()


# ------------------------------------------------------------------------------------------------ detection

OCULUS_8 = ["viseme_" + d for d in ("PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn")]


def test_a_complete_set_beats_a_larger_partial_one():
    """All nine Preston Blair shapes beat 8 of the 15 Oculus visemes (6 required ones missing)."""
    name, m, missing = M.detect_preset(PB_LETTERS + OCULUS_8)
    assert name == "Preston Blair" and missing == [] and len(m.bindings) == 9
    # with all but one of the visemes the speech set is the better cover
    name, _m, missing = M.detect_preset(PB_LETTERS + ["viseme_" + d for d in DETAIL_VISEMES if d != "U"])
    assert name == "Oculus / Ready Player Me" and missing == ["viseme_U"]
    # and a Ready Player Me avatar (ARKit + Oculus) is driven by its visemes
    name, _m, missing = M.detect_preset(ARKIT_KEYED + ["mouthClose"] + ["viseme_" + d for d in DETAIL_VISEMES])
    assert name == "Oculus / Ready Player Me" and missing == []


def test_names_both_conventions_share_go_to_preston_blair():
    for rig, sources in ((["MBP"], {"viseme:A"}), (["MBP", "FV"], {"viseme:A", "viseme:G"})):
        name, m, _missing = M.detect_preset(rig)
        assert name == "Preston Blair" and {b.source for b in m.bindings} == sources


# ------------------------------------------------------------------------------------------------ poses

def test_direct_channels_before_poses_are_kept_and_tiny_changes_count():
    m = M.Mapping("p", [M.Binding("control:jaw_open", "bone_channel", "jaw", 0.2, "rotation_euler", group="jaw"),
                        M.Binding("viseme:D", "bone_pose", "pose_D"),
                        M.Binding("viseme:A", "bone_pose", "pose_gone"),
                        M.Binding("viseme:E", "bone_pose", "pose_E")])
    poses = {"pose_D": {("lip", "location", 0): 1e-6, ("lip", "location", 1): 1.5e-6, ("lip", "location", 2): 5e-7},
             "pose_E": {("jaw", "rotation_euler", 0): 0.3}}
    out, missing = M.resolve_poses(m, poses, rest={})
    assert missing == ["pose_gone"]
    got = [(b.source, b.target, b.data_path, b.index, b.weight) for b in out.bindings]
    assert got == [("control:jaw_open", "jaw", "rotation_euler", 0, 0.2),
                   ("viseme:D", "lip", "location", 0, 1e-6),  # a millionth is a change, less is float noise
                   ("viseme:D", "lip", "location", 1, 1.5e-6),
                   ("viseme:E", "jaw", "rotation_euler", 0, 0.3)]


# ------------------------------------------------------------------------------------------------ tooltips

def test_preset_tooltips_name_the_conventions():
    """The Mapping menu shows these as tooltips."""
    assert {n: p.description for n, p in M.PRESETS.items()} == {
        "Preston Blair": "Nine mouth shapes A-H and X (Rhubarb Lip Sync, Moho, Toon Boom)",
        "Papagayo": "Papagayo / Preston Blair names: AI, E, O, U, etc, FV, L, MBP, WQ, rest",
        "Oculus / Ready Player Me":
            "15 visemes viseme_sil, viseme_PP, ... viseme_U (Meta OVR Lip Sync, Ready Player Me)",
        "ARKit": "Apple ARKit's 52 blendshapes (jawOpen, mouthClose, mouthFunnel, mouthPucker, ...)",
        "VRM": "VRM / VRoid vowels A, I, U, E, O (also aa, ih, ou, ee, oh and Fcl_MTH_A..)",
        "Rigify face": "Rigify face rig: jaw_master rotation from jaw opening, lip corner/lip controls",
        "Bone poses": "Armature with a pose action per mouth shape (pose_A..pose_X) and a jaw bone",
    }
