"""``privaat demo``: the main job on the embedded default, for a newcomer's first minute.

Takes a bundled example policy, checks it, renders its notice in every language and
format, and exports its Art. 30 register, into one folder.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from privaat.core.lint import RULES, Severity, lint
from privaat.core.policy import load_policy
from privaat.errors import UsageError
from privaat.examples import EXAMPLES, example_text


def demo_command(
    example: Annotated[
        str, typer.Option("--example", help=f"One of: {', '.join(EXAMPLES)}.")
    ] = "jetstax",
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write into.")] = Path(
        "privaat-demo"
    ),
) -> None:
    """Check a bundled example policy and publish its notices and register into a folder."""
    from privaat.notice import render_notice
    from privaat.register import export_ropa

    text = example_text(example)
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {output}: {exc.strerror}") from None
    policy_file = output / f"{example}.yaml"
    policy_file.write_text(text, encoding="utf-8")
    loaded = load_policy(text, str(policy_file))
    policy = loaded.policy

    findings = lint(policy)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    typer.echo(f"{policy.controller.name}: {EXAMPLES[example]}")
    typer.echo(f"  policy     {policy_file}  (version {policy.version}, {policy.date})")
    typer.echo(
        f"  check      {len(errors)} error(s), {len(findings) - len(errors)} other finding(s);"
        f" details: privaat policy check {policy_file}"
    )
    for code, count in Counter(f.code for f in errors).most_common():
        times = f" x{count}" if count > 1 else ""
        typer.echo(f"               {code}{times}  {RULES[code].title}")

    written: list[Path] = []
    for lang in policy.languages:
        for fmt in ("html", "md"):
            target = output / f"notice.{lang}.{fmt}"
            target.write_text(render_notice(policy, lang, fmt), encoding="utf-8")
            written.append(target)
    for fmt in ("csv", "xlsx", "json", "jsonld"):
        target = output / f"ropa.{fmt}"
        target.write_bytes(export_ropa(policy, fmt))
        written.append(target)
    typer.echo(f"  notices    {', '.join(p.name for p in written if p.name.startswith('notice'))}")
    typer.echo(f"  register   {', '.join(p.name for p in written if p.name.startswith('ropa'))}")
    typer.echo(f"  open {output / ('notice.' + policy.languages[0] + '.html')} in a browser")
