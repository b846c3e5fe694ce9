"""Interchange formats: export and import of every format, round trips lose nothing."""
import pytest

from lipsync.phonemes import formats
from lipsync.phonemes.formats import FORMATS, FormatError, export, load
from lipsync.phonemes.types import SIL, PhoneTrack, TimedPhone, TimedWord, VisemeCue, VisemeTrack
from lipsync.phonemes.visemes import phones_to_visemes

FPS = 24.0


def _track(step: float):
    """'mom, maybe bring the map' with phones `step` seconds long and pauses."""
    words = [("mom", ["m", "ɑ", "m"]), ("maybe", ["m", "eɪ", "b", "i"]), (None, None),
             ("bring", ["b", "ɹ", "ɪ", "ŋ"]), ("the", ["ð", "ə"]), ("map", ["m", "æ", "p"])]
    t = 2 * step
    phones = [TimedPhone(0.0, t, SIL)]
    tw = []
    for w, ps in words:
        if w is None:
            phones.append(TimedPhone(t, t + 3 * step, SIL))
            t += 3 * step
            continue
        s = t
        for p in ps:
            phones.append(TimedPhone(t, t + step, p, 0.9, w))
            t += step
        tw.append(TimedWord(s, t, w))
    phones.append(TimedPhone(t, t + 2 * step, SIL))
    t += 2 * step
    track = PhoneTrack(phones, t, words=tw)
    return track, phones_to_visemes(track)


def _cues(v):
    return [(round(c.start, 6), round(c.end, 6), c.viseme) for c in v.cues]


def test_every_format_is_registered_with_import():
    assert {"rhubarb-json", "tsv", "phones-tsv", "rhubarb-xml", "moho", "papagayo", "textgrid"} <= set(FORMATS)
    assert all(f.load is not None for f in FORMATS.values())


@pytest.mark.parametrize("fmt", ["rhubarb-json", "rhubarb-xml", "tsv"])
def test_rhubarb_round_trips(fmt, tmp_path):
    track, vis = _track(0.05)  # on Rhubarb's centisecond grid
    text = export(fmt, track, vis, "voice.wav")
    path = tmp_path / ("x" + FORMATS[fmt].extension)
    path.write_text(text, encoding="utf-8")
    _, back = load(str(path))
    want = [(s, e, v) for s, e, v in formats.rhubarb_cues(vis)]
    assert _cues(back) == want
    assert back.duration == pytest.approx(vis.duration)
    assert export(fmt, track, back, "voice.wav") == text
    if fmt == "rhubarb-xml":
        assert back.source == "voice.wav"


def test_moho_round_trip_on_frame_grid(tmp_path):
    track, vis = _track(1 / FPS)
    text = export("moho", track, vis)
    assert text.splitlines()[0] == "MohoSwitch1" and text.splitlines()[1] == "1 rest"
    _, back = formats.load_moho_dat(text)
    want = [(round(s / FPS, 6), round(e / FPS, 6), v) for s, e, v in formats.grid_cues(vis, FPS)]
    # switch data has no end time: the closing rest lasts one frame after import
    assert _cues(back)[:-1] == want[:-1] and _cues(back)[-1][::2] == want[-1][::2]
    assert export("moho", track, back) == text
    # another frame rate
    t30 = export("moho", track, vis, fps=30)
    _, b30 = formats.load_moho_dat(t30, fps=30)
    assert export("moho", track, b30, fps=30) == t30


def test_papagayo_round_trip(tmp_path):
    track, vis = _track(1 / FPS)
    text = export("papagayo", track, vis, "voice.wav")
    path = tmp_path / "x.pgo"
    path.write_text(text, encoding="utf-8")
    ptrack, back = load(str(path))
    assert back.source == "voice.wav"
    assert [(w.text, round(w.start * FPS), round(w.end * FPS)) for w in ptrack.words] == \
           [(w.text, round(w.start * FPS), round(w.end * FPS)) for w in track.words]
    want = [(round(s / FPS, 6), round(e / FPS, 6), v) for s, e, v in formats.grid_cues(vis, FPS)]
    assert _cues(back) == want
    assert ptrack.duration == pytest.approx(track.duration)
    assert export("papagayo", ptrack, back, "voice.wav") == text


def test_textgrid_round_trip(tmp_path):
    track, vis = _track(0.0537)  # not on any grid: TextGrid keeps exact times
    text = export("textgrid", track, vis)
    path = tmp_path / "x.TextGrid"
    path.write_text(text, encoding="utf-8")
    ptrack, back = load(str(path))
    assert [(p.start, p.end, p.phone, p.word) for p in ptrack.phones] == \
           [(p.start, p.end, p.phone, p.word) for p in track.phones]
    assert [(w.start, w.end, w.text) for w in ptrack.words] == [(w.start, w.end, w.text) for w in track.words]
    assert _cues(back) == _cues(vis)
    assert export("textgrid", ptrack, back) == text


def test_phones_tsv_round_trip(tmp_path):
    track, vis = _track(0.05)
    text = export("phones-tsv", track, vis)
    ptrack, _ = formats.load_phones_tsv(text)
    assert [p.phone for p in ptrack.phones] == [p.phone for p in track.phones]
    for a, b in zip(ptrack.phones, track.phones):
        assert a.start == pytest.approx(b.start, abs=1e-4) and a.end == pytest.approx(b.end, abs=1e-4)


@pytest.mark.parametrize("fmt,text,msg", [
    ("moho", "hello\n1 rest\n", "MohoSwitch1"),
    ("moho", "MohoSwitch1\n1 XYZ\n", "unknown mouth"),
    ("papagayo", "not papagayo\n", "lipsync version"),
    ("papagayo", "lipsync version 1\nx.wav\n24\n", "ends too early"),
    ("rhubarb-xml", "<foo/>", "rhubarbResult"),
    ("rhubarb-xml", "<rhubarbResult><mouthCues><mouthCue start='0' end='1'>Q</mouthCue></mouthCues></rhubarbResult>",
     "unknown mouth shapes"),
    ("textgrid", 'File type = "ooTextFile"\nObject class = "TextGrid"\n0\n1\n<exists>\n0\n', "no 'phones'"),
])
def test_bad_files_give_clear_errors(fmt, text, msg):
    with pytest.raises(FormatError, match=msg):
        FORMATS[fmt].load(text)


def _hand_track():
    """Cues whose edges fall between grid ticks, so rounding down and rounding to nearest differ."""
    cues = [VisemeCue(0.0, 0.1, "X"), VisemeCue(0.1, 0.14, "A"), VisemeCue(0.14, 0.2335, "C"),
            VisemeCue(0.2335, 0.3, "F"), VisemeCue(0.3, 0.51, "X")]
    return PhoneTrack([TimedPhone(0.0, 0.51, SIL)], 0.51), VisemeTrack(cues, 0.51)


def test_rhubarb_json_is_byte_for_byte_what_rhubarb_writes():
    """The layout of Rhubarb Lip Sync's JsonExporter: keys in its order, two decimals always, one cue a line
    ("{ "start": 0.00, ... }"), and the sound file escaped with non-ASCII characters as \\u escapes."""
    phones, vis = _hand_track()
    text = export("rhubarb-json", phones, vis, "/takes/Zoë \"final\".wav")
    assert text == (
        '{\n'
        '  "metadata": {\n'
        '    "soundFile": "/takes/Zo\\u00eb \\"final\\".wav",\n'
        '    "duration": 0.51\n'
        '  },\n'
        '  "mouthCues": [\n'
        '    { "start": 0.00, "end": 0.10, "value": "X" },\n'
        '    { "start": 0.10, "end": 0.14, "value": "A" },\n'
        '    { "start": 0.14, "end": 0.23, "value": "C" },\n'
        '    { "start": 0.23, "end": 0.30, "value": "F" },\n'
        '    { "start": 0.30, "end": 0.51, "value": "X" }\n'
        '  ]\n'
        '}\n')


def test_rhubarb_tsv_always_closes_with_the_end_time():
    phones, vis = _hand_track()
    assert export("tsv", phones, vis) == "0.00\tX\n0.10\tA\n0.14\tC\n0.23\tF\n0.30\tX\n0.51\tX\n"


def test_rhubarb_xml_layout():
    phones, vis = _hand_track()
    lines = export("rhubarb-xml", phones, vis, "a&b.wav").splitlines()
    assert lines[:7] == ['<?xml version="1.0" encoding="utf-8"?>', "<rhubarbResult>", "  <metadata>",
                         "    <soundFile>a&amp;b.wav</soundFile>", "    <duration>0.51</duration>", "  </metadata>",
                         "  <mouthCues>"]
    assert lines[8] == '    <mouthCue start="0.10" end="0.14">A</mouthCue>'


def test_frame_grids_round_to_the_nearest_frame():
    """Hand-computed at 24 fps: edges at 0.1 s (frame 2.4 -> 2), 0.14 s (3.36 -> 3), 0.2335 s (5.604 -> 6, not
    5), 0.3 s (7.2 -> 7), end 0.51 s (12.24 -> 12). Moho numbers frames from 1."""
    phones, vis = _hand_track()
    assert formats.grid_cues(vis, 24) == [(0, 2, "X"), (2, 3, "A"), (3, 6, "C"), (6, 7, "F"),
                                          (7, 12, "X")]
    assert export("moho", phones, vis) == "MohoSwitch1\n1 rest\n3 MBP\n4 E\n7 WQ\n8 rest\n"
    # centiseconds: 0.2335 s -> 23 (23.35), 0.14 -> 14
    assert formats.grid_cues(vis, 100)[2] == (14, 23, "C")
    # a cue shorter than half a frame vanishes instead of shifting its neighbours
    short = VisemeTrack([VisemeCue(0.0, 0.1, "X"), VisemeCue(0.1, 0.115, "A"), VisemeCue(0.115, 0.3, "C")], 0.3)
    assert formats.grid_cues(short, 24) == [(0, 2, "X"), (2, 3, "A"), (3, 7, "C")]  # 2.4 -> 2, 2.76 -> 3


def test_papagayo_words_and_mouths_on_the_nearest_frame():
    cues = [VisemeCue(0.0, 0.1, "X"), VisemeCue(0.1, 0.2335, "A"), VisemeCue(0.2335, 0.51, "X")]
    words = [TimedWord(0.1, 0.2335, "mm")]
    phones = PhoneTrack([TimedPhone(0.0, 0.1, SIL), TimedPhone(0.1, 0.2335, "m", 1.0, "mm"),
                         TimedPhone(0.2335, 0.51, SIL)], 0.51, words=words)
    lines = export("papagayo", phones, VisemeTrack(cues, 0.51), "v.wav").splitlines()
    assert lines[3] == "12"  # 0.51 s * 24 = 12.24 frames
    assert "\t\t\tmm 2 6 1" in lines and "\t\t\t\t2 MBP" in lines
