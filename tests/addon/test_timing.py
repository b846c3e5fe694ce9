"""Strip timing: scene fps (fps_base), strip start, trims and sound offset.

The bpy-free arithmetic is checked directly; the bpy test checks it against
Blender itself: it mixes a scene down (``bpy.ops.sound.mixdown``) and finds
where a click in the dialogue really lands.
"""
import json
import os
import subprocess
import sys
import textwrap

import pytest

from lipsync.addon.strips import StripTiming, file_timing, scene_fps


class _Render:
    def __init__(self, fps, base):
        self.fps, self.fps_base = fps, base


@pytest.mark.parametrize("fps,base,expect", [(24, 1.001, 23.976), (30, 1.001, 29.97), (25, 1.0, 25.0), (60, 1.001, 59.94)])
def test_scene_fps_uses_fps_base(fps, base, expect):
    assert scene_fps(_Render(fps, base)) == pytest.approx(expect, abs=5e-4)


def test_scene_fps_rejects_nonsense():
    from lipsync.addon.strips import StripError

    with pytest.raises(StripError, match="frame rate"):
        scene_fps(_Render(0, 1.0))


def test_strip_timing_23976_start_trim_offset():
    fps = 24 / 1.001
    t = StripTiming(fps=fps, frame_start=101, frame_final_start=113, frame_final_end=400, sound_offset=0.25)
    # audio time 0 plays 0.25 s after the content start
    assert t.audio_start_frame == pytest.approx(101 + 0.25 * fps)
    assert t.frame_at(2.0) == pytest.approx(101 + 2.25 * fps)
    assert t.time_at(t.frame_at(3.7)) == pytest.approx(3.7)
    assert t.frame_range == (113, 399)
    a, b = t.audio_span
    assert a == pytest.approx((113 - 101) / fps - 0.25)
    assert b == pytest.approx((400 - 101) / fps - 0.25)


def test_strip_timing_2997_drift_is_not_ignored():
    """At 29.97 a 60 s clip spans 1798.2 frames, not 1800: using 30 fps would drift by ~2 frames."""
    t = StripTiming(fps=30 / 1.001, frame_start=1, frame_final_start=1, frame_final_end=1800)
    assert t.frame_at(60.0) == pytest.approx(1 + 1798.2, abs=0.01)
    assert abs(t.frame_at(60.0) - (1 + 60 * 30)) > 1.5


def test_file_timing():
    t = file_timing(25.0, 10, 2.0)
    assert t.frame_at(0) == 10 and t.frame_at(2.0) == 60
    assert t.frame_range == (10, 59)


MIX_SCRIPT = textwrap.dedent(r"""
    import json, sys
    import numpy as np, soundfile as sf, bpy
    from lipsync.addon.strips import strip_timing, scene_fps, find_sound_strip, strip_audio_path
    tmp = sys.argv[-1]
    sr = 48000
    x = np.zeros(sr * 4, np.float32); x[sr * 2: sr * 2 + 48] = 0.9   # click at t = 2.0 s
    wav = tmp + "/click.wav"; sf.write(wav, x, sr)
    out = []
    for fps, base, start, trim, offset in [(24, 1.001, 10, 5, 0.3), (30, 1.001, 37, 0, -0.4), (25, 1, 1, 12, 0.0)]:
        bpy.ops.wm.read_factory_settings(use_empty=True)
        sc = bpy.context.scene
        sc.render.fps, sc.render.fps_base = fps, base
        sc.frame_start, sc.frame_end = 1, 250
        se = sc.sequence_editor_create()
        s = se.strips.new_sound("dialogue", wav, 1, start)
        s.frame_offset_start = trim
        s.sound_offset = offset
        found = find_sound_strip(sc, "")
        t = strip_timing(found, scene_fps(sc.render))
        mix = tmp + "/mix.wav"
        bpy.ops.sound.mixdown(filepath=mix, container="WAV", codec="PCM", format="F32", mixrate=sr, accuracy=32)
        y, r = sf.read(mix); y = y.mean(1) if y.ndim == 2 else y
        i = int(np.argmax(np.abs(y) > 0.3))
        heard = sc.frame_start + i / r * t.fps
        out.append(dict(fps=t.fps, predicted=t.frame_at(2.0), heard=heard, path=strip_audio_path(found), wav=wav))
    print("RESULT" + json.dumps(out))
""")


@pytest.mark.bpy
def test_timing_matches_blender_mixdown(tmp_path):
    pytest.importorskip("bpy")
    proc = subprocess.run([sys.executable, "-c", MIX_SCRIPT, str(tmp_path)], capture_output=True, text=True, timeout=120)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    assert proc.returncode == 0 and line, proc.stdout[-2000:] + proc.stderr[-2000:]
    for r in json.loads(line[0][6:]):
        # where Blender plays the click vs where our timing puts it: within 1 ms of audio
        assert abs(r["heard"] - r["predicted"]) < 0.001 * r["fps"], r
        assert os.path.samefile(r["path"], r["wav"])
