"""Interchange formats, case by case with hand-written expected files: grids, loaders' errors and defaults,
format guessing, TextGrid tiers, Papagayo phrases. (test_formats.py has the round trips.)"""
import dataclasses

import pytest

from lipsync.errors import FormatError
from lipsync.phonemes import formats, textgrid
from lipsync.phonemes.formats import FORMATS, export, grid_cues, load
from lipsync.phonemes.types import SIL, PhoneTrack, TimedPhone, TimedWord, VisemeCue, VisemeTrack


def vt(cues, duration, source=""):
    return VisemeTrack([VisemeCue(a, b, v) for a, b, v in cues], duration, source)


def cues_of(track):
    return [(round(c.start, 6), round(c.end, 6), c.viseme) for c in track.cues]


# ---------------------------------------------------------------- the registry
def test_formats_are_named_by_their_keys_and_frozen():
    for name, f in FORMATS.items():
        assert f.name == name and f.extension.startswith(".") and f.description
    assert FORMATS["phones-tsv"].extension == ".phones.tsv" and FORMATS["textgrid"].extension == ".TextGrid"
    with pytest.raises(dataclasses.FrozenInstanceError):
        FORMATS["tsv"].extension = ".txt"


def test_unknown_formats_name_the_known_ones():
    with pytest.raises(FormatError, match="unknown format 'srt'; choose one of: rhubarb-json, tsv, phones-tsv"):
        export("srt", None, vt([(0, 1, "X")], 1.0))
    with pytest.raises(FormatError, match="cannot be imported"):
        load("x.json", fmt="srt")


def test_load_guesses_the_format_from_the_longest_extension(tmp_path):
    p = tmp_path / "line.phones.tsv"  # also ends in .tsv: the longer, more specific extension wins
    p.write_text("0.0000\t0.5000\tsil\n0.5000\t0.7500\tm\n", encoding="utf-8")
    phones, vis = load(str(p))
    assert vis is None and [x.phone for x in phones.phones] == [SIL, "m"] and phones.duration == 0.75
    q = tmp_path / "LINE.TSV"  # case does not matter
    q.write_text("0.00\tX\n0.40\tA\n0.60\tX\n", encoding="utf-8")
    _, v = load(str(q))
    assert cues_of(v) == [(0.0, 0.4, "X"), (0.4, 0.6, "A")] and v.duration == 0.6
    with pytest.raises(FormatError, match="cannot tell the format of .*x.srt from its extension"):
        load(str(tmp_path / "x.srt"))
    # an explicit format wins over the extension, and options (fps) reach the loader
    m = tmp_path / "cues.txt"
    m.write_text("MohoSwitch1\n1 rest\n11 MBP\n", encoding="utf-8")
    _, v30 = load(str(m), fmt="moho", fps=30)
    assert cues_of(v30) == [(0.0, 0.333333, "X"), (0.333333, 0.366667, "A")]


# ---------------------------------------------------------------- grids
@pytest.mark.parametrize("cues,duration,want", [
    ([(0.01, 0.1, "A")], 0.1, [(0, 1, "X"), (1, 10, "A")]),  # a first cue after tick 0: rest before it
    ([(0.0, 0.1, "A")], 0.1, [(0, 10, "A")]),  # from tick 0: no rest before
    ([(0.0, 0.1, "A"), (0.1, 0.2, "A"), (0.2, 0.3, "B")], 0.3, [(0, 20, "A"), (20, 30, "B")]),  # same shape joined
    ([(0.0, 0.1, "A"), (0.1, 0.102, "B"), (0.102, 0.3, "C")], 0.3, [(0, 10, "A"), (10, 30, "C")]),  # empty on grid
    ([(0.0, 0.1, "A")], 0.25, [(0, 10, "A"), (10, 25, "X")]),  # rest after the last shape
    ([(0.0, 0.1, "X")], 0.25, [(0, 25, "X")]),  # a closing rest is stretched, not doubled
    ([(0.0, 0.4, "A")], 0.25, [(0, 25, "A")]),  # cues past the end are cut at the duration
    ([], 0.25, [(0, 25, "X")]),  # no cues: rest throughout
    ([], 0.0, [(0, 1, "X")]),  # nothing at all: one tick of rest (never an empty file)
])
def test_grid_cues(cues, duration, want):
    assert grid_cues(vt(cues, duration), 100) == want


def test_rhubarb_cues_are_seconds_on_the_centisecond_grid():
    assert formats.rhubarb_cues(vt([(0.0, 0.123, "A"), (0.123, 0.5, "C")], 0.5)) == \
        [(0.0, 0.12, "A"), (0.12, 0.5, "C")]


# ---------------------------------------------------------------- Rhubarb loaders
def test_rhubarb_json_loader_defaults_and_errors():
    _, v = formats.load_rhubarb_json('{"mouthCues": [{"start": 0, "end": 0.5, "value": "A"}]}')
    assert v.duration == 0.5 and v.source == "" and cues_of(v) == [(0.0, 0.5, "A")]
    _, v = formats.load_rhubarb_json('{"metadata": {"soundFile": "a.wav", "duration": 2.0}, "mouthCues": []}')
    assert v.duration == 2.0 and v.source == "a.wav" and v.cues == []
    for bad in ("not json", '{"metadata": {}}', '{"mouthCues": [{"start": 0}]}'):
        with pytest.raises(FormatError, match="not Rhubarb JSON"):
            formats.load_rhubarb_json(bad)
    with pytest.raises(FormatError, match=r"unknown mouth shapes \['Q'\]"):
        formats.load_rhubarb_json('{"mouthCues": [{"start": 0, "end": 1, "value": "Q"}]}')


def test_rhubarb_tsv_loader_lines_and_errors():
    _, v = formats.load_rhubarb_tsv("0.00\tX\n\n0.20\tA\n0.50\tD\n")  # blank lines are fine; last shape held
    assert cues_of(v) == [(0.0, 0.2, "X"), (0.2, 0.5, "A"), (0.5, 0.5, "D")] and v.duration == 0.5
    _, single = formats.load_rhubarb_tsv("0.00\tX\n")
    assert cues_of(single) == [(0.0, 0.0, "X")] and single.duration == 0.0
    with pytest.raises(FormatError, match="line 2: expected 'start<TAB>shape'"):
        formats.load_rhubarb_tsv("0.00\tX\n0.20 A\n")
    with pytest.raises(FormatError, match="empty Rhubarb TSV"):
        formats.load_rhubarb_tsv("\n\n")


def test_rhubarb_xml_loader_defaults():
    _, v = formats.load_rhubarb_xml('<rhubarbResult><mouthCues><mouthCue start="0.00" end="0.30"> B </mouthCue>'
                                    '</mouthCues></rhubarbResult>')
    assert cues_of(v) == [(0.0, 0.3, "B")] and v.duration == 0.3 and v.source == ""
    with pytest.raises(FormatError, match="not Rhubarb XML"):
        formats.load_rhubarb_xml("<rhubarbResult><mouthCues><mouthCue start='x' end='1'>A</mouthCue>"
                                 "</mouthCues></rhubarbResult>")
    with pytest.raises(FormatError, match="not Rhubarb XML"):
        formats.load_rhubarb_xml("<unclosed")


def test_phones_tsv_exact_text_and_errors():
    track = PhoneTrack([TimedPhone(0.0, 0.12345, SIL), TimedPhone(0.12345, 0.5, "ʃ")], 0.5)
    assert export("phones-tsv", track, None) == "0.0000\t0.1235\tsil\n0.1235\t0.5000\tʃ\n"
    empty, _ = formats.load_phones_tsv("\n")
    assert empty.phones == [] and empty.duration == 0.0 and empty.recognizer == "imported"
    with pytest.raises(FormatError, match="line 2: expected 'start<TAB>end<TAB>phone'"):
        formats.load_phones_tsv("0\t1\tm\n1\t2\n")
    back, _ = formats.load_phones_tsv("0\t1\tɡ\n")
    assert back.phones[0].phone == "ɡ"  # normalised IPA


# ---------------------------------------------------------------- Moho
def test_moho_loader_and_mouth_names():
    _, v = formats.load_moho_dat("MohoSwitch1\n1 rest\n3 MBP\n5 U\n7 FV\n", fps=24)
    assert cues_of(v) == [(0.0, 0.083333, "X"), (0.083333, 0.166667, "A"), (0.166667, 0.25, "F"),
                          (0.25, 0.291667, "G")]  # U (Papagayo's 10-mouth set) is rounded (F); last held a frame
    assert v.duration == pytest.approx(0.291667, abs=1e-6)
    with pytest.raises(FormatError, match="line 3: expected 'frame mouth'"):
        formats.load_moho_dat("MohoSwitch1\n1 rest\nthree MBP\n")
    with pytest.raises(FormatError, match="without any mouth"):
        formats.load_moho_dat("MohoSwitch1\n")
    with pytest.raises(FormatError, match="MohoSwitch1"):
        formats.load_moho_dat("")


def test_moho_closes_with_rest_after_a_last_shape():
    assert export("moho", None, vt([(0.0, 0.5, "C")], 0.5)) == "MohoSwitch1\n1 E\n13 rest\n"
    assert export("moho", None, vt([(0.0, 0.5, "C")], 0.5), fps=10) == "MohoSwitch1\n1 E\n6 rest\n"


# ---------------------------------------------------------------- Papagayo
def _pgo_track():
    phones = [TimedPhone(0.0, 0.5, SIL), TimedPhone(0.5, 0.75, "m", 1.0, "ma"), TimedPhone(0.75, 1.0, "a", 1.0, "ma"),
              TimedPhone(1.0, 1.1, SIL), TimedPhone(1.1, 1.5, "o", 1.0, "oh"), TimedPhone(1.5, 2.0, SIL),
              TimedPhone(2.0, 2.5, "i", 1.0, "ee"), TimedPhone(2.5, 3.0, SIL)]
    words = [TimedWord(0.5, 1.0, "ma"), TimedWord(1.1, 1.5, "oh"), TimedWord(2.0, 2.5, "ee")]
    vis = vt([(0.0, 0.5, "X"), (0.5, 0.75, "A"), (0.75, 1.0, "D"), (1.0, 1.1, "X"), (1.1, 1.5, "E"),
              (1.5, 2.0, "X"), (2.0, 2.5, "C"), (2.5, 3.0, "X")], 3.0)
    return PhoneTrack(phones, 3.0, words=words), vis


def test_papagayo_phrases_split_at_pauses_of_a_quarter_second():
    track, vis = _pgo_track()
    lines = export("papagayo", track, vis, "v.wav", fps=10).splitlines()
    assert lines[:8] == ["lipsync version 1", "v.wav", "10", "30", "1", "\tVoice 1", "\tma oh ee", "\t2"]
    # "ma" and "oh" are 0.1 s apart (one phrase); "ee" follows a 0.5 s pause (a second phrase)
    assert lines[8:12] == ["\t\tma oh", "\t\t5", "\t\t15", "\t\t2"]
    assert lines[12:15] == ["\t\t\tma 5 10 2", "\t\t\t\t5 MBP", "\t\t\t\t8 AI"]  # 0.75 s -> frame 7.5 -> 8
    assert "\t\tee" in lines and "\t\t\tee 20 25 1" in lines and "\t\t\t\t20 E" in lines


def test_papagayo_without_words_makes_one_word_per_stretch_of_speech():
    _, vis = _pgo_track()
    text = export("papagayo", None, vis, "v.wav", fps=10)
    assert "\t... ... ..." in text.splitlines()  # three stretches of speech between rests
    track, back = formats.load_papagayo_pgo(text)
    assert track.words == []  # the placeholder words are not real words
    assert cues_of(back)[1] == (0.5, 0.8, "A")  # frames 5 and 8 (0.75 s rounds to frame 8)


def test_papagayo_loader_joins_voices_and_reports_bad_lines():
    text = "\n".join(["lipsync version 1", "two.wav", "10", "20", "2",
                      "Voice 1", "ma", "1", "ma", "0", "5", "1", "ma 0 5 1", "0 MBP",
                      "Voice 2", "oo", "1", "oo", "10", "15", "1", "oo 10 15 2", "10 WQ", "12 WQ"]) + "\n"
    track, vis = formats.load_papagayo_pgo(text)
    assert [(w.text, w.start, w.end) for w in track.words] == [("ma", 0.0, 0.5), ("oo", 1.0, 1.5)]
    assert cues_of(vis) == [(0.0, 0.5, "A"), (0.5, 1.0, "X"), (1.0, 1.5, "F"), (1.5, 2.0, "X")]
    assert vis.source == "two.wav" and vis.duration == 2.0 and track.duration == 2.0
    with pytest.raises(FormatError, match="unknown mouth 'ZZ'"):
        formats.load_papagayo_pgo(text.replace("12 WQ", "12 ZZ"))
    with pytest.raises(FormatError, match="not a Papagayo project"):
        formats.load_papagayo_pgo(text.replace("\n20\n", "\ntwenty\n"))


# ---------------------------------------------------------------- TextGrid
def test_textgrid_export_fills_word_gaps_and_reads_aliases(tmp_path):
    track, vis = _pgo_track()
    tg = textgrid.parse(export("textgrid", track, vis))
    assert [t.name for t in tg.tiers] == ["phones", "words", "visemes"] and tg.xmax == 3.0
    words = tg.tier("words").intervals
    assert words == [(0.0, 0.5, ""), (0.5, 1.0, "ma"), (1.0, 1.1, ""), (1.1, 1.5, "oh"), (1.5, 2.0, ""),
                     (2.0, 2.5, "ee"), (2.5, 3.0, "")]
    assert tg.tier("phones").intervals[0] == (0.0, 0.5, "")  # silence is an empty interval, as in Praat
    # no words at all: one empty interval over the clip
    bare = textgrid.parse(export("textgrid", PhoneTrack([TimedPhone(0, 1, SIL)], 1.0), None))
    assert bare.tier("words").intervals == [(0.0, 1.0, "")] and bare.tier("visemes") is None
    # other tools' tier names: "phone" / "word" / "mouth"; a word's phones get the word
    other = textgrid.dumps(textgrid.TextGrid([
        textgrid.Tier("Phone", "IntervalTier", [(0.0, 0.2, ""), (0.2, 0.5, "m"), (0.5, 1.0, "a")], 0, 1),
        textgrid.Tier("word", "IntervalTier", [(0.0, 0.2, ""), (0.2, 1.0, "ma")], 0, 1),
        textgrid.Tier("mouth", "IntervalTier", [(0.0, 0.2, "X"), (0.2, 1.0, "A")], 0, 1)], 0, 1.0))
    path = tmp_path / "o.TextGrid"
    path.write_text(other, encoding="utf-16")  # Praat's UTF-16 files too
    ph, v = load(str(path))
    assert [(p.phone, p.word) for p in ph.phones] == [(SIL, None), ("m", "ma"), ("a", "ma")]
    assert [w.text for w in ph.words] == ["ma"] and cues_of(v) == [(0.0, 0.2, "X"), (0.2, 1.0, "A")]
    with pytest.raises(FormatError, match=r"unknown mouth shapes \['Q'\]"):
        formats.load_textgrid(other.replace('text = "A"', 'text = "Q"'))
    with pytest.raises(FormatError, match="not a Praat TextGrid"):
        formats.load_textgrid("hello")


def test_textgrid_parser_short_format_points_and_errors():
    short = ('File type = "ooTextFile"\nObject class = "TextGrid"\n\n0\n2\n<exists>\n2\n'
             '"IntervalTier"\n"phones"\n0\n2\n2\n0\n1\n"a"\n1\n2\n"say ""hi"""\n'
             '"TextTier"\n"clicks"\n0\n2\n1\n1.5\n"tick"\n')
    tg = textgrid.parse(short)
    assert tg.xmin == 0 and tg.xmax == 2 and [t.kind for t in tg.tiers] == ["IntervalTier", "TextTier"]
    assert tg.tiers[0].intervals == [(0.0, 1.0, "a"), (1.0, 2.0, 'say "hi"')]
    assert tg.tiers[1].intervals == [(1.5, 1.5, "tick")] and tg.tier("CLICKS") is tg.tiers[1]
    assert textgrid.parse(textgrid.dumps(tg)).tiers == tg.tiers  # points and quotes survive a round trip
    assert textgrid.parse('Object class = "TextGrid"\n0\n3\n<absent>\n').tiers == []
    with pytest.raises(textgrid.TextGridError, match="ends early"):
        textgrid.parse('Object class = "TextGrid"\n0\n2\n<exists>\n1\n"IntervalTier"\n"x"\n0\n2\n1\n0\n')
    with pytest.raises(textgrid.TextGridError, match="expected a number"):
        textgrid.parse('Object class = "TextGrid"\n0\n"two"\n')
