"""Scripts in other languages, end to end on synthetic speech: one line per script family is turned into phones
by the G2P (espeak-ng through its library), spoken by espeak-ng (the same library, which reports the exact time
of every phone it says), aligned with its script, and every bilabial the voice said must come out as a closed
mouth (and closed mouths only where the voice closed its lips)."""
import numpy as np
import pytest

from lipsync.phonemes import g2p
from lipsync.phonemes.phoneset import features

# (script family, ISO 639-3, espeak voice, line with several bilabials, written words)
LINES = [
    ("Latin", "fra", "fr", "Une bonne pomme, du pain et deux amis", 8),
    ("Cyrillic", "rus", "ru", "Мама мыла раму, папа пил пиво", 6),
    ("Greek", "ell", "el", "Η μαμά μου πίνει μπύρα με τον παππού", 8),
    ("Arabic", "ara", "ar", "بابا مبسوط من الباب", 4),
    ("Devanagari", "hin", "hi", "मेरा भाई पानी पीता है", 5),
    ("Hangul", "kor", "ko", "엄마 아빠 바보 밤", 4),
    ("kana", "jpn", "ja", "ばあば が まめ を まぜる", 5),
    ("Han", "cmn", "cmn", "爸爸 妈妈 不忙", 3),
]
BILABIAL = {"bilabial"}


@pytest.mark.parametrize("family,lang,voice,text,n_words", LINES, ids=[x[0] for x in LINES])
def test_g2p_reads_the_script(family, lang, voice, text, n_words):
    out = g2p.text_to_phones(text, lang)
    assert len(out) == n_words, out
    phones = [p for _w, ps in out for p in ps]
    assert all(features(p) is not None for p in phones), phones
    assert sum((features(p).place in BILABIAL) for p in phones) >= 3, phones
    assert g2p.espeak_voice(lang).split("-")[0] == voice


def _closed(track, t):
    for c in track.cues:
        if c.start <= t < c.end:
            return c.viseme == "A"
    return False


@pytest.mark.parametrize("family,lang,voice,text,n_words", LINES, ids=[x[0] for x in LINES])
def test_bilabials_close_the_mouth_on_synthetic_speech(family, lang, voice, text, n_words):
    from lipsync.phonemes.types import Audio
    from lipsync.pipeline import analyze
    from lipsync.training.synth import espeak

    espeak.use_bundled(True)  # the library the G2P uses (full Mandarin dictionary)
    try:
        if not espeak.available():
            pytest.fail("libespeak-ng (espeakng-loader) is needed")
        x, segs = espeak.synthesize(text, voice)
    finally:
        espeak.use_bundled(False)  # module state: later tests synthesise with the system library again
    result = analyze(Audio(x.astype(np.float32), 16000), transcript=text, language=lang)
    said = [(s, e) for s, e, p in segs if (features(p) or features("a")).place in BILABIAL]
    gold = [(s, e) for s, e in said if e - s >= 0.03]  # recall on closures long enough to see
    assert len(gold) >= 3, segs
    hit = sum(_closed(result.visemes, 0.5 * (s + e)) for s, e in gold)
    assert hit >= len(gold) - 1, (hit, len(gold), [(round(s, 2), p) for s, _e, p in segs], result.visemes.cues)
    # precision: every closed-mouth cue overlaps a bilabial the voice said (within 40 ms)
    for c in result.visemes.cues:
        if c.viseme == "A":
            assert any(c.start < e + 0.04 and c.end > s - 0.04 for s, e in said), (c, said)
