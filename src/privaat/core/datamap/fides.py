"""Convert a Fides dataset file (fideslang) into a privaat data map.

A Fides dataset annotates collections (tables) and their fields with data categories, marks
identity fields (``fides_meta.identity``) and primary keys, and says how collections reach
each other (``fides_meta.references`` with a ``direction``). privaat's map says the same
things from the other end: per table, how a row belongs to a person. The conversion:

- an identity field becomes an ``identity`` link (email, phone_number -> phone; any other
  identity is read as a customer number, with a review note);
- a reference ``A.f -> B.g`` with direction ``from`` (A is found from B) becomes a link on A,
  ``{column: f, to: B.g}``; with direction ``to`` (B is found from A) a link on B,
  ``{column: g, to: A.f}``, and B's rows are masked rather than deleted, since they may be
  shared; without a direction it is read as ``from``, with a note;
- nested fields (JSON documents) with an identity become ``json`` links;
- each field's first ``user.*`` data category becomes a field of the map; ``system.*``
  categories are not personal data and are skipped;
- collections no link leads from to a person, or that hold no personal data, are left out.

Both ``fides_meta`` and the older ``fidesops_meta`` are read. Fides says nothing about the
database engine, nullability or uniqueness: the connector and the erasure strategies are
defaults to review, and ``privaat datamap check`` compares them with the live schema.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from privaat.core.datamap.emit import render
from privaat.core.datamap.model import DataMap
from privaat.core.validation import issues_from_validation
from privaat.core.yamlsource import Path, parse
from privaat.errors import InvalidDocument, SourceIssue

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,127}$")
_CATEGORY = re.compile(r"^user(\.[a-z][a-z0-9_]*)*$")
_IDENTITY = {"email": "email", "phone_number": "phone", "phone": "phone"}


class _Fides(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class FidesReference(_Fides):
    dataset: str | None = None
    field: str = Field(min_length=3)
    direction: str | None = None


class FidesMeta(_Fides):
    identity: str | None = None
    primary_key: bool = False
    references: list[FidesReference] = Field(default_factory=list)
    data_type: str | None = None


class FidesField(_Fides):
    name: str = Field(min_length=1)
    data_categories: list[str] = Field(default_factory=list)
    fides_meta: FidesMeta | None = None
    fidesops_meta: FidesMeta | None = None
    fields: list[FidesField] = Field(default_factory=list)

    @property
    def meta(self) -> FidesMeta:
        return self.fides_meta or self.fidesops_meta or FidesMeta()


class FidesCollection(_Fides):
    name: str = Field(min_length=1)
    fields: list[FidesField] = Field(default_factory=list)


class FidesDataset(_Fides):
    fides_key: str = Field(min_length=1)
    name: str | None = None
    collections: list[FidesCollection] = Field(min_length=1)


class FidesFile(_Fides):
    dataset: list[FidesDataset] = Field(min_length=1)


@dataclass(slots=True)
class _Table:
    name: str
    primary_key: list[str] = field(default_factory=list)
    links: list[tuple[dict[str, Any], list[str]]] = field(default_factory=list)
    fields: list[tuple[dict[str, Any], list[str]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    shared: bool = False  # reached by a reference of direction "to"
    person: bool = False

    def targets(self) -> set[str]:
        return {str(link["to"]).split(".", 1)[0] for link, _ in self.links if "to" in link}

    @property
    def anchored(self) -> bool:
        return any("identity" in link for link, _ in self.links)


@dataclass(frozen=True, slots=True)
class FidesImport:
    """The converted map, its YAML (with review notes as comments), and what was left out."""

    datamap: DataMap
    yaml: str
    left_out: list[str]
    review: int


def import_fides(text: str, file: str = "<fides>") -> FidesImport:
    """Convert Fides dataset YAML to a data map; InvalidDocument (file:line:col) if malformed."""
    document = parse(text, file)
    smap = document.source_map
    if not isinstance(document.data, dict):
        raise InvalidDocument(
            [SourceIssue(file, 1, 1, "a Fides dataset file is a mapping with a dataset list")]
        )
    try:
        fides = FidesFile.model_validate(document.data)
    except ValidationError as exc:
        raise InvalidDocument(issues_from_validation(exc, FidesFile, smap)) from None
    stores: list[dict[str, Any]] = []
    notes: dict[Path, list[str]] = {}
    left_out: list[str] = []
    used_ids: set[str] = set()
    for dataset in fides.dataset:
        store_id = _store_id(dataset.fides_key, used_ids)
        si = len(stores)
        tables, store_notes, dropped = _convert(dataset)
        left_out += [f"{dataset.fides_key}.{name}" for name in dropped]
        if not tables:
            left_out.append(f"{dataset.fides_key} (no collection holds personal data)")
            continue
        store: dict[str, Any] = {
            "id": store_id,
            "connector": "postgresql",
            "url_env": f"{store_id.upper()}_DATABASE_URL",
        }
        if dataset.name:
            store["description"] = dataset.name
        store["tables"] = []
        notes[("stores", si)] = [f"from Fides dataset {dataset.fides_key}", *store_notes]
        notes[("stores", si, "connector")] = [
            "review: Fides does not say which database this is (postgresql, mysql or sqlite)"
        ]
        notes[("stores", si, "url_env")] = ["the connection URL goes in this variable"]
        for ti, table in enumerate(tables):
            here: Path = ("stores", si, "tables", ti)
            out: dict[str, Any] = {"name": table.name, "primary_key": table.primary_key}
            if table.person:
                out["person"] = True
            out["links"] = [link for link, _ in table.links]
            for li, (_, link_notes) in enumerate(table.links):
                if link_notes:
                    notes[(*here, "links", li)] = link_notes
            if table.fields:
                out["fields"] = [f for f, _ in table.fields]
                for fi, (_, field_notes) in enumerate(table.fields):
                    if field_notes:
                        notes[(*here, "fields", fi)] = field_notes
            if table.shared:
                out["erase"] = "mask"
                notes[(*here, "erase")] = [
                    "review: found from another collection (direction: to), so its rows may "
                    "be shared; masked, not deleted"
                ]
            if table.notes:
                notes[here] = table.notes
            store["tables"].append(out)
        stores.append(store)
    if not stores:
        raise InvalidDocument(
            [SourceIssue(file, 1, 1, "no collection of this file holds personal data")]
        )
    header = [
        f"A data map converted by `privaat datamap import-fides` from {file}.",
        'Settle every "review:" comment, then run: privaat datamap check FILE --policy POLICY',
    ]
    footer = [f"Left out (no personal data, or nothing leads to a person): {', '.join(left_out)}."]
    document_out = {"datamap": 1, "stores": stores}
    yaml = render(document_out, notes, header=header, footer=footer if left_out else [])
    review = sum(1 for ns in notes.values() for n in ns if n.startswith("review:"))
    return FidesImport(DataMap.model_validate(document_out), yaml, left_out, review)


def _store_id(key: str, used: set[str]) -> str:
    base = re.sub(r"[^a-z0-9_-]+", "_", key.lower()).strip("_-") or "fides"
    if not base[0].isalpha():
        base = f"fides_{base}"
    candidate, n = base[:60], 2
    while candidate in used:
        candidate, n = f"{base[:56]}_{n}", n + 1
    used.add(candidate)
    return candidate


def _convert(dataset: FidesDataset) -> tuple[list[_Table], list[str], list[str]]:
    """The tables of one dataset, notes for the store, and the collections left out."""
    store_notes: list[str] = []
    tables: dict[str, _Table] = {}
    skipped = [c.name for c in dataset.collections if not _NAME.match(c.name)]
    if skipped:
        store_notes.append(f"review: {len(skipped)} collection name(s) are not plain identifiers")
    collections = [c for c in dataset.collections if _NAME.match(c.name)]
    for collection in collections:
        tables[collection.name] = _table(collection)
    for collection in collections:
        for item in collection.fields:
            for ref in item.meta.references:
                _reference(dataset, collection.name, item.name, ref, tables, store_notes)
    kept = _reachable(tables)
    for table in kept:
        table.person = _is_person(table, kept)
        if table.person:
            table.notes.insert(
                0, "a table of persons: an identity, and other collections lead here"
            )
    dropped = sorted(set(tables) - {t.name for t in kept})
    ordered = sorted(kept, key=lambda t: (not t.person, t.name))
    return ordered, store_notes, dropped


def _is_person(table: _Table, kept: list[_Table]) -> bool:
    return table.anchored and any(
        table.name in other.targets() for other in kept if other is not table
    )


def _table(collection: FidesCollection) -> _Table:
    table = _Table(collection.name)
    for item in collection.fields:
        if not _NAME.match(item.name):
            table.notes.append("review: a field name that is not a plain identifier was skipped")
            continue
        if item.meta.primary_key:
            table.primary_key.append(item.name)
        identity = item.meta.identity
        if identity:
            kind, notes = _identity(identity)
            table.links.append(({"column": item.name, "identity": kind}, notes))
        for path, nested_identity in _nested_identities(item):
            kind, notes = _identity(nested_identity)
            table.links.append(
                ({"json": {"column": item.name, "path": path}, "identity": kind}, notes)
            )
        category, others = _category(item)
        if category is not None:
            entry: dict[str, Any] = {"column": item.name, "category": category}
            entry["erase"] = "unique_random" if identity else "null"
            notes = [f"Fides also says: {', '.join(others)}"] if others else []
            table.fields.append((entry, notes))
    keys = set(table.primary_key) | {
        item.name for item in collection.fields if item.meta.references
    }
    for entry, notes in table.fields:
        if entry["column"] in keys:
            entry["erase"] = "keep"
            notes.append("a key: kept when the row is masked")
    if not table.primary_key:
        names = [f.name for f in collection.fields]
        table.primary_key = ["id"] if "id" in names else names[:1]
        table.notes.append(
            "review: Fides marks no primary key; "
            + (f"{table.primary_key[0]} was assumed" if table.primary_key else "none found")
        )
    return table


def _identity(identity: str) -> tuple[str, list[str]]:
    kind = _IDENTITY.get(identity)
    if kind is not None:
        return kind, []
    return "customer_number", [
        f"review: the Fides identity {identity!r} is read as a customer number"
    ]


def _nested_identities(
    item: FidesField, prefix: tuple[str, ...] = ()
) -> list[tuple[list[str], str]]:
    out: list[tuple[list[str], str]] = []
    for child in item.fields:
        path = (*prefix, child.name)
        if child.meta.identity:
            out.append((list(path), child.meta.identity))
        out.extend(_nested_identities(child, path))
    return out


def _category(item: FidesField) -> tuple[str | None, list[str]]:
    found: list[str] = []

    def collect(node: FidesField) -> None:
        for key in node.data_categories:
            if _CATEGORY.match(key) and key not in found:
                found.append(key)
        for child in node.fields:
            collect(child)

    collect(item)
    return (found[0], found[1:]) if found else (None, [])


def _reference(
    dataset: FidesDataset,
    collection: str,
    column: str,
    ref: FidesReference,
    tables: dict[str, _Table],
    store_notes: list[str],
) -> None:
    where = f"{collection}.{column} -> {ref.field}"
    if ref.dataset not in (None, dataset.fides_key):
        store_notes.append(
            f"review: the reference {where} leads to another dataset ({ref.dataset}); a link "
            "stays within one store"
        )
        return
    parts = ref.field.split(".")
    if len(parts) != 2 or not all(_NAME.match(p) for p in parts) or parts[0] not in tables:
        store_notes.append(f"review: the reference {where} names no collection.field here")
        return
    other, other_column = parts
    if ref.direction == "to":
        target = tables[other]
        target.links.append(({"column": other_column, "to": f"{collection}.{column}"}, []))
        target.shared = True
        return
    notes = [] if ref.direction == "from" else ["review: no direction; read as 'from'"]
    tables[collection].links.append(({"column": column, "to": f"{other}.{other_column}"}, notes))


def _reachable(tables: dict[str, _Table]) -> list[_Table]:
    """Tables reaching a person's identity through links, minus those with no personal data
    that no kept table leads through."""
    keep = {name for name, t in tables.items() if t.anchored}
    changed = True
    while changed:
        changed = False
        for name, table in tables.items():
            if name not in keep and table.targets() & keep:
                keep.add(name)
                changed = True
    changed = True
    while changed:
        changed = False
        for name in sorted(keep):
            table = tables[name]
            needed = any(name in tables[o].targets() for o in keep if o != name)
            if not table.fields and not table.anchored and not needed:
                keep.discard(name)
                changed = True
    for table in tables.values():
        table.links = [
            (link, n)
            for link, n in table.links
            if "to" not in link or str(link["to"]).split(".", 1)[0] in keep
        ]
    return [tables[name] for name in tables if name in keep]
