"""phonemes.audio: exact error lines, rates at their edges, over-full-scale float files, every reader's reason."""
import shutil

import numpy as np
import pytest
import soundfile as sf

from lipsync.errors import AudioError
from lipsync.phonemes.audio import from_array, load_audio, resample


def test_rates_at_their_edges_and_exact_messages():
    with pytest.raises(AudioError, match=r"^Invalid sample rate 0\.$"):
        from_array(np.zeros(4, np.float32), 0)
    with pytest.raises(AudioError, match=r"^Invalid sample rate -8000\.$"):
        from_array(np.zeros(4, np.float32), -8000)
    one = from_array(np.ones(3, np.float32), 1, rate=2, source="")  # any positive rate is a rate
    assert one.sample_rate == 2 and len(one.samples) == 6 and one.source == ""
    assert from_array(np.ones(3, np.float32), 16000).source == ""
    with pytest.raises(AudioError, match=r"^Invalid sample rate 0 Hz in the audio file; re-export it at 16, 44\.1 "
                                         r"or 48 kHz\.$"):
        resample(np.ones(10, np.float32), 0, 16000)
    with pytest.raises(AudioError, match="^Invalid sample rate -1 Hz"):
        resample(np.ones(10, np.float32), -1, 16000)


def test_over_full_scale_float_is_scaled_by_its_peak(tmp_path):
    x = np.linspace(-1.5, 1.2, 16000).astype(np.float32)
    p = tmp_path / "loud.wav"
    sf.write(p, x, 16000, subtype="FLOAT")
    y = load_audio(str(p)).samples
    assert np.max(np.abs(y)) == pytest.approx(1.0, abs=1e-6)
    assert np.allclose(y, x / 1.5, atol=1e-6)


def test_a_file_without_samples_says_so_exactly(tmp_path):
    p = tmp_path / "none.wav"
    sf.write(p, np.zeros((0, 1), np.float32), 16000)
    with pytest.raises(AudioError) as e:
        load_audio(str(p))
    assert str(e.value) == f"Audio file has no samples: {p}. Re-export the dialogue and try again."


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_an_unreadable_file_lists_each_readers_reason(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF" + b"\x13" * 300)
    with pytest.raises(AudioError) as e:
        load_audio(str(bad))
    details = str(e.value).split(" Details: ", 1)[1]
    assert details.startswith("soundfile: ") and "; ffmpeg: " in details and "XX" not in details
