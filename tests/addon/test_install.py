"""Build the extension zip, install it into bpy the real way, enable, check, disable.

Runs in a subprocess with HOME pointed at a temporary folder, so the install
goes into a throw-away user extensions repository and bpy's global state does
not leak into other tests.
"""
import json
import os
import subprocess
import sys
import textwrap
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import build_extension  # noqa: E402


def test_zip_layout(tmp_path):
    zpath = build_extension.build(str(tmp_path))
    assert os.path.basename(zpath) == "lip_sync-0.1.0.zip"
    names = set(zipfile.ZipFile(zpath).namelist())
    for must in ("blender_manifest.toml", "__init__.py", "addon/__init__.py", "addon/operators/generate.py", "addon/jobs.py",
                 "addon/panel.py", "phonemes/types.py", "rigging/settings.py", "pipeline.py"):
        assert must in names, must
    for n in names:
        assert not n.startswith(("tests/", "bench/", "tools/", "training/", ".venv/", "dist/", "sample_scenes/", ".git/")), n
        assert "__pycache__" not in n and not n.endswith(".pyc"), n


def test_manifest_fields():
    m = build_extension.read_manifest()
    assert m["schema_version"] == "1.0.0" and m["id"] == "lip_sync" and m["type"] == "add-on"
    assert m["blender_version_min"] == "4.2.0"
    assert m["license"] == ["SPDX:GPL-3.0-or-later"]
    assert "files" in m["permissions"]
    assert len(m["tagline"]) <= 64 and not m["tagline"].endswith(".")
    import lipsync

    assert m["version"] == lipsync.__version__


def test_wheels_are_listed_in_packed_manifest(tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    # a minimal valid (pure-python) wheel file name; contents are not inspected by the build
    (wheels / "demo_pkg-1.0-py3-none-any.whl").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    zpath = build_extension.build(str(tmp_path / "out"), wheels_dir=str(wheels))
    with zipfile.ZipFile(zpath) as zf:
        assert "wheels/demo_pkg-1.0-py3-none-any.whl" in zf.namelist()
        import tomllib

        man = tomllib.loads(zf.read("blender_manifest.toml").decode())
    assert man["wheels"] == ["./wheels/demo_pkg-1.0-py3-none-any.whl"]
    assert set(man["platforms"]) == set(build_extension.WHEEL_PLATFORMS)
    assert man["permissions"]["files"]  # the tables survived the rewrite


INSTALL_SCRIPT = textwrap.dedent(r"""
    import json, sys
    import bpy
    zpath = sys.argv[-1]
    out = {}
    res = bpy.ops.extensions.package_install_files(filepath=zpath, repo="user_default", enable_on_install=True)
    out["install"] = sorted(res)
    mod_name = "bl_ext.user_default.lip_sync"
    mod = sys.modules.get(mod_name)
    out["module_file"] = getattr(mod, "__file__", None)
    out["enabled"] = mod_name in bpy.context.preferences.addons.keys()
    names = ["LIPSYNC_OT_generate", "LIPSYNC_OT_render_preview", "LIPSYNC_OT_set_take", "LIPSYNC_OT_detect_mapping",
             "LIPSYNC_OT_install_dependencies", "LIPSYNC_OT_generate_all", "LIPSYNC_OT_toggle_mesh",
             "LIPSYNC_PT_main", "LIPSYNC_PT_batch", "LIPSYNC_PT_mapping", "LIPSYNC_PT_animation",
             "LIPSYNC_PT_takes", "LIPSYNC_PT_preview"]
    out["registered"] = {n: hasattr(bpy.types, n) for n in names}
    out["scene_prop"] = hasattr(bpy.types.Scene, "lipsync")
    out["panel_category"] = bpy.types.LIPSYNC_PT_main.bl_category
    out["panel_space"] = bpy.types.LIPSYNC_PT_main.bl_space_type + "/" + bpy.types.LIPSYNC_PT_main.bl_region_type
    prefs = bpy.context.preferences.addons[mod_name].preferences
    out["prefs_class"] = type(prefs).__name__

    # Draw every panel into a recording layout: catches wrong property / operator names.
    class Layout:
        def __init__(self, log): self.log = log
        def __getattr__(self, name):
            def call(*a, **kw):
                if name in ("prop", "prop_search") and a:
                    data, prop = a[0], a[1]
                    assert prop in data.bl_rna.properties.keys(), (type(data).__name__, prop)
                if name == "operator":
                    mod, _, op = a[0].partition(".")
                    assert hasattr(bpy.types, mod.upper() + "_OT_" + op), a[0]
                if name == "template_list":
                    assert a[3] in a[2].bl_rna.properties.keys() and a[5] in a[4].bl_rna.properties.keys(), a
                self.log.append(name)
                return Layout(self.log)
            return call
    class Ctx: pass
    ctx = Ctx(); ctx.scene = bpy.context.scene; ctx.preferences = bpy.context.preferences
    ctx.window_manager = bpy.context.window_manager
    drawn = {}
    for n in names[7:]:
        log = []
        cls = getattr(bpy.types, n)
        fake = type("P", (), {"layout": Layout(log)})()
        cls.draw(fake, ctx)
        drawn[n] = len(log)
    log = []
    type(prefs).draw(type("P", (), {"layout": Layout(log), "bl_rna": prefs.bl_rna})(), ctx)  # its own properties
    drawn["prefs"] = len(log)
    out["drawn"] = drawn

    # The installed copy runs the whole pipeline (relative imports under bl_ext.*).
    sc = bpy.context.scene
    bpy.ops.mesh.primitive_uv_sphere_add(segments=16, ring_count=8)
    head = bpy.context.object
    head.shape_key_add(name="Basis")
    for i, letter in enumerate("ABCDEFGHX"):
        kb = head.shape_key_add(name=letter)
        for v in kb.data:
            if v.co.z < -0.3:
                v.co.z -= 0.05 * (i + 1)
    sc.sequence_editor_create().strips.new_sound("Dialogue", sys.argv[-2], 1, 1)
    sc.lipsync.target = head
    sc.lipsync.recognizer = "pocketsphinx"
    out["generate"] = sorted(bpy.ops.lipsync.generate())
    out["generate_module"] = bpy.types.LIPSYNC_OT_generate.__module__
    # nothing may come from the source tree's ``lipsync`` package (absolute imports would)
    out["dev_modules"] = sorted(m for m in sys.modules if m == "lipsync" or m.startswith("lipsync."))
    out["keyed"] = head.data.shape_keys.animation_data is not None and head.data.shape_keys.animation_data.action is not None

    bpy.ops.preferences.addon_disable(module=mod_name)
    out["after_disable"] = {n: hasattr(bpy.types, n) for n in names} | {"scene_prop": hasattr(bpy.types.Scene, "lipsync")}
    bpy.ops.preferences.addon_enable(module=mod_name)
    out["reenabled"] = hasattr(bpy.types, "LIPSYNC_OT_generate") and hasattr(bpy.types.Scene, "lipsync")
    bpy.ops.preferences.addon_disable(module=mod_name)
    out["after_second_disable"] = hasattr(bpy.types, "LIPSYNC_OT_generate") or hasattr(bpy.types.Scene, "lipsync")
    print("RESULT" + json.dumps(out))
""")


@pytest.mark.bpy
def test_install_enable_disable_in_blender(tmp_path):
    pytest.importorskip("bpy")
    zpath = build_extension.build(str(tmp_path / "dist"))
    home = tmp_path / "home"
    home.mkdir()
    env = dict(os.environ, HOME=str(home))
    env.pop("BLENDER_USER_CONFIG", None)
    env.pop("BLENDER_USER_RESOURCES", None)
    dialogue = os.path.join(ROOT, "sample_scenes", "dialogue.wav")
    proc = subprocess.run([sys.executable, "-c", INSTALL_SCRIPT, dialogue, zpath], capture_output=True, text=True,
                          timeout=180, env=env, cwd=str(tmp_path))
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    assert proc.returncode == 0 and lines, proc.stdout[-3000:] + proc.stderr[-3000:]
    r = json.loads(lines[0][6:])
    assert r["install"] == ["FINISHED"]
    # the installed copy is what runs, not the source tree
    assert r["module_file"] and r["module_file"].startswith(str(home)), r["module_file"]
    assert r["enabled"]
    assert all(r["registered"].values()), r["registered"]
    assert r["scene_prop"]
    assert r["panel_category"] == "Lip Sync" and r["panel_space"] == "VIEW_3D/UI"
    assert r["prefs_class"] == "LIPSYNC_AP_preferences"
    assert all(v > 0 for v in r["drawn"].values()), r["drawn"]
    assert not any(r["after_disable"].values()), r["after_disable"]
    assert r["generate"] == ["FINISHED"] and r["keyed"]
    assert r["dev_modules"] == [], r["dev_modules"]
    assert r["generate_module"].startswith("bl_ext.user_default.lip_sync"), r["generate_module"]
    assert r["reenabled"]
    assert not r["after_second_disable"]
