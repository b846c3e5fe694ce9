"""The allosaurus path, on a SMALL model built here in allosaurus's own on-disk format."""
import io
import json
import tarfile
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("allosaurus")

from lipsync.phonemes.recognizers import allosaurus as allosaurus_rec  # noqa: E402
from lipsync.phonemes.recognizers import RecognizerError, available_recognizers, get_recognizer  # noqa: E402
from lipsync.phonemes.types import SIL, Audio  # noqa: E402

PHONES = ["m", "a", "s", "i", "p", "u", "t"]


def build_model(root: Path, name: str = "tiny") -> Path:
    from argparse import Namespace

    from allosaurus.am.allosaurus_torch import AllosaurusTorchModel

    d = root / name
    (d / "inventory").mkdir(parents=True)
    pm = {"model": "mfcc_hires", "backend": "numpy", "dtype": "float32", "sample_rate": 8000,
          "window_size": 0.025, "window_shift": 0.01, "feature_window": 3, "cep_size": 8, "bank_size": 20,
          "low_freq": 20, "high_freq": -400, "use_energy": False, "dither": 0.0, "cmvn": "speaker"}
    am = {"model": "allosaurus", "hidden_size": 8, "layer_size": 1, "proj_size": 0, "feat_size": 24,
          "lang_size_dict": {"tiny": len(PHONES) + 1}, "phone_size": len(PHONES) + 1}
    (d / "pm_config.json").write_text(json.dumps(pm))
    (d / "am_config.json").write_text(json.dumps(am))
    (d / "lm_config.json").write_text(json.dumps({"model": "phone_ipa", "backend": "numpy"}))
    (d / "phone.txt").write_text("".join(f"{p} {i + 1}\n" for i, p in enumerate(PHONES)), encoding="utf-8")
    (d / "inventory" / "index.json").write_text(json.dumps([
        {"LanguageName": "English", "ISO6393": "eng", "GlottoCode": "stan1293", "phonelists": "eng.txt"},
        {"LanguageName": "Toy", "ISO6393": "toy", "GlottoCode": "toyy1234", "phonelists": "toy.txt"},
    ]))
    (d / "inventory" / "eng.txt").write_text("m\na\ns\ni\np\nu\nt\n", encoding="utf-8")
    (d / "inventory" / "toy.txt").write_text("m\na\n", encoding="utf-8")
    torch.manual_seed(0)
    model = AllosaurusTorchModel(Namespace(**am))
    torch.save(model.state_dict(), d / "model.pt")
    return d


@pytest.fixture
def model_root(tmp_path, monkeypatch):
    root = tmp_path / "models"
    build_model(root / "allosaurus")
    monkeypatch.setenv("LIPSYNC_MODELS_DIR", str(root))
    allosaurus_rec._CACHE.clear()
    return root


def _speechy(seconds=1.5, sr=16000):
    t = np.arange(int(seconds * sr)) / sr
    x = 0.3 * np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 2 * t) > 0)
    x += 0.01 * np.random.default_rng(0).normal(size=t.size)
    return Audio(x.astype(np.float32), sr, "synthetic")


def test_model_in_allosaurus_format_loads_with_read_recognizer(model_root, monkeypatch):
    # allosaurus's own entry point reads our small model (no network: urlopen fails loudly)
    from allosaurus import app
    from allosaurus.bin import download_model as dl

    def no_network(*a, **k):
        raise AssertionError("network used")

    monkeypatch.setattr(dl, "urlopen", no_network)
    d = model_root / "allosaurus"
    monkeypatch.setattr(app, "get_all_models", lambda *a, **k: [d / "tiny"])
    rec = app.read_recognizer("tiny", alt_model_path=d)
    assert rec.is_available("eng") and not rec.is_available("fra")


def test_recognize_whole_path(model_root):
    rec = get_recognizer("allosaurus", model="tiny")
    assert rec.languages() == {"eng": "English", "toy": "Toy"}
    audio = _speechy()
    post = rec.posteriors(audio, "eng")
    assert post.labels[0] == "<blk>" and set(post.labels[1:]) == set(PHONES)
    assert post.hop == pytest.approx(0.03)
    assert np.allclose(np.exp(post.log_probs).sum(1), 1.0, atol=1e-4)
    tr = rec.recognize(audio, language="eng")
    assert tr.phones[0].start == 0.0 and tr.phones[-1].end == pytest.approx(audio.duration)
    for a, b in zip(tr.phones, tr.phones[1:]):
        assert a.end == pytest.approx(b.start)
    assert all(p.phone in PHONES + [SIL] for p in tr.phones)
    # a toy language restricts the inventory
    post2 = rec.posteriors(audio, "toy")
    assert set(post2.labels) == {"<blk>", "m", "a"}
    # with a transcript, the transcript's phones are aligned, with words
    tr3 = rec.recognize(audio, transcript="ma", language="eng")
    assert [p.phone for p in tr3.phones if p.phone != SIL] == ["m", "ɑ"]
    assert [w.text for w in tr3.words] == ["ma"]


def test_unknown_language_is_a_clear_error(model_root):
    rec = get_recognizer("allosaurus", model="tiny")
    with pytest.raises(RecognizerError, match="does not know the language 'xyz'"):
        rec.recognize(_speechy(), language="xyz")
    with pytest.raises(RecognizerError, match="does not know the language 'fra'.*eng, toy"):
        get_recognizer("allosaurus", model="tiny", language="fra")


def test_missing_model_names_the_download_command(tmp_path, monkeypatch):
    monkeypatch.setenv("LIPSYNC_MODELS_DIR", str(tmp_path / "empty"))
    with pytest.raises(RecognizerError, match="lipsync models download allosaurus"):
        get_recognizer("allosaurus")
    assert "lipsync models download allosaurus" in available_recognizers()["allosaurus"]


def _archive(tmp_path, name="uni2005"):
    src = tmp_path / "src"
    build_model(src, name)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        tf.add(src / name, arcname=name)
    return buf.getvalue()


class _Resp(io.BytesIO):
    pass


def test_download_is_verified_against_its_sha256(tmp_path, monkeypatch):
    """Our own downloader (allosaurus's would install unchecked): verified, then unpacked; mocked at the network."""
    import hashlib

    from lipsync.errors import DownloadError
    from lipsync.phonemes.recognizers import downloads

    payload = _archive(tmp_path)
    good = hashlib.sha256(payload).hexdigest()
    urls = []

    def fake_urlopen(url, *a, **k):
        urls.append(url)
        return _Resp(payload)

    monkeypatch.setattr(downloads, "urlopen", fake_urlopen)
    dest = tmp_path / "user"
    # no recorded sum for this name: refused before any download, with the way to give one
    monkeypatch.setattr(downloads, "known", lambda family, name: None)
    with pytest.raises(DownloadError, match="No SHA-256 sum is recorded.*--sha256 SUM"):
        allosaurus_rec.download_model("uni2005", dest)
    assert urls == []
    # a sum that does not match: deleted, one clear line, nothing installed
    with pytest.raises(DownloadError, match="does not match its recorded SHA-256.*deleted"):
        allosaurus_rec.download_model("uni2005", dest, sha256="0" * 64)
    assert allosaurus_rec.installed_models(dest) == [] and not list(dest.iterdir())
    # the recorded sum (as model_sums.json would hold it): installed
    monkeypatch.setattr(downloads, "known", lambda family, name: {"url": "https://example.invalid/u.tar.gz",
                                                                    "sha256": good})
    path = allosaurus_rec.download_model("uni2005", dest)
    assert path == dest / "uni2005" and allosaurus_rec.installed_models(dest) == ["uni2005"]
    assert urls[-1] == "https://example.invalid/u.tar.gz"
    assert sorted(p.name for p in dest.iterdir()) == ["uni2005"]  # no archive or unpack folder left

    def offline(url, *a, **k):
        raise OSError("network unreachable")

    monkeypatch.setattr(downloads, "urlopen", offline)
    with pytest.raises(DownloadError, match="Could not download the allosaurus model 'eng2102'"):
        allosaurus_rec.download_model("eng2102", dest, sha256=good)


def test_an_archive_reaching_outside_its_folder_is_not_unpacked(tmp_path, monkeypatch):
    import hashlib

    from lipsync.phonemes.recognizers import downloads

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo("../evil.txt")
        info.size = 4
        tf.addfile(info, io.BytesIO(b"evil"))
    payload = buf.getvalue()
    monkeypatch.setattr(downloads, "urlopen", lambda url, *a, **k: _Resp(payload))
    with pytest.raises(RecognizerError, match="not a plain file inside"):
        allosaurus_rec.download_model("uni2005", tmp_path / "user", sha256=hashlib.sha256(payload).hexdigest())
    assert not (tmp_path / "evil.txt").exists()


def test_recorded_sums_list_the_known_models():
    from lipsync.phonemes.recognizers import downloads

    sums = downloads.recorded_sums()["allosaurus"]
    assert {"uni2005", "eng2102"} <= set(sums)
    for entry in sums.values():
        assert entry["url"].startswith("https://") and (entry["sha256"] is None or len(entry["sha256"]) == 64)


def test_windowed_long_clip(model_root, contiguous):
    """allosaurus runs a long clip window by window too (pipeline.analyze chunks it)."""
    from lipsync import pipeline
    from lipsync.phonemes.audio import ArraySource

    audio = _speechy(seconds=24)
    res = pipeline.analyze(ArraySource(audio), recognizer=get_recognizer("allosaurus", model="tiny"),
                           chunk_seconds=8, overlap_seconds=3)
    assert res.timings["windows"] == 3
    contiguous(res.phones)
    assert res.phones.duration == pytest.approx(24.0)
