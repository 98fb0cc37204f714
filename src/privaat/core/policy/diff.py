"""What changed between two versions of a policy, and whose consent must be asked again.

:func:`diff_policies` compares purpose by purpose (their texts, legal basis, consent
detail, flags, and what their activities do for them: the data categories used, the
recipients that receive data for them, how long the data is kept), then every other
section of the policy item by item.

For each purpose that rests on consent in the new version it decides whether consent
must be asked again. It must when what people agreed to has widened or changed in
meaning: the purpose is new, its name or description changed in a language the old
version was published in, its basis became consent, it uses more data categories or
more recipients, its data is kept longer, or profiling or direct marketing was switched
on. Removing data, recipients or retention, fixing whitespace, or changing any other
section does not call for new consent. Every decision carries its reasons.

Pure: imports only the standard library and :mod:`privaat.core`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from privaat.core.duration import Duration
from privaat.core.policy.model import LegalBasis, Model, Policy, Purpose, pick

Status = Literal["added", "removed", "changed", "unchanged"]

# Stable codes of the reasons a decision gives.
NEW_PURPOSE = "new_purpose"
TEXT_CHANGED = "text_changed"
BECAME_CONSENT = "became_consent"
MORE_CATEGORIES = "more_categories"
MORE_RECIPIENTS = "more_recipients"
LONGER_RETENTION = "longer_retention"
PROFILING_ON = "profiling_on"
MARKETING_ON = "marketing_on"
UNCHANGED = "unchanged"
NO_WIDENING = "no_widening"

RECONSENT_CODES = (
    NEW_PURPOSE,
    TEXT_CHANGED,
    BECAME_CONSENT,
    MORE_CATEGORIES,
    MORE_RECIPIENTS,
    LONGER_RETENTION,
    PROFILING_ON,
    MARKETING_ON,
)

# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Reason:
    """Why consent must (or need not) be asked again: a stable code and a sentence."""

    code: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class Reconsent:
    """The decision for one consent-based purpose."""

    needed: bool
    reasons: tuple[Reason, ...]

    def as_dict(self) -> dict[str, object]:
        return {"needed": self.needed, "reasons": [r.as_dict() for r in self.reasons]}


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field that differs: its dotted path and the old and new JSON values."""

    field: str
    old: object
    new: object

    def as_dict(self) -> dict[str, object]:
        return {"field": self.field, "old": self.old, "new": self.new}

    def render(self) -> str:
        if isinstance(self.old, list) and isinstance(self.new, list):
            added = [x for x in self.new if x not in self.old]
            removed = [x for x in self.old if x not in self.new]
            parts = [f"+ {_item(x)}" for x in added] + [f"- {_item(x)}" for x in removed]
            return f"{self.field}: {', '.join(parts)}"
        return f"{self.field}: {_show(self.old)} -> {_show(self.new)}"


@dataclass(frozen=True, slots=True)
class PurposeChange:
    """One purpose: whether it was added, removed or changed, how, and the decision."""

    id: str
    name: str
    status: Status
    changes: tuple[FieldChange, ...]
    reconsent: Reconsent | None  # only for purposes that rest on consent in the new version

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "changes": [c.as_dict() for c in self.changes],
            "reconsent": self.reconsent.as_dict() if self.reconsent else None,
        }


@dataclass(frozen=True, slots=True)
class ItemChange:
    """One item of a section (a category, a recipient...) that was added, removed or changed."""

    key: str
    status: Status
    changes: tuple[FieldChange, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "status": self.status,
            "changes": [c.as_dict() for c in self.changes],
        }


@dataclass(frozen=True, slots=True)
class SectionChange:
    """The changed items of one section of the policy."""

    section: str
    items: tuple[ItemChange, ...]

    def as_dict(self) -> dict[str, object]:
        return {"section": self.section, "items": [i.as_dict() for i in self.items]}


@dataclass(frozen=True, slots=True)
class PolicyDiff:
    """Everything that changed from one policy version to the next."""

    old_version: str
    new_version: str
    old_date: dt.date
    new_date: dt.date
    purposes: tuple[PurposeChange, ...]
    sections: tuple[SectionChange, ...]

    @property
    def reconsent_needed(self) -> tuple[str, ...]:
        """Ids of the purposes whose consent must be asked again."""
        return tuple(p.id for p in self.purposes if p.reconsent and p.reconsent.needed)

    @property
    def has_changes(self) -> bool:
        return bool(self.sections) or any(p.status != "unchanged" for p in self.purposes)

    def purpose(self, pid: str) -> PurposeChange | None:
        return next((p for p in self.purposes if p.id == pid), None)

    def section(self, name: str) -> SectionChange | None:
        return next((s for s in self.sections if s.section == name), None)

    def summary(self) -> dict[str, int]:
        counts = {s: sum(1 for p in self.purposes if p.status == s) for s in _STATUSES}
        return {
            "purposes_added": counts["added"],
            "purposes_removed": counts["removed"],
            "purposes_changed": counts["changed"],
            "purposes_unchanged": counts["unchanged"],
            "reconsent_needed": len(self.reconsent_needed),
            "other_changes": sum(len(s.items) for s in self.sections),
        }

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready mapping, in a stable order."""
        return {
            "old": {"version": self.old_version, "date": self.old_date.isoformat()},
            "new": {"version": self.new_version, "date": self.new_date.isoformat()},
            "purposes": [p.as_dict() for p in self.purposes],
            "sections": [s.as_dict() for s in self.sections],
            "reconsent_needed": list(self.reconsent_needed),
            "summary": self.summary(),
        }

    def render_text(self) -> str:
        """A report for the privacy owner: one block per purpose, then the rest, then a summary."""
        lines = [
            f"Policy {self.old_version} ({self.old_date.isoformat()}) -> "
            f"{self.new_version} ({self.new_date.isoformat()})",
            "",
        ]
        for p in self.purposes:
            lines.append(f"Purpose {p.id} ({p.name}): {p.status}")
            lines.extend(f"  {c.render()}" for c in p.changes)
            if p.reconsent and p.reconsent.needed:
                reasons = "; ".join(r.message for r in p.reconsent.reasons)
                lines.append(f"  RE-CONSENT NEEDED: {reasons}")
            elif p.reconsent:
                reasons = "; ".join(r.message for r in p.reconsent.reasons)
                lines.append(f"  re-consent not needed: {reasons}")
            lines.append("")
        if self.sections:
            lines.append("Other changes")
            for s in self.sections:
                lines.append(f"  {s.section}")
                for item in s.items:
                    mark = {"added": "+", "removed": "-"}.get(item.status, "~")
                    lines.append(f"    {mark} {item.key}")
                    lines.extend(f"        {c.render()}" for c in item.changes)
            lines.append("")
        lines.append(self._summary_line())
        return "\n".join(lines)

    def _summary_line(self) -> str:
        s = self.summary()
        needed = self.reconsent_needed
        consent = (
            f"re-consent needed for {len(needed)} purpose{'s' if len(needed) != 1 else ''}"
            f" ({', '.join(needed)})"
            if needed
            else "no re-consent needed"
        )
        return (
            f"Summary: {s['purposes_added']} purpose(s) added, {s['purposes_removed']} removed, "
            f"{s['purposes_changed']} changed, {s['purposes_unchanged']} unchanged; {consent}; "
            f"{s['other_changes']} other change(s)."
        )


_STATUSES: tuple[Status, ...] = ("added", "removed", "changed", "unchanged")

# --------------------------------------------------------------------------- diffing


def diff_policies(old: Policy, new: Policy) -> PolicyDiff:
    """What changed from `old` to `new`, purpose by purpose and section by section."""
    ids = sorted({p.id for p in old.purposes} | {p.id for p in new.purposes})
    purposes = tuple(_purpose_change(old, new, pid) for pid in ids)
    return PolicyDiff(
        old_version=old.version,
        new_version=new.version,
        old_date=old.date,
        new_date=new.date,
        purposes=purposes,
        sections=tuple(s for s in _sections(old, new) if s.items),
    )


@dataclass(frozen=True, slots=True)
class _Scope:
    """What a policy's activities do for one purpose."""

    categories: frozenset[str]
    recipients: frozenset[str]
    #: Per data category, the longest maximum retention of the rules that apply
    #: (None: a rule with no maximum). A category no rule covers is absent.
    retention: Mapping[str, Duration | None]


def _scope(policy: Policy, pid: str) -> _Scope:
    activities = [a for a in policy.activities if pid in a.purposes]
    categories = {c for a in activities for c in a.categories}
    recipients = {r.id for r in policy.recipients if pid in r.purposes}
    for a in activities:
        for rid in a.recipients:
            r = policy.recipient(rid)
            if r is not None and (not r.purposes or pid in r.purposes):
                recipients.add(rid)
    retention: dict[str, Duration | None] = {}
    for a in activities:
        for rule_id in a.retention:
            rule = policy.retention_rule(rule_id)
            if rule is None:
                continue
            for c in set(rule.categories) & set(a.categories):
                if c not in retention:
                    retention[c] = rule.maximum
                else:
                    retention[c] = _longest(retention[c], rule.maximum)
    return _Scope(frozenset(categories), frozenset(recipients), retention)


def _longest(a: Duration | None, b: Duration | None) -> Duration | None:
    if a is None or b is None:
        return None
    return b if b.longer_than(a) else a


def _longer(old: Duration | None, new: Duration | None) -> bool:
    if new is None:
        return old is not None
    return old is not None and new.longer_than(old)


def _purpose_fields(p: Purpose, scope: _Scope) -> dict[str, object]:
    fields = _flatten(p.model_dump(mode="json", exclude={"id"}))
    fields["categories"] = sorted(scope.categories)
    fields["recipients"] = sorted(scope.recipients)
    for c, d in sorted(scope.retention.items()):
        fields[f"retention[{c}]"] = _iso(d)
    return fields


def _purpose_change(old: Policy, new: Policy, pid: str) -> PurposeChange:
    before, after = old.purpose(pid), new.purpose(pid)
    scope_before, scope_after = _scope(old, pid), _scope(new, pid)
    shown = after or before
    assert shown is not None
    languages = (new if after else old).languages
    found = pick(shown.name, languages[0], languages)
    name = found[1] if found else shown.id
    if after is None:
        return PurposeChange(pid, name, "removed", (), None)
    if before is None:
        fields = _purpose_fields(after, scope_after)
        changes = tuple(FieldChange(k, None, v) for k, v in sorted(fields.items()) if _set(v))
        status: Status = "added"
    else:
        changes = _compare(
            _purpose_fields(before, scope_before), _purpose_fields(after, scope_after)
        )
        status = "changed" if changes else "unchanged"
    decision = None
    if LegalBasis.CONSENT in after.legal_basis:
        decision = _decide(old, new, before, after, scope_before, scope_after, changes)
    return PurposeChange(pid, name, status, changes, decision)


def _decide(
    old: Policy,
    new: Policy,
    before: Purpose | None,
    after: Purpose,
    scope_before: _Scope,
    scope_after: _Scope,
    changes: Sequence[FieldChange],
) -> Reconsent:
    if before is None:
        return Reconsent(True, (Reason(NEW_PURPOSE, "the purpose is new"),))
    reasons: list[Reason] = []
    published = [lang for lang in old.languages if lang in new.languages]
    for label, was, now in (
        ("name", before.name, after.name),
        ("description", before.description or {}, after.description or {}),
    ):
        langs = [lang for lang in published if _norm(was.get(lang)) != _norm(now.get(lang))]
        if langs:
            reasons.append(Reason(TEXT_CHANGED, f"the {label} changed ({', '.join(langs)})"))
    if LegalBasis.CONSENT not in before.legal_basis:
        was_basis = ", ".join(b.value for b in before.legal_basis) or "none"
        reasons.append(Reason(BECAME_CONSENT, f"the legal basis became consent (was {was_basis})"))
    more = sorted(scope_after.categories - scope_before.categories)
    if more:
        reasons.append(Reason(MORE_CATEGORIES, f"more data categories: {', '.join(more)}"))
    more = sorted(scope_after.recipients - scope_before.recipients)
    if more:
        reasons.append(Reason(MORE_RECIPIENTS, f"more recipients: {', '.join(more)}"))
    longer = [
        f"{c} ({_iso(scope_before.retention[c])} -> {_iso(scope_after.retention[c])})"
        for c in sorted(set(scope_before.retention) & set(scope_after.retention))
        if _longer(scope_before.retention[c], scope_after.retention[c])
    ]
    if longer:
        reasons.append(Reason(LONGER_RETENTION, f"data kept longer: {', '.join(longer)}"))
    if after.profiling and not before.profiling:
        reasons.append(Reason(PROFILING_ON, "profiling was switched on"))
    if after.marketing and not before.marketing:
        reasons.append(Reason(MARKETING_ON, "direct marketing was switched on"))
    if reasons:
        return Reconsent(True, tuple(reasons))
    if not changes:
        return Reconsent(False, (Reason(UNCHANGED, "nothing people agreed to has changed"),))
    fields = ", ".join(c.field for c in changes)
    return Reconsent(
        False, (Reason(NO_WIDENING, f"the changes do not widen what people agreed to ({fields})"),)
    )


# --------------------------------------------------------------------------- sections


def _sections(old: Policy, new: Policy) -> Iterable[SectionChange]:
    yield _single("policy", _policy_facts(old), _policy_facts(new))
    yield _single("controller", old.controller, new.controller)
    yield _single("supervisory_authority", old.supervisory_authority, new.supervisory_authority)
    yield _keyed("statutes", old.statutes, new.statutes, lambda s: s.statute)
    yield _keyed("subjects", old.subjects, new.subjects, lambda s: s.id)
    yield _keyed("categories", old.categories, new.categories, lambda c: c.key)
    yield _keyed("activities", old.activities, new.activities, lambda a: a.id)
    yield _keyed("retention", old.retention, new.retention, lambda r: r.id)
    yield _keyed("holds", old.holds, new.holds, lambda h: h.id)
    yield _keyed("recipients", old.recipients, new.recipients, lambda r: r.id)
    yield _keyed("cookies", old.cookies, new.cookies, lambda c: f"{c.name} ({c.provider})")
    yield _keyed(
        "automated_decisions", old.automated_decisions, new.automated_decisions, lambda d: d.id
    )
    yield _keyed("security", old.security, new.security, lambda m: m.id)
    yield _single("rights", old.rights, new.rights)
    yield _single("children", old.children, new.children)
    yield _single("changes", old.changes, new.changes)


def _policy_facts(p: Policy) -> dict[str, object]:
    return {"jurisdiction": p.jurisdiction, "languages": list(p.languages)}


def _dump(item: Model | Mapping[str, object]) -> dict[str, object]:
    raw: Any = item.model_dump(mode="json") if isinstance(item, Model) else dict(item)
    return _flatten(raw)


def _single(
    section: str,
    old: Model | Mapping[str, object] | None,
    new: Model | Mapping[str, object] | None,
) -> SectionChange:
    if old is None and new is None:
        return SectionChange(section, ())
    if old is None or new is None:
        status: Status = "added" if old is None else "removed"
        return SectionChange(section, (ItemChange(section, status, ()),))
    changes = _compare(_dump(old), _dump(new))
    return SectionChange(section, (ItemChange(section, "changed", changes),) if changes else ())


def _keyed(
    section: str, old: Sequence[Model], new: Sequence[Model], key: Callable[[Any], str]
) -> SectionChange:
    before = {key(x): x for x in old}
    after = {key(x): x for x in new}
    items = []
    for k in sorted(before.keys() | after.keys()):
        if k not in after:
            items.append(ItemChange(k, "removed", ()))
        elif k not in before:
            items.append(ItemChange(k, "added", ()))
        else:
            changes = _compare(_dump(before[k]), _dump(after[k]))
            if changes:
                items.append(ItemChange(k, "changed", changes))
    return SectionChange(section, tuple(items))


# --------------------------------------------------------------------------- values


def _flatten(value: Any, prefix: str = "") -> dict[str, object]:
    """Dotted paths to scalar values; lists of scalars stay whole, sorted (order is noise)."""
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value):
            return {prefix: sorted(value, key=json.dumps)}
        out = {}
        for i, v in enumerate(value):
            out.update(_flatten(v, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def _compare(old: Mapping[str, object], new: Mapping[str, object]) -> tuple[FieldChange, ...]:
    return tuple(
        FieldChange(k, old.get(k), new.get(k))
        for k in sorted(old.keys() | new.keys())
        if _norm(old.get(k)) != _norm(new.get(k))
    )


def _norm(value: object) -> object:
    """Compare texts without regard to runs of whitespace; empty values equal absent ones."""
    if isinstance(value, str):
        return " ".join(value.split()) or None
    if value in ([], {}, ""):
        return None
    return value


def _set(value: object) -> bool:
    return _norm(value) is not None and value is not False


def _iso(d: Duration | None) -> str:
    return d.iso() if d is not None else "no maximum"


def _show(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _item(value: object) -> str:
    return value if isinstance(value, str) else _show(value)
