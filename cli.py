"""The ``lipsync`` command line: analyze audio, run a dubbing batch, animate a .blend, render a preview, manage models.

Run ``lipsync COMMAND --help`` for each command's options.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

from .errors import LipSyncError, UsageError

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1


# Printed as one line (no traceback): every error meant for a person, and a file that vanished.
KNOWN_ERRORS = (LipSyncError, FileNotFoundError)


def _recognizer_names():
    from .phonemes.recognizers import RECOGNIZER_NAMES

    return list(RECOGNIZER_NAMES)


def _recognizer_help() -> str:
    from .phonemes.recognizers import REGISTRY

    return "who finds the phones (auto): " + "; ".join(f"{i.name}: {i.description}" for i in REGISTRY.values())


def _format_names():
    from .phonemes.formats import FORMATS

    return list(FORMATS)


# ---------------------------------------------------------------- analyze
BATCH_SECONDS = 240.0  # audio per packed transcription group in a batch (memory stays bounded)


def _audio_groups(paths, transcripts, max_seconds=BATCH_SECONDS):
    """(path, transcript, Audio or the LipSyncError reading it) in groups of at most ``max_seconds`` of audio."""
    from .phonemes.audio import load_audio

    group, total = [], 0.0
    for path, transcript in zip(paths, transcripts):
        try:
            audio = load_audio(path)
        except KNOWN_ERRORS as exc:
            audio = exc
        group.append((path, transcript, audio))
        total += getattr(audio, "duration", 0.0)
        if total >= max_seconds:
            yield group
            group, total = [], 0.0
    if group:
        yield group


def _needs_words(transcriber, group) -> list[int]:
    from .phonemes.types import Audio

    if transcriber is None:
        return []
    return [i for i, (_, t, a) in enumerate(group) if t is None and isinstance(a, Audio) and a.duration > 0]


def _heard_words(transcriber, group):
    """Words for every audio of ``group`` without a transcript, transcribed in packed windows: {index: Transcript}."""
    to_hear = _needs_words(transcriber, group)
    if not to_hear:
        return {}
    return dict(zip(to_hear, transcriber.transcribe_many([group[i][2] for i in to_hear])))


def _in_order_of_words(transcriber, group, meanwhile=None):
    """(index, Transcript or None) for every item of ``group``: first those that need no words, then the others as
    soon as their words are final. The packed windows are transcribed in a background thread meanwhile, so the
    aligner works on the first lines while Whisper hears the next ones (both cores busy; the words and every
    result are the same as one after the other). ``meanwhile()`` runs once while the first words are awaited.
    An error in the words stage is raised here, after the lines already heard."""
    import queue
    import threading

    to_hear = _needs_words(transcriber, group)
    q: queue.Queue = queue.Queue()
    end = object()
    failed: list[BaseException] = []
    stop = threading.Event()  # the caller stopped early (Ctrl-C, an unexpected error): no more windows

    def hear():
        try:
            transcriber.transcribe_many([group[i][2] for i in to_hear], cancel=stop.is_set,
                                        done=lambda j, t: q.put((to_hear[j], t)))
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            failed.append(exc)
        finally:
            q.put(end)

    worker = threading.Thread(target=hear, name="lipsync-words", daemon=True) if to_hear else None
    try:
        if worker is not None:
            worker.start()
        for i in range(len(group)):
            if i not in to_hear:
                yield i, None
        if worker is None:
            return
        if meanwhile is not None and q.empty():
            meanwhile()
        while (item := q.get()) is not end:
            yield item
    finally:
        stop.set()
        if worker is not None:
            worker.join()
    if failed:
        raise failed[0]


def _warm_up(rec) -> None:
    """Load what the first line would pay for (the aligner's network, the pronunciation dictionary) while the first
    window is being transcribed. Any problem is left for that line to report as usual."""
    import numpy as np

    from .phonemes.g2p import cmu_pronunciations
    from .phonemes.recognizers import PosteriorRecognizer
    from .phonemes.types import INTERNAL_RATE, Audio

    try:
        if isinstance(rec, PosteriorRecognizer):
            rec.posteriors(Audio(np.zeros(INTERNAL_RATE // 10, np.float32), INTERNAL_RATE, "warm-up"))
        cmu_pronunciations("the")
    except Exception:  # noqa: BLE001 - reported by the first line that needs it
        pass


def _transcripts_for(args, paths):
    from .pipeline import read_transcript

    out = []
    for path in paths:
        try:
            if args.transcript == "auto":
                cand = os.path.splitext(path)[0] + ".txt"
                out.append(read_transcript(cand) if os.path.exists(cand) else None)
            else:
                out.append(read_transcript(args.transcript))
        except KNOWN_ERRORS as exc:  # reported with its file, the others still run
            out.append(exc)
    return out


def cmd_analyze(args) -> int:
    from .phonemes.formats import FORMATS, export
    from .phonemes.recognizers import get_recognizer
    from .outputs import check_output, write_text
    from .pipeline import analyze, words_for

    fmt = FORMATS[args.format]
    many = len(args.audio) > 1
    if many and args.output and os.path.exists(args.output) and not os.path.isdir(args.output):
        raise UsageError(f"-o {args.output} is a file; with several inputs -o names a folder.")
    if args.output and not many:
        check_output(args.output)  # before the analysis: say now that it cannot be written
    if args.transcript not in (None, "auto") and many:
        raise UsageError("--transcript FILE takes one audio file; use --transcript auto for a batch "
                         "(each AUDIO.txt beside its audio file is used).")
    language = args.language
    notes: list[str] = []
    transcripts = _transcripts_for(args, args.audio)
    transcriber = None
    if args.recognizer == "auto" and any(t is None for t in transcripts):
        transcriber = words_for(language, args.speech_model, notes)
    if transcriber is not None:
        from .batch import set_threads

        # Whisper transcribes in a background thread meanwhile (two threads of its own): the aligner's network
        # keeps to one, or the two thread pools wait on each other's cores (10x slower on two busy cores)
        set_threads(1)
    rec = get_recognizer(args.recognizer, language=language if language != "auto" else None)
    for n in notes:
        print(f"lipsync: note: {n}", file=sys.stderr)
    failures = 0
    for group in _audio_groups(args.audio, transcripts):
        for i, heard in _in_order_of_words(transcriber, group, meanwhile=lambda: _warm_up(rec)):
            path, transcript, audio = group[i]
            try:
                for bad in (audio, transcript):
                    if isinstance(bad, Exception):
                        raise bad
                t0 = time.perf_counter()
                result = analyze(audio, transcript=transcript, recognizer=rec, language=language,
                                 words=heard if heard is not None else (transcriber if transcript is None else False))
                text = export(args.format, result.phones, result.visemes, os.path.abspath(path))
                wall = time.perf_counter() - t0
            except KNOWN_ERRORS as exc:
                print(f"lipsync: error: {path}: {exc}", file=sys.stderr)
                failures += 1
                continue
            for w in result.phones.warnings:
                print(f"lipsync: warning: {path}: {w}", file=sys.stderr)
            if many:
                out_dir = args.output or "."
                os.makedirs(out_dir, exist_ok=True)
                out = os.path.join(out_dir, os.path.splitext(os.path.basename(path))[0] + fmt.extension)
            else:
                out = args.output
            if out:
                write_text(out, text)  # whole or not at all
                if not args.quiet:
                    how = "transcript" if transcript else (f"words by {result.heard.model}" if result.heard else "")
                    print(f"{path}: {result.duration:.2f} s of audio in {wall:.2f} s "
                          f"({result.recognizer}{', ' + how if how else ''}) -> {out}", file=sys.stderr)
            else:
                sys.stdout.write(text)
    if failures:
        return EXIT_BAD_INPUT
    return 0


# ---------------------------------------------------------------- transcribe
def cmd_transcribe(args) -> int:
    from .outputs import write_text
    from .phonemes.types import Audio
    from .phonemes.words import Transcriber, transcript_text

    if args.output and os.path.exists(args.output) and not os.path.isdir(args.output):
        raise UsageError(f"-o {args.output} is a file; -o names the folder the .txt files go into.")
    transcriber = Transcriber(args.speech_model, args.language)
    failures = 0
    for group in _audio_groups(args.audio, [None] * len(args.audio)):
        heard = _heard_words(transcriber, group)
        for i, (path, _, audio) in enumerate(group):
            folder = args.output or os.path.dirname(os.path.abspath(path))
            out = os.path.join(folder, os.path.splitext(os.path.basename(path))[0] + ".txt")
            if not isinstance(audio, Audio):
                print(f"lipsync: error: {path}: {audio}", file=sys.stderr)
                failures += 1
                continue
            if os.path.exists(out) and not args.force:
                print(f"lipsync: error: {path}: {out} exists (perhaps a corrected transcript); it is kept. "
                      "Use --force to replace it, or -o DIR to write elsewhere.", file=sys.stderr)
                failures += 1
                continue
            t = heard.get(i)
            text = transcript_text(t) if t is not None else ""
            if text:
                write_text(out, text)  # whole or not at all
            else:  # no speech heard: an empty file says so (atomic_output refuses empty results)
                os.makedirs(folder, exist_ok=True)
                open(out, "w", encoding="utf-8").close()
            for w in t.warnings if t is not None else ():
                print(f"lipsync: warning: {path}: {w}", file=sys.stderr)
            if not args.quiet:
                lang = f", {t.language}" if t is not None and args.language == "auto" else ""
                n = len(t.words) if t is not None else 0
                print(f"{path}: {n} words ({transcriber.model.name}{lang}) -> {out}"
                      + ("" if n else " (no speech heard: empty)"), file=sys.stderr)
    return EXIT_BAD_INPUT if failures else 0


# ---------------------------------------------------------------- animate / preview
def _setting_overrides(args) -> dict:
    """Only the animator controls given on the command line (the rest come from the character)."""
    from .rigging.settings import AnimSettings

    given = {name[4:]: value for name, value in vars(args).items()
             if name.startswith("set_") and value is not None}
    # check the values now, so a typo fails before the (slow) analysis
    AnimSettings(**given).validate()
    return given


def _add_settings_options(p):
    try:
        from dataclasses import fields

        from .rigging.settings import RANGES, AnimSettings
    except ImportError:
        return
    g = p.add_argument_group("animator controls (default: the character's own, saved in the .blend; "
                             "factory defaults in parentheses, ranges in brackets)")
    for f in fields(AnimSettings):
        default = getattr(AnimSettings(), f.name)
        typ = type(default)
        rng = f" [{RANGES[f.name][0]:g} to {RANGES[f.name][1]:g}]" if f.name in RANGES else ""
        helptext = (f.metadata.get("help", "") if f.metadata else "") + f" ({default}){rng}"
        opt = "--" + f.name.replace("_", "-")
        if typ is bool:
            g.add_argument(opt, dest="set_" + f.name, action=argparse.BooleanOptionalAction, default=None, help=helptext)
        elif typ in (int, float):
            g.add_argument(opt, dest="set_" + f.name, type=typ, default=None, metavar="N", help=helptext)
        elif typ is str:
            g.add_argument(opt, dest="set_" + f.name, default=None, metavar="NAME", help=helptext)


MARKER_KINDS = ("words", "phones")


def _markers(text: str | None) -> tuple[str, ...]:
    """``--markers words,phones`` -> ("words", "phones"); a clear error for anything else."""
    if not text:
        return ()
    kinds = tuple(dict.fromkeys(k.strip().lower() for k in text.split(",") if k.strip()))
    bad = [k for k in kinds if k not in MARKER_KINDS]
    if bad or not kinds:
        raise UsageError(f"--markers {text!r}: give words, phones or words,phones.")
    return kinds


def cmd_animate(args) -> int:
    from .outputs import check_output
    from .pipeline import read_transcript

    overrides = _setting_overrides(args)
    check_output(args.output)
    if not os.path.isfile(args.audio):
        raise UsageError(f"Audio file not found: {os.path.abspath(args.audio)}. Check the path.")
    from .addon.headless import animate_file

    transcript = read_transcript(args.transcript) if args.transcript else None
    markers = _markers(args.markers)
    info = animate_file(args.blend, args.audio, args.object, args.output, transcript=transcript,
                        recognizer=args.recognizer, setting_overrides=overrides,
                        review_threshold=args.review_threshold, **({"markers": markers} if markers else {}))
    review = info.pop("review", [])
    for k, v in info.items():
        print(f"{k}: {v}", file=sys.stderr)
    if review:
        print(f"review: {len(review)} stretch(es) below confidence {info.get('review_threshold')}:", file=sys.stderr)
        for span in review:
            print(f"  frames {span['frame_start']}-{span['frame_end']}: {span.get('label', '')}", file=sys.stderr)
    else:
        print("review: no stretch needs review", file=sys.stderr)
    return 0


def cmd_preview(args) -> int:
    from .outputs import check_output

    check_output(args.output)
    from .addon.headless import preview_file

    frames = None
    if args.frames:
        try:
            a, _, b = args.frames.partition("-")
            frames = (int(a), int(b))
        except ValueError:
            raise UsageError(f"--frames {args.frames!r}: give FIRST-LAST scene frames, e.g. --frames 1-48") from None
    stats: dict = {}
    out = preview_file(args.blend, args.output, engine=args.engine, scale=args.resolution, frame_range=frames,
                       burn_in=args.burn_in, stats=stats)
    print(f"preview: {out}", file=sys.stderr)
    if stats:
        w, h = stats.get("resolution", (0, 0))
        print(f"render: {stats['frames']} frames at {w}x{h} with {stats['engine']} in {stats['seconds']:.1f} s "
              f"({stats['seconds_per_frame']:.3f} s per frame)", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- batch
def cmd_batch(args) -> int:
    from . import batch

    if args.workers < 1:
        raise UsageError(f"--workers must be 1 or more, not {args.workers}.")
    if args.scheduler and args.workers > 1:
        raise UsageError("--workers runs local processes and --scheduler a cluster's workers; give one of them.")
    overrides = _setting_overrides(args)
    # one torch thread per worker unless told otherwise: parallelism comes from the workers, and the model's
    # small GRU steps lose more to thread hand-offs than they gain (bench/bench_batch.py: 1253 lines/min
    # with one thread, 36 with two, on a shared 2-core machine)
    threads = args.threads if args.threads is not None else 1
    opts = batch.Options(recognizer=args.recognizer, settings=overrides or None, threads=threads)
    t0 = time.perf_counter()
    results = batch.run_batch(args.manifest, options=opts, default_format=args.format, language=args.language,
                              output_dir=args.output_dir, force=args.force, workers=args.workers,
                              scheduler=args.scheduler,
                              progress=lambda n: batch.Progress(n, sys.stderr, quiet=args.quiet))
    wall = time.perf_counter() - t0
    if args.report:
        batch.write_report(args.report, results)
    print(batch.summary_table(results, wall), file=sys.stderr)
    failed = [r for r in results if r.status == "failed"]
    for r in failed:
        print(f"lipsync: {r.label} failed: {r.reason}", file=sys.stderr)
    return EXIT_FAILED if failed else 0


# ---------------------------------------------------------------- models
def cmd_models(args) -> int:
    from .phonemes import speech_models
    from .phonemes.recognizers import available_recognizers

    if args.action == "list":
        for name, status in available_recognizers().items():
            print(f"{name:14s} {status}")
        ok, why = speech_models.status()
        print(f"{'words':14s} {why}")
        for m in speech_models.installed_models():
            kind = "multilingual" if m.multilingual else "English only"
            print(f"  whisper {m.name:16s} {kind:13s} {m.origin:10s} {m.path}")
        have = {m.name for m in speech_models.installed_models()}
        print("  downloadable: " + ", ".join(n for n in speech_models.HUB_MODELS if n not in have)
              + f" ({speech_models.DOWNLOAD_COMMAND} NAME)")
        return 0
    if args.action == "download":
        if args.model == "whisper":
            m = speech_models.download_model(args.name or speech_models.SUGGESTED_MULTILINGUAL,
                                             progress=lambda f, msg: print(msg, file=sys.stderr))
            print(f"speech model {m.name} ({'multilingual' if m.multilingual else 'English only'}) is in {m.path}")
            return 0
        if args.model != "allosaurus":
            raise UsageError(f"only allosaurus and whisper models are downloaded; {args.model!r} ships with Lip Sync "
                             "or its package")
        from .phonemes.recognizers.allosaurus import download_model

        name = args.name or "uni2005"
        path = download_model(name, sha256=args.sha256)
        print(f"allosaurus model {name} is in {path} (SHA-256 checked)")
        return 0
    raise UsageError(f"unknown models action {args.action}")


# ---------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="lipsync",
        description="Lip Sync: mouth animation from dialogue audio. Analyze audio into mouth cues, "
                    "animate a character in a .blend, render a preview with sound.",
    )
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("analyze", help="audio -> mouth cues / timed phones",
                       description="Find what is said and when, and write mouth cues (Rhubarb Lip Sync's "
                                   "formats) or timed phones. Several inputs load the models once.")
    p.add_argument("audio", nargs="+", metavar="AUDIO", help="audio files (WAV, FLAC, OGG/Opus, MP3, ...; any rate)")
    p.add_argument("--transcript", metavar="FILE|auto",
                   help="the spoken text (a UTF-8 file) for forced alignment; 'auto' uses AUDIO.txt beside each file")
    p.add_argument("--format", default="rhubarb-json", choices=_format_names(), help="output format (rhubarb-json)")
    p.add_argument("--recognizer", default="auto", choices=_recognizer_names(), help=_recognizer_help())
    p.add_argument("--language", default="eng",
                   help="ISO 639-3 language of the speech (eng; fra, deu, rus, ell, ara, hin, kor, jpn, cmn, ...: "
                        "100 through espeak-ng; two-letter codes fr, de, zh work too); 'auto': detected by a "
                        "multilingual speech model. Without a script it also sets which phones audio-only decoding "
                        "expects (und: a language not listed, a universal prior)")
    p.add_argument("--speech-model", metavar="NAME|FOLDER",
                   help="speech model for the words when no transcript is given (recogniser auto): tiny.en "
                        "(embedded, English) or a downloaded one (lipsync models list); default: tiny.en for "
                        "English, else the smallest multilingual one installed")
    p.add_argument("-o", "--output", metavar="OUT",
                   help="output file (one input) or folder (several inputs); default: standard output")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines on standard error")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("transcribe", help="audio -> the words heard (NAME.txt, to correct and reuse)",
                       description="Recognise the words of each AUDIO with a speech model and write NAME.txt "
                                   "beside it (or into -o DIR): correct names and typos, then run `lipsync analyze "
                                   "--transcript auto`. An existing NAME.txt is never replaced without --force. "
                                   "Nothing is downloaded: see `lipsync models list`.")
    p.add_argument("audio", nargs="+", metavar="AUDIO", help="audio files (WAV, FLAC, OGG/Opus, MP3, ...; any rate)")
    p.add_argument("-o", "--output", metavar="DIR", help="folder for the .txt files (default: beside each audio)")
    p.add_argument("--language", default="eng", help="ISO 639-3 (or 639-1: fr, de) language (eng), or 'auto' (multilingual model)")
    p.add_argument("--speech-model", metavar="NAME|FOLDER", help="tiny.en (embedded) or a downloaded model")
    p.add_argument("--force", action="store_true", help="replace existing NAME.txt files")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines on standard error")
    p.set_defaults(func=cmd_transcribe)

    p = sub.add_parser("batch", help="run a dubbing manifest (CSV): cues or animated scenes, resumable",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Run every line of MANIFEST.csv: columns audio (required), transcript, language, "
                                   "blend, object, output (relative paths are relative to the manifest). A line "
                                   "with blend and object writes an animated copy of the scene; the others write "
                                   "mouth cues (format from the output's extension, else --format). Lines whose "
                                   "output is newer than their inputs are skipped (--force redoes them); a bad line "
                                   "is reported and the rest are done; exit status 1 if any line failed.",
                       epilog="example manifest:\n  audio,transcript,language,blend,object,output\n"
                              "  fr/001.wav,fr/001.txt,fra,,,cues/001.json\n"
                              "  fr/002.wav,,fra,shots/sh010.blend,Head,shots/sh010_fr.blend\n\n"
                              "on a Dask cluster: lipsync batch lines.csv --scheduler tcp://HOST:8786 "
                              "(the workers need Lip Sync installed and the same paths)")
    p.add_argument("manifest", metavar="MANIFEST.csv")
    p.add_argument("--format", default="rhubarb-json", choices=_format_names(),
                   help="cue format when a line's output has no known extension (rhubarb-json)")
    p.add_argument("--recognizer", default="auto", choices=_recognizer_names(), help=_recognizer_help())
    p.add_argument("--language", default="eng", help="ISO 639-3 (or 639-1) language of lines without a language column (eng)")
    p.add_argument("-o", "--output-dir", metavar="DIR", help="folder for lines without an output (the manifest's)")
    p.add_argument("--force", action="store_true", help="redo lines whose output is up to date")
    p.add_argument("--workers", type=int, default=1, metavar="N", help="local worker processes (1: this process)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="a Dask distributed scheduler (e.g. tcp://render-farm:8786): run the lines on its workers")
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help="torch threads per worker (1; parallelism comes from --workers or the cluster)")
    p.add_argument("--report", metavar="FILE.csv", help="also write one row per line: status, output, reason")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress, only failures and the summary")
    _add_settings_options(p)
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("animate", help="keyframe a character in a .blend from audio",
                       description="The Generate Lip Sync button, headless: analyze AUDIO and write a new take "
                                   "(action) on OBJECT, saved as a new .blend (the input is not modified).")
    p.add_argument("blend", metavar="SCENE.blend")
    p.add_argument("--audio", required=True, help="dialogue audio file")
    p.add_argument("--object", required=True, help="the character: a mesh with shape keys or an armature")
    p.add_argument("--transcript", metavar="FILE", help="the spoken text, for forced alignment")
    p.add_argument("--recognizer", default="auto", choices=_recognizer_names(), help=_recognizer_help())
    p.add_argument("-o", "--output", required=True, metavar="OUT.blend")
    p.add_argument("--review-threshold", type=float, default=None, metavar="C",
                   help="phones below this confidence (0-1) are marked for review (the scene's, 0.5)")
    p.add_argument("--markers", metavar="words,phones",
                   help="also put timeline markers at each word (LS: word) and/or phone (LS/phone/); "
                        "replaced when the character is generated again, your own markers are kept")
    _add_settings_options(p)
    p.set_defaults(func=cmd_animate)

    p = sub.add_parser("preview", help="render a playblast with the dialogue",
                       description="Render the scene's frame range as an MP4 (H.264 + AAC) with the scene's "
                                   "sound strips, framed on the character's face (a 2D character through the "
                                   "scene's camera); prints the render time per frame.")
    p.add_argument("blend", metavar="SCENE.blend")
    p.add_argument("-o", "--output", required=True, metavar="OUT.mp4")
    p.add_argument("--engine", default="AUTO", choices=["AUTO", "WORKBENCH", "EEVEE"],
                   help="render engine (AUTO: EEVEE where there is a GPU, else WORKBENCH)")
    p.add_argument("--frames", metavar="FIRST-LAST", help="scene frames to render (default: the scene's frame range)")
    p.add_argument("--resolution", type=int, default=50, metavar="PERCENT",
                   help="percent of the scene's resolution, 1-100 (50)")
    p.add_argument("--burn-in", action=argparse.BooleanOptionalAction, default=True,
                   help="stamp the frame number, current word, phone and mouth shape on the frames (on)")
    p.set_defaults(func=cmd_preview)

    p = sub.add_parser("models", help="list recognisers and models; download allosaurus and speech models",
                       description="'list' shows each recogniser and speech model and whether it is ready; "
                                   "'download allosaurus [--name uni2005]' fetches allosaurus's pretrained model, "
                                   "'download whisper --name small' a Whisper speech model (tiny.en, base, small, "
                                   "medium, large-v3, large-v3-turbo, distil-...; checked after download) into your "
                                   "user data folder; allosaurus archives are checked against their recorded SHA-256 "
                                   "sum (or --sha256) before they are unpacked.")
    p.add_argument("action", choices=["list", "download"])
    p.add_argument("model", nargs="?", default="allosaurus", choices=["allosaurus", "whisper"])
    p.add_argument("--name", default=None, help="model name (allosaurus: uni2005; whisper: small)")
    p.add_argument("--sha256", metavar="SUM", default=None,
                   help="the archive's SHA-256 from a source you trust, for a model without a recorded sum")
    p.set_defaults(func=cmd_models)
    return ap


def main(argv=None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("lipsync: interrupted", file=sys.stderr)
        return 130
    except KNOWN_ERRORS as exc:
        print(f"lipsync: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
