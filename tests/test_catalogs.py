"""The gettext catalogs of the notice and the register are complete and not stale.

When this fails, regenerate the template and update the catalogs, then translate
what is new (formal register: Dutch "u", French "vous")::

    pybabel extract -F babel.cfg -o src/privaat/locale/messages.pot --no-wrap src
    pybabel update -i src/privaat/locale/messages.pot -d src/privaat/locale \\
        --no-wrap --ignore-obsolete --no-fuzzy-matching

There is no compile step: privaat reads the .po files at runtime.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).parents[1]
SRC = ROOT / "src" / "privaat"
LOCALE = SRC / "locale"
REGENERATE = (
    "regenerate with `pybabel extract -F babel.cfg -o src/privaat/locale/messages.pot --no-wrap "
    "src`, then `pybabel update -i src/privaat/locale/messages.pot -d src/privaat/locale "
    "--no-wrap --ignore-obsolete --no-fuzzy-matching`, and translate the new messages"
)

Key = tuple[str | tuple[str, ...], str | None]


def _key(message: str | tuple[str, ...] | list[str], context: str | None) -> Key:
    return (message if isinstance(message, str) else tuple(message), context)


@cache
def extracted_by_file() -> dict[str, set[Key]]:
    """Every message the source code and templates use, as `pybabel extract` finds them."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)  # type: ignore[no-untyped-call]
    found: dict[str, set[Key]] = {}
    for file, _line, message, _comments, context in extract_from_dir(SRC, method_map, options_map):
        found.setdefault(Path(file).as_posix(), set()).add(_key(message, context))
    return found


def extracted() -> set[Key]:
    return set().union(*extracted_by_file().values())


def catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def ids(cat: Catalog) -> set[Key]:
    return {_key(m.id, m.context) for m in cat if m.id}


def test_the_source_uses_messages() -> None:
    assert len(extracted()) > 100


@pytest.mark.parametrize(
    ("part", "at_least"),
    [("i18n.py", 5), ("notice/", 100), ("register/", 100)],
)
def test_the_notice_and_the_register_are_extracted(part: str, at_least: int) -> None:
    """Both use the catalogs: a babel.cfg that skipped one would leave its words untranslated."""
    keys = set().union(*(k for f, k in extracted_by_file().items() if f.startswith(part)))
    assert len(keys) >= at_least, f"only {len(keys)} messages extracted from {part}"


def test_template_matches_the_source() -> None:
    pot = ids(catalog(LOCALE / "messages.pot"))
    source = extracted()
    assert not source - pot, f"messages.pot lacks {sorted(map(str, source - pot))}; {REGENERATE}"
    assert not pot - source, (
        f"messages.pot has stale {sorted(map(str, pot - source))}; {REGENERATE}"
    )


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_catalog_is_complete_and_not_stale(lang: str) -> None:
    cat = catalog(LOCALE / lang / "LC_MESSAGES" / "messages.po", lang)
    source = extracted()
    missing = source - ids(cat)
    stale = ids(cat) - source
    assert not missing, f"{lang} catalog lacks {sorted(map(str, missing))}; {REGENERATE}"
    assert not stale, f"{lang} catalog has stale {sorted(map(str, stale))}; {REGENERATE}"
    assert not cat.obsolete, f"{lang} catalog has obsolete entries; {REGENERATE}"
    untranslated = [
        m.id
        for m in cat
        if m.id and (not m.string or (isinstance(m.string, tuple | list) and not all(m.string)))
    ]
    assert not untranslated, f"{lang}: translate {untranslated}"
    fuzzy = [m.id for m in cat if m.id and m.fuzzy]
    assert not fuzzy, f"{lang}: check and unmark the fuzzy entries {fuzzy}"


@pytest.mark.parametrize("lang", ["nl", "fr"])
def test_translations_keep_their_placeholders(lang: str) -> None:
    cat = catalog(LOCALE / lang / "LC_MESSAGES" / "messages.po", lang)
    problems = [(m.id, [str(e) for e in errors]) for m, errors in cat.check()]
    assert not problems, f"{lang}: {problems}"
    assert (
        cat.plural_forms
        == {
            "nl": "nplurals=2; plural=(n != 1);",
            "fr": "nplurals=2; plural=(n > 1);",
        }[lang]
    )
