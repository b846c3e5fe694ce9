"""Visemes and mouth controls, derived from articulatory features.

Two viseme vocabularies:
- ``DETAIL_VISEMES``: 15 classes (the Oculus / Ready Player Me set: sil, PP, FF,
  TH, DD, kk, CH, SS, nn, RR, aa, E, I, O, U), fine enough to drive any preset;
- ``VISEMES``: Preston Blair / Rhubarb Lip Sync mouth shapes A-H and X, the
  vocabulary of Rhubarb's JSON and of most 2D rigs.

Five visual classes (``VISUAL_CLASSES``: closed, lip-to-teeth, rounded, open,
narrow) are the coarse grouping used for evaluation.

Continuous controls (``CONTROLS``) are per-frame values in 0..1 that 3D rigs
mix: jaw opening, lip closure, pucker, spread, lower lip to teeth, tongue tip up.
"""
from __future__ import annotations

from .phoneset import Features, features, normalize, split_diphthong
from .types import SIL, VisemeCue, VisemeTrack

VISEMES = ("A", "B", "C", "D", "E", "F", "G", "H", "X")
VISEME_DESCRIPTIONS = {
    "A": "Closed mouth for M, B, P",
    "B": "Slightly open, clenched teeth: most consonants (K, S, T), EE",
    "C": "Open mouth: EH, AE",
    "D": "Wide open mouth: AA",
    "E": "Slightly rounded: AO, ER",
    "F": "Puckered lips: UW, OW, W",
    "G": "Upper teeth on lower lip: F, V",
    "H": "Tongue raised behind teeth: long L",
    "X": "Rest: silence and pauses",
}
DETAIL_VISEMES = ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "I", "O", "U")
VISUAL_CLASSES = ("closed", "lip-to-teeth", "rounded", "open", "narrow")
CONTROLS = ("jaw_open", "lip_close", "pucker", "spread", "lip_teeth", "tongue_up")

# Preston Blair shape -> visual class (rest counts as closed-ish "narrow" mouth? no:
# rest is its own thing in animation, but for five-class accuracy it is "narrow").
VISEME_TO_CLASS = {
    "A": "closed", "G": "lip-to-teeth", "E": "rounded", "F": "rounded",
    "C": "open", "D": "open", "B": "narrow", "H": "narrow", "X": "narrow",
}
DETAIL_TO_VISEME = {
    "sil": "X", "PP": "A", "FF": "G", "TH": "B", "DD": "B", "kk": "B", "CH": "B", "SS": "B",
    "nn": "B", "RR": "B", "aa": "D", "E": "C", "I": "B", "O": "E", "U": "F",
}


def _lips_closed(f: Features) -> bool:
    """A labial-velar stop or nasal (k͡p ɡ͡b ŋ͡m) closes the lips like a bilabial (w, ʍ only round them)."""
    return f.place == "labial-velar" and f.manner in ("stop", "nasal")


def _viseme_from_features(f: Features | None) -> str:
    if f is None or f.kind == "silence":
        return "X"
    if f.kind == "consonant":
        if f.place == "bilabial" or _lips_closed(f):
            return "A"
        if f.place == "labiodental":
            return "G"
        if f.manner == "lateral" and f.place in ("alveolar", "dental", "retroflex"):
            return "H"
        if f.place == "labial-velar" or (f.round and f.manner == "approximant" and not f.rhotic):
            return "F"
        return "B"
    # vowels
    if f.rhotic:
        return "E"
    if f.round:
        return "F" if f.height < 0.5 else "E"
    if f.height >= 0.85:
        return "D"
    if f.height >= 0.4:
        return "C"
    return "B"


def _detail_from_features(f: Features | None) -> str:
    if f is None or f.kind == "silence":
        return "sil"
    if f.kind == "consonant":
        if f.place == "bilabial" or _lips_closed(f):
            return "PP"
        if f.place == "labiodental":
            return "FF"
        if f.place == "dental":
            return "TH"
        if f.place == "labial-velar":
            return "U"
        if f.rhotic:
            return "RR"
        if f.place == "postalveolar" or (f.manner == "affricate" and f.place in ("palatal", "retroflex")):
            return "CH"
        if f.manner in ("fricative", "affricate") and f.place in ("alveolar", "retroflex", "palatal"):
            return "SS"
        if f.manner in ("nasal", "lateral") and f.place in ("alveolar", "retroflex", "palatal"):
            return "nn"
        if f.place in ("alveolar", "retroflex"):
            return "DD"
        if f.place == "palatal" and f.manner == "approximant":
            return "I"
        return "kk"
    if f.rhotic:
        return "RR"
    if f.round:
        return "U" if f.height < 0.3 else "O"
    if f.height >= 0.75:
        return "aa"
    if f.height >= 0.6 and f.backness > 0.6:
        return "aa"
    if f.height >= 0.3:
        return "E"
    return "I"


def viseme_for_phone(phone: str) -> str:
    """Preston Blair shape (A-H, X) for one IPA phone (a diphthong gets its onset's shape)."""
    return _viseme_from_features(features(normalize(phone)))


def detail_viseme_for_phone(phone: str) -> str:
    """The finer 15-class viseme for one IPA phone."""
    return _detail_from_features(features(normalize(phone)))


def visual_class_for_phone(phone: str) -> str:
    return VISEME_TO_CLASS[viseme_for_phone(phone)]


def viseme_sequence(phone: str) -> list[tuple[float, str, str]]:
    """(fraction, Preston Blair shape, detail viseme) targets inside one phone (diphthongs give two)."""
    return [(frac, viseme_for_phone(seg), detail_viseme_for_phone(seg)) for frac, seg in split_diphthong(phone)]


def control_targets(phone: str) -> dict[str, float]:
    """Target values (0..1) of each control in ``CONTROLS`` while ``phone`` is articulated."""
    f = features(normalize(phone))
    t = dict.fromkeys(CONTROLS, 0.0)
    if f is None or f.kind == "silence":
        return t
    if f.kind == "vowel":
        t["jaw_open"] = 0.15 + 0.75 * f.height
        if f.round:
            t["pucker"] = 0.95 - 0.45 * f.height
            t["jaw_open"] *= 0.8
        else:
            t["spread"] = max(0.0, 0.7 * (1.0 - f.backness) * (1.0 - f.height))
        if f.rhotic:
            t["pucker"] = max(t["pucker"], 0.45)
            t["tongue_up"] = 0.4
        return t
    # consonants: the jaw stays nearly closed, the place decides the lips
    t["jaw_open"] = {"stop": 0.1, "nasal": 0.1, "fricative": 0.12, "affricate": 0.12,
                     "approximant": 0.2, "lateral": 0.22, "trill": 0.2, "tap": 0.18}.get(f.manner, 0.15)
    if f.place == "bilabial" or _lips_closed(f):
        t["lip_close"] = 1.0
        t["jaw_open"] = 0.03
    elif f.place == "labiodental":
        t["lip_teeth"] = 1.0
        t["jaw_open"] = 0.08
    elif f.place in ("dental", "alveolar", "retroflex"):
        t["tongue_up"] = 1.0 if f.manner in ("lateral", "stop", "nasal", "tap", "trill") or f.place == "dental" else 0.5
        if f.manner in ("fricative", "affricate") and f.place == "alveolar":
            t["spread"] = 0.35
    elif f.place == "postalveolar":
        t["pucker"] = 0.55
        t["tongue_up"] = 0.5
    elif f.place == "palatal":
        t["spread"] = 0.45
    elif f.place in ("velar", "uvular"):
        t["jaw_open"] = max(t["jaw_open"], 0.25)
    elif f.place in ("glottal", "pharyngeal"):
        t["jaw_open"] = 0.3
    elif f.place == "labial-velar":
        t["pucker"] = 1.0
    if f.round and f.place not in ("labial-velar", "postalveolar"):
        t["pucker"] = max(t["pucker"], 0.5)
    if f.rhotic and f.place != "uvular":
        t["pucker"] = max(t["pucker"], 0.35)
    return t


def phones_to_visemes(track) -> VisemeTrack:
    """Timed phones (PhoneTrack) -> Preston Blair cues (VisemeTrack), diphthongs split, neighbours merged."""

    cues: list[VisemeCue] = []
    for p in track.phones:
        t0 = p.start
        for frac, vis, det in viseme_sequence(p.phone):
            t1 = t0 + frac * (p.end - p.start)
            if cues and cues[-1].viseme == vis and abs(cues[-1].end - t0) < 1e-9:
                cues[-1].end = t1
                cues[-1].confidence = min(cues[-1].confidence, p.confidence)
            else:
                cues.append(VisemeCue(t0, t1, vis, p.confidence, det))
            t0 = t1
    if not cues or track.duration <= 0:
        return VisemeTrack([VisemeCue(0.0, max(track.duration, 0.0), "X")], track.duration, track.source)
    return VisemeTrack(cues, track.duration, track.source)


__all__ = [
    "VISEMES", "DETAIL_VISEMES", "VISUAL_CLASSES", "CONTROLS", "VISEME_TO_CLASS", "DETAIL_TO_VISEME",
    "VISEME_DESCRIPTIONS", "viseme_for_phone", "detail_viseme_for_phone", "visual_class_for_phone",
    "viseme_sequence", "control_targets", "phones_to_visemes", "SIL",
]
