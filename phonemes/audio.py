"""Audio in: any common file (WAV, FLAC, OGG/Opus, MP3, AIFF, ...) -> mono 16 kHz float32.

soundfile (libsndfile) reads the file; when it cannot (an unusual container,
or inside Blender without soundfile) we fall back to ffmpeg on the PATH, then
to Blender's own ``aud`` module. Resampling is a polyphase filter (scipy) or,
without scipy, linear interpolation.

Two ways in:

- :func:`load_audio` reads a whole clip into an :class:`~.types.Audio` (a dialogue line);
- :func:`open_audio` gives an :class:`AudioSource`: the same samples, decoded and resampled
  block by block, so a two-hour track never sits in memory at its file rate. A stage that
  takes ``Audio`` takes a long clip as ``AudioSource.windows(...)`` (overlapping
  :class:`AudioWindow` s, each an ``Audio`` plus where it lies in the clip); see
  ``phonemes.chunked`` for how the analysis stitches windows back together.
"""
from __future__ import annotations

import math
import os
import shutil
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Iterator

import numpy as np

from .types import INTERNAL_RATE, Audio
from ..errors import AudioError


def _check_file(path: str) -> None:
    if not os.path.exists(path):
        raise AudioError(f"Audio file not found: {path}. Check the path (or the sound strip's file) and try again.")
    if os.path.isdir(path):
        raise AudioError(f"{path} is a folder, not an audio file.")
    if os.path.getsize(path) == 0:
        raise AudioError(f"Audio file is empty (0 bytes): {path}. Re-export the dialogue and try again.")


def _unreadable(path: str, errors: list[str]) -> AudioError:
    return AudioError(
        f"Could not read {os.path.basename(path)} as audio (corrupt or unsupported format). "
        f"Convert it to WAV or FLAC (e.g. `ffmpeg -i INPUT output.wav`) and try again."
        + (f" Details: {'; '.join(errors)}" if errors else ""))


def _no_samples(path: str) -> AudioError:
    return AudioError(f"Audio file has no samples: {path}. Re-export the dialogue and try again.")


def _mono(data) -> np.ndarray:
    """[n] or [n, channels] -> mono float32 with non-finite values replaced (before any scaling)."""
    data = np.asarray(data, dtype=np.float32)
    if data.ndim == 2:
        data = data.mean(axis=1) if data.shape[1] > 0 else np.zeros(0, np.float32)
    if not np.all(np.isfinite(data)):
        data = np.nan_to_num(data, nan=0.0, posinf=1.0, neginf=-1.0)
    return data


def load_audio(path: str, rate: int = INTERNAL_RATE) -> Audio:
    """Read ``path`` as mono float32 at ``rate`` Hz.

    Raises AudioError with an actionable message when the file is missing,
    unreadable, corrupt or empty. Silence is valid and returned as is.
    """
    path = os.fspath(path)
    _check_file(path)
    errors = []
    data = sr = None
    for reader in (_read_soundfile, _read_ffmpeg, _read_aud):
        try:
            res = reader(path)
        except Exception as exc:  # each reader fails in its own way; keep the reasons
            errors.append(f"{reader.__name__[6:]}: {exc}")
            continue
        if res is not None:
            data, sr = res
            break
    if data is None:
        raise _unreadable(path, errors)
    data = _mono(data)
    if data.size == 0:
        raise _no_samples(path)
    peak = float(np.max(np.abs(data))) if data.size else 0.0
    if peak > 1.0:  # integer or unnormalised float data
        data = data / peak
    return Audio(resample(data, int(sr), rate), rate, path)


def from_array(samples, sample_rate: int, rate: int = INTERNAL_RATE, source: str = "") -> Audio:
    """Wrap samples already in memory (mono or [n, channels]) as internal-rate Audio."""
    x = np.asarray(samples, dtype=np.float32)
    if x.ndim == 2:
        x = x.mean(axis=1)
    if sample_rate <= 0:
        raise AudioError(f"Invalid sample rate {sample_rate}.")
    return Audio(resample(x, int(sample_rate), rate), rate, source)


def resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    if sr_in <= 0:
        raise AudioError(f"Invalid sample rate {sr_in} Hz in the audio file; re-export it at 16, 44.1 or 48 kHz.")
    if sr_in == sr_out or x.size == 0:
        return x.astype(np.float32, copy=False)
    frac = Fraction(sr_out, sr_in).limit_denominator(1000)
    try:
        from scipy.signal import resample_poly

        y = resample_poly(x, frac.numerator, frac.denominator)
    except ImportError:
        n_out = int(round(len(x) * sr_out / sr_in))
        y = np.interp(np.arange(n_out) * (sr_in / sr_out), np.arange(len(x)), x)
    return y.astype(np.float32)


def _read_soundfile(path):
    import soundfile as sf

    data, sr = sf.read(path, dtype="float32", always_2d=True)
    return data, sr


def _read_ffmpeg(path):
    exe = shutil.which("ffmpeg")
    if exe is None:
        return None
    proc = subprocess.run(
        [exe, "-v", "error", "-nostdin", "-i", path, "-f", "f32le", "-ac", "1", "-ar", str(INTERNAL_RATE), "-"],
        capture_output=True, timeout=600,
    )
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RuntimeError(lines[-1] if lines else "ffmpeg failed")
    data = np.frombuffer(proc.stdout, dtype=np.float32)
    if data.size == 0:
        raise RuntimeError("no audio stream")
    return data, INTERNAL_RATE


def _read_aud(path):
    try:
        import aud  # Blender's audio module (ffmpeg inside Blender)
    except ImportError:
        return None
    src = aud.Sound(path)
    src.specs  # raises aud.error on an unreadable file (data() would abort the process instead)
    snd = src.rechannel(1).resample(INTERNAL_RATE, False)
    data = np.asarray(snd.data(), dtype=np.float32).reshape(-1)
    if data.size == 0:
        raise RuntimeError("no audio stream")
    return data, INTERNAL_RATE


def rms_envelope(audio: Audio, hop: float = 0.01, win: float = 0.025) -> np.ndarray:
    """Frame-level RMS loudness (linear), one value per ``hop`` seconds."""
    sr = audio.sample_rate
    h = max(1, int(round(hop * sr)))
    w = max(h, int(round(win * sr)))
    x = audio.samples
    n = int(np.ceil(len(x) / h)) if len(x) else 0
    return frame_rms(x, 0, 0, n, len(x), h, w)


def frame_rms(samples: np.ndarray, start: int, first: int, count: int, n_total: int, hop: int = 160,
              win: int = 400) -> np.ndarray:
    """Frames ``first .. first + count - 1`` of :func:`rms_envelope` (hop and window in samples) of a clip
    of ``n_total`` samples, computed from ``samples`` = the clip's samples from index ``start`` on, which
    must hold every sample of the clip those frames read (frame i reads ``[i*hop - win//2, +win)``)."""
    if count <= 0:
        return np.zeros(0, np.float32)
    lo = first * hop - win // 2
    hi = (first + count - 1) * hop - win // 2 + win
    a, b = max(lo, 0), min(hi, n_total)
    if a < start or b > start + len(samples):
        raise ValueError(f"frames {first}..{first + count} read samples {a}..{b}, outside the given "
                         f"{start}..{start + len(samples)}")
    seg = np.zeros(hi - lo, np.float64)
    if b > a:
        seg[a - lo: b - lo] = samples[a - start: b - start]
    c = np.concatenate([[0.0], np.cumsum(seg ** 2)])
    s = np.arange(count) * hop
    e = (c[s + win] - c[s]) / win
    return np.sqrt(np.maximum(e, 0)).astype(np.float32)


# ---------------------------------------------------------------- long clips, block by block
BLOCK = 1 << 16  # samples per block read from a file (about 1.4 s at 48 kHz)


@dataclass(frozen=True)
class AudioWindow:
    """One window of a long clip: its samples as an ``Audio`` and where they lie in the clip.

    ``start`` is the clip sample index of ``audio.samples[0]``; ``at_end`` is True when the window
    reaches the end of the clip (then ``start + len(audio.samples)`` is the clip's exact length).
    Windows of one clip share ``clip``: a dict a stage may keep per-clip values in (e.g. the
    network's padding value, fixed by the first window)."""

    audio: Audio
    start: int
    index: int
    at_end: bool
    clip: dict

    @property
    def stop(self) -> int:
        return self.start + len(self.audio.samples)

    @property
    def offset(self) -> float:
        return self.start / float(self.audio.sample_rate)


class AudioSource:
    """A clip read block by block, mono float32 at ``rate`` (16 kHz): the same samples as
    :func:`load_audio`, without holding the file (or even the 16 kHz clip) in memory.

    - :meth:`blocks` yields consecutive blocks covering the clip once; their concatenation equals
      ``load_audio(path).samples`` (the resampling filter sees the same neighbours around every
      output sample, and the peak scaling of over-full-scale float files is found by a first pass);
    - :meth:`windows` yields overlapping :class:`AudioWindow` s for spans the caller chooses (any
      stage that takes ``Audio`` can run window by window; ``phonemes.chunked`` stitches results);
    - :meth:`load` reads the whole clip as ``Audio`` (what a short line needs);
    - ``duration`` comes from the file's header until the clip has been read to its end, then it is
      exact (``exact`` says which).

    Build one with :func:`open_audio` (a file) or :class:`ArraySource` (samples in memory).
    """

    rate = INTERNAL_RATE

    def __init__(self, source: str, n_samples: int, exact: bool):
        self.source = source
        self.n_samples = int(n_samples)
        self.exact = bool(exact)

    @property
    def duration(self) -> float:
        return self.n_samples / float(self.rate)

    def blocks(self) -> Iterator[np.ndarray]:
        raise NotImplementedError

    def load(self) -> Audio:
        parts = list(self.blocks())
        x = np.concatenate(parts) if parts else np.zeros(0, np.float32)
        self.n_samples, self.exact = len(x), True
        return Audio(x, self.rate, self.source)

    def windows(self, span: Callable[[int], tuple[int, int]]) -> Iterator[AudioWindow]:
        """Windows ``k = 0, 1, ...`` covering samples ``span(k) = (start, stop)`` (clipped to the clip);
        starts and stops must not decrease. Ends after the window that reaches the clip's end. Only the
        samples from the next window's start on are kept between windows."""
        it = self.blocks()
        buf, b0, eof, k, clip = np.zeros(0, np.float32), 0, False, 0, {}
        try:
            while True:
                a, b = span(k)
                if a < b0:
                    raise ValueError(f"window {k} starts at {a}, before the previous window's next start {b0}")
                while not eof and b0 + len(buf) <= b:
                    nxt = next(it, None)
                    if nxt is None:
                        eof = True
                    elif len(nxt):
                        buf = np.concatenate([buf, nxt])
                end = b0 + len(buf)
                at_end = eof and end <= b
                if at_end:
                    self.n_samples, self.exact = end, True
                if a >= end and k > 0:
                    return
                yield AudioWindow(Audio(buf[a - b0: min(b, end) - b0].copy(), self.rate, self.source), a, k,
                                  at_end, clip)
                if at_end:
                    return
                k += 1
                drop = min(span(k)[0], end) - b0
                if drop > 0:
                    buf, b0 = buf[drop:], b0 + drop
        finally:
            it.close()


class ArraySource(AudioSource):
    """An ``Audio`` already in memory as an AudioSource (resampled to 16 kHz when it is not)."""

    def __init__(self, audio: Audio):
        x = np.asarray(audio.samples, dtype=np.float32).reshape(-1)
        if audio.sample_rate != INTERNAL_RATE:
            x = resample(x, int(audio.sample_rate), INTERNAL_RATE)
        self._x = x
        super().__init__(audio.source, len(x), True)

    def blocks(self):
        for i in range(0, len(self._x), BLOCK):
            yield self._x[i: i + BLOCK]

    def load(self) -> Audio:
        return Audio(self._x, self.rate, self.source)


# libsndfile subtypes whose float samples cannot exceed full scale (integer PCM and codecs of it)
_BOUNDED = ("PCM_", "ULAW", "ALAW", "ALAC", "DPCM", "DWVW", "IMA_ADPCM", "MS_ADPCM", "GSM610", "G72", "NMS_ADPCM",
            "VOX_ADPCM")


class SoundFileSource(AudioSource):
    """A file libsndfile reads (WAV, FLAC, OGG/Opus, MP3, AIFF, ...), decoded and resampled in blocks."""

    def __init__(self, path: str):
        import soundfile as sf

        info = sf.info(path)
        if info.frames <= 0:
            raise _no_samples(path)
        self.path, self.sr_in, self.subtype = path, int(info.samplerate), str(info.subtype)
        if self.sr_in <= 0:
            raise AudioError(f"Invalid sample rate {self.sr_in} Hz in {path}; re-export it at 16, 44.1 or 48 kHz.")
        self._peak = None if not self.subtype.startswith(_BOUNDED) else 1.0
        n = _resampled_length(int(info.frames), self.sr_in, INTERNAL_RATE)
        super().__init__(path, n, exact=self.subtype.startswith(("PCM_", "FLOAT", "DOUBLE")))

    def _raw(self) -> Iterator[np.ndarray]:
        import soundfile as sf

        with sf.SoundFile(self.path) as f:
            while True:
                d = f.read(BLOCK, dtype="float32", always_2d=True)
                if not len(d):
                    return
                yield _mono(d)

    def blocks(self):
        if self._peak is None:  # a first pass finds the peak, as load_audio scales by it
            n, peak = 0, 0.0
            for d in self._raw():
                n += len(d)
                peak = max(peak, float(np.max(np.abs(d))))
            if n == 0:
                raise _no_samples(self.path)
            self._peak = peak
            self.n_samples, self.exact = _resampled_length(n, self.sr_in, INTERNAL_RATE), True
        raw = self._raw()
        if self._peak > 1.0:
            raw = (d / self._peak for d in raw)
        return _resample_stream(raw, self.sr_in, INTERNAL_RATE)


class FFmpegSource(AudioSource):
    """A file only ffmpeg reads (AAC/M4A, video containers, ...): ffmpeg decodes it to 16 kHz mono through
    a pipe, block by block. The duration comes from ffprobe; a first pass over the file (when it is
    read) finds the exact length and the peak (as load_audio scales by it)."""

    def __init__(self, path: str, exe: str):
        self.path, self.exe = path, exe
        super().__init__(path, 0, False)
        self._peak = None
        seconds = _probe_seconds(path, exe)
        if seconds is None:
            self._scan()
        else:
            self.n_samples = int(round(seconds * INTERNAL_RATE))

    def _raw(self) -> Iterator[np.ndarray]:
        import tempfile

        with tempfile.TemporaryFile() as err:
            proc = subprocess.Popen([self.exe, "-v", "error", "-nostdin", "-i", self.path, "-f", "f32le", "-ac", "1",
                                     "-ar", str(INTERNAL_RATE), "-"], stdout=subprocess.PIPE, stderr=err)
            rest = b""
            try:
                while True:
                    chunk = proc.stdout.read(4 * BLOCK)
                    if not chunk:
                        break
                    chunk = rest + chunk
                    n = len(chunk) // 4 * 4
                    rest = chunk[n:]
                    yield _mono(np.frombuffer(chunk[:n], dtype=np.float32))
                rc = proc.wait()
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                proc.stdout.close()
            if rc != 0:
                err.seek(0)
                lines = err.read().decode("utf-8", "replace").strip().splitlines()
                raise RuntimeError(lines[-1] if lines else "ffmpeg failed")

    def _scan(self):
        n, peak = 0, 0.0
        for d in self._raw():
            n += len(d)
            if len(d):
                peak = max(peak, float(np.max(np.abs(d))))
        if n == 0:
            raise RuntimeError("no audio stream")
        self._peak, self.n_samples, self.exact = peak, n, True

    def blocks(self):
        if self._peak is None:
            self._scan()
        if self._peak > 1.0:
            return (d / self._peak for d in self._raw())
        return self._raw()


def _probe_seconds(path: str, ffmpeg: str) -> float | None:
    """The first audio stream's duration by ffprobe (beside ffmpeg); None when ffprobe is not there.
    Raises RuntimeError when ffprobe finds no audio stream or cannot read the file."""
    exe = shutil.which("ffprobe") or shutil.which("ffprobe", path=os.path.dirname(ffmpeg))
    if exe is None:
        return None
    proc = subprocess.run([exe, "-v", "error", "-select_streams", "a:0", "-show_entries",
                           "stream=duration:format=duration", "-of", "default=noprint_wrappers=1:nokey=1", path],
                          capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        raise RuntimeError(lines[-1] if lines else "ffprobe failed")
    vals = []
    for line in proc.stdout.split():
        try:
            vals.append(float(line))
        except ValueError:
            continue
    if not proc.stdout.strip():
        raise RuntimeError("no audio stream")
    return vals[0] if vals else None


def open_audio(path: str) -> AudioSource:
    """An :class:`AudioSource` for ``path`` (soundfile, else ffmpeg, else Blender's ``aud`` reading it whole).

    Raises AudioError, as :func:`load_audio` does, when the file is missing, unreadable or empty."""
    path = os.fspath(path)
    _check_file(path)
    errors = []
    try:
        return SoundFileSource(path)
    except AudioError:
        raise
    except Exception as exc:  # ImportError, or libsndfile cannot read this format
        errors.append(f"soundfile: {exc}")
    exe = shutil.which("ffmpeg")
    if exe is not None:
        try:
            return FFmpegSource(path, exe)
        except Exception as exc:
            errors.append(f"ffmpeg: {exc}")
    try:
        res = _read_aud(path)
    except Exception as exc:
        errors.append(f"aud: {exc}")
        res = None
    if res is None:
        raise _unreadable(path, errors)
    data = _mono(res[0])
    if data.size == 0:
        raise _no_samples(path)
    peak = float(np.max(np.abs(data)))
    return ArraySource(Audio(data / peak if peak > 1.0 else data, INTERNAL_RATE, path))


def _resampled_length(n_in: int, sr_in: int, sr_out: int) -> int:
    """How many samples resample() gives for ``n_in`` input samples."""
    if sr_in == sr_out:
        return n_in
    try:
        import scipy.signal  # noqa: F401
    except ImportError:
        return int(round(n_in * sr_out / sr_in))
    frac = Fraction(sr_out, sr_in).limit_denominator(1000)
    return -(-n_in * frac.numerator // frac.denominator)


def _resample_stream(blocks: Iterator[np.ndarray], sr_in: int, sr_out: int) -> Iterator[np.ndarray]:
    """:func:`resample` over consecutive blocks: the concatenated output equals ``resample`` of the
    concatenated input. Each output block is computed from its input plus a margin on both sides wider
    than the polyphase filter, starting on an input sample that maps to a whole output sample."""
    if sr_in <= 0:
        raise AudioError(f"Invalid sample rate {sr_in} Hz in the audio file; re-export it at 16, 44.1 or 48 kHz.")
    if sr_in == sr_out:
        for b in blocks:
            yield b.astype(np.float32, copy=False)
        return
    try:
        from scipy.signal import resample_poly
    except ImportError:
        yield from _interp_stream(blocks, sr_in, sr_out)
        return
    frac = Fraction(sr_out, sr_in).limit_denominator(1000)
    up, down = frac.numerator, frac.denominator
    half = 10 * max(up, down)  # resample_poly's filter half-length, in upsampled samples
    pad = down * (half // (up * down) + 2)  # input samples either side: beyond the filter, a multiple of down
    step = down * max(1, BLOCK // down)
    o = pad * up // down
    buf = np.zeros(pad, np.float32)  # input from (next output's input position - pad); zeros before the clip
    for b in blocks:
        buf = np.concatenate([buf, np.asarray(b, np.float32)])
        while len(buf) >= 2 * pad + step:
            y = resample_poly(buf[: 2 * pad + step], up, down)
            yield y[o: o + step * up // down].astype(np.float32)
            buf = buf[step:]
    rest = len(buf) - pad
    if rest > 0:
        y = resample_poly(buf, up, down)
        yield y[o: o + -(-rest * up // down)].astype(np.float32)


def _interp_stream(blocks, sr_in: int, sr_out: int):
    """Linear interpolation (``resample`` without scipy) over consecutive blocks."""
    ratio = sr_in / sr_out
    buf, b0, m, n_in = np.zeros(0, np.float32), 0, 0, 0
    for b in blocks:
        buf = np.concatenate([buf, np.asarray(b, np.float32)])
        n_in += len(b)
        last = b0 + len(buf) - 1
        m_end = int(math.floor((last - 1) / ratio)) + 1 if last >= 1 else 0
        if m_end > m:
            pos = np.arange(m, m_end) * ratio
            yield np.interp(pos, b0 + np.arange(len(buf)), buf).astype(np.float32)
            m = m_end
        drop = int(math.floor(m * ratio)) - 1 - b0
        if drop > 0:
            buf, b0 = buf[drop:], b0 + drop
    n_out = int(round(n_in * sr_out / sr_in))
    if n_out > m and len(buf):
        pos = np.arange(m, n_out) * ratio
        yield np.interp(pos, b0 + np.arange(len(buf)), buf).astype(np.float32)
