"""``privaat policy ...``: check, render, register and compare policy files."""

from __future__ import annotations

import dataclasses
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from privaat.cli.errors import EXIT_FINDINGS, EXIT_OK
from privaat.core.policy import read_policy
from privaat.errors import InvalidDocument, UsageError

app = typer.Typer(
    help="Check, render, register and compare privacy-policy files.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

PolicyFile = Annotated[Path, typer.Argument(help="The policy YAML file.", show_default=False)]


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


class FailOn(StrEnum):
    error = "error"
    warning = "warning"


class Lang(StrEnum):
    nl = "nl"
    en = "en"
    fr = "fr"


class NoticeFormat(StrEnum):
    md = "md"
    html = "html"


class RopaFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    json = "json"
    jsonld = "jsonld"


@app.command("check")
def check(
    file: PolicyFile,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="text for people, json for machines.")
    ] = OutputFormat.text,
    fail_on: Annotated[
        FailOn, typer.Option(help="Lowest severity that makes the exit code 1.")
    ] = FailOn.error,
) -> None:
    """Validate a policy file, then lint it against the GDPR and Belgian/Dutch law.

    Schema errors come first (all of them, as file:line:col), then lint findings
    with a stable code, severity, place and one-line fix.
    Exit 0 when clean, 1 on findings at error level, 2 when the file cannot be read.
    """
    from privaat.core.lint import Severity, lint

    try:
        loaded = read_policy(file)
    except InvalidDocument as exc:
        if output_format is OutputFormat.json:
            issues = [dataclasses.asdict(i) | {"severity": "error"} for i in exc.issues]
            _emit_json(str(file), issues, [])
        else:
            for issue in exc.issues:
                typer.echo(str(issue))
            typer.echo(_summary(len(exc.issues), 0, 0, schema=True))
        raise typer.Exit(EXIT_FINDINGS) from None

    findings = lint(loaded.policy)
    smap = loaded.source_map
    rows: list[dict[str, object]] = []
    for f in findings:
        pos = smap.locate(f.path)
        rows.append(
            {
                "file": str(file),
                "line": pos.line,
                "column": pos.column,
                "code": f.code,
                "severity": f.severity.value,
                "message": f.message,
                "fix": f.fix,
            }
        )
    rank = {"error": 0, "warning": 1, "info": 2}
    rows.sort(key=lambda r: (rank[str(r["severity"])], int(str(r["line"])), int(str(r["column"]))))
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    warnings = sum(1 for f in findings if f.severity is Severity.WARNING)
    infos = len(findings) - errors - warnings
    if output_format is OutputFormat.json:
        _emit_json(str(file), [], rows)
    else:
        for r in rows:
            typer.echo(
                f"{r['file']}:{r['line']}:{r['column']}: {r['severity']} {r['code']}: {r['message']}"
            )
            typer.echo(f"    fix: {r['fix']}")
        typer.echo(_summary(errors, warnings, infos))
    failing = errors + (warnings if fail_on is FailOn.warning else 0)
    raise typer.Exit(EXIT_FINDINGS if failing else EXIT_OK)


def _emit_json(
    file: str, schema_errors: list[dict[str, object]], findings: list[dict[str, object]]
) -> None:
    payload = {
        "file": file,
        "valid": not schema_errors,
        "schema_errors": schema_errors,
        "findings": findings,
        "summary": {
            "schema_errors": len(schema_errors),
            "errors": sum(1 for f in findings if f["severity"] == "error"),
            "warnings": sum(1 for f in findings if f["severity"] == "warning"),
            "info": sum(1 for f in findings if f["severity"] == "info"),
        },
    }
    typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))


def _summary(errors: int, warnings: int, infos: int, *, schema: bool = False) -> str:
    if schema:
        return f"{errors} schema error{'s' if errors != 1 else ''}; fix them to see lint findings"
    if not (errors or warnings or infos):
        return "clean: no findings"
    return f"{errors} error(s), {warnings} warning(s), {infos} info"


@app.command("render")
def render(
    file: PolicyFile,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the notice.")] = Lang.nl,
    output_format: Annotated[
        NoticeFormat, typer.Option("--format", help="md (Markdown) or html (standalone page).")
    ] = NoticeFormat.md,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Render the privacy notice, with every item Articles 13 and 14 GDPR require."""
    from privaat.notice import render_notice

    loaded = read_policy(file)
    if lang.value not in loaded.policy.languages:
        raise UsageError(
            f"{file} is published in {', '.join(loaded.policy.languages)}, not {lang.value}; "
            f"add {lang.value} to languages and translate its texts"
        )
    text = render_notice(loaded.policy, lang.value, output_format.value)
    _write(text.encode("utf-8"), output)


@app.command("ropa")
def ropa(
    file: PolicyFile,
    output_format: Annotated[
        RopaFormat, typer.Option("--format", help="csv, xlsx, json or jsonld (W3C DPV).")
    ] = RopaFormat.csv,
    lang: Annotated[
        Lang | None,
        typer.Option("--lang", help="Language of the texts (default: the policy's first)."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Export the register of processing activities (Article 30): controller and processor records."""
    from privaat.register import export_ropa

    loaded = read_policy(file)
    data = export_ropa(loaded.policy, output_format.value, lang.value if lang else None)
    if output is None and output_format is RopaFormat.xlsx and sys.stdout.isatty():
        raise UsageError("xlsx is binary: pass --output FILE.xlsx")
    _write(data, output)


@app.command("diff")
def diff(
    old: Annotated[Path, typer.Argument(help="The earlier policy version.")],
    new: Annotated[Path, typer.Argument(help="The later policy version.")],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="text for people, json for machines.")
    ] = OutputFormat.text,
) -> None:
    """Show what changed between two policy versions and where consent must be asked again.

    Purpose by purpose: what was added, removed or changed, and for each consent-based
    purpose whether people must be asked for consent again, with the reasons.
    """
    from privaat.core.policy.diff import diff_policies

    result = diff_policies(read_policy(old).policy, read_policy(new).policy)
    if output_format is OutputFormat.json:
        typer.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
    else:
        typer.echo(result.render_text())


def _write(data: bytes, output: Path | None) -> None:
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None
    typer.echo(f"wrote {output}", err=True)


@app.command("reference")
def reference() -> None:
    """Print the reference of every key of the policy file (Markdown), generated from the model."""
    from privaat.core.policy.reference import reference_markdown

    typer.echo(reference_markdown(), nl=False)


@app.command("schema")
def schema() -> None:
    """Print the policy file's JSON Schema, for editors (YAML language server) and other tools."""
    from privaat.core.policy.reference import json_schema

    typer.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


@app.command("rules")
def rules() -> None:
    """Print every lint rule with its code, severity and legal source (Markdown)."""
    from privaat.core.lint.docs import rules_markdown

    typer.echo(rules_markdown(), nl=False)
