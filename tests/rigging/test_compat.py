"""rigging.blender.compat: both branches of Blender's animation API.

The slotted branch (4.4+) runs on this bpy (5.0). The legacy branch (4.2 / 4.3: ``Action.fcurves``,
one action per ID, no slots) runs here on stand-ins that behave like 4.2's API, so CI checks it
without a 4.2 build; ``tools/version_matrix.py`` runs it on the real bpy 4.2.
"""
import pytest

bpy = pytest.importorskip("bpy")

from lipsync.rigging.blender import compat, names  # noqa: E402

pytestmark = pytest.mark.bpy


# ---------------------------------------------------------------- Blender 4.2 stand-ins

class FakeFCurve:
    def __init__(self, data_path, index):
        self.data_path, self.array_index, self.group = data_path, index, None


class FakeFCurves(list):
    def find(self, data_path, index=0):
        return next((f for f in self if f.data_path == data_path and f.array_index == index), None)

    def new(self, data_path, index=0, action_group=""):
        assert self.find(data_path, index) is None, "4.2 refuses a second F-curve on one channel"
        fc = FakeFCurve(data_path, index)
        self.append(fc)
        return fc


class FakeGroups(list):
    def get(self, name):
        return next((g for g in self if g == name), None)

    def new(self, name):
        self.append(name)
        return name


class FakeAction(dict):
    """A legacy action: custom properties (the dict), ``fcurves`` and ``groups``, no ``slots``."""

    def __init__(self, name, owner):
        super().__init__()
        self.name, self.owner = name, owner
        self.fcurves, self.groups = FakeFCurves(), FakeGroups()
        self.use_fake_user = False
        self.frame_range = (1.0, 10.0)

    def copy(self):
        new = self.owner.new(self.name)
        new.update(self)
        new.fcurves.extend(FakeFCurve(f.data_path, f.array_index) for f in self.fcurves)
        return new

    __hash__ = object.__hash__
    __eq__ = object.__eq__


class FakeActions(list):
    def new(self, name):
        base, n = name, 0
        while any(a.name == name for a in self):
            n += 1
            name = f"{base}.{n:03d}"
        a = FakeAction(name, self)
        self.append(a)
        return a


class FakeAnimData:
    def __init__(self):
        self.action = None


class FakeID:
    def __init__(self, id_type, name):
        self.id_type, self.name, self.animation_data = id_type, name, None

    def animation_data_create(self):
        self.animation_data = FakeAnimData()
        return self.animation_data


class FakeStrip:
    def __init__(self, name, start, action):
        self.name, self.start, self.action = name, start, action


class FakeTrack:
    def __init__(self):
        self.strips = type("Strips", (list,), {"new": lambda s, n, st, a: s.append(FakeStrip(n, st, a)) or s[-1]})()


@pytest.fixture
def legacy(monkeypatch):
    acts = FakeActions()
    monkeypatch.setattr(compat, "SLOTTED", False)
    monkeypatch.setattr(compat, "_actions", lambda: acts)
    return acts


def test_legacy_take_is_one_action_per_id(legacy):
    take = legacy.new("take")
    head, teeth = FakeID("KEY", "Key"), FakeID("KEY", "Key.001")
    s_head = compat.ensure_slot(take, head)
    assert isinstance(s_head, compat.LegacySlot) and s_head.action is take  # the take animates the first ID
    assert s_head.identifier == "KEKey" and take[names.PART_ID_PROP] == "KEY|Key"
    fc = compat.ensure_fcurve(take, head, 'key_blocks["A"].value')
    assert compat.ensure_fcurve(take, head, 'key_blocks["A"].value') is fc and take.fcurves == [fc]
    s_teeth = compat.ensure_slot(take, teeth)  # a second ID: a part action
    part = s_teeth.action
    assert part is not take and part[names.PART_OF_PROP] == "take" and part.use_fake_user
    compat.ensure_fcurve(take, teeth, 'pose.bones["jaw"].location', 2, group="jaw")
    assert part.fcurves[0].group == "jaw" and part.groups == ["jaw"]
    assert compat.find_slot(take, teeth) == s_teeth and compat.find_slot(take, FakeID("OBJECT", "Key")) is None
    assert [s.name_display for s in compat.action_slots(take)] == ["Key", "Key.001"]
    assert compat.take_actions(take) == [take, part] and len(compat.action_fcurves(take)) == 2
    assert compat.channelbag(take, s_teeth) is part and compat.slot_fcurves(take, s_teeth) == part.fcurves


def test_legacy_assign_plays_nla_copy_remove(legacy):
    take = legacy.new("take")
    head, teeth = FakeID("KEY", "Key"), FakeID("KEY", "Key.001")
    compat.ensure_slot(take, head)
    s_teeth = compat.ensure_slot(take, teeth)
    compat.assign_action(head, take)
    compat.assign_action(teeth, take, s_teeth)
    assert head.animation_data.action is take and teeth.animation_data.action is s_teeth.action
    assert compat.plays(head, take) and compat.plays(teeth, take) and not compat.plays(FakeID("KEY", "x"), take)
    strip = compat.nla_strip_new(FakeTrack(), "take", 5, take, s_teeth)
    assert strip.action is s_teeth.action and not hasattr(strip, "action_slot")
    assert compat.slot_frame_range(take, s_teeth) == (1.0, 10.0)
    # range regeneration copies the take with its parts, linked to the copy
    copy = compat.copy_action(take, "take fix")
    assert copy.name == "take fix" and copy[names.PART_ID_PROP] == "KEY|Key"
    parts = compat.part_actions(copy)
    assert len(parts) == 1 and parts[0] is not s_teeth.action and parts[0][names.PART_ID_PROP] == "KEY|Key.001"
    assert compat.part_actions(take) == [s_teeth.action]  # the original keeps its own part
    compat.unassign_action(teeth)
    assert teeth.animation_data.action is None
    compat.remove_action(copy)
    assert legacy == [take, s_teeth.action]
    assert names.is_take(s_teeth.action) is True  # a part is ours: a new take replaces it, never NLA-stacks


# ---------------------------------------------------------------- Blender 4.4+ (this bpy)

def _key_mesh(name):
    me = bpy.data.meshes.new(name)
    me.from_pydata([(0, 0, 0), (1, 0, 0), (0, 1, 0)], [], [(0, 1, 2)])
    obj = bpy.data.objects.new(name, me)
    bpy.context.scene.collection.objects.link(obj)
    obj.shape_key_add(name="Basis")
    obj.shape_key_add(name="A")
    return obj.data.shape_keys


def test_slotted_take_is_one_action_with_a_slot_per_id():
    assert compat.SLOTTED
    bpy.ops.wm.read_factory_settings(use_empty=True)
    head, teeth = _key_mesh("Head"), _key_mesh("Teeth")
    take = bpy.data.actions.new("take")
    assert not len(take.layers)  # the layer and keyframe strip are made on demand (what 4.4 / 4.5 need)
    fc = compat.ensure_fcurve(take, head, 'key_blocks["A"].value')
    assert compat.ensure_fcurve(take, head, 'key_blocks["A"].value') == fc
    compat.ensure_fcurve(take, teeth, 'key_blocks["A"].value')
    assert len(take.layers) == 1 and len(take.layers[0].strips) == 1
    assert [s.identifier for s in compat.action_slots(take)] == ["KEKey", "KEKey.001"]
    assert compat.take_actions(take) == [take] and len(compat.action_fcurves(take)) == 2
    slot = compat.assign_action(teeth, take)
    assert teeth.animation_data.action == take and teeth.animation_data.action_slot == slot
    assert slot.name_display == teeth.name and compat.plays(teeth, take) and not compat.plays(head, take)
    fc.keyframe_points.insert(3, 1.0)
    fc.keyframe_points.insert(9, 0.0)
    track = head.animation_data_create().nla_tracks.new()
    strip = compat.nla_strip_new(track, "take", 3, take, compat.find_slot(take, head))
    assert strip.action == take and strip.action_slot == compat.find_slot(take, head)
    assert compat.slot_fcurves(take, compat.find_slot(take, head)) == [fc]
    copy = compat.copy_action(take, "take fix")
    assert len(compat.action_fcurves(copy)) == 2 and copy.name == "take fix"
    compat.remove_action(copy)
    assert "take fix" not in bpy.data.actions
