"""Long clips window by window: bounded memory at any length, the whole clip's result away from seams.

A clip longer than ``chunk + overlap`` seconds is analysed in windows. Window k owns the ``chunk``
seconds from ``k * chunk`` on (its *core*), decodes ``overlap`` more seconds on each side (warm-up
and look-ahead) and reads what its recogniser needs around those frames
(``Recognizer.chunk_context``: the model's 1 s of network context; the model's windows also start on
its 10 s network chunks, ``Recognizer.chunk_grid``, so its posteriors are the whole clip's). Only one
window's audio and posteriors are in memory at a time, plus the clip's phones and its per-frame mouth
controls and loudness (a few floats per 10 ms).

**Without a transcript** every window is decoded on its own and two consecutive windows are joined in
their overlap, within ``overlap / 2`` of the seam between their cores (:func:`join`): at a phone both
found identically (where the two decodings agree they agree with the whole clip's), else at a moment
where both hear the same phone (that phone runs from the first window's start to the second's end),
else at the first window's boundary nearest the seam (the second's phone there starts at it). A phone
is never split in two or doubled at a seam.

**With a transcript**, window k aligns the words not yet placed from where window k-1 stopped,
open-ended, and keeps the alignment up to a cut within ``overlap / 2`` of the end of its core: the
middle of a pause if there is one, else a word boundary, else a phone boundary; window k+1 starts
there with what is left of the transcript. The last window must place every remaining word (as a
whole-clip alignment must). Posterior recognisers (model, fused) align over their own posteriors and
refine each final stretch (``PosteriorRecognizer.finish_segment``: fused runs pocketsphinx there);
the others (pocketsphinx, allosaurus) find the cut with an alignment over posteriors made from their
free phone recognition of the window (:func:`pseudo_posteriors`), then align each stretch's words over
its audio with their own aligner (cuts fall between words for them).

bpy-free; :func:`analyze_long` is what ``pipeline.analyze`` runs for a long clip.
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..errors import AlignmentError
from .audio import AudioSource, AudioWindow, frame_rms
from .types import FRAME_HOP, INTERNAL_RATE, SIL, Audio, FramePosteriors, PhoneTrack, TimedPhone, TimedWord

DEFAULT_CHUNK = 120.0  # seconds of core per window
DEFAULT_OVERLAP = 10.0  # seconds decoded beyond the core on each side
HOP_SAMPLES = int(round(FRAME_HOP * INTERNAL_RATE))
MIN_PAUSE = 6  # frames: a pause this long is where a transcript alignment is cut


@dataclass(frozen=True)
class Plan:
    """Window layout in 10 ms frames (``context`` in samples)."""

    chunk: int
    overlap: int
    context: int

    def frames(self, k: int) -> tuple[int, int]:
        return max(0, k * self.chunk - self.overlap), (k + 1) * self.chunk + self.overlap

    def span(self, k: int) -> tuple[int, int]:
        f0, f1 = self.frames(k)
        return max(0, f0 * HOP_SAMPLES - self.context), f1 * HOP_SAMPLES + self.context


def make_plan(rec, chunk: float = DEFAULT_CHUNK, overlap: float = DEFAULT_OVERLAP) -> Plan:
    """Window sizes for ``rec``: rounded up to its ``chunk_grid``; the core at least twice the overlap."""
    grid = max(1, int(round(float(rec.chunk_grid) / FRAME_HOP)))
    ov = grid * math.ceil(max(float(overlap), FRAME_HOP) / FRAME_HOP / grid)
    ch = grid * math.ceil(max(float(chunk) / FRAME_HOP, 2 * ov) / grid)
    return Plan(ch, ov, int(math.ceil(float(rec.chunk_context) * INTERNAL_RATE)))


def needs_chunking(duration: float, chunk: float = DEFAULT_CHUNK, overlap: float = DEFAULT_OVERLAP) -> bool:
    return duration > chunk + overlap


@dataclass
class LongAnalysis:
    phones: PhoneTrack
    controls: np.ndarray | None  # [T, C] over the whole clip (posterior recognisers), else None
    control_names: tuple[str, ...]
    rms: np.ndarray  # [T] frame loudness (``audio.rms_envelope``) over the whole clip
    windows: int = 0


# ---------------------------------------------------------------- joining free decodings
def _key(p: TimedPhone) -> tuple:
    return (p.phone, round(p.start, 6), round(p.end, 6))


def _at(phones: list[TimedPhone], starts: list[float], t: float) -> int:
    """Index of the phone of ``phones`` (contiguous, sorted) that contains time ``t``."""
    return max(0, min(len(phones) - 1, bisect.bisect_right(starts, t) - 1))


def join(a: list[TimedPhone], b: list[TimedPhone], lo: float, hi: float, seam: float):
    """Join two decodings of overlapping windows (``a`` earlier) inside ``[lo, hi]``, nearest ``seam``.
    Returns (phones of ``a`` to keep, phones of ``b`` that follow them); see the module docstring."""
    if not a:
        return [], list(b)
    if not b:
        return list(a), []
    index = {_key(q): j for j, q in enumerate(b)}
    best = None
    for i, p in enumerate(a):  # 1. a phone both found identically
        if p.start >= lo and p.end <= hi and _key(p) in index:
            d = abs(0.5 * (p.start + p.end) - seam)
            if best is None or d < best[0]:
                best = (d, i, index[_key(p)])
    if best is not None:
        _, i, j = best
        return a[: i + 1], b[j + 1:]
    starts = [q.start for q in b]
    for i, p in enumerate(a):  # 2. a moment both hear the same phone
        s, e = max(p.start, lo), min(p.end, hi)
        if e <= s:
            continue
        t = 0.5 * (s + e)
        j = _at(b, starts, t)
        if b[j].phone == p.phone:
            d = abs(t - seam)
            if best is None or d < best[0]:
                best = (d, i, j)
    if best is not None:
        _, i, j = best
        p, q = a[i], b[j]
        merged = TimedPhone(p.start, q.end, p.phone, min(p.confidence, q.confidence), p.word or q.word)
        return a[:i] + [merged], b[j + 1:]
    # 3. the first window's boundary nearest the seam; the second's phone there starts at it
    ends = [p.end for p in a[:-1] if lo <= p.end <= hi] or [min((p.end for p in a[:-1]), default=a[0].end,
                                                                  key=lambda t: abs(t - seam))]
    t = min(ends, key=lambda x: abs(x - seam))
    kept = [p for p in a if p.end <= t + 1e-9]
    j = _at(b, starts, t)
    q = b[j]
    rest = b[j + 1:]
    if q.end - t >= 0.02 and q.end > t:
        rest = [TimedPhone(t, q.end, q.phone, q.confidence, q.word)] + rest
    elif kept:
        kept[-1] = TimedPhone(kept[-1].start, q.end, kept[-1].phone, kept[-1].confidence, kept[-1].word)
    if kept and rest and kept[-1].phone == rest[0].phone:
        kept[-1] = TimedPhone(kept[-1].start, rest[0].end, kept[-1].phone,
                              min(kept[-1].confidence, rest[0].confidence), kept[-1].word)
        rest = rest[1:]
    return kept, rest


def _shift(track: PhoneTrack, dt: float) -> list[TimedPhone]:
    return [TimedPhone(p.start + dt, p.end + dt, p.phone, p.confidence, p.word) for p in track.phones]


# ---------------------------------------------------------------- transcript alignment helpers
def pseudo_posteriors(track: PhoneTrack, n_frames: int, hop: float = FRAME_HOP, sharpness: float = 6.0,
                      source: str = "") -> FramePosteriors:
    """Frame posteriors made from a phone recognition: each frame favours its recognised phone and, less,
    the phones that sound like it (articulatory similarity), so a transcript can be aligned over a
    recogniser's phones where its own posteriors are not available (pocketsphinx, allosaurus)."""
    from .align import phone_similarity

    labels = sorted({p.phone for p in track.phones} | {SIL})
    rows = {}
    for p in labels:
        z = sharpness * np.array([phone_similarity(p, q) for q in labels], np.float64)
        z -= z.max()
        rows[p] = (z - np.log(np.exp(z).sum())).astype(np.float32)
    lp = np.empty((n_frames, len(labels)), np.float32)
    starts = [p.start for p in track.phones]
    for t in range(n_frames):
        lp[t] = rows[track.phones[_at(track.phones, starts, (t + 0.5) * hop)].phone]
    return FramePosteriors(labels, lp, hop=hop, source=source)


def _cut_point(track: PhoneTrack, units: list, lo: int, hi: int, seam: int, hop: float,
               whole_words: bool) -> tuple[int, float] | None:
    """Where to cut a window's open-ended alignment, as (frame the next window starts at, time of the
    cut), inside frames ``[lo, hi]`` and nearest ``seam``: the middle of a pause, else a word boundary,
    else (``whole_words`` False) a phone boundary (cut at its exact time)."""
    ph = track.phones
    best = None
    for p, u in zip(ph, units):  # the middle of a pause
        if p.phone != SIL or u[0] != -1:
            continue
        s, e = max(int(math.ceil(p.start / hop)), lo), min(int(p.end / hop), hi)
        if e - s >= MIN_PAUSE or (e - s >= 2 and p.end - p.start >= MIN_PAUSE * hop):
            c = (s + e) // 2
            if best is None or abs(c - seam) < abs(best - seam):
                best = c
    if best is not None:
        return best, best * hop
    cands = []
    for i in range(len(ph) - 1):
        c = int(round(ph[i].end / hop))
        word_edge = units[i][0] != units[i + 1][0]
        if lo <= c <= hi and (word_edge or not whole_words):
            cands.append((0 if word_edge else 1, abs(c - seam), c, ph[i].end))
    return (min(cands)[2], min(cands)[3]) if cands else None


@dataclass
class _Transcript:
    """Where a long clip's transcript alignment stands."""

    words: list  # [(text, [IPA phones])]
    next_word: int = 0  # the first word not yet placed
    partial: list | None = None  # phones still to place of word next_word - 1, when a cut fell inside it
    phones: list = field(default_factory=list)  # final phones
    word_of: list = field(default_factory=list)  # global word index per final phone (-1: pause)
    own_words: list = field(default_factory=list)  # words as a recogniser's own aligner timed them (clip times)

    def window_words(self, frames: int, all_of_them: bool):
        """(word list for the aligner, their global indices): what is left, as much as could fit."""
        out, idx, n = [], [], 0
        if self.partial:
            out.append((self.words[self.next_word - 1][0], list(self.partial)))
            idx.append(self.next_word - 1)
            n += len(self.partial)
        for wi in range(self.next_word, len(self.words)):
            if not all_of_them and n > frames // 2 + 8:
                break
            out.append(self.words[wi])
            idx.append(wi)
            n += len(self.words[wi][1])
        return out, idx

    def add(self, phones: list[TimedPhone], word_of: list[int]) -> None:
        """Append a final stretch (clip times); it starts where the previous one ended."""
        if self.phones and phones:
            p = phones[0]
            phones = [TimedPhone(self.phones[-1].end, max(p.end, self.phones[-1].end + 1e-4), p.phone, p.confidence,
                                 p.word)] + list(phones[1:])
        for p, w in zip(phones, word_of):
            if self.phones and p.phone == SIL and self.phones[-1].phone == SIL:
                last = self.phones[-1]
                self.phones[-1] = TimedPhone(last.start, p.end, SIL, min(last.confidence, p.confidence))
                continue
            self.phones.append(p)
            self.word_of.append(w)

    def timed_words(self) -> list[TimedWord]:
        spans: dict[int, list[int]] = {}
        for i, w in enumerate(self.word_of):
            if w >= 0:
                spans.setdefault(w, []).append(i)
        out = []
        for w in sorted(spans):
            idx = spans[w]
            text = self.words[w][0]
            if text:
                out.append(TimedWord(self.phones[idx[0]].start, self.phones[idx[-1]].end, text,
                                     float(min(self.phones[i].confidence for i in idx))))
        return out


# ---------------------------------------------------------------- the driver
class _Warnings:
    """Warnings of the windows: each once, with where it was first seen; 'silent' only if every window was."""

    def __init__(self):
        self.seen: dict[str, float] = {}
        self.silent = 0
        self.windows = 0

    def add(self, warnings, t0: float, t1: float):
        self.windows += 1
        for w in warnings:
            if "silent" in w or "empty" in w:
                self.silent += 1
                continue
            self.seen.setdefault(str(w), t0)

    def out(self) -> list[str]:
        res = ["the audio is silent"] if self.windows and self.silent == self.windows else []
        return res + [f"{w} (from {_clock(t)})" for w, t in self.seen.items()]


def _clock(t: float) -> str:
    t = int(t)
    return f"{t // 3600}:{t // 60 % 60:02d}:{t % 60:02d}"


def analyze_long(source: AudioSource, rec, transcript_words=None, language: str = "eng",
                 chunk: float = DEFAULT_CHUNK, overlap: float = DEFAULT_OVERLAP,
                 step: Callable[[float, str], None] | None = None) -> LongAnalysis:
    """Timed phones (and mouth controls, loudness) of a long clip, window by window (module docstring).

    ``transcript_words``: the transcript as ``g2p.text_to_phones`` gives it, or None. ``step(frac, msg)``
    is called before each window (frac 0..1 of the clip); it may raise ``Cancelled``."""
    from .recognizers.base import PosteriorRecognizer

    plan = make_plan(rec, chunk, overlap)
    hop = FRAME_HOP
    posterior = isinstance(rec, PosteriorRecognizer)
    est = max(source.duration, 1e-9)
    warn = _Warnings()
    controls: list[np.ndarray] = []
    names: tuple[str, ...] = ()
    rms: list[np.ndarray] = []
    done: list[TimedPhone] = []
    pending: list[TimedPhone] = []
    tr = _Transcript(list(transcript_words)) if transcript_words else None
    cut = 0  # transcript mode: the frame the next window's alignment starts at
    n_windows = 0
    for win in source.windows(plan.span):
        k = win.index
        n_windows += 1
        if step is not None:
            step(min(0.99, k * plan.chunk * hop / est), f"{_clock(k * plan.chunk * hop)} of {_clock(est)}")
        f0, f1 = plan.frames(k)
        T = None
        if win.at_end:
            T = int(math.ceil(win.stop / HOP_SAMPLES))
            f1 = min(f1, T)
        c0, c1 = k * plan.chunk, (T if win.at_end else (k + 1) * plan.chunk)
        rms.append(frame_rms(win.audio.samples, win.start, c0, c1 - c0, win.stop))
        post = None
        if posterior:
            post = rec.window_posteriors(win, f0, f1 - f0)
            if post.controls is not None:
                names = tuple(post.control_names)
                controls.append(post.controls[c0 - f0: c1 - f0])
        span_s = (win.stop / INTERNAL_RATE if win.at_end else f1 * hop) - f0 * hop  # the last window ends with the clip
        if tr is None:
            if posterior:
                track = rec.recognize_posteriors(post, None, language, duration=span_s)
                phones = _shift(track, f0 * hop)
            else:
                track = rec.recognize(_sub(win, f0, f1), None, language)
                phones = _shift(track, f0 * hop)
            warn.add(track.warnings, f0 * hop, f1 * hop)
            if k == 0:
                pending = phones
            else:
                seam = c0 * hop
                kept, pending = join(pending, phones, seam - plan.overlap * hop / 2, seam + plan.overlap * hop / 2,
                                     seam)
                done.extend(kept)
            if win.at_end:
                done.extend(pending)
        else:
            cut = _align_window(rec, posterior, tr, win, post, cut, f0, f1, plan, language, warn)
        if win.at_end:
            break
    duration = source.duration
    if tr is not None:
        phones, words = tr.phones, (tr.timed_words() if posterior else tr.own_words)
    else:
        phones, words = _merge_same(done), []
    if phones:
        phones[0] = TimedPhone(0.0, phones[0].end, phones[0].phone, phones[0].confidence, phones[0].word)
        last = phones[-1]
        phones[-1] = TimedPhone(last.start, duration, last.phone, last.confidence, last.word)
    else:
        phones = [TimedPhone(0.0, duration, SIL, 1.0)]
    track = PhoneTrack(phones, duration, words=words, recognizer=rec.name, language=language, source=source.source,
                       warnings=warn.out())
    ctl = np.concatenate(controls) if controls else None
    return LongAnalysis(track, ctl, names, np.concatenate(rms) if rms else np.zeros(0, np.float32), n_windows)


def _merge_same(phones: list[TimedPhone]) -> list[TimedPhone]:
    out: list[TimedPhone] = []
    for p in phones:
        if out and out[-1].phone == p.phone and abs(out[-1].end - p.start) < 1e-6:
            q = out[-1]
            out[-1] = TimedPhone(q.start, p.end, q.phone, min(q.confidence, p.confidence), q.word or p.word)
        else:
            out.append(p)
    return out


def _sub(win: AudioWindow, f0: int, f1: int) -> Audio:
    """The window's samples of frames ``f0 .. f1 - 1`` (clipped to the window)."""
    a = max(0, f0 * HOP_SAMPLES - win.start)
    b = min(len(win.audio.samples), f1 * HOP_SAMPLES - win.start)
    return Audio(win.audio.samples[a:b], win.audio.sample_rate, win.audio.source)


def _align_window(rec, posterior: bool, tr: _Transcript, win: AudioWindow, post, start: int, f0: int, f1: int,
                  plan: Plan, language: str, warn: _Warnings) -> int:
    """Align the rest of the transcript over this window from frame ``start``; keep it up to the cut
    (all of it in the last window). Returns the frame the next window starts at."""
    hop = FRAME_HOP
    last = win.at_end
    n = f1 - start
    if tr.next_word >= len(tr.words) and not tr.partial:  # everything is placed: the rest is a pause
        end = f1 if last else (win.index + 1) * plan.chunk
        tr.add([TimedPhone(start * hop, end * hop, SIL, 1.0)], [-1])
        return end
    words, idx = tr.window_words(n, all_of_them=last)
    seam = (win.index + 1) * plan.chunk
    lo, hi = seam - plan.overlap // 2, seam + plan.overlap // 2
    units: list = []
    if posterior:
        p = _cut_post(post, start - f0, n)
        dur = win.stop / INTERNAL_RATE - start * hop if last else n * hop
        track = rec.align_words(p, words, language, duration=dur, open_end=not last, units_out=units)
        cp = (n, n * hop) if last else _cut_point(track, units, lo - start, hi - start, seam - start, hop, False)
    else:
        audio = _sub(win, start, f1)
        if last:
            track, cp = None, (n, n * hop)
        else:
            free = rec.recognize(audio, None, language)
            pp = pseudo_posteriors(free, n, hop, source=audio.source)
            from .align import forced_align

            phones = [q for _w, ph in words for q in ph]
            track = forced_align(pp, phones, words=[(w, len(ph)) for w, ph in words], duration=n * hop,
                                 open_end=True, units_out=units, variants=None)
            cp = _cut_point(track, units, lo - start, hi - start, seam - start, hop, True)
    if cp is None:
        raise AlignmentError(
            f"the transcript could not be split near {_clock(seam * hop)} (no pause or word boundary there); "
            "check that the transcript belongs to this clip")
    c, t_cut = cp
    if posterior:
        keep = [i for i, q in enumerate(track.phones) if q.start < t_cut - 1e-9]
        phones = [TimedPhone(q.start, min(q.end, t_cut), q.phone, q.confidence, q.word)
                  for q in (track.phones[i] for i in keep)]
        word_of = [idx[units[i][0]] if units[i][0] >= 0 else -1 for i in keep]
        whole = _whole_words(tr, units, keep, idx, track)
        seg = PhoneTrack(phones, t_cut, words=_words_of(phones, word_of, tr), recognizer=rec.name,
                         language=language, source=track.source, warnings=list(track.warnings))
        if whole:
            seg = rec.finish_segment(seg, _sub(win, start, start + c), language)
        warn.add(seg.warnings, start * hop, (start + c) * hop)
        tr.add(_shift(seg, start * hop), word_of)
        nxt = [u for u in units[len(keep):] if u[0] >= 0]
    else:
        if last:
            placed = list(range(len(words)))
        else:
            placed = sorted({units[i][0] for i, q in enumerate(track.phones) if units[i][0] >= 0 and q.end <= t_cut + 1e-9})
        text = " ".join(words[j][0] for j in placed)
        seg_audio = _sub(win, start, start + c)
        if text.strip():
            seg = rec.recognize(seg_audio, text, language)
        else:
            seg = PhoneTrack([TimedPhone(0.0, seg_audio.duration, SIL, 1.0)], seg_audio.duration)
        warn.add(seg.warnings, start * hop, (start + c) * hop)
        tr.add(_shift(seg, start * hop), _word_indices(seg, [(idx[j], words[j][0]) for j in placed]))
        tr.own_words.extend(TimedWord(w.start + start * hop, w.end + start * hop, w.text, w.confidence)
                            for w in seg.words)
        placed_set = set(placed)
        nxt = [(j, 0) for j in range(len(words)) if j not in placed_set]
    if last:
        tr.next_word, tr.partial = len(tr.words), None
        return f1
    if nxt:
        j, kpos = nxt[0]
        g = idx[j]
        if kpos == 0:
            tr.next_word, tr.partial = g, None
        else:
            rest = [q.phone for i, q in enumerate(track.phones) if units[i][0] == j and units[i][1] >= kpos]
            tr.next_word, tr.partial = g + 1, rest or list(words[j][1][kpos:])
    else:
        tr.next_word, tr.partial = (idx[-1] + 1 if idx else tr.next_word), None
    return start + c


def _cut_post(post: FramePosteriors, a: int, n: int) -> FramePosteriors:
    from dataclasses import replace

    def cut(x):
        return None if x is None else x[a: a + n]

    return replace(post, log_probs=cut(post.log_probs), controls=cut(post.controls),
                   viseme_log_probs=cut(post.viseme_log_probs))


def _whole_words(tr: _Transcript, units, keep, idx, track) -> bool:
    """Whether the kept phones start and end on word boundaries (pocketsphinx needs whole words)."""
    if tr.partial:
        return False
    if not keep:
        return True
    last = keep[-1]
    if units[last][0] < 0:
        return True
    nxt = last + 1
    return nxt >= len(track.phones) or units[nxt][0] != units[last][0]


def _words_of(phones, word_of, tr: _Transcript) -> list[TimedWord]:
    spans: dict[int, list[int]] = {}
    for i, w in enumerate(word_of):
        if w >= 0:
            spans.setdefault(w, []).append(i)
    return [TimedWord(phones[v[0]].start, phones[v[-1]].end, tr.words[w][0],
                      float(min(phones[i].confidence for i in v))) for w, v in sorted(spans.items())]


def _word_indices(seg: PhoneTrack, placed: list[tuple[int, str]]) -> list[int]:
    """Global word index per phone of a stretch aligned by a recogniser's own aligner: its words, in
    order, matched by text to the transcript words it was given (a word it did not hear is skipped)."""
    index, j = [], 0
    for w in seg.words:
        while j < len(placed) and placed[j][1].lower() != w.text.lower():
            j += 1
        index.append(placed[j][0] if j < len(placed) else -1)
        j += 1 if j < len(placed) else 0
    out, wi = [], 0
    for p in seg.phones:
        while wi < len(seg.words) and seg.words[wi].end <= p.start + 1e-9:
            wi += 1
        inside = p.phone != SIL and wi < len(seg.words) and seg.words[wi].start <= p.start + 1e-9
        out.append(index[wi] if inside else -1)
    return out


__all__ = ["DEFAULT_CHUNK", "DEFAULT_OVERLAP", "Plan", "make_plan", "needs_chunking", "LongAnalysis", "join",
           "pseudo_posteriors", "analyze_long"]
