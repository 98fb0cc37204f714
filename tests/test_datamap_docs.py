"""docs/datamap.md documents every key of the data-map file and every check code."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from privaat.core.datamap.model import (
    Aggregate,
    DataMap,
    GroupBy,
    Hold,
    JsonPath,
    Link,
    PersonalField,
    Retain,
    Store,
    Table,
)

DOC = Path(__file__).parents[1] / "docs" / "datamap.md"


def test_every_key_of_the_map_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    models: list[type[BaseModel]] = [
        DataMap,
        Store,
        Table,
        Link,
        PersonalField,
        Hold,
        JsonPath,
        Retain,
        Aggregate,
        GroupBy,
    ]
    missing = [
        f"{model.__name__}.{field.alias or name}"
        for model in models
        for name, field in model.model_fields.items()
        if f"`{field.alias or name}`" not in text
    ]
    assert not missing, missing


def test_every_check_code_is_documented() -> None:
    source = (
        Path(__file__).parents[1] / "src" / "privaat" / "engine" / "datamap_check.py"
    ).read_text(encoding="utf-8")
    text = DOC.read_text(encoding="utf-8")
    codes = set(re.findall(r'"(DM\d{3})"', source))
    assert codes
    assert {c for c in codes if f"| {c} |" not in text} == set()
