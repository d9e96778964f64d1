import filecmp

import pytest

from dialogkit.framework.cli.main import main
from dialogkit.framework.domain.training_data import (
    AnnotationError,
    EntitySpan,
    Example,
    format_example,
    parse_example,
    read_bio,
    write_bio,
    write_nlu_yaml,
)


def test_simple_annotation_offsets():
    text, spans = parse_example("book a table for [4](party_size) at [7pm](time)")
    assert text == "book a table for 4 at 7pm"
    assert [(s.entity, text[s.start:s.end]) for s in spans] == [("party_size", "4"), ("time", "7pm")]


def test_json_annotation_with_value_and_role():
    text, spans = parse_example('fly from [NYC]{"entity": "city", "value": "new york", "role": "from"} to [Oslo](city)')
    assert text == "fly from NYC to Oslo"
    assert spans[0] == EntitySpan(9, 12, "city", "NYC", value="new york", role="from")
    assert spans[0].canonical == "new york" and spans[1].canonical == "Oslo"


def test_unicode_and_cjk_offsets():
    text, spans = parse_example("我想订[四个人](party_size)的桌子 🙂 [café](place)")
    assert text[spans[0].start:spans[0].end] == "四个人"
    assert text[spans[1].start:spans[1].end] == "café"


def test_escaped_brackets_round_trip():
    text, spans = parse_example(r"press \[ok\] for [2](n)")
    assert text == "press [ok] for 2"
    assert parse_example(format_example(text, spans)) == (text, spans)


@pytest.mark.parametrize(
    "bad, fragment",
    [
        ("book [4(party_size)", "never closed"),
        ("book [4](party_size", "never closed"),
        ("book [4] please", "must be followed by"),
        ("book [](party_size)", "empty text"),
        ("book [4]()", "names no entity"),
        ('book [4]{"entity": }', "not valid JSON"),
        ('book [4]{"entity": "n", "colour": "red"}', "unknown annotation key"),
        ("book [[4]](n)", "inside another"),
        ("book 4] now", "closes nothing"),
    ],
)
def test_malformed_annotations(bad, fragment):
    with pytest.raises(AnnotationError, match=fragment):
        parse_example(bad)


def test_format_example_inverts_parse():
    for s in ['a [b](x) c', 'a [b]{"entity": "x", "value": "B"} c', '[x](y)', 'no entities']:
        text, spans = parse_example(s)
        assert format_example(text, spans) == s


BIO = {
    "seq.in": "i want to fly from boston to new york\nshow flights at 7 pm\nwhat's the fare\n",
    "seq.out": "O O O O O B-fromloc.city_name O B-toloc.city_name I-toloc.city_name\n"
    "O O O B-depart_time I-depart_time\n"
    "O O O\n",
    "label": "atis_flight\natis_flight#atis_airfare\natis_airfare\n",
}


def _write_bio(d):
    d.mkdir()
    for name, text in BIO.items():
        (d / name).write_text(text)
    return d


def test_bio_reads_spans(tmp_path):
    ex = read_bio(_write_bio(tmp_path / "bio"))
    assert ex[0].entities[1].text == "new york" and ex[0].entities[1].entity == "toloc.city_name"
    assert ex[1].intent == "atis_flight#atis_airfare"


def test_bio_yaml_bio_round_trip_is_byte_identical(tmp_path, capsys):
    src = _write_bio(tmp_path / "bio")
    assert main(["data", "convert", "--from", "bio", "--to", "yaml", str(src), str(tmp_path / "nlu.yml")]) == 0
    assert main(["validate", str(tmp_path / "nlu.yml")]) == 0
    assert (
        main(["data", "convert", "--from", "yaml", "--to", "bio", str(tmp_path / "nlu.yml"), str(tmp_path / "back")])
        == 0
    )
    for name in BIO:
        assert filecmp.cmp(src / name, tmp_path / "back" / name, shallow=False), name
    assert "converted 3 examples" in capsys.readouterr().out


def test_orphan_inside_tag_survives_round_trip(tmp_path):
    d = tmp_path / "bio"
    d.mkdir()
    (d / "seq.in").write_text("a b c\n")
    (d / "seq.out").write_text("O I-x I-x\n")
    (d / "label").write_text("l\n")
    write_nlu_yaml(read_bio(d), tmp_path / "n.yml")
    from dialogkit.framework.domain.loader import load_domain
    from dialogkit.framework.domain.training_data import collect_examples

    write_bio(collect_examples(load_domain(tmp_path / "n.yml")), tmp_path / "back")
    assert (tmp_path / "back" / "seq.out").read_text() == "O I-x I-x\n"


def test_bio_length_mismatch_is_located(tmp_path, capsys):
    d = _write_bio(tmp_path / "bio")
    (d / "seq.out").write_text("O O O O O B-x O B-y I-y\nO O\nO O O\n")
    assert main(["data", "convert", "--from", "bio", "--to", "yaml", str(d), str(tmp_path / "o.yml")]) == 2
    err = capsys.readouterr().err
    assert "seq.out:2: error DK402" in err


def test_yaml_to_bio_splits_tokens_at_entity_edges():
    from dialogkit.framework.domain.training_data import examples_to_bio

    seq_in, seq_out, labels = examples_to_bio([Example("at 7pm ok", "i", (EntitySpan(3, 4, "hour", "7"),))])
    assert seq_in == ["at 7 pm ok"] and seq_out == ["O B-hour O O"] and labels == ["i"]


def test_bio_lines_with_whitespace_runs_read_like_str_split(tmp_path):
    """Public BIO files carry double spaces, tabs, trailing blanks and CRLF line ends; every
    standard reader splits on whitespace runs (it used to refuse them: DK402 "8 tokens but 9 tags")."""
    d = tmp_path / "bio"
    d.mkdir()
    (d / "seq.in").write_bytes(b"i want  to fly from boston to new york \r\nshow\tflights \n")
    (d / "seq.out").write_bytes(b"O O O O O B-from O  B-to I-to\r\nO O\n")
    (d / "label").write_bytes(b"atis_flight \r\natis_flight\n")
    ex = read_bio(d)
    assert ex[0].text == "i want to fly from boston to new york" and ex[0].intent == "atis_flight"
    assert [(s.entity, s.text) for s in ex[0].entities] == [("from", "boston"), ("to", "new york")]
    assert ex[1].text == "show flights"
    write_bio(ex, tmp_path / "canonical")  # and the canonical form reads back byte-identical
    write_bio(read_bio(tmp_path / "canonical"), tmp_path / "again")
    for name in ("seq.in", "seq.out", "label"):
        assert filecmp.cmp(tmp_path / "canonical" / name, tmp_path / "again" / name, shallow=False)
