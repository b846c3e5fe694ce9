"""phonemes.audio's block-by-block sources: which files are read in one pass, what ffmpeg and ffprobe say
(through stand-in executables that speak their protocol), Blender's aud module as the last reader of
open_audio, and the resampling stream without scipy."""
import builtins
import os
import shutil
import sys
import textwrap
import time
import types

import numpy as np
import pytest
import soundfile as sf

from lipsync.errors import AudioError
from lipsync.phonemes import audio as A
from lipsync.phonemes.types import INTERNAL_RATE, Audio

LOSSY_OR_FLOAT = ("FLOAT", "DOUBLE", "VORBIS", "OPUS", "MPEG_")


# ---------------------------------------------------------------- libsndfile: one pass or two
def test_every_integer_or_codec_subtype_is_known_to_stay_within_full_scale():
    """Integer PCM and codecs of it cannot exceed full scale, so a file of those subtypes is read once; float
    and lossy subtypes can (an MP3's decoded peak often does), so they get a first pass for the peak."""
    seen = set()
    for fmt in sf.available_formats():
        seen.update(sf.available_subtypes(fmt))
    assert {"PCM_16", "ULAW", "G721_32", "VOX_ADPCM", "NMS_ADPCM_16", "ALAC_16", "DPCM_8", "DWVW_12"} <= seen
    for subtype in seen:
        assert subtype.startswith(A._BOUNDED) == (not subtype.startswith(LOSSY_OR_FLOAT)), subtype


class _Opens:
    """Counts how many times soundfile.SoundFile opens a file."""

    def __init__(self, monkeypatch):
        self.n = 0
        real = sf.SoundFile

        def counting(*args, **kw):
            self.n += 1
            return real(*args, **kw)

        monkeypatch.setattr(sf, "SoundFile", counting)


@pytest.mark.parametrize("name,sr,subtype,exact,passes", [
    ("a.wav", 16000, "PCM_16", True, 1), ("a.wav", 22050, "ULAW", False, 1), ("a.wav", 16000, "ALAW", False, 1),
    ("a.wav", 16000, "IMA_ADPCM", False, 1), ("a.wav", 16000, "MS_ADPCM", False, 1),
    ("a.wav", 8000, "GSM610", False, 1), ("a.au", 16000, "G721_32", False, 1), ("a.caf", 44100, "ALAC_16", False, 1),
    ("a.xi", 44100, "DPCM_16", False, 1),
    ("a.wav", 16000, "NMS_ADPCM_16", False, 1), ("a.wav", 48000, "FLOAT", True, 2), ("a.wav", 16000, "DOUBLE", True, 2),
])
def test_bounded_subtypes_are_decoded_once_and_float_twice(tmp_path, monkeypatch, name, sr, subtype, exact, passes):
    rng = np.random.default_rng(7)
    n = int(sr * 9.1)  # several blocks at any rate
    x = np.clip(0.3 * rng.standard_normal(n), -0.9, 0.9)
    p = tmp_path / name
    sf.write(p, x, sr, subtype=subtype)
    whole = A.load_audio(str(p)).samples
    frames = sf.info(str(p)).frames
    src = A.open_audio(str(p))
    assert type(src).__name__ == "SoundFileSource"
    assert src.exact is exact  # the header's length is the decoded length for PCM and float
    assert src.n_samples == A._resampled_length(frames, sr, INTERNAL_RATE)
    opens = _Opens(monkeypatch)  # opens of the reading passes only (sf.info opens the file too)
    got = np.concatenate(list(src.blocks()))
    assert opens.n == passes
    assert np.array_equal(got, whole)
    assert src.n_samples == len(whole)  # found by the first pass where there is one


def test_float_peak_pass_counts_every_block(tmp_path):
    x = np.linspace(-2.0, 1.0, 3 * A.BLOCK + 123).astype(np.float32)
    p = tmp_path / "loud.wav"
    sf.write(p, x, 16000, subtype="FLOAT")
    src = A.open_audio(str(p))
    y = np.concatenate(list(src.blocks()))
    assert src.n_samples == len(x) == len(y) and src.exact
    assert np.allclose(y, x / 2.0, atol=1e-7)


def test_source_duration_and_sources_in_memory():
    x = np.linspace(-0.5, 0.5, 48000 * 2).astype(np.float32)
    src = A.ArraySource(Audio(x, 48000, "mic"))
    assert src.n_samples == 32000 and src.exact and src.duration == 2.0 and src.source == "mic"
    assert src.rate == INTERNAL_RATE == 16000
    y = src.load()
    assert y.sample_rate == 16000 and y.source == "mic"
    assert np.array_equal(y.samples, A.resample(x, 48000, 16000))
    same = A.ArraySource(Audio(x[:16000].reshape(-1, 1), 16000, "s"))  # already 16 kHz: kept as is, flattened
    assert np.array_equal(same.load().samples, x[:16000]) and same.n_samples == 16000
    blocks = list(A.ArraySource(Audio(np.arange(2 * A.BLOCK + 5, dtype=np.float32), 16000, "")).blocks())
    assert [len(b) for b in blocks] == [A.BLOCK, A.BLOCK, 5]


def test_windows_in_order_and_their_offsets():
    x = np.arange(50000, dtype=np.float32) / 50000
    src = A.ArraySource(Audio(x, 16000, "clip"))
    wins = list(src.windows(lambda k: (k * 20000, k * 20000 + 24000)))
    assert [(w.start, w.stop, w.index, w.at_end) for w in wins] == [
        (0, 24000, 0, False), (20000, 44000, 1, False), (40000, 50000, 2, True)]
    assert wins[1].offset == 1.25 and wins[1].audio.source == "clip"
    assert all(w.clip is wins[0].clip for w in wins)
    for w in wins:
        assert np.array_equal(w.audio.samples, x[w.start: w.stop])
    with pytest.raises(AttributeError):
        wins[0].start = 5  # a window is a value
    exact_end = list(A.ArraySource(Audio(x[:40000], 16000, "")).windows(lambda k: (k * 20000, (k + 1) * 20000)))
    assert [(w.start, w.stop, w.at_end) for w in exact_end] == [(0, 20000, False), (20000, 40000, True)]
    past = list(A.ArraySource(Audio(x[:100], 16000, "")).windows(lambda k: (0, 0) if k == 0 else (50, 100)))
    assert [(w.start, w.stop, w.at_end) for w in past] == [(0, 0, False), (50, 100, True)]


def test_a_window_before_the_kept_samples_is_refused():
    x = np.zeros(50000, np.float32)
    spans = [(0, 30000), (20, 40000), (10, 40000)]  # starts that decrease
    with pytest.raises(ValueError, match=r"^window 2 starts at 10, before the previous window's next start 20$"):
        list(A.ArraySource(Audio(x, 16000, "")).windows(lambda k: spans[k]))


# ---------------------------------------------------------------- ffmpeg and ffprobe
def _exe(folder, name, body):
    p = folder / name
    p.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    p.chmod(0o755)
    return str(p)


FAKE_FFMPEG = """
    import os, sys, time
    import numpy as np
    with open(os.environ["FAKE_PID"], "w") as f:
        f.write(str(os.getpid()))
    data = np.load(os.environ["FAKE_PCM"]).astype("<f4").tobytes()
    cut = [0, 7, 4093, 4094, 65537]  # writes that end inside a sample
    cut = [c for c in cut if c < len(data)] + [len(data)]
    for a, b in zip(cut, cut[1:]):
        sys.stdout.buffer.write(data[a:b])
        sys.stdout.buffer.flush()
    time.sleep(float(os.environ.get("FAKE_SLEEP", "0")))
    sys.stderr.write(os.environ.get("FAKE_ERR", ""))
    sys.stderr.flush()
    sys.stderr.buffer.write(bytes.fromhex(os.environ.get("FAKE_ERR_HEX", "")))
    sys.exit(int(os.environ.get("FAKE_RC", "0")))
"""

FAKE_FFPROBE = """
    import os, sys
    sys.stdout.write(os.environ.get("PROBE_OUT", ""))
    sys.stderr.write(os.environ.get("PROBE_ERR", ""))
    sys.exit(int(os.environ.get("PROBE_RC", "0")))
"""


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """A folder with a stand-in ffmpeg (and ffprobe when asked): the only ones shutil.which finds."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, path=None: real_which(name, path=str(bin_dir)))
    monkeypatch.setenv("FAKE_PID", str(tmp_path / "pid"))
    ns = types.SimpleNamespace(dir=bin_dir, ffmpeg=_exe(bin_dir, "ffmpeg", FAKE_FFMPEG), tmp=tmp_path)

    def pcm(x):
        np.save(tmp_path / "pcm.npy", np.asarray(x, np.float32))
        monkeypatch.setenv("FAKE_PCM", str(tmp_path / "pcm.npy"))

    def probe(out="", err="", rc=0):
        _exe(bin_dir, "ffprobe", FAKE_FFPROBE)
        monkeypatch.setenv("PROBE_OUT", out)
        monkeypatch.setenv("PROBE_ERR", err)
        monkeypatch.setenv("PROBE_RC", str(rc))

    ns.pcm, ns.probe = pcm, probe
    yield ns
    pid = (tmp_path / "pid").read_text() if (tmp_path / "pid").exists() else ""
    if pid:
        try:
            os.kill(int(pid), 9)
        except (ProcessLookupError, PermissionError):
            pass


def _clip(n=40123, peak=0.5):
    x = np.sin(np.arange(n) * 0.01).astype(np.float32)
    return x * np.float32(peak)


def test_ffmpeg_without_ffprobe_is_read_once_to_find_the_length(fake):
    x = _clip()
    fake.pcm(x)
    src = A.FFmpegSource("clip.m4a", fake.ffmpeg)
    assert src.n_samples == len(x) and src.exact and src.source == "clip.m4a"
    assert np.array_equal(np.concatenate(list(src.blocks())), x)  # samples split inside a float are joined


def test_ffprobe_gives_the_length_before_reading(fake):
    x = _clip()
    fake.pcm(x)
    fake.probe(out="2.5\n9.0\n")  # the audio stream's duration, then the container's
    src = A.FFmpegSource("clip.m4a", fake.ffmpeg)
    assert src.n_samples == 40000 and not src.exact and src.duration == 2.5
    assert not (fake.tmp / "pid").exists()  # nothing decoded yet
    y = src.load()
    assert np.array_equal(y.samples, x) and src.n_samples == len(x) and src.exact
    fake.probe(out="N/A\n3.25\n")  # a stream without a duration: the container's
    assert A._probe_seconds("clip.m4a", fake.ffmpeg) == 3.25
    fake.probe(out="N/A\n")
    assert A._probe_seconds("clip.m4a", fake.ffmpeg) is None


def test_what_ffprobe_says_when_it_fails(fake):
    fake.probe(err="ffprobe version 6\nsome detail\nclip.m4a: Invalid data found when processing input\n", rc=1)
    with pytest.raises(RuntimeError) as e:
        A.FFmpegSource("clip.m4a", fake.ffmpeg)
    assert str(e.value) == "clip.m4a: Invalid data found when processing input"
    fake.probe(rc=1)
    with pytest.raises(RuntimeError, match="^ffprobe failed$"):
        A._probe_seconds("clip.m4a", fake.ffmpeg)
    fake.probe(out="")  # exit 0, nothing printed: the file has no audio stream
    with pytest.raises(RuntimeError, match="^no audio stream$"):
        A._probe_seconds("clip.m4a", fake.ffmpeg)


def test_ffprobe_beside_ffmpeg_is_found(tmp_path, monkeypatch):
    tools = tmp_path / "ffmpeg-build"
    tools.mkdir()
    exe = _exe(tools, "ffmpeg", "")
    _exe(tools, "ffprobe", FAKE_FFPROBE)
    monkeypatch.setenv("PROBE_OUT", "1.5\n")
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, path=None: real_which(name, path=path or str(tmp_path)))
    assert A._probe_seconds("x.m4a", exe) == 1.5


def test_what_ffmpeg_says_when_it_fails(fake, monkeypatch):
    fake.pcm(_clip(1000))
    monkeypatch.setenv("FAKE_RC", "1")
    for err, want in [("ffmpeg version 6\nStream #0:0 ...\nError while decoding stream #0:0\n",
                       "Error while decoding stream #0:0"),
                      ("Conversion failed!\n", "Conversion failed!"), ("", "ffmpeg failed")]:
        monkeypatch.setenv("FAKE_ERR", err)
        with pytest.raises(RuntimeError) as e:
            A.FFmpegSource("clip.m4a", fake.ffmpeg)
        assert str(e.value) == want


def test_load_audio_through_ffmpeg_and_what_it_says_when_ffmpeg_fails(fake, monkeypatch):
    """load_audio (the whole-clip reader) falls back to ffmpeg as open_audio does, with the same messages."""
    monkeypatch.setitem(sys.modules, "aud", None)
    p = fake.tmp / "clip.m4a"
    p.write_bytes(b"not a file libsndfile reads")
    x = _clip(1000)
    fake.pcm(x)
    got = A.load_audio(str(p))
    assert got.sample_rate == INTERNAL_RATE and np.array_equal(got.samples, x) and got.source == str(p)
    fake.pcm([0.25])  # one sample is audio
    assert A.load_audio(str(p)).samples.tolist() == [0.25]
    fake.pcm([])
    with pytest.raises(AudioError, match=r"Details: soundfile: .*; ffmpeg: no audio stream$"):
        A.load_audio(str(p))
    fake.pcm(x)
    monkeypatch.setenv("FAKE_RC", "1")
    for err, hex_err, want in [("ffmpeg version 6\nStream #0:0 ...\nclip.m4a: moov atom not found\n", "",
                                "clip.m4a: moov atom not found"),
                               ("", "", "ffmpeg failed"),
                               ("", "636c69702ee96d3461206e6f7420666f756e640a", "clip.\ufffdm4a not found")]:
        monkeypatch.setenv("FAKE_ERR", err)
        monkeypatch.setenv("FAKE_ERR_HEX", hex_err)  # Latin-1 bytes where ffmpeg's UTF-8 is expected
        with pytest.raises(AudioError) as e:
            A.load_audio(str(p))
        details = str(e.value).split(" Details: ", 1)[1].split("; ")
        assert details[0].startswith("soundfile: ") and details[1:] == ["ffmpeg: " + want]


def test_ffmpeg_output_over_full_scale_is_scaled_by_its_peak(fake):
    for peak in (1.5, 3.0):
        x = _clip(peak=peak)
        fake.pcm(x)
        src = A.FFmpegSource("clip.m4a", fake.ffmpeg)
        y = np.concatenate(list(src.blocks()))
        assert np.allclose(y, x / np.abs(x).max(), atol=1e-7)
    fake.pcm(np.zeros(0, np.float32))
    with pytest.raises(RuntimeError, match="^no audio stream$"):
        A.FFmpegSource("clip.m4a", fake.ffmpeg)


def test_stopping_early_stops_ffmpeg(fake, monkeypatch):
    fake.pcm(_clip(4 * A.BLOCK))
    fake.probe(out="60.0\n")
    monkeypatch.setenv("FAKE_SLEEP", "30")
    src = A.FFmpegSource("clip.m4a", fake.ffmpeg)
    src._peak = 1.0  # as after a first pass: blocks() streams straight from ffmpeg
    it = src.blocks()
    assert len(next(it)) > 0
    it.close()  # the caller stops (cancel, or the windows it needed are done)
    pid = int((fake.tmp / "pid").read_text())
    deadline = time.time() + 5
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("ffmpeg still runs after the reader stopped")


def test_open_audio_falls_back_to_ffmpeg_then_says_why_it_could_not(fake, monkeypatch):
    x = _clip()
    fake.pcm(x)
    p = fake.tmp / "clip.m4a"
    p.write_bytes(b"not a file libsndfile reads")
    src = A.open_audio(str(p))
    assert type(src).__name__ == "FFmpegSource"
    assert np.array_equal(src.load().samples, x)
    monkeypatch.setenv("FAKE_RC", "1")
    monkeypatch.setenv("FAKE_ERR", "clip.m4a: moov atom not found\n")
    monkeypatch.setitem(sys.modules, "aud", None)
    with pytest.raises(AudioError) as e:
        A.open_audio(str(p))
    details = str(e.value).split(" Details: ", 1)[1].split("; ")
    assert details[0].startswith("soundfile: ") and details[1] == "ffmpeg: clip.m4a: moov atom not found"
    assert len(details) == 2  # no aud module outside Blender: nothing to say about it


# ---------------------------------------------------------------- Blender's aud, the last reader of open_audio
def _aud(monkeypatch, data, fail=None):
    calls = []

    class Sound:
        def __init__(self, path):
            calls.append(("open", path))
            if fail:
                raise RuntimeError(fail)

        @property
        def specs(self):
            return (44100, 2)

        def rechannel(self, n):
            calls.append(("rechannel", n))
            return self

        def resample(self, rate, high_quality):
            calls.append(("resample", rate, high_quality))
            return self

        def data(self):
            return data

    monkeypatch.setitem(sys.modules, "aud", types.SimpleNamespace(Sound=Sound))
    return calls


def test_open_audio_reads_through_blenders_aud_when_nothing_else_can(tmp_path, monkeypatch):
    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, path=None: None if name == "ffmpeg" else real_which(name, path))
    p = tmp_path / "clip.m4a"
    p.write_bytes(b"only Blender reads this")
    calls = _aud(monkeypatch, np.full((1600, 1), 0.25, np.float32))
    src = A.open_audio(str(p))
    assert calls == [("open", str(p)), ("rechannel", 1), ("resample", INTERNAL_RATE, False)]
    assert type(src).__name__ == "ArraySource" and src.source == str(p) and src.n_samples == 1600
    assert np.array_equal(src.load().samples, np.full(1600, 0.25, np.float32))
    _aud(monkeypatch, np.linspace(-2.5, 2.0, 1600, dtype=np.float32).reshape(-1, 1))  # over full scale
    y = A.open_audio(str(p)).load().samples
    assert np.allclose(y, np.linspace(-2.5, 2.0, 1600) / 2.5, atol=1e-6)
    _aud(monkeypatch, np.zeros((0, 1), np.float32))
    with pytest.raises(AudioError, match="^Could not read clip.m4a as audio .* aud: no audio stream$"):
        A.open_audio(str(p))
    _aud(monkeypatch, None, fail="AUD_Sound: file could not be read")
    with pytest.raises(AudioError) as e:
        A.open_audio(str(p))
    assert str(e.value).endswith("; aud: AUD_Sound: file could not be read")
    assert "Details: soundfile: " in str(e.value)


# ---------------------------------------------------------------- the resampling stream without scipy
@pytest.fixture
def no_scipy(monkeypatch):
    real_import = builtins.__import__

    def imp(name, *args, **kw):
        if name.startswith("scipy"):
            raise ImportError(name)
        return real_import(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", imp)


def _split(x, sizes):
    out, i = [], 0
    for s in sizes:
        out.append(x[i: i + s])
        i += s
    out.append(x[i:])
    return out


@pytest.mark.parametrize("sr", [48000, 44100, 22050, 8000, 24000])
@pytest.mark.parametrize("sizes", [[1, 1, 3, 1000, 0, 7], [A.BLOCK, A.BLOCK], [5000] * 9, [2]])
def test_linear_stream_equals_linear_resample_of_the_whole(no_scipy, sr, sizes):
    rng = np.random.default_rng(sr)
    x = rng.standard_normal(sum(sizes) + 3001).astype(np.float32)
    whole = A.resample(x, sr, INTERNAL_RATE)
    got = np.concatenate(list(A._resample_stream(iter(_split(x, sizes)), sr, INTERNAL_RATE)))
    assert len(got) == len(whole) == A._resampled_length(len(x), sr, INTERNAL_RATE)
    np.testing.assert_allclose(got, whole, rtol=0, atol=2e-6)


def test_linear_stream_of_a_short_clip(no_scipy):
    x = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0], np.float32)
    got = np.concatenate(list(A._resample_stream(iter([x[:1], x[1:4], x[4:]]), 48000, 16000)))
    assert np.array_equal(got, [0.0, 3.0])
    up = np.concatenate(list(A._resample_stream(iter([x[:2], x[2:]]), 8000, 16000)))
    assert np.array_equal(up, [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.0])
    assert A._resampled_length(6, 48000, 16000) == 2 and A._resampled_length(6, 8000, 16000) == 12


@pytest.mark.parametrize("sr", [48000, 44100, 22050, 8000, 11025, 96000])
def test_polyphase_stream_over_odd_blocks_equals_resample(sr):
    rng = np.random.default_rng(sr + 1)
    x = rng.standard_normal(int(sr * 2.3)).astype(np.float32)
    sizes = [1, 2, 999, 17, A.BLOCK + 3, 0, 4000]
    got = np.concatenate(list(A._resample_stream(iter(_split(x, sizes)), sr, INTERNAL_RATE)))
    whole = A.resample(x, sr, INTERNAL_RATE)
    assert len(got) == len(whole) == A._resampled_length(len(x), sr, INTERNAL_RATE)
    np.testing.assert_allclose(got, whole, rtol=0, atol=1e-6)


def test_same_rate_stream_passes_blocks_through():
    blocks = [np.arange(5, dtype=np.float64), np.arange(3, dtype=np.float32)]
    got = list(A._resample_stream(iter(blocks), 16000, 16000))
    assert [g.dtype for g in got] == [np.float32, np.float32] and np.array_equal(np.concatenate(got),
                                                                               [0, 1, 2, 3, 4, 0, 1, 2])
    with pytest.raises(AudioError, match=r"^Invalid sample rate 0 Hz in the audio file; re-export it at 16, 44\.1"):
        list(A._resample_stream(iter(blocks), 0, 16000))
    slow = np.concatenate(list(A._resample_stream(iter([np.ones(3, np.float32)]), 1, 2)))  # 1 Hz is a rate
    assert len(slow) == 6


def test_rms_envelope_below_one_sample_per_hop_is_one_value_per_sample():
    # 50 Hz: a 10 ms hop is half a sample and the 25 ms window rounds to one sample: each frame is one sample
    x = np.array([0.0, 1.0, -2.0, 3.0, 0.0, 0.0, 0.5], np.float32)
    assert A.rms_envelope(Audio(x, 50)).tolist() == np.abs(x).tolist()


# ---------------------------------------------------------------- resampling and frame loudness edges
def test_resample_of_one_sample_and_of_none():
    assert len(A.resample(np.array([0.5], np.float32), 16000, 48000)) == 3  # one sample is audio: 3x as many
    empty = A.resample(np.zeros(0, np.float64), 48000, 16000)
    assert empty.dtype == np.float32 and empty.shape == (0,)
    same = A.resample(np.array([0.1, -0.2], np.float64), 16000, 16000)
    assert same.dtype == np.float32 and same.tolist() == np.array([0.1, -0.2], np.float32).tolist()


def _rms_by_hand(x, i, hop, win):
    """Frame i: the window [i*hop - win//2, +win) of the clip, zeros outside it, as RMS over the window."""
    a = i * hop - win // 2
    seg = [float(x[k]) if 0 <= k < len(x) else 0.0 for k in range(a, a + win)]
    return float(np.sqrt(sum(v * v for v in seg) / win))


def test_frame_rms_of_single_frames_by_hand():
    rng = np.random.default_rng(5)
    x = rng.standard_normal(2000).astype(np.float32)
    x[0] = 40.0  # the first sample is read by frame 0 (its window starts before the clip)
    for i in (0, 1, 3, 11, 12):
        got = A.frame_rms(x, 0, i, 1, len(x), 160, 400)
        assert got.shape == (1,) and got[0] == pytest.approx(_rms_by_hand(x, i, 160, 400), rel=1e-5), i
    many = A.frame_rms(x, 0, 2, 5, len(x), 160, 400)
    assert many == pytest.approx([_rms_by_hand(x, i, 160, 400) for i in range(2, 7)], rel=1e-5)
    # a window shorter than the hop (frames leave samples out) and no frames at all
    assert A.frame_rms(x, 0, 0, 0, len(x), 160, 100).shape == (0,)
    assert A.frame_rms(x, 0, 4, 2, len(x), 160, 100) == pytest.approx(
        [_rms_by_hand(x, i, 160, 100) for i in (4, 5)], rel=1e-5)


def test_frame_rms_needs_exactly_the_samples_its_frames_read():
    rng = np.random.default_rng(6)
    x = rng.standard_normal(3000).astype(np.float32)
    # frames 5..7 read samples 5*160-200 = 600 .. 7*160-200+400 = 1320
    part = x[600:1320]
    got = A.frame_rms(part, 600, 5, 3, len(x), 160, 400)
    assert got == pytest.approx([_rms_by_hand(x, i, 160, 400) for i in (5, 6, 7)], rel=1e-5)
    with pytest.raises(ValueError, match=r"^frames 5\.\.8 read samples 600\.\.1320, outside the given 601\.\.1320$"):
        A.frame_rms(x[601:1320], 601, 5, 3, len(x), 160, 400)  # one sample short at the start
    with pytest.raises(ValueError, match=r"^frames 5\.\.8 read samples 600\.\.1320, outside the given 600\.\.1319$"):
        A.frame_rms(x[600:1319], 600, 5, 3, len(x), 160, 400)  # one sample short at the end


def test_resample_without_scipy_of_nothing_and_at_one_rate(no_scipy):
    empty = A.resample(np.zeros(0, np.float32), 48000, 16000)  # np.interp refuses empty sample points
    assert empty.dtype == np.float32 and empty.shape == (0,)
    x = np.array([0.1, -0.2, 0.3], np.float64)
    assert A.resample(x, 16000, 16000).tolist() == x.astype(np.float32).tolist()
    assert len(A.resample(x, 16000, 48000)) == 9


def test_a_source_without_blocks_loads_as_no_samples():
    class Nothing(A.AudioSource):
        def blocks(self):
            return iter(())

    src = Nothing("none.wav", 100, False)  # a header that promised 100 samples
    got = src.load()
    assert got.samples.shape == (0,) and got.samples.dtype == np.float32 and got.source == "none.wav"
    assert (src.n_samples, src.exact) == (0, True)  # what was read is now the exact length
