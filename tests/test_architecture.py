"""The core stays pure: no database, web, CLI or template imports (STYLE.md, habit 1)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).parents[1] / "src" / "privaat"
FORBIDDEN_IN_CORE = (
    "sqlalchemy",
    "fastapi",
    "starlette",
    "typer",
    "click",
    "rich",
    "jinja2",
    "openpyxl",
    "psycopg",
    "pymysql",
    "privaat.cli",
    "privaat.notice",
    "privaat.register",
    "privaat.store",
    "privaat.connectors",
    "privaat.engine",
    "privaat.api",
    "privaat.web",
)


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_imports_nothing_from_the_edges() -> None:
    offenders = {
        f"{path.relative_to(SRC)}: {name}"
        for path in (SRC / "core").rglob("*.py")
        for name in imports_of(path)
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN_IN_CORE)
    }
    assert not offenders, "core must stay pure:\n" + "\n".join(sorted(offenders))


def test_core_has_modules_to_check() -> None:
    assert len(list((SRC / "core").rglob("*.py"))) >= 10
