"""Dubbing batches: a manifest of lines -> mouth cues or animated scenes, on one machine or a cluster.

A manifest is a CSV file with a header row; columns (any order, case-insensitive, others ignored):

- ``audio`` (required): the line's dialogue file;
- ``transcript``: a text file with the spoken words, or the words themselves;
- ``language``: ISO 639-3 code (default ``--language``);
- ``blend`` and ``object``: a scene and its character: the line writes an animated copy of the scene
  (the Generate button, headless); without them the line writes mouth cues;
- ``output``: where to write (default: beside the manifest, or in ``-o DIR``: ``AUDIO.json`` for cues
  in the ``--format``, ``BLEND_AUDIO.blend`` for scenes). A cue line's format comes from the
  output's extension (``.json``, ``.tsv``, ``.phones.tsv``, ``.xml``, ``.dat``, ``.pgo``,
  ``.TextGrid``), else ``--format``.

Relative paths are relative to the manifest's folder. A line whose output is newer than all its
inputs (audio, transcript file, blend) is skipped unless ``force``; every output is written whole or
not at all (``outputs.atomic_output``), so a line interrupted by a crash or a killed worker is simply
redone by the next run. A bad line (unreadable audio, missing object, ...) is reported with its
reason and the others are still done.

Lines run in this process (``workers=1``), in local worker processes (``workers=N``; a worker that
dies fails only the line it was running and is replaced), or on a Dask distributed cluster
(``scheduler=ADDRESS``; ``dask[distributed]``, imported only then). Each worker process loads each
recogniser once and keeps it for all its lines. Lines with a blend need the ``bpy`` module in the
worker; the engine itself is bpy-free.
"""
from __future__ import annotations

import csv
import os
import platform
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .errors import LipSyncError, ManifestError

COLUMNS = ("audio", "transcript", "language", "blend", "object", "output")


@dataclass(frozen=True)
class Line:
    row: int  # the line's row in the manifest file (the header is row 1)
    audio: str
    output: str
    transcript: str | None = None  # a file path (absolute) or the words
    language: str = "eng"
    blend: str | None = None
    object: str | None = None
    fmt: str | None = None  # cue format (None for scene lines)

    @property
    def label(self) -> str:
        return f"line {self.row} ({os.path.basename(self.audio) or 'no audio'})"


@dataclass
class Result:
    row: int
    label: str
    status: str  # "done", "skipped" or "failed"
    output: str = ""
    reason: str = ""
    audio_seconds: float = 0.0
    wall_seconds: float = 0.0
    worker: str = ""
    warnings: list = field(default_factory=list)


@dataclass(frozen=True)
class Options:
    """What every line shares (sent to the workers)."""

    recognizer: str = "auto"
    settings: dict | None = None  # animator control overrides for scene lines
    threads: int | None = None  # torch threads per worker (None: leave as is)


# ---------------------------------------------------------------- the manifest
def read_manifest(path: str, *, default_format: str = "rhubarb-json", language: str = "eng",
                  output_dir: str | None = None) -> tuple[list[Line], list[Result]]:
    """(lines to run, lines already failed at reading with their reason). ManifestError when the file as
    a whole cannot be used."""
    from .phonemes.formats import FORMATS, format_of

    path = os.path.abspath(os.path.expanduser(os.fspath(path)))
    if not os.path.isfile(path):
        raise ManifestError(f"Manifest not found: {path}. Give a CSV file with an 'audio' column.")
    if default_format not in FORMATS:
        raise ManifestError(f"Unknown format {default_format!r}; choose one of: {', '.join(FORMATS)}.")
    base = os.path.dirname(path)
    out_dir = os.path.abspath(os.path.expanduser(output_dir)) if output_dir else base
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ManifestError(f"Could not read the manifest {path} as a UTF-8 CSV file ({exc}).") from exc
    if not rows:
        raise ManifestError(f"The manifest {path} is empty. Add a header row (audio,transcript,...) and one row per line.")
    header = [h.strip().lower() for h in rows[0]]
    if "audio" not in header:
        raise ManifestError(f"The manifest {path} has no 'audio' column (its header is: {', '.join(rows[0])}). "
                            f"Name the columns in the first row: {', '.join(COLUMNS)}.")

    def resolve(p):
        p = os.path.expanduser(p.strip())
        return os.path.normpath(p if os.path.isabs(p) else os.path.join(base, p))

    lines, bad, seen = [], [], {}
    for i, raw in enumerate(rows[1:], start=2):
        cells = {h: (raw[j].strip() if j < len(raw) else "") for j, h in enumerate(header) if h in COLUMNS}
        if not any(v.strip() for v in raw) or cells.get("audio", "").startswith("#"):
            continue  # blank row or comment
        audio = cells.get("audio", "")
        label = f"line {i} ({os.path.basename(audio) or 'no audio'})"

        def fail(reason):
            bad.append(Result(i, label, "failed", reason=reason))

        if not audio:
            fail("no audio file in the 'audio' column")
            continue
        audio = resolve(audio)
        transcript = cells.get("transcript") or None
        if transcript:
            cand = resolve(transcript)
            if os.path.isfile(cand):
                transcript = cand
            elif transcript.lower().endswith(".txt") or os.sep in transcript:
                fail(f"transcript file not found: {cand}")
                continue
        blend, obj = cells.get("blend") or None, cells.get("object") or None
        if bool(blend) != bool(obj):
            fail("a scene line needs both 'blend' and 'object' (the character to animate)"
                 if blend else "'object' was given without a 'blend' scene to animate it in")
            continue
        out = cells.get("output") or ""
        stem = os.path.splitext(os.path.basename(audio))[0]
        fmt = None
        if blend:
            blend = resolve(blend)
            out = resolve(out) if out else os.path.join(out_dir, f"{os.path.splitext(os.path.basename(blend))[0]}_{stem}.blend")
            if not out.lower().endswith(".blend"):
                fail(f"the output of a scene line must be a .blend file, not {os.path.basename(out)}")
                continue
        else:
            out = resolve(out) if out else os.path.join(out_dir, stem + FORMATS[default_format].extension)
            fmt = format_of(out) or default_format
        key = os.path.normcase(out)
        if key in seen:
            fail(f"its output {out} is also line {seen[key]}'s; give each line its own output")
            continue
        seen[key] = i
        lines.append(Line(i, audio, out, transcript, cells.get("language") or language, blend, obj, fmt))
    return lines, bad


def inputs_of(line: Line) -> list[str]:
    return [p for p in (line.audio, line.blend, line.transcript) if p and os.path.isfile(p)]


def up_to_date(line: Line) -> bool:
    """The line's output exists and is newer than every input (audio, transcript file, blend)."""
    try:
        out = os.path.getmtime(line.output)
    except OSError:
        return False
    needed = [p for p in (line.audio, line.blend) if p]
    if any(not os.path.exists(p) for p in needed):
        return False  # let the line run and say what is missing
    return all(os.path.getmtime(p) < out for p in inputs_of(line))


# ---------------------------------------------------------------- one line (in a worker)
_RECOGNIZERS: dict = {}
_LOCK = threading.Lock()  # recognisers and bpy are shared by the lines of one worker process
_BPY_LOCK = threading.Lock()  # bpy is one global scene: one scene line at a time per process


def _recognizer(name: str, language: str):
    """The recogniser for (name, language), built once per worker process."""
    from .phonemes.recognizers import get_recognizer

    key = (name, language)
    with _LOCK:
        if key not in _RECOGNIZERS:
            _RECOGNIZERS[key] = get_recognizer(name, language=language)
        return _RECOGNIZERS[key]


_WORDS: dict = {}


def _words(language: str, notes: list):
    """The speech model for a line's language, loaded once per worker and language (None: none fits; the reason,
    e.g. that the embedded tiny.en is English-only, goes into ``notes`` and the model's phones are used)."""
    from .pipeline import words_for

    with _LOCK:
        if language not in _WORDS:
            why: list = []
            _WORDS[language] = (words_for(language, None, why), why)
        transcriber, why = _WORDS[language]
    notes.extend(why)
    return transcriber if transcriber is not None else False


def set_threads(threads: int | None) -> None:
    """Torch's threads per worker (several workers on a few cores run faster with fewer each)."""
    if not threads:
        return
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(threads)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(int(threads))


def run_line(line: Line, options: Options) -> Result:
    """Do one line; never raises for a bad line (its Result says why it failed)."""
    from .outputs import remove_leftovers

    set_threads(options.threads)
    t0 = time.perf_counter()
    res = Result(line.row, line.label, "failed", output=line.output, worker=f"{platform.node()}:{os.getpid()}")
    try:
        if line.blend:
            res.audio_seconds, res.warnings = _run_scene(line, options)
        else:
            res.audio_seconds, res.warnings = _run_cues(line, options)
        res.status = "done"
    except LipSyncError as exc:
        res.reason = str(exc)
    except FileNotFoundError as exc:
        res.reason = f"file not found: {exc.filename or exc}"
    except MemoryError:
        res.reason = "out of memory; run this line on a machine with more memory"
    except Exception as exc:  # noqa: BLE001 - one line's bug must not stop the batch
        where = traceback.extract_tb(exc.__traceback__)[-1]
        res.reason = (f"internal error {type(exc).__name__}: {exc} (at {os.path.basename(where.filename)}:"
                      f"{where.lineno}); please report it with this line's files")
    if res.status != "done":
        remove_leftovers(line.output)
    res.wall_seconds = time.perf_counter() - t0
    return res


def _run_cues(line: Line, options: Options) -> tuple[float, list]:
    from .outputs import check_output, write_text
    from .phonemes.formats import export
    from .pipeline import analyze, read_transcript

    check_output(line.output)
    transcript = read_transcript(line.transcript) if line.transcript else None
    rec = _recognizer(options.recognizer, line.language)
    notes: list = []
    # no script and the automatic recogniser: words from the audio in the line's language, as `lipsync` does
    words = _words(line.language, notes) if transcript is None and options.recognizer == "auto" else False
    result = analyze(line.audio, transcript=transcript, recognizer=rec, language=line.language, words=words)
    write_text(line.output, export(line.fmt, result.phones, result.visemes, line.audio))
    return result.duration, notes + [w for w in result.phones.warnings if w not in notes]


def _run_scene(line: Line, options: Options) -> tuple[float, list]:
    from .outputs import check_output
    from .pipeline import read_transcript

    check_output(line.output)
    transcript = read_transcript(line.transcript) if line.transcript else None
    rec = _recognizer(options.recognizer, line.language)
    try:
        from .addon.headless import animate_file
    except ImportError as exc:
        raise LipSyncError("Scene lines need Blender as a Python module (pip install bpy==5.0.1) on the machine "
                           f"that runs them ({exc}).") from exc
    with _BPY_LOCK:
        info = animate_file(line.blend, line.audio, line.object, line.output, transcript=transcript, recognizer=rec,
                            setting_overrides=options.settings or None, language=line.language)
    return float(info.get("duration_s", 0.0)), list(info.get("warnings", []))


# ---------------------------------------------------------------- executors
def run_local(lines: list[Line], options: Options, on_result: Callable[[Result], None]) -> None:
    """Every line in this process, in order."""
    for line in lines:
        on_result(run_line(line, options))


def _worker(conn, options: Options) -> None:  # pragma: no cover - runs in a child process
    set_threads(options.threads)
    while True:
        try:
            line = conn.recv()
        except EOFError:
            return
        if line is None:
            return
        conn.send(run_line(line, options))


def run_processes(lines: list[Line], options: Options, workers: int, on_result: Callable[[Result], None]) -> None:
    """Lines on ``workers`` local processes, one line at a time each. A worker that dies (killed, crashed)
    fails the line it was running (its partial output is removed) and a new worker takes its place."""
    import multiprocessing as mp
    from multiprocessing.connection import wait

    from .outputs import remove_leftovers

    ctx = mp.get_context("spawn")  # a fresh interpreter: no forked torch or bpy state
    todo = list(lines)
    busy: dict = {}  # connection -> (process, line)
    idle: list = []

    def start():
        parent, child = ctx.Pipe()
        p = ctx.Process(target=_worker, args=(child, options), daemon=True, name="lipsync-batch-worker")
        p.start()
        child.close()
        return parent, p

    pool = [start() for _ in range(max(1, min(workers, len(todo))))]
    idle.extend(pool)
    try:
        while todo or busy:
            while todo and idle:
                conn, p = idle.pop()
                try:
                    conn.send(todo[0])
                except (OSError, ValueError):  # it died between lines: replace it, the line waits
                    conn.close()
                    p.join(timeout=5)
                    idle.append(start())
                    continue
                busy[conn] = (p, todo.pop(0))
            ready = wait(list(busy) + [p.sentinel for p, _ in busy.values()])
            for conn in list(busy):
                p, line = busy[conn]
                dead = p.sentinel in ready
                if conn in ready:
                    try:
                        res = conn.recv()
                    except (EOFError, OSError):  # the worker is gone
                        dead = True
                    else:
                        del busy[conn]
                        idle.append((conn, p))
                        on_result(res)
                        continue
                if dead:
                    p.join(timeout=5)
                    del busy[conn]
                    conn.close()
                    remove_leftovers(line.output)
                    code = p.exitcode
                    how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit status {code}"
                    on_result(Result(line.row, line.label, "failed", output=line.output,
                                     reason=f"the worker running it stopped ({how}); nothing was written for it. "
                                            "Run the batch again to redo it."))
                    if todo:
                        idle.append(start())
    finally:
        for conn, p in idle + [(c, p) for c, (p, _) in busy.items()]:
            try:
                conn.send(None)
            except (OSError, ValueError):
                pass
        for conn, p in idle + [(c, p) for c, (p, _) in busy.items()]:
            p.join(timeout=10)
            if p.is_alive():
                p.terminate()
                p.join(timeout=5)


def run_dask(lines: list[Line], options: Options, address: str, on_result: Callable[[Result], None]) -> dict:
    """Lines as tasks on the Dask distributed cluster at ``address``; returns what the cluster is."""
    try:
        from distributed import Client, as_completed
    except ImportError as exc:
        raise LipSyncError("--scheduler needs Dask distributed: pip install 'dask[distributed]' (on this machine "
                           "and on the cluster's workers).") from exc
    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise LipSyncError(f"Could not reach the Dask scheduler at {address} ({exc}). Check the address "
                           "(e.g. tcp://scheduler-host:8786) and that the scheduler is running.") from exc
    with client:
        info = client.scheduler_info()
        workers = info.get("workers", {})
        if not workers:
            raise LipSyncError(f"The Dask scheduler at {address} has no workers. Start some with: "
                               f"dask worker {address}")
        futures = {}
        for line in lines:
            fut = client.submit(run_line, line, options, pure=False, key=f"lipsync-line-{line.row}-{time.time_ns()}")
            futures[fut.key] = (fut, line)
        try:
            for fut in as_completed([f for f, _ in futures.values()]):
                line = futures[fut.key][1]
                try:
                    res = fut.result()
                except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: the line is reported, the rest go on
                    res = Result(line.row, line.label, "failed", output=line.output,
                                 reason=f"the cluster could not run it ({type(exc).__name__}: {exc})")
                on_result(res)
        except KeyboardInterrupt:
            client.cancel([f for f, _ in futures.values()])
            raise
        return {"workers": len(workers), "threads": sum(w.get("nthreads", 0) for w in workers.values())}


# ---------------------------------------------------------------- progress and summary
class Progress:
    """A progress bar on a terminal; one line per finished line otherwise (logs, CI)."""

    def __init__(self, total: int, stream=None, quiet: bool = False):
        self.total, self.stream, self.quiet = total, stream or sys.stderr, quiet
        self.count = {"done": 0, "skipped": 0, "failed": 0}
        self.t0 = time.perf_counter()
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def __call__(self, res: Result) -> None:
        self.count[res.status] = self.count.get(res.status, 0) + 1
        n = sum(self.count.values())
        if self.quiet:
            return
        if not self.tty:
            extra = f" ({res.audio_seconds:.1f} s of audio in {res.wall_seconds:.1f} s)" if res.status == "done" else ""
            print(f"[{n}/{self.total}] {res.label}: {res.status}{extra}", file=self.stream)
        else:
            if res.status == "failed":  # above the bar; the reasons follow the summary
                print(f"\r{' ' * 100}\r{res.label}: failed", file=self.stream)
            self._bar(n)

    def _bar(self, n: int):
        el = time.perf_counter() - self.t0
        width = 30
        fill = int(width * n / max(self.total, 1))
        eta = el / n * (self.total - n) if n else 0.0
        print(f"\r[{'#' * fill}{'.' * (width - fill)}] {n}/{self.total} lines, {self.count['failed']} failed, "
              f"{_mmss(el)} elapsed, {_mmss(eta)} left", end="" if n < self.total else "\n", file=self.stream,
              flush=True)


def _mmss(s: float) -> str:
    s = int(s)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60:02d}:{s % 60:02d}"


def summary_table(results: Iterable[Result], wall: float) -> str:
    """The end-of-batch table: lines, audio seconds and line seconds per status, and the batch's wall time."""
    results = list(results)
    rows = []
    for status in ("done", "skipped", "failed"):
        rs = [r for r in results if r.status == status]
        audio = sum(r.audio_seconds for r in rs)
        work = sum(r.wall_seconds for r in rs)
        rows.append((status, len(rs), f"{audio:.1f}" if status == "done" else "-",
                     f"{work:.1f}" if status != "skipped" else "-"))
    total_audio = sum(r.audio_seconds for r in results if r.status == "done")
    out = [f"{'':8s} {'lines':>6s} {'audio s':>9s} {'line s':>8s}"]
    out += [f"{s:8s} {n:6d} {a:>9s} {w:>8s}" for s, n, a, w in rows]
    rate = f", {total_audio / wall:.1f}x real time" if wall > 0 and total_audio else ""
    out.append(f"{'total':8s} {len(results):6d} {total_audio:9.1f}   wall time {wall:.1f} s{rate}")
    return "\n".join(out)


def write_report(path: str, results: Iterable[Result]) -> str:
    """A CSV with one row per manifest line: row, status, output, audio seconds, seconds, worker, reason."""
    import io

    from .outputs import write_text

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["row", "line", "status", "output", "audio_seconds", "seconds", "worker", "reason", "warnings"])
    for r in sorted(results, key=lambda r: r.row):
        w.writerow([r.row, r.label, r.status, r.output, f"{r.audio_seconds:.3f}", f"{r.wall_seconds:.3f}", r.worker,
                    r.reason, " | ".join(map(str, r.warnings))])
    return write_text(path, buf.getvalue())


def run_batch(manifest: str, *, options: Options = Options(), default_format: str = "rhubarb-json",
              language: str = "eng", output_dir: str | None = None, force: bool = False, workers: int = 1,
              scheduler: str | None = None,
              progress: Callable[[int], Callable[[Result], None]] | None = None) -> list[Result]:
    """Read ``manifest``, skip what is up to date (unless ``force``), run the rest; every line's Result.
    ``progress(number of lines)`` gives the callback each finished line is reported to."""
    lines, results = read_manifest(manifest, default_format=default_format, language=language, output_dir=output_dir)
    emit = progress(len(lines) + len(results)) if progress is not None else (lambda r: None)
    for r in results:
        emit(r)
    todo = []
    for line in lines:
        if not force and up_to_date(line):
            r = Result(line.row, line.label, "skipped", output=line.output, reason="up to date")
            results.append(r)
            emit(r)
        else:
            todo.append(line)

    def collect(r):
        results.append(r)
        emit(r)

    if scheduler:
        run_dask(todo, options, scheduler, collect)
    elif workers > 1 and len(todo) > 1:
        run_processes(todo, options, workers, collect)
    else:
        run_local(todo, options, collect)
    return sorted(results, key=lambda r: r.row)


__all__ = ["COLUMNS", "Line", "Result", "Options", "read_manifest", "up_to_date", "run_line", "run_local",
           "run_processes", "run_dask", "Progress", "summary_table", "write_report", "run_batch"]
