"""The policy loader: every kind of bad input gets a precise, complete error and no traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from privaat.core.policy import load_policy, read_policy
from privaat.core.yamlsource import MAX_BYTES, parse
from privaat.errors import InvalidDocument, SourceIssue, UnreadableInput

FIXTURE = Path(__file__).parents[1] / "fixtures" / "minimal.yaml"
TEXT = FIXTURE.read_text(encoding="utf-8")


def issues_of(text: str | bytes) -> list[SourceIssue]:
    with pytest.raises(InvalidDocument) as caught:
        load_policy(text, "p.yaml")
    return caught.value.issues


def unreadable(text: str | bytes) -> SourceIssue:
    with pytest.raises(UnreadableInput) as caught:
        load_policy(text, "p.yaml")
    return caught.value.issue


def line_of(needle: str, text: str = TEXT) -> int:
    """1-based line of the first line containing `needle`."""
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def test_minimal_fixture_loads_with_positions() -> None:
    loaded = read_policy(FIXTURE)
    assert loaded.policy.controller.name == "Voorbeeld BV"
    pos = loaded.source_map.locate(("purposes", 0, "legal_basis"))
    assert pos.line == line_of("legal_basis: contract")


def test_malformed_yaml_gives_line_and_column() -> None:
    issue = unreadable("privaat: 1\ncontroller: [unclosed\nversion: x\n")
    assert issue.file == "p.yaml"
    assert issue.line >= 2
    assert "invalid YAML" in issue.message


def test_every_unknown_key_is_reported_not_just_the_first() -> None:
    text = TEXT.replace("street: Kerkstraat 1", "stret: Kerkstraat 1").replace(
        "existing_customers: true", "existing_customers: true\n    colour: blue"
    )
    issues = issues_of(text)
    messages = [i.message for i in issues]
    assert any("unknown key 'stret'" in m and "did you mean 'street'" in m for m in messages)
    assert any("unknown key 'colour'" in m for m in messages)
    colour = next(i for i in issues if "colour" in i.message)
    assert colour.line == line_of("colour: blue", text)
    assert colour.column == 5


def test_wrong_types_are_reported_with_place() -> None:
    text = TEXT.replace('kbo: "0123.456.749"', "kbo: 123456749").replace(
        "maximum: P2Y", "maximum: two years"
    )
    issues = issues_of(text)
    kbo = next(i for i in issues if "identifiers.kbo" in i.message)
    assert "put it in quotes" in kbo.message
    assert kbo.line == line_of("kbo: 123456749", text)
    duration = next(i for i in issues if "retention[0].maximum" in i.message)
    assert "ISO 8601" in duration.message


def test_missing_required_key() -> None:
    text = TEXT.replace("jurisdiction: BE\n", "")
    issues = issues_of(text)
    assert [i.message for i in issues] == ["missing required key 'jurisdiction' in (document)"]


def test_duplicate_keys_are_refused() -> None:
    text = TEXT.replace('version: "1.0"', 'version: "1.0"\nversion: "2.0"')
    issue = unreadable(text)
    assert "duplicate key" in issue.message
    assert issue.line == line_of('version: "2.0"', text)


def test_dangling_references_all_reported() -> None:
    text = TEXT.replace("purposes: [service]", "purposes: [servce]").replace(
        "retention: [contract-end]", "retention: [forever]"
    )
    issues = issues_of(text)
    assert any("unknown purpose 'servce'; declared: service" in i.message for i in issues)
    assert any("unknown retention rule 'forever'" in i.message for i in issues)
    assert issues[0].line == line_of("purposes: [servce]", text)


def test_duplicate_ids_reported() -> None:
    data = parse(TEXT, "p").data
    data["subjects"].append(dict(data["subjects"][0]))
    issues = issues_of(_dump(data))
    assert any("duplicate id 'customer' in subjects" in i.message for i in issues)


def test_unsupported_language_key() -> None:
    text = TEXT.replace("label: {nl: Klanten,", "label: {de: Kunden, nl: Klanten,")
    issues = issues_of(text)
    assert any("unsupported language 'de'" in i.message for i in issues)


def test_unsupported_language_in_languages_list() -> None:
    text = TEXT.replace("languages: [nl, en, fr]", "languages: [nl, de]")
    issues = issues_of(text)
    assert any(i.message.startswith("languages[1]:") for i in issues)


def test_not_utf8_gives_position_of_bad_byte() -> None:
    raw = TEXT.encode("utf-8").replace(b"Kerkstraat", b"Kerkstr\xe9at")
    issue = unreadable(raw)
    assert "not UTF-8" in issue.message
    assert issue.line == line_of("Kerkstraat")


def test_utf8_bom_is_accepted() -> None:
    assert load_policy(b"\xef\xbb\xbf" + TEXT.encode(), "p.yaml").policy.version == "1.0"


def test_oversize_file_is_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.write(b"# padding\n" * (50 * 1024 * 1024 // 10))
    with pytest.raises(UnreadableInput) as caught:
        read_policy(big)
    assert f"limit is {MAX_BYTES:,} bytes" in caught.value.issue.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "got empty"),
        ("- a\n- b\n", "got list"),
        ("just text", "got str"),
    ],
)
def test_top_level_must_be_a_mapping(text: str, expected: str) -> None:
    issues = issues_of(text)
    assert expected in issues[0].message


def test_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    issue = unreadable("\n".join(lines) + "\n")
    assert "alias" in issue.message


def test_deep_nesting_is_refused_cleanly() -> None:
    with pytest.raises((UnreadableInput, InvalidDocument)):
        load_policy("a: " + "[" * 5000 + "]" * 5000, "p.yaml")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(UnreadableInput, match="no such file"):
        read_policy(tmp_path / "nope.yaml")
    with pytest.raises(UnreadableInput, match="is a directory"):
        read_policy(tmp_path)


def test_issue_format_is_file_line_col() -> None:
    issue = issues_of(TEXT.replace("purposes: [service]", "purposes: [x]"))[0]
    assert str(issue).startswith(f"p.yaml:{issue.line}:{issue.column}: error: ")


def _dump(data: Any) -> str:
    return json.dumps(data, default=str)


def test_json_is_accepted_as_yaml() -> None:
    data = parse(TEXT, "p").data
    assert load_policy(_dump(data), "p.json").policy.controller.name == "Voorbeeld BV"


def test_misspelt_required_key_is_reported_once_with_suggestion() -> None:
    text = TEXT.replace("    label: {nl: Klanten,", "    lable: {nl: Klanten,")
    issues = issues_of(text)
    assert [i.message for i in issues] == [
        "unknown key 'lable' in subjects[0]; did you mean 'label'?"
    ]


def test_misspelt_enum_value_gets_a_suggestion() -> None:
    issues = issues_of(TEXT.replace("legal_basis: contract", "legal_basis: contrakt"))
    assert issues[0].message == (
        "purposes[0].legal_basis[0]: 'contrakt' is not allowed; did you mean 'contract'?"
    )


def test_wrong_enum_value_without_a_near_match_lists_the_choices() -> None:
    issues = issues_of(TEXT.replace("legal_basis: contract", "legal_basis: vibes"))
    assert "'consent', 'contract'" in issues[0].message
