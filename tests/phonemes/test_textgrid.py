"""Praat TextGrid reading and writing (phonemes.textgrid): the exact long-format text, both formats' tokens,
tier lookup, encodings and the error lines. Expected values are written out by hand."""
import pytest

from lipsync.errors import TextGridError
from lipsync.phonemes import textgrid
from lipsync.phonemes.textgrid import TextGrid, Tier

HEAD = 'File type = "ooTextFile"\nObject class = "TextGrid"\n\n'

# What Praat writes for a grid of one interval tier and one point tier (trailing spaces included).
LONG = '''File type = "ooTextFile"
Object class = "TextGrid"

xmin = 0.0
xmax = 1.5
tiers? <exists> 
size = 2 
item []: 
    item [1]:
        class = "IntervalTier" 
        name = "words" 
        xmin = 0.0 
        xmax = 1.5 
        intervals: size = 2 
        intervals [1]:
            xmin = 0.0 
            xmax = 0.7 
            text = "say ""hi""" 
        intervals [2]:
            xmin = 0.7 
            xmax = 1.5 
            text = "" 
    item [2]:
        class = "TextTier" 
        name = "bells" 
        xmin = 0.25 
        xmax = 1.25 
        points: size = 1 
        points [1]:
            number = 0.5 
            mark = "ding" 
'''

GRID = TextGrid([Tier("words", "IntervalTier", [(0.0, 0.7, 'say "hi"'), (0.7, 1.5, "")], 0.0, 1.5),
                 Tier("bells", "TextTier", [(0.5, 0.5, "ding")], 0.25, 1.25)], 0.0, 1.5)


def test_dumps_writes_praats_long_format_exactly():
    assert textgrid.dumps(GRID) == LONG


def test_parse_long_format_skips_labels_and_bracketed_indices():
    tg = textgrid.parse(LONG)
    assert (tg.xmin, tg.xmax) == (0.0, 1.5)
    assert [(t.name, t.kind, t.xmin, t.xmax) for t in tg.tiers] == [("words", "IntervalTier", 0.0, 1.5),
                                                                   ("bells", "TextTier", 0.25, 1.25)]
    assert tg.tiers[0].intervals == [(0.0, 0.7, 'say "hi"'), (0.7, 1.5, "")]
    assert tg.tiers[1].intervals == [(0.5, 0.5, "ding")]
    assert tg == GRID


def test_parse_short_format_with_signed_and_exponent_numbers():
    short = HEAD + '-0.5\n+2.\n<exists>\n1\n"IntervalTier"\n"phones"\n-0.5\n2\n2\n-5e-1\n1.25E0\n"a"\n1.25\n2\n"b"\n'
    tg = textgrid.parse(short)
    assert (tg.xmin, tg.xmax) == (-0.5, 2.0)
    assert tg.tiers == [Tier("phones", "IntervalTier", [(-0.5, 1.25, "a"), (1.25, 2.0, "b")], -0.5, 2.0)]


def test_exists_is_skipped_and_absent_means_no_tiers():
    # without <exists> the tier count follows xmax directly; 1.5 as xmax must not be read as the count (2)
    no_flag = HEAD + '0\n1.5\n2\n"TextTier"\n"a"\n0\n1.5\n0\n"TextTier"\n"b"\n0\n1.5\n0\n'
    with_flag = no_flag.replace("1.5\n2\n", "1.5\n<exists>\n2\n", 1)
    for text in (no_flag, with_flag):
        assert [t.name for t in textgrid.parse(text).tiers] == ["a", "b"]
    absent = textgrid.parse(HEAD + "0.25\n3\n<absent>\n")
    assert (absent.tiers, absent.xmin, absent.xmax) == ([], 0.25, 3.0)


def test_tier_lookup_is_case_insensitive_and_follows_the_order_of_names():
    tg = TextGrid([Tier("Words"), Tier("PHONES"), Tier("phones")])
    assert tg.tier("phones") is tg.tiers[1]  # the first tier with that name
    assert tg.tier("missing", "WORDS") is tg.tiers[0]
    assert tg.tier("phones", "words") is tg.tiers[1]  # the first name given wins, not the first tier
    assert tg.tier("x") is None and tg.tier() is None


def test_tier_and_grid_defaults():
    a, b = Tier("a"), Tier("b")
    assert (a.kind, a.intervals, a.xmin, a.xmax) == ("IntervalTier", [], 0.0, 0.0)
    a.intervals.append((0.0, 1.0, "x"))
    assert b.intervals == []  # each tier its own list
    g = TextGrid([])
    assert (g.xmin, g.xmax) == (0.0, 0.0)


def test_read_and_write_files_in_every_encoding(tmp_path):
    path = tmp_path / "g.TextGrid"
    textgrid.write(GRID, str(path))
    assert path.read_bytes() == LONG.encode("utf-8")
    assert textgrid.read(str(path)) == GRID
    text = LONG.replace("ding", "dïng")
    want = TextGrid([GRID.tiers[0], Tier("bells", "TextTier", [(0.5, 0.5, "dïng")], 0.25, 1.25)], 0.0, 1.5)
    for name, data in [("sig", b"\xef\xbb\xbf" + text.encode("utf-8")), ("le", text.encode("utf-16")),
                       ("be", b"\xfe\xff" + text.encode("utf-16-be")), ("nobom", text.encode("utf-16-le"))]:
        p = tmp_path / f"{name}.TextGrid"
        p.write_bytes(data)
        assert textgrid.read(str(p)) == want, name
    # neither UTF-8 nor UTF-16 (odd length): Latin-1
    p = tmp_path / "latin.TextGrid"
    data = text.encode("latin-1")
    assert len(data) % 2 == 1
    p.write_bytes(data)
    assert textgrid._read_text(str(p)) == text
    # a UTF-16 byte order mark is never read as UTF-8 or Latin-1
    p.write_bytes(b"\xff\xfe" + "é".encode("utf-16-le"))
    assert textgrid._read_text(str(p)) == "é"


def test_error_lines_are_one_clear_line_each():
    with pytest.raises(TextGridError) as e:
        textgrid.parse('File type = "ooTextFile"\nObject class = "Table"\n')
    assert str(e.value) == "not a Praat TextGrid (missing 'Object class = \"TextGrid\"' header)"
    with pytest.raises(TextGridError, match="not a Praat TextGrid"):
        textgrid.parse(" " * 476 + 'Object class = "TextGrid"\n0\n1\n0\n')  # within the first 500 characters
    assert textgrid.parse(" " * 475 + 'Object class = "TextGrid"\n0\n1\n0\n').tiers == []  # ends at 500
    with pytest.raises(TextGridError) as e:
        textgrid.parse(HEAD + '0\n"two"\n')
    assert str(e.value) == "expected a number, found text 'two'"
    with pytest.raises(TextGridError) as e:
        textgrid.parse(HEAD + '0\n2\n<exists>\n1\n"IntervalTier"\n"x"\n0\n2\n1\n0\n')
    assert str(e.value) == "TextGrid ends early"
    with pytest.raises(TextGridError) as e:
        textgrid.parse(HEAD + "0\n2\n")  # nothing after xmax
    assert str(e.value) == "TextGrid ends early"
    with pytest.raises(TextGridError) as e:
        textgrid.parse(HEAD + "0\n2\n<exists>\n1e999\n")
    assert str(e.value) == "malformed TextGrid: cannot convert float infinity to integer"


def test_a_stray_number_before_a_text_is_skipped():
    """Only values count (labels like 'xmin =' are skipped): a number where a text is expected is passed over,
    a text where a number is expected is an error (above)."""
    stray = HEAD + '0\n1\n<exists>\n1\n"IntervalTier"\n7\n"words"\n0\n1\n1\n0\n1\n3\n"hi"\n'
    assert textgrid.parse(stray).tiers == [Tier("words", "IntervalTier", [(0.0, 1.0, "hi")], 0.0, 1.0)]
