"""Recognisers: audio (+ optional transcript) -> timed IPA phones, all behind one interface.

``base`` defines what a recogniser is (``Recognizer``, ``PosteriorRecognizer``,
``RecognizerError``); ``registry`` lists them (``REGISTRY``, ``get_recognizer``,
``available_recognizers``); one module per recogniser: ``model``, ``fused``,
``pocketsphinx``, ``allosaurus``.
"""
from .base import PosteriorRecognizer, Recognizer, RecognizerError
from .registry import RECOGNIZER_NAMES, REGISTRY, RecognizerInfo, available_recognizers, get_recognizer, recognizer_info

__all__ = ["Recognizer", "PosteriorRecognizer", "RecognizerError", "RecognizerInfo", "REGISTRY", "RECOGNIZER_NAMES",
           "get_recognizer", "available_recognizers", "recognizer_info"]
