"""Cross-reference checks: every id a policy names must exist, and ids are unique."""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator, Sequence

from privaat.core.law import AUTHORITIES, STATUTES
from privaat.core.policy.model import Policy
from privaat.core.yamlsource import Path

Problem = tuple[Path, str]


def reference_problems(policy: Policy) -> list[Problem]:
    """Every duplicate id and dangling reference, with the path where it stands."""
    return list(_problems(policy))


def _problems(p: Policy) -> Generator[Problem, None, None]:
    subjects = yield from _unique("subjects", [s.id for s in p.subjects])
    categories = yield from _unique("categories", [c.key for c in p.categories], key="key")
    purposes = yield from _unique("purposes", [x.id for x in p.purposes])
    yield from _unique("activities", [a.id for a in p.activities])
    rules = yield from _unique("retention", [r.id for r in p.retention])
    holds = yield from _unique("holds", [h.id for h in p.holds])
    recipients = yield from _unique("recipients", [r.id for r in p.recipients])
    yield from _unique("automated_decisions", [d.id for d in p.automated_decisions])
    yield from _unique("security", [m.id for m in p.security])
    yield from _unique("statements", [x.id for x in p.statements])
    yield from _refs(p.rights.subjects, subjects, ("rights", "subjects"), "subject group")

    if p.supervisory_authority.key not in AUTHORITIES:
        known = ", ".join(sorted(AUTHORITIES))
        yield (
            ("supervisory_authority", "key"),
            f"unknown supervisory authority {p.supervisory_authority.key!r}; known: {known}",
        )
    for i, citation in enumerate(p.statutes):
        yield from _statute(citation.statute, ("statutes", i, "statute"))

    for i, a in enumerate(p.activities):
        base: Path = ("activities", i)
        yield from _refs(a.purposes, purposes, (*base, "purposes"), "purpose")
        yield from _refs(a.subjects, subjects, (*base, "subjects"), "subject group")
        yield from _refs(a.categories, categories, (*base, "categories"), "data category")
        yield from _refs(a.recipients, recipients, (*base, "recipients"), "recipient")
        yield from _refs(a.retention, rules, (*base, "retention"), "retention rule")
        yield from _refs(a.holds, holds, (*base, "holds"), "statutory hold")
    for i, r in enumerate(p.retention):
        base = ("retention", i)
        yield from _refs(r.categories, categories, (*base, "categories"), "data category")
        yield from _refs(r.subjects, subjects, (*base, "subjects"), "subject group")
        yield from _refs(r.holds, holds, (*base, "holds"), "statutory hold")
    for i, h in enumerate(p.holds):
        yield from _refs(h.categories, categories, ("holds", i, "categories"), "data category")
        yield from _statute(h.statute, ("holds", i, "statute"))
    for i, rec in enumerate(p.recipients):
        base = ("recipients", i)
        yield from _refs(rec.categories, categories, (*base, "categories"), "data category")
        yield from _refs(rec.purposes, purposes, (*base, "purposes"), "purpose")
    for i, pur in enumerate(p.purposes):
        if pur.legal_obligation is not None:
            for j, key in enumerate(pur.legal_obligation.statutes):
                yield from _statute(key, ("purposes", i, "legal_obligation", "statutes", j))
    for i, d in enumerate(p.automated_decisions):
        yield from _refs(d.purposes, purposes, ("automated_decisions", i, "purposes"), "purpose")
    for i, c in enumerate(p.cookies):
        if c.provider != "first_party" and c.provider not in recipients:
            yield (
                ("cookies", i, "provider"),
                f"cookie provider {c.provider!r} is neither 'first_party' nor a recipient id",
            )


def _unique(
    section: str, ids: Sequence[str], key: str = "id"
) -> Generator[Problem, None, frozenset[str]]:
    """Report repeated ids; return the set of ids for reference checks."""
    seen: set[str] = set()
    for index, value in enumerate(ids):
        if value in seen:
            yield ((section, index, key), f"duplicate {key} {value!r} in {section}")
        seen.add(value)
    return frozenset(seen)


def _refs(names: Iterable[str], known: frozenset[str], path: Path, what: str) -> Iterator[Problem]:
    for index, name in enumerate(names):
        if name not in known:
            choices = ", ".join(sorted(known)) or "none are declared"
            yield ((*path, index), f"unknown {what} {name!r}; declared: {choices}")


def _statute(key: str, path: Path) -> Iterator[Problem]:
    if key not in STATUTES:
        yield (path, f"unknown statute {key!r}; known: {', '.join(sorted(STATUTES))}")
