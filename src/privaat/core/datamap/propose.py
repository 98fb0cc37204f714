"""Propose a data map from a database's schema and a sample of its rows.

Pure: the live database is read by :mod:`privaat.connectors.introspect`, which hands over a
:class:`~privaat.core.datamap.schema.SchemaInfo`. Proposing is two steps, because some guesses
need one more set-based look at the database:

1. :func:`link_candidates` lists the links the names and values suggest but the database does
   not declare (``client_id`` without a foreign key, an id kept as text, a polymorphic
   ``rel_type``/``rel_id`` pair); the introspection counts, per candidate, how many of the
   sampled values are keys of the target (:class:`Evidence`);
2. :func:`propose` builds the map: person tables, identity links, declared and confirmed
   links, JSON paths, free text, activity, soft delete, fields with categories, erasure
   defaults and hold proposals, with a note on everything the database did not declare.

The notes say why ("column name", "sampled values: 3 of 3 look like e-mail addresses") and
never repeat a sampled value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from privaat.core import detect
from privaat.core.datamap import columns, naming
from privaat.core.datamap.candidates import (
    IDENTITY_OF_KIND,
    Candidate,
    Evidence,
    link_candidates,
    mappable,
    person_candidates,
    poly_pairs,
    strings,
)
from privaat.core.datamap.emit import render
from privaat.core.datamap.model import DataMap, IdentityKind
from privaat.core.datamap.schema import (
    ColumnInfo,
    ColumnKind,
    SchemaInfo,
    TableInfo,
    same_key_type,
)
from privaat.core.policy.model import Policy
from privaat.core.yamlsource import Path

__all__ = ["Candidate", "Evidence", "Proposal", "StoreSource", "link_candidates", "propose"]

#: How much of a sample must agree before a guess is made.
KEY_SHARE_BY_NAME = 0.5  # a named key may have orphans (no foreign key keeps them out)
JSON_SHARE = 0.8  # a JSON path: this share of its values are identities


@dataclass(frozen=True, slots=True)
class StoreSource:
    """How the proposed store is named and reached (never a password)."""

    store_id: str
    connector: str
    url_env: str
    url_hint: str = ""  # the URL with its password hidden, for a comment


@dataclass(slots=True)
class Proposal:
    """The proposed map, its YAML with comments, and what was counted on the way."""

    datamap: DataMap
    yaml: str
    tables: int = 0
    links: int = 0
    guessed: int = 0
    left_out: list[str] = field(default_factory=list)
    review: int = 0  # notes that start with "review:"


@dataclass(slots=True)
class _Link:
    data: dict[str, Any]
    notes: list[str]

    @property
    def target(self) -> str | None:
        to = self.data.get("to")
        return str(to).split(".", 1)[0] if to else None


@dataclass(slots=True)
class _Table:
    info: TableInfo
    links: list[_Link] = field(default_factory=list)
    fields: list[tuple[dict[str, Any], list[str]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    person: bool = False

    @property
    def anchored(self) -> bool:
        return any("identity" in ln.data or "mentions" in ln.data for ln in self.links)


class _Proposer:
    def __init__(
        self,
        schema: SchemaInfo,
        evidence: Mapping[Candidate, Evidence],
        policy: Policy | None,
    ) -> None:
        self.schema = schema
        self.evidence = evidence
        self.policy = policy
        self.tables = {t.name: _Table(t) for t in schema.tables}
        self.names = [t.name for t in schema.tables]

    # ---------------------------------------------------------------- links

    def identity_and_text(self, draft: _Table) -> None:
        table = draft.info
        people = naming.is_people_table(table.name)
        for column in table.columns:
            if column.kind is ColumnKind.JSON or (
                column.kind is ColumnKind.TEXT and columns.documents(table, column)
            ):
                self.json_column(draft, column)
                continue
            if column.kind is not ColumnKind.TEXT:
                continue
            values = strings(table, column.name)
            verdict = detect.classify_column(values)
            rule = naming.column_rule(column.name, people=people or table.is_unique(column.name))
            identity: IdentityKind | None = None
            reason = ""
            if verdict is not None:
                identity = IDENTITY_OF_KIND.get(verdict.kind)
                reason = verdict.describe()
            elif (
                rule is not None
                and rule.identity is not None
                and (rule.identity is IdentityKind.CUSTOMER_NUMBER or not values)
            ):
                identity = rule.identity
                reason = "column name" + ("" if values else "; no sampled values")
            if identity is not None:
                link: dict[str, Any] = {"column": column.name, "identity": identity.value}
                if identity is IdentityKind.PHONE:
                    link["ignore_case"] = False
                link["guessed"] = True
                draft.links.append(_Link(link, [reason]))
                continue
            mentions = detect.mentioned_kinds(values)
            kinds = [k for k in (detect.ValueKind.EMAIL, detect.ValueKind.PHONE) if k in mentions]
            if kinds and verdict is None:
                said = " and ".join(
                    f"{mentions[k]} of {len(values)} sampled values mention {detect.PLURAL[k]}"
                    for k in kinds
                )
                draft.links.append(
                    _Link(
                        {
                            "column": column.name,
                            "mentions": [IDENTITY_OF_KIND[k].value for k in kinds],
                            "guessed": True,
                        },
                        [f"free text: {said}"],
                    )
                )

    def json_column(self, draft: _Table, column: ColumnInfo) -> None:
        docs = columns.documents(draft.info, column)
        # A path must recur: keys seen in one document only may themselves be personal data
        # (a document keyed by names), and the map would then repeat them.
        recurring = max(2, len(docs) // 2)
        for path, found in sorted(columns.json_paths(docs).items()):
            if len(found) < recurring:
                continue
            verdict = detect.classify_column(found, threshold=JSON_SHARE)
            if verdict is None or verdict.kind not in IDENTITY_OF_KIND:
                continue
            draft.links.append(
                _Link(
                    {
                        "json": {"column": column.name, "path": list(path)},
                        "identity": IDENTITY_OF_KIND[verdict.kind].value,
                        "guessed": True,
                    },
                    [
                        f"a path found in sampled JSON documents: {verdict.matched} of "
                        f"{verdict.total} values there look like {detect.PLURAL[verdict.kind]}"
                    ],
                )
            )

    def declared_links(self, draft: _Table) -> None:
        for fk in draft.info.foreign_keys:
            if fk.target not in self.tables:
                continue
            if len(fk.columns) != 1:
                draft.notes.append(
                    f"review: the foreign key ({', '.join(fk.columns)}) -> {fk.target} has "
                    "several columns; a link has one: add one per column if it matters"
                )
                continue
            rule = f"ON DELETE {fk.on_delete}" if fk.on_delete else "the default ON DELETE rule"
            draft.links.append(
                _Link(
                    {"column": fk.columns[0], "to": f"{fk.target}.{fk.target_columns[0]}"},
                    [f"declared foreign key, {rule}"],
                )
            )

    def inferred_links(self, candidates: Sequence[Candidate]) -> None:
        best: dict[tuple[str, str, tuple[str, str] | None], tuple[float, Candidate, str]] = {}
        for cand in candidates:
            found = self.evidence.get(cand)
            verdict = self._judge(cand, found)
            if verdict is None:
                continue
            share, reason = verdict
            slot = (cand.table, cand.column, cand.when)
            if slot not in best or share > best[slot][0]:
                best[slot] = (share, cand, reason)
        for _share, cand, reason in best.values():
            table = self.tables[cand.table]
            column = table.info.column(cand.column)
            assert column is not None
            link: dict[str, Any] = {
                "column": cand.column,
                "to": f"{cand.target}.{cand.target_column}",
            }
            if cand.when is not None:
                link["when"] = {cand.when[0]: cand.when[1]}
            link["declared"] = False
            if not same_key_type(column.kind, cand.target_kind):
                link["as_text"] = True
                reason += f"; a {column.kind.value} column holding {cand.target_kind.value} keys"
            link["guessed"] = True
            table.links.append(_Link(link, [f"no foreign key; {reason}"]))

    def _judge(self, cand: Candidate, found: Evidence | None) -> tuple[float, str] | None:
        target = f"{cand.target}.{cand.target_column}"
        why = f"{cand.when[0]} values name the table {cand.target}" if cand.when else "column name"
        if found is None or found.sampled == 0:
            if cand.by_name:
                return 0.1, f"{why}; no sampled values to confirm it"
            return None
        share = found.found / found.sampled
        counted = f"{found.found} of {found.sampled} sampled values are keys of {target}"
        if cand.by_name and share >= KEY_SHARE_BY_NAME:
            return share, f"{why}; {counted}"
        if not cand.by_name and found.found == found.sampled and found.sampled >= 2:
            return share, f"values are a subset of {target} ({counted})"
        return None

    def poly_notes(self) -> None:
        for draft in self.tables.values():
            for type_col, _ in poly_pairs(draft.info):
                values = [
                    v for v in draft.info.distinct.get(type_col.name, ()) if isinstance(v, str)
                ]
                unnamed = sum(
                    1 for v in values if naming.table_for(naming.snake(v), self.names) is None
                )
                if unnamed:
                    draft.notes.append(
                        f"review: {unnamed} of {len(values)} {type_col.name} values name no "
                        "table; rows of those types are linked to nobody"
                    )

    # ---------------------------------------------------------------- tables

    def choose_people(self) -> None:
        referenced: dict[str, int] = {}
        for draft in self.tables.values():
            for link in draft.links:
                if link.target and link.target != draft.info.name:
                    referenced[link.target] = referenced.get(link.target, 0) + 1
        for table in person_candidates(self.schema):
            count = referenced.get(table.name, 0)
            if count:
                draft = self.tables[table.name]
                draft.person = True
                draft.notes.append(
                    f"guessed: a table of persons (a unique identity column; {count} "
                    f"link{'s' if count != 1 else ''} from other tables lead here)"
                )
        for draft in self.tables.values():
            if not draft.person:
                continue
            kept = []
            for link in draft.links:
                if link.target is None:
                    kept.append(link)
                    continue
                draft.notes.append(
                    f"{link.data['column']} -> {link.data['to']} is not a link: a table of "
                    "persons is matched by its identities, and its references point at "
                    "other people's rows"
                )
            draft.links = kept

    def included(self) -> list[_Table]:
        """Tables whose rows can belong to a person: anchored, or linked to such a table."""
        keyed = {name for name, draft in self.tables.items() if draft.info.has_key}
        keep = {name for name, draft in self.tables.items() if draft.anchored} & keyed
        changed = True
        while changed:
            changed = False
            for name, draft in self.tables.items():
                if name in keyed - keep and any(ln.target in keep for ln in draft.links):
                    keep.add(name)
                    changed = True
        for draft in self.tables.values():
            draft.links = [ln for ln in draft.links if ln.target is None or ln.target in keep]
        return [d for d in self.tables.values() if d.info.name in keep]

    # ---------------------------------------------------------------- fields

    def fields(self, draft: _Table) -> None:
        table = draft.info
        people = draft.person or naming.is_people_table(table.name)
        key_columns = {
            ln.data["column"] for ln in draft.links if "to" in ln.data and "column" in ln.data
        }
        type_columns = {c for ln in draft.links for c in ln.data.get("when", {})}
        identity = {ln.data.get("column"): ln for ln in draft.links if "identity" in ln.data}
        json_kinds: dict[str, str] = {}
        for ln in draft.links:
            if "json" in ln.data:
                json_kinds.setdefault(ln.data["json"]["column"], str(ln.data["identity"]))
        mentions = {ln.data["column"] for ln in draft.links if "mentions" in ln.data}
        invoice = naming.is_invoice_table(table.name)
        for column in table.columns:
            name = column.name
            if name in table.primary_key or name in key_columns or name in type_columns:
                continue
            proposal = columns.category_of(
                table,
                column,
                people=people,
                identity_reasons={str(k): ln.notes[0] for k, ln in identity.items()},
                json_kinds=json_kinds,
                mentions=mentions,
            )
            if proposal is None:
                continue
            category, reason, provided, erase = proposal
            if invoice:
                provided = False
            entry: dict[str, Any] = {"column": name, "category": category, **erase}
            if not provided:
                entry["provided"] = False
            entry["guessed"] = True
            notes = [reason, *columns.policy_category(entry, self.policy)]
            draft.fields.append((entry, notes))

    # ---------------------------------------------------------------- dates and holds

    def dates(
        self, draft: _Table, out: dict[str, Any], notes: dict[Path, list[str]], here: Path
    ) -> None:
        table = draft.info
        temporal = [c for c in table.columns if c.kind.is_temporal]
        activity = [c.name for c in temporal if naming.LAST_ACTIVITY.match(c.name)]
        created = next((c.name for c in temporal if naming.CREATED.match(c.name)), None)
        if naming.is_event_table(table.name):
            event = next((c.name for c in temporal if c.name in naming.EVENT_TIME), created)
            if event is not None and event not in activity:
                activity.append(event)
        if activity:
            out["activity"] = activity
            notes[(*here, "activity")] = ["guessed: column names (when the person was active)"]
        if created is not None:
            out["created"] = created
            notes[(*here, "created")] = ["guessed: column name"]
        soft = next((c.name for c in table.columns if naming.SOFT_DELETE.match(c.name)), None)
        if soft is not None:
            out["soft_delete"] = soft
            notes[(*here, "soft_delete")] = [
                "guessed: column name; soft-deleted rows are still personal data"
            ]

    def hold(
        self, draft: _Table, out: dict[str, Any], notes: dict[Path, list[str]], here: Path
    ) -> None:
        table = draft.info
        if not naming.is_invoice_table(table.name):
            return
        temporal = [c for c in table.columns if c.kind.is_temporal]
        by_name = {c.name: c for c in temporal}
        date = next((n for n in naming.HOLD_DATE if n in by_name), None)
        date = date or (temporal[0].name if temporal else None)
        hold_id = "invoices"
        policy_note = ""
        if self.policy is not None:
            holds = [h for h in self.policy.holds if h.kind == "invoices"] or list(
                self.policy.holds
            )
            if holds:
                hold_id = holds[0].id
            else:
                policy_note = "; the policy has no statutory hold yet: add one"
        if date is None:
            draft.notes.append(
                "review: statutory hold (an invoice-like table) but no date column to count "
                "it from; its rows follow their parent's hold"
            )
            return
        out["hold"] = {"id": hold_id, "date": date}
        notes[(*here, "hold")] = [
            "review: statutory hold (BE: invoices 10 years, NL: 7 years, from the document "
            f"date){policy_note}"
        ]


def propose(
    schema: SchemaInfo,
    evidence: Mapping[Candidate, Evidence],
    source: StoreSource,
    *,
    candidates: Sequence[Candidate] | None = None,
    policy: Policy | None = None,
    sample_size: int = 0,
) -> Proposal:
    """The proposed data map for ``schema`` and its YAML text with a comment on each guess."""
    unmappable = len(schema.tables)
    schema = mappable(schema)
    unmappable -= len(schema.tables)
    proposer = _Proposer(schema, evidence, policy)
    proposer.poly_notes()
    for draft in proposer.tables.values():
        proposer.identity_and_text(draft)
        proposer.declared_links(draft)
    proposer.inferred_links(candidates if candidates is not None else list(evidence))
    proposer.choose_people()
    kept = proposer.included()
    notes: dict[Path, list[str]] = {}
    tables: list[dict[str, Any]] = []
    left_out = [d.info.name for d in proposer.tables.values() if d not in kept]
    keyless = [n for n in left_out if not (schema.table(n) or _NO_TABLE).has_key]
    kept.sort(key=lambda d: (not d.person, d.info.name))
    for draft in kept:
        key = draft.info.primary_key or draft.info.uniques[0]
        here: Path = ("stores", 0, "tables", len(tables))
        proposer.fields(draft)
        out: dict[str, Any] = {"name": draft.info.name, "primary_key": list(key)}
        if not draft.info.primary_key:
            notes[(*here, "primary_key")] = ["review: no primary key; a unique key is used"]
        if draft.person:
            out["person"] = True
        out["links"] = [ln.data for ln in draft.links]
        for index, ln in enumerate(draft.links):
            notes[(*here, "links", index)] = ln.notes
        if draft.fields:
            out["fields"] = [entry for entry, _ in draft.fields]
            for index, (_, field_notes) in enumerate(draft.fields):
                notes[(*here, "fields", index)] = field_notes
        proposer.hold(draft, out, notes, here)
        proposer.dates(draft, out, notes, here)
        out["guessed"] = True
        if not draft.person:
            draft.notes.insert(0, "guessed: its rows belong to a person by the links below")
        notes[here] = draft.notes
        tables.append(out)
    document = {
        "datamap": 1,
        "stores": [
            {
                "id": source.store_id,
                "connector": source.connector,
                "url_env": source.url_env,
                **({"schema": schema.schema} if schema.schema else {}),
                "tables": tables,
            }
        ],
    }
    hint = f" (introspected: {source.url_hint})" if source.url_hint else ""
    notes[("stores", 0, "url_env")] = [
        f"the connection URL goes in this environment variable, never in this file{hint}"
    ]
    header = _header(schema, sample_size)
    unlinked = sorted(set(left_out) - set(keyless))
    footer = []
    if unlinked:
        footer.append(f"Left out (no link leads from them to a person): {', '.join(unlinked)}.")
    if keyless:
        footer.append(
            f"Left out (no primary or unique key to name a row by): {', '.join(sorted(keyless))}."
        )
    if unmappable:
        footer.append(f"Left out: {unmappable} table(s) whose names are not plain identifiers.")
    text = render(document, notes, header=header, footer=footer)
    datamap = DataMap.model_validate(document)
    links = sum(len(t["links"]) for t in tables)
    guessed = sum(1 for t in tables for ln in t["links"] if ln.get("guessed"))
    review = sum(1 for ns in notes.values() for n in ns if n.startswith("review:"))
    return Proposal(datamap, text, len(tables), links, guessed, sorted(left_out), review)


_NO_TABLE = TableInfo("", ())


def _header(schema: SchemaInfo, sample_size: int) -> list[str]:
    sampled = f" and up to {sample_size} sampled rows per table" if sample_size else ""
    return [
        "A data map proposed by `privaat datamap generate` from the live schema of the "
        f"{schema.dialect} database {schema.database!r}{sampled}.",
        "Everything the database does not declare is marked guessed: true, with the reason in "
        "a comment.",
        "Review each guess, remove its guessed: true once you agree, and settle every "
        '"review:" comment;',
        "then run: privaat datamap check FILE --policy POLICY",
    ]
