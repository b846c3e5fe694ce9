"""Interchange formats, the details a user meets: the exact one-line messages for bad files, the defaults of each
exporter and loader, export-only formats, Papagayo's mouth names and pseudo-words, TextGrid tiers.
Expected values are written by hand from the formats' own conventions (Papagayo's Preston Blair mouth set,
Praat's tiers spanning the grid), never computed with the code under test."""
import pytest

from lipsync.errors import FormatError
from lipsync.phonemes import formats, textgrid
from lipsync.phonemes.formats import FORMATS, Format, export, format_of, load
from lipsync.phonemes.types import SIL, PhoneTrack, TimedPhone, TimedWord, VisemeCue, VisemeTrack


def vt(cues, duration, source=""):
    return VisemeTrack([VisemeCue(a, b, v) for a, b, v in cues], duration, source)


def message(fn, *args, **kw):
    with pytest.raises(FormatError) as e:
        fn(*args, **kw)
    return str(e.value)


# ---------------------------------------------------------------- messages, whole
@pytest.mark.parametrize("fmt,text,want", [
    ("tsv", "0.00\tX\n0.20 A\n", "line 2: expected 'start<TAB>shape', got '0.20 A'"),
    ("tsv", "\n\n", "empty Rhubarb TSV"),
    ("phones-tsv", "0\t1\tm\n1\t2\n", "line 2: expected 'start<TAB>end<TAB>phone', got '1\\t2'"),
    ("rhubarb-json", '{"mouthCues": [{"start": 0, "end": 1, "value": "Q"}]}',
     "unknown mouth shapes ['Q'] in Rhubarb JSON (expected A-H and X)"),
    ("rhubarb-xml", "<foo/>", "not Rhubarb XML: the root element is <foo>, expected <rhubarbResult>"),
    ("rhubarb-xml", '<rhubarbResult><mouthCues><mouthCue start="0" end="1">Q</mouthCue></mouthCues></rhubarbResult>',
     "unknown mouth shapes ['Q'] in Rhubarb XML (expected A-H and X)"),
    ("moho", "hello\n", "not Moho switch data: the first line must be 'MohoSwitch1'"),
    ("moho", "MohoSwitch1\nthree MBP\n", "line 2: expected 'frame mouth', got 'three MBP'"),
    ("moho", "MohoSwitch1\n1 XYZ\n",
     "line 2: unknown mouth 'XYZ' (expected one of MBP, etc, E, AI, O, WQ, FV, L, rest, U)"),
    ("moho", "MohoSwitch1\n", "Moho switch data without any mouth"),
    ("papagayo", "not papagayo\n", "not a Papagayo project: the first line must be 'lipsync version 1'"),
    ("papagayo", "lipsync version 1\nx.wav\n24\n", "the Papagayo project ends too early"),
    ("papagayo", "lipsync version 1\nx.wav\n24\n10\n1\nV\nma\n1\nma\n0\n5\n1\nma 0 5 1\n0 ZZ\n",
     "line 14: unknown mouth 'ZZ'"),
    ("textgrid", 'File type = "ooTextFile"\nObject class = "TextGrid"\n0\n1\n<exists>\n1\n"IntervalTier"\n"words"\n'
                 '0\n1\n1\n0\n1\n"ma"\n', "the TextGrid has no 'phones' or 'visemes' tier (tiers: ['words'])"),
])
def test_bad_files_give_exactly_one_clear_line(fmt, text, want):
    assert message(FORMATS[fmt].load, text) == want


@pytest.mark.parametrize("fmt,text,prefix", [
    ("rhubarb-json", "not json", "not Rhubarb JSON: "),
    ("rhubarb-xml", "<unclosed", "not Rhubarb XML: "),
    ("papagayo", "lipsync version 1\nx.wav\ntwenty\n", "not a Papagayo project (line 3): "),
    ("textgrid", "hello", "not a Praat TextGrid: "),
])
def test_parser_errors_start_with_what_the_file_is_not(fmt, text, prefix):
    got = message(FORMATS[fmt].load, text)
    assert got.startswith(prefix) and "\n" not in got and not got.endswith("XX")
    # the parser's own reason follows, unchanged (e.g. Python's "could not convert string to float: 'twenty'")
    assert len(got) > len(prefix)


def test_format_names_and_paths_in_messages(tmp_path):
    assert message(export, "srt", None, vt([(0, 1, "X")], 1.0)) == \
        "unknown format 'srt'; choose one of: rhubarb-json, tsv, phones-tsv, rhubarb-xml, moho, papagayo, textgrid"
    p = str(tmp_path / "x.srt")
    assert message(load, p) == f"cannot tell the format of {p} from its extension; name it explicitly"
    assert message(load, p, fmt="srt") == "format 'srt' cannot be imported"


# ---------------------------------------------------------------- export-only formats
def test_an_export_only_format_is_written_but_never_offered_for_import(monkeypatch, tmp_path):
    only_out = Format("srt", ".srt", "subtitles", lambda p, v, s="": "1\n")  # no loader given
    monkeypatch.setitem(FORMATS, "srt", only_out)
    assert only_out.load is None
    assert format_of("line.SRT") == "srt"  # any format, by default
    assert format_of("line.srt", readable=True) is None  # not among the importable ones
    assert format_of("line.json", readable=True) == "rhubarb-json"
    path = tmp_path / "line.srt"
    path.write_text("1\n", encoding="utf-8")
    assert message(load, str(path)) == f"cannot tell the format of {path} from its extension; name it explicitly"
    assert message(load, str(path), fmt="srt") == "format 'srt' cannot be imported"


# ---------------------------------------------------------------- exporters' and loaders' defaults
def test_exporters_called_without_a_sound_file_name_none():
    phones = PhoneTrack([TimedPhone(0.0, 0.5, SIL)], 0.5)
    vis = vt([(0.0, 0.5, "X")], 0.5)
    assert '    "soundFile": "",' in formats.export_rhubarb_json(phones, vis).splitlines()
    assert '    "soundFile": "",' in export("rhubarb-json", phones, vis).splitlines()
    assert "    <soundFile></soundFile>" in formats.export_rhubarb_xml(phones, vis).splitlines()
    assert formats.export_papagayo_pgo(phones, vis).splitlines()[1] == ""  # line 2: the sound file


def test_rhubarb_xml_whole_text():
    vis = vt([(0.0, 0.2, "X"), (0.2, 0.5, "B")], 0.5)
    assert export("rhubarb-xml", None, vis, "v.wav") == (
        '<?xml version="1.0" encoding="utf-8"?>\n<rhubarbResult>\n  <metadata>\n    <soundFile>v.wav</soundFile>\n'
        '    <duration>0.50</duration>\n  </metadata>\n  <mouthCues>\n'
        '    <mouthCue start="0.00" end="0.20">X</mouthCue>\n    <mouthCue start="0.20" end="0.50">B</mouthCue>\n'
        '  </mouthCues>\n</rhubarbResult>\n')


def test_rhubarb_loaders_durations_and_sound_files():
    _, v = formats.load_rhubarb_json('{"mouthCues": []}')  # neither a duration nor a cue: empty
    assert v.duration == 0.0 and v.cues == []
    # XML: the metadata's duration wins over the last cue's end; without it, the last cue's end; else 0
    _, v = formats.load_rhubarb_xml('<rhubarbResult><metadata><soundFile>a.wav</soundFile><duration>2.00</duration>'
                                    '</metadata><mouthCues><mouthCue start="0" end="0.3">A</mouthCue></mouthCues>'
                                    '</rhubarbResult>')
    assert v.duration == 2.0 and v.source == "a.wav" and [(c.start, c.end, c.viseme) for c in v.cues] == \
        [(0.0, 0.3, "A")]
    _, v = formats.load_rhubarb_xml('<rhubarbResult><metadata><soundFile/></metadata><mouthCues/></rhubarbResult>')
    assert v.duration == 0.0 and v.source == "" and v.cues == []
    # a cue without a shape is reported as the empty shape it is
    assert message(formats.load_rhubarb_xml, '<rhubarbResult><mouthCues><mouthCue start="0" end="1"/></mouthCues>'
                   '</rhubarbResult>') == "unknown mouth shapes [''] in Rhubarb XML (expected A-H and X)"


def test_phones_tsv_skips_blank_lines_anywhere():
    track, _ = formats.load_phones_tsv("0\t0.5\tsil\n\n0.5\t0.75\tm\n\n0.75\t1\ta\n")
    assert [(p.start, p.end, p.phone) for p in track.phones] == [(0.0, 0.5, SIL), (0.5, 0.75, "m"), (0.75, 1.0, "a")]
    assert track.duration == 1.0


# ---------------------------------------------------------------- Moho / Papagayo
def test_moho_uses_papagayos_preston_blair_mouth_names():
    """Papagayo's / Moho's default mouth set: MBP etc E AI O WQ FV L rest (Rhubarb A-H and X map onto it)."""
    shapes = "ABCDEFGH"
    vis = vt([(i * 0.5, (i + 1) * 0.5, s) for i, s in enumerate(shapes)] + [(4.0, 4.5, "X")], 4.5)
    lines = export("moho", None, vis, fps=2).splitlines()
    assert lines == ["MohoSwitch1", "1 MBP", "2 etc", "3 E", "4 AI", "5 O", "6 WQ", "7 FV", "8 L", "9 rest"]
    _, back = formats.load_moho_dat("\n".join(lines), fps=2)
    assert [c.viseme for c in back.cues] == list(shapes) + ["X"]


def test_papagayo_pseudo_words_cover_each_stretch_of_speech():
    # speech up to the very end (no closing rest): the last stretch is a word too
    vis = vt([(0.0, 0.5, "X"), (0.5, 1.0, "A"), (1.0, 1.2, "X"), (1.2, 1.5, "C"), (1.5, 1.7, "D"),
              (1.7, 2.0, "E")], 2.0)
    lines = export("papagayo", None, vis, "v.wav", fps=10).splitlines()
    assert "\t\t\t... 5 10 1" in lines  # frames 5-10 (0.5-1.0 s), one mouth
    assert "\t\t\t... 12 20 3" in lines  # frames 12-20 (1.2-2.0 s), three mouths
    assert lines[-3:] == ["\t\t\t\t12 E", "\t\t\t\t15 AI", "\t\t\t\t17 O"]
    assert lines[6] == "\t... ..." and lines[7] == "\t1"  # 0.2 s apart: one phrase


def test_papagayo_phrases_at_exactly_a_quarter_second_split():
    words = [TimedWord(0.5, 0.75, "ma"), TimedWord(1.0, 1.5, "ma")]  # 1.0 - 0.75 = 0.25 exactly
    phones = PhoneTrack([TimedPhone(0.0, 2.0, SIL)], 2.0, words=words)
    vis = vt([(0.0, 0.5, "X"), (0.5, 0.75, "A"), (0.75, 1.0, "X"), (1.0, 1.5, "A"), (1.5, 2.0, "X")], 2.0)
    lines = export("papagayo", phones, vis, fps=4).splitlines()
    assert lines[7] == "\t2"  # two phrases: words belong together only when less than 0.25 s apart


def test_papagayo_word_shorter_than_a_frame_gets_a_rest():
    # 2.4 and 2.448 frames at 24 fps: both round to frame 2, where the mouths change: no mouth lies inside the word
    words = [TimedWord(0.1, 0.102, "uh")]
    phones = PhoneTrack([TimedPhone(0.0, 0.5, SIL)], 0.5, words=words)
    lines = export("papagayo", phones, vt([(0.0, 0.1, "X"), (0.1, 0.5, "A")], 0.5), fps=24).splitlines()
    assert lines[-2:] == ["\t\t\tuh 2 2 1", "\t\t\t\t2 rest"]


def test_papagayo_loads_words_with_spaces_and_marks_the_track_imported():
    text = "\n".join(["lipsync version 1", "v.wav", "10", "20", "1", "Voice 1", "New York", "1", "New York", "0",
                      "10", "1", "New York 0 10 1", "0 MBP"]) + "\n"
    track, vis = formats.load_papagayo_pgo(text)
    assert [(w.text, w.start, w.end) for w in track.words] == [("New York", 0.0, 1.0)]
    assert track.recognizer == "imported"
    assert [(c.start, c.end, c.viseme) for c in vis.cues] == [(0.0, 1.0, "A"), (1.0, 2.0, "X")]


# ---------------------------------------------------------------- TextGrid
def test_textgrid_tiers_span_the_whole_grid_from_zero():
    phones = PhoneTrack([TimedPhone(0.0, 0.4, SIL), TimedPhone(0.4, 1.0, "m", 1.0, "mm")], 1.0,
                        words=[TimedWord(0.4, 1.0, "mm")])
    tg = textgrid.parse(export("textgrid", phones, vt([(0.0, 0.4, "X"), (0.4, 1.0, "A")], 1.0)))
    assert (tg.xmin, tg.xmax) == (0.0, 1.0)
    assert [(t.name, t.xmin, t.xmax) for t in tg.tiers] == [("phones", 0.0, 1.0), ("words", 0.0, 1.0),
                                                            ("visemes", 0.0, 1.0)]
    # the word reaches the end: no empty interval after it
    assert tg.tier("words").intervals == [(0.0, 0.4, ""), (0.4, 1.0, "mm")]


def test_textgrid_touching_words_have_no_empty_interval_between_them():
    words = [TimedWord(0.0, 0.3, "ma"), TimedWord(0.3, 0.7, "ma"), TimedWord(0.7, 1.0, "ma")]
    phones = PhoneTrack([TimedPhone(0.0, 1.0, "a", 1.0, "ma")], 1.0, words=words)
    tg = textgrid.parse(export("textgrid", phones, None))
    assert tg.tier("words").intervals == [(0.0, 0.3, "ma"), (0.3, 0.7, "ma"), (0.7, 1.0, "ma")]


def _grid(*tiers):
    return textgrid.dumps(textgrid.TextGrid([textgrid.Tier(n, "IntervalTier", rows, 0.0, 1.0) for n, rows in tiers],
                                            0.0, 1.0))


@pytest.mark.parametrize("name", ["phones", "phone", "phonemes", "Segments"])
def test_textgrid_phone_tier_names_other_tools_use(name):
    track, vis = formats.load_textgrid(_grid((name, [(0.0, 0.5, ""), (0.5, 1.0, "m")])))
    assert [(p.start, p.end, p.phone) for p in track.phones] == [(0.0, 0.5, SIL), (0.5, 1.0, "m")]
    assert vis is None and track.recognizer == "imported" and track.duration == 1.0


def test_textgrid_with_mouth_shapes_only():
    track, vis = formats.load_textgrid(_grid(("visemes", [(0.0, 0.5, "X"), (0.5, 1.0, "A")])))
    assert track is None and [(c.start, c.end, c.viseme) for c in vis.cues] == [(0.0, 0.5, "X"), (0.5, 1.0, "A")]


def test_textgrid_unknown_mouth_shapes_are_named():
    text = _grid(("visemes", [(0.0, 0.5, "X"), (0.5, 1.0, "Q")]))
    assert message(formats.load_textgrid, text) == \
        "unknown mouth shapes ['Q'] in the 'visemes' tier (expected A-H and X)"
