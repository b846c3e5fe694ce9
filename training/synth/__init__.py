"""Synthetic speech with exact phone timings, for training data (never shipped).

A voice is named "engine:voice" (e.g. "flite:slt", "espeak:en-us+m3", "piper:joe",
"festival:slt_hts"). Each engine module (``flite``, ``espeak``, ``piper``, ``festival``)
gives ``VOICES``, ``OFFSETS`` ("engine:voice" -> seconds added to its times),
``available()`` and ``synthesize(text, voice, apply_offset=True)`` -> (float32 samples
at 16 kHz, [(start, end, ipa)]). What they share (the error, row fitting, per-text
values, the onset measurement) is in ``common``; engines never import this module.
"""
from __future__ import annotations

from .common import SynthError

ENGINES = ("flite", "espeak", "piper", "festival")


def engine(name: str):
    """The module of synthesis engine ``name``."""
    if name == "flite":
        from . import flite as m
    elif name == "espeak":
        from . import espeak as m
    elif name == "piper":
        from . import piper as m
    elif name == "festival":
        from . import festival as m
    else:
        raise SynthError(f"unknown synthesis engine {name!r}; use one of {ENGINES}")
    return m


def synthesize(text: str, voice: str, apply_offset: bool = True):
    """Speak ``text`` with ``voice`` ("engine:voice"); (float32 samples at 16 kHz, [(start, end, ipa)])."""
    name, _, v = voice.partition(":")
    return engine(name).synthesize(text, v, apply_offset)


def engine_voices(name: str) -> tuple:
    """The voices ("engine:voice") of an engine, or () when the engine is not installed here."""
    m = engine(name)
    try:
        ok = m.available()
    except Exception:  # noqa: BLE001 - a broken install counts as not installed
        ok = False
    return tuple(m.VOICES) if ok else ()


__all__ = ["ENGINES", "SynthError", "engine", "synthesize", "engine_voices"]
