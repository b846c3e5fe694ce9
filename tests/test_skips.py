"""LIPSYNC_REQUIRE_ALL=1 (set by .ci/run) turns a skip into a failure unless it is tagged optional or no data."""
import os
import shutil
import subprocess
import sys
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))


def _run(tmp_path, require_all):
    shutil.copy(os.path.join(HERE, "conftest.py"), tmp_path / "conftest.py")
    (tmp_path / "test_x.py").write_text(textwrap.dedent('''
        import pytest

        def test_forbidden():
            pytest.skip("ffmpeg not installed")

        def test_optional():
            pytest.skip("optional: Piper not installed")

        @pytest.mark.skipif(True, reason="no data: shared data folder missing")
        def test_no_data():
            pass
    '''))
    env = dict(os.environ, LIPSYNC_REQUIRE_ALL="1" if require_all else "0")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", str(tmp_path)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    return proc.stdout


def test_require_all_fails_forbidden_skips_only(tmp_path):
    out = _run(tmp_path, True)
    assert "1 failed, 2 skipped" in out and "skipped under LIPSYNC_REQUIRE_ALL=1" in out, out


def test_without_require_all_skips_are_listed(tmp_path):
    out = _run(tmp_path, False)
    assert "3 skipped" in out and "ffmpeg not installed" in out, out
