"""The words stage: the embedded speech model (verified), real transcription of the sample dialogue, packing,
the guards against invented words (noise, tones, chords, clicks, breathing, music rest), language rules,
downloads (offline message; verification against a local stand-in hub), and the words-do-not-fit fallback."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from lipsync.errors import RecognizerError
from lipsync.phonemes import speech_models as S
from lipsync.phonemes.types import SIL, Audio, FramePosteriors, PhoneTrack, TimedPhone, TimedWord

needs_words = pytest.mark.skipif(not S.status()[0], reason="faster-whisper / the embedded speech model missing")
SR = 16000


@pytest.fixture(scope="module")
def transcriber():
    from lipsync.phonemes.words import Transcriber

    return Transcriber()


@needs_words
def test_embedded_tiny_en_is_found_and_verified(tmp_path):
    emb, why = S.embedded_model()
    assert emb is not None, why
    assert emb.name == "tiny.en" and emb.origin == "embedded" and emb.english_only
    assert {f: S.sha256_file(os.path.join(emb.path, f)) for f in S.EMBEDDED_SHA256} == S.EMBEDDED_SHA256
    # a folder with one file changed does not pass the same check (the package name is not trusted)
    fake = tmp_path / "model"
    fake.mkdir()
    for f in S.EMBEDDED_SHA256:
        if f != "config.json":
            os.symlink(os.path.join(emb.path, f), fake / f)
    (fake / "config.json").write_text("{}")
    assert "config.json" in S._verified(str(fake), tuple(sorted(S.EMBEDDED_SHA256.items())))


@needs_words
def test_sample_dialogue_words_match_its_script(transcriber, sample):
    from lipsync.phonemes.audio import load_audio
    from lipsync.training.metrics import word_errors

    t = transcriber.transcribe(load_audio(sample.wav))
    edits, n = word_errors(sample.text, t.text)
    assert 1 - edits / n >= 0.9, (t.text, sample.text)
    assert t.model == "tiny.en" and t.language == "eng"
    assert all(0 <= w.start <= w.end <= t.duration and 0 <= w.confidence <= 1 for w in t.words)
    assert [w.start for w in t.words] == sorted(w.start for w in t.words)


@needs_words
def test_packed_batch_maps_words_back_to_their_clips(transcriber, sample):
    from lipsync.phonemes.audio import load_audio

    a = load_audio(sample.wav)
    quiet = Audio(np.zeros(3 * SR, np.float32), SR, "silence")
    one = transcriber.transcribe(a)
    got = transcriber.transcribe_many([a, quiet, a])
    assert [len(t.words) for t in got][1] == 0
    for t in (got[0], got[2]):
        assert abs(len(t.words) - len(one.words)) <= 1
        assert all(w.end <= a.duration for w in t.words)
        assert abs(t.words[0].start - one.words[0].start) < 0.3


@needs_words
def test_recognizer_model_stays_the_model_only_path(sample):
    from lipsync.pipeline import analyze

    r = analyze(sample.wav, recognizer="model")
    assert r.heard is None and "words_s" not in r.timings and r.recognizer == "model"
    r = analyze(sample.wav)  # auto: the words are heard and aligned
    assert r.heard is not None and len(r.phones.words) >= 20


def _signals():
    from lipsync.training import beds as B

    return {"white noise": B.white_noise(4), "pink noise": B.pink_noise(4, seed=1), "room tone": B.room_tone(4),
            "tone": B.tone(4), "chord": B.chord(4), "pure chord": B.chord(4, harmonics=1),
            "silence with clicks": B.clicks(4), "breathing": B.breathing(4), "music": B.music(4)}


@needs_words
@pytest.mark.parametrize("recognizer", ["auto", "model"])
def test_no_voice_rests(recognizer):
    """Noise, tones, chords, clicks, breathing and music without a voice: the mouth rests (X) >= 90 %."""
    from lipsync.pipeline import analyze

    for name, x in _signals().items():
        r = analyze(Audio(x, SR, name), recognizer=recognizer)
        rest = sum(c.end - c.start for c in r.visemes.cues if c.viseme == "X") / r.duration
        assert rest >= 0.9, (name, rest)
        if r.heard is not None:
            assert not r.heard.words, (name, r.heard.text)


@needs_words
def test_language_rules():
    from lipsync.phonemes.words import Transcriber, iso639_3, whisper_language
    from lipsync.pipeline import analyze

    assert whisper_language("fra") == "fr" and whisper_language("cmn") == "zh" and whisper_language("auto") is None
    assert iso639_3("fr") == "fra" and iso639_3("en") == "eng" and iso639_3("zh") == "cmn"
    with pytest.raises(RecognizerError, match="English-only.*download"):
        Transcriber("tiny.en", "fra")
    with pytest.raises(RecognizerError, match="detect the language"):
        Transcriber("tiny.en", "auto")
    if not any(m.multilingual for m in S.installed_models()):
        r = analyze(Audio(np.zeros(SR, np.float32), SR, "x"), language="fra")
        assert r.heard is None and any("multilingual" in w and "download" in w for w in r.phones.warnings)


def test_offline_download_says_one_clear_line(tmp_path):
    """No hub reachable: one line naming the command, exit 2, nothing left in the models folder."""
    env = dict(os.environ, LIPSYNC_MODELS_DIR=str(tmp_path), HF_ENDPOINT="http://127.0.0.1:9", HF_HUB_OFFLINE="0")
    proc = subprocess.run([sys.executable, "-m", "lipsync", "models", "download", "whisper", "--name", "small"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "could not reach" in lines[0] and "lipsync models download whisper --name small" in lines[0]
    assert not any((tmp_path / "whisper").glob("small*"))


def _stand_in_hub(monkeypatch, source, damage=None):
    """huggingface_hub replaced by a local folder: the real verification and install code runs against it."""
    expected = {f: (os.path.getsize(source / f), S.sha256_file(source / f) if f == "model.bin" else None,
                    S.git_blob_sha1(source / f)) for f in os.listdir(source)}
    if damage:
        size, sha, blob = expected[damage]
        expected[damage] = (size, "0" * 64, blob) if sha else (size, sha, "0" * 40)
    monkeypatch.setattr(S, "_expected_files", lambda repo, revision: (expected, "abc123"))
    monkeypatch.setattr(S, "_fetch", lambda repo, names, folder, revision: [
        shutil.copy(source / n, os.path.join(folder, n)) for n in names])


def _tiny_ct2_folder(path):
    path.mkdir()
    (path / "config.json").write_text(json.dumps({"suppress_ids": []}))
    (path / "model.bin").write_bytes(os.urandom(4096))
    (path / "tokenizer.json").write_text("{}")
    (path / "vocabulary.txt").write_text("\n".join(f"t{i}" for i in range(51865)) + "\n")
    return path


def test_download_is_verified_and_installed(tmp_path, monkeypatch):
    monkeypatch.setenv("LIPSYNC_MODELS_DIR", str(tmp_path / "models"))
    src = _tiny_ct2_folder(tmp_path / "hub")
    _stand_in_hub(monkeypatch, src)
    m = S.download_model("small")
    assert m.origin == "downloaded" and m.multilingual and os.path.isdir(m.path)
    manifest = json.loads(open(os.path.join(m.path, S.MANIFEST)).read())
    assert manifest["files"]["model.bin"]["sha256"] == S.sha256_file(src / "model.bin")
    assert [d.name for d in S.downloaded_models()] == ["small"]
    assert S.find_model("small").path == m.path
    assert S.find_model(None, "fra").name == "small"  # the multilingual one serves other languages
    # a damaged file afterwards (size changed) is no longer listed
    with open(os.path.join(m.path, "model.bin"), "ab") as f:
        f.write(b"x")
    assert S.downloaded_models() == []


@pytest.mark.parametrize("damage", ["model.bin", "tokenizer.json"])
def test_damaged_download_is_refused_and_removed(tmp_path, monkeypatch, damage):
    monkeypatch.setenv("LIPSYNC_MODELS_DIR", str(tmp_path / "models"))
    _stand_in_hub(monkeypatch, _tiny_ct2_folder(tmp_path / "hub"), damage=damage)
    with pytest.raises(RecognizerError, match=f"{damage} is damaged"):
        S.download_model("base")
    assert list((tmp_path / "models" / "whisper").iterdir()) == []


def test_unknown_names_and_folders(tmp_path):
    with pytest.raises(RecognizerError, match="unknown speech model"):
        S.find_model("huge-v9")
    with pytest.raises(RecognizerError, match="not a CTranslate2 Whisper folder"):
        S.find_model(str(tmp_path))
    folder = _tiny_ct2_folder(tmp_path / "mine")
    m = S.find_model(str(folder))
    assert m.origin == "folder" and m.multilingual


# ---------------------------------------------------------------- fit and rest (no speech model needed)
def _post(frames):
    labels = [SIL, "a", "m", "s"]
    lp = np.full((len(frames), 4), np.log(0.02), np.float32)
    for t, lab in enumerate(frames):
        lp[t, labels.index(lab)] = np.log(0.94)
    return FramePosteriors(labels, lp)


def test_words_that_do_not_fit_fall_back_to_free_decoding():
    from lipsync.phonemes.align.fit import REVIEW_CONFIDENCE, fit_words

    post = _post([SIL] * 10 + ["a"] * 20 + [SIL] * 10 + ["s"] * 10)
    forced = PhoneTrack([TimedPhone(0, 0.1, SIL), TimedPhone(0.1, 0.3, "m", 0.9, "mm"), TimedPhone(0.3, 0.4, SIL),
                         TimedPhone(0.4, 0.5, "s", 0.9, "ss")], 0.5,
                        words=[TimedWord(0.1, 0.3, "mm", 0.9), TimedWord(0.4, 0.5, "ss", 0.9)])
    free = PhoneTrack([TimedPhone(0, 0.1, SIL), TimedPhone(0.1, 0.3, "a", 0.8), TimedPhone(0.3, 0.4, SIL),
                       TimedPhone(0.4, 0.5, "s", 0.8)], 0.5)
    out = fit_words(forced, free, post, [TimedWord(0.1, 0.3, "mm", 0.95), TimedWord(0.4, 0.5, "ss", 0.95)])
    assert [p.phone for p in out.phones] == [SIL, "a", SIL, "s"]
    assert out.phones[1].confidence <= REVIEW_CONFIDENCE and out.phones[3].confidence == 0.9
    assert len(out.warnings) == 1 and "0.10-0.30 s" in out.warnings[0] and "'mm'" in out.warnings[0]
    assert out.review_spans(0.5) == [(0.1, 0.3)]


def test_unsure_words_fall_back_too():
    from lipsync.phonemes.align.fit import fit_words

    post = _post([SIL] * 10 + ["s"] * 10)
    forced = PhoneTrack([TimedPhone(0, 0.1, SIL), TimedPhone(0.1, 0.2, "s", 0.9, "ss")], 0.2,
                        words=[TimedWord(0.1, 0.2, "ss", 0.9)])
    free = PhoneTrack([TimedPhone(0, 0.1, SIL), TimedPhone(0.1, 0.2, "s", 0.8)], 0.2)
    out = fit_words(forced, free, post, [TimedWord(0.1, 0.2, "ss", 0.02)])
    assert "unsure" in out.warnings[0] and out.phones[1].confidence < 0.5


def test_rest_outside_speech_regions(contiguous):
    from lipsync.phonemes.align.fit import rest_outside

    tr = PhoneTrack([TimedPhone(0, 0.5, "a"), TimedPhone(0.5, 1.0, "m"), TimedPhone(1.0, 2.0, "s")], 2.0,
                    words=[TimedWord(1.0, 2.0, "s")])
    rest_outside(tr, [(0.2, 0.7)])
    assert [(p.start, p.end, p.phone) for p in tr.phones] == [(0, 0.2, SIL), (0.2, 0.5, "a"), (0.5, 0.7, "m"),
                                                              (0.7, 2.0, SIL)]
    assert tr.words == []
    contiguous(tr)
