"""Go values as the Pulumi CLI decodes them from YAML and writes them as text (docs/contracts.md
PC-8): gopkg.in/yaml.v3's scalar resolution and duplicate keys, strconv's and encoding/json's floats.
What the CLI hands a program for a whole value is tests/test_testing.py's (cli_config_value)."""

from __future__ import annotations

import pytest

from gitlab_k8s_cd.components.go_values import YamlTimestamp, go_float, go_json, go_yaml_scalar, read_yaml


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("~", None),
        ("", None),
        ("True", True),
        ("tRue", "tRue"),
        ("on", "on"),
        ("y", "y"),
        ("1_000", 1000),
        ("-0x10", -16),
        ("0o17", 15),
        ("0b101", 5),
        ("08", 8.0),
        ("-9223372036854775808", -(2**63)),
        ("18446744073709551615", 2**64 - 1),
        ("-9223372036854775809", -9223372036854775809.0),
        (".5", 0.5),
        ("+.5e1", 5.0),
        ("1.", 1.0),
        ("1e400", "1e400"),
        ("12e", "12e"),
        ("2027-13-01", "2027-13-01"),
        ("2027-02-29", "2027-02-29"),
        ("2028-02-29", YamlTimestamp("2028-02-29", 2028, 2, 29)),
        ("2027-11-30 10:00:00", YamlTimestamp("2027-11-30 10:00:00", 2027, 11, 30, 10)),
        ("2027-11-30 10:00:00Z", "2027-11-30 10:00:00Z"),  # no zone after a space
        ("2027-11-30t1:2:3Z", YamlTimestamp("2027-11-30t1:2:3Z", 2027, 11, 30, 1, 2, 3)),
        ("2027-11-30T24:00:00Z", "2027-11-30T24:00:00Z"),
        ("2027-11-30T10:00:00+24:00", YamlTimestamp("2027-11-30T10:00:00+24:00", 2027, 11, 30, 10, offset=1440)),
        ("2027-11-30T10:00:00+25:00", "2027-11-30T10:00:00+25:00"),
        (
            "2027-11-30T10:00:00,1234567891Z",  # a comma too; nanoseconds, the 10th digit dropped
            YamlTimestamp("2027-11-30T10:00:00,1234567891Z", 2027, 11, 30, 10, 0, 0, 123456789),
        ),
    ],
)
def test_plain_scalars_resolve_as_gopkg_in_yaml_v3_resolves_them(text, value):
    resolved = go_yaml_scalar(text)
    assert resolved == value and type(resolved) is type(value)


def test_a_key_twice_in_a_mapping_is_an_error_naming_both_lines(tmp_path):
    path = tmp_path / "Pulumi.s.yaml"
    path.write_text("config:\n  p:a: 1\n  p:b:\n    x: 1\n    x: 2\n")
    with pytest.raises(ValueError, match=r"^Pulumi.s.yaml: line 5: mapping key 'x' already defined at line 4$"):
        read_yaml(path)


def test_yaml_1_1_forms_pyyaml_would_convert_stay_text_in_a_file(tmp_path):
    path = tmp_path / "Pulumi.yaml"
    path.write_text("a: yes\nb: 1:30\nc: 1e3\nd: 0x1F\ne: 2027-11-30\n")
    assert read_yaml(path) == {
        "a": "yes",
        "b": "1:30",
        "c": 1000.0,
        "d": 31,
        "e": YamlTimestamp("2027-11-30", 2027, 11, 30),
    }


@pytest.mark.parametrize(
    ("value", "verb", "text"),
    [
        (123456.0, "g", "123456"),
        (1e6, "g", "1e+06"),  # shortest %g switches to %e at exponent 6
        (0.0001, "g", "0.0001"),
        (1e-5, "g", "1e-05"),
        (1.5, "e", "1.5e+00"),
        (-0.0, "f", "-0"),
        (123.456, "f", "123.456"),
        (1e20, "json", "100000000000000000000"),
        (1e21, "json", "1e+21"),
        (1e-7, "json", "1e-7"),
        (0.000001, "json", "0.000001"),
    ],
)
def test_floats_are_written_as_go_writes_them(value, verb, text):
    assert go_float(value, verb) == text


def test_json_is_compact_sorted_and_html_escaped_as_encoding_json_writes_it():
    assert (
        go_json({"b": [2.0, None, True], "a": "<&>", 1.5: "x"})
        == '{"1.5":"x","a":"\\u003c\\u0026\\u003e","b":[2,null,true]}'
    )
