"""``datamap check``: the hand-written company map against the live company database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from privaat.core.datamap.loader import LoadedDataMap, load_datamap
from privaat.engine.datamap_check import CheckFinding, Severity, check_datamap

HAND = Path(__file__).parents[1] / "fixtures" / "datamaps" / "company.yaml"
ENV = "COMPANY_DATABASE_URL"


def connector_of(url: str) -> str:
    backend = make_url(url).get_backend_name()
    return {"postgresql": "postgresql", "mysql": "mysql"}.get(backend, "sqlite")


def _map(url: str, *replacements: tuple[str, str]) -> LoadedDataMap:
    source = HAND.read_text(encoding="utf-8").replace(
        "connector: sqlite", f"connector: {connector_of(url)}"
    )
    for old, new in replacements:
        assert old in source, old
        source = source.replace(old, new, 1)
    return load_datamap(source, "company.yaml", base_dir=HAND.parent)


def _errors(findings: list[CheckFinding]) -> list[CheckFinding]:
    return [f for f in findings if f.severity is Severity.ERROR]


def _line_of(loaded: LoadedDataMap, needle: str) -> int:
    text = HAND.read_text(encoding="utf-8")
    return next(n for n, row in enumerate(text.splitlines(), start=1) if needle in row)


def test_the_hand_written_map_matches_the_database(company_url: str) -> None:
    findings = check_datamap(_map(company_url), environ={ENV: company_url})
    assert _errors(findings) == []
    warnings = {f.code for f in findings}
    if connector_of(company_url) == "postgresql":
        assert warnings == {"DM108"}  # no lower() index on the e-mail columns
    else:
        assert warnings == set()


def test_schema_mismatches_are_errors_at_their_place(company_url: str) -> None:
    loaded = _map(
        company_url,
        ("- name: logins", "- name: login"),
        (
            "{column: client_id, to: clients.id, declared: false, as_text: true}",
            "{column: client_id, to: clients.id, declared: false}",
        ),
        ("{column: product, category", "{column: produkt, category"),
        ("{column: order_id, to: orders.id}", "{column: order_id, to: orders.ident}"),
        ("hold: {id: invoices, date: issued_on}", "hold: {id: invoices, date: buyer_name}"),
        ("{json: {column: payload,", "{json: {column: to_address,"),
        (
            "primary_key: [id]\n        links:\n          - {column: client_id, to: clients.id}\n"
            "        fields:\n          - {column: email",
            "primary_key: [email]\n        links:\n          - {column: client_id, to: clients.id}\n"
            "        fields:\n          - {column: email",
        ),
    )
    findings = check_datamap(loaded, environ={ENV: company_url})
    by_code: dict[str, list[CheckFinding]] = {}
    for finding in _errors(findings):
        by_code.setdefault(finding.code, []).append(finding)
    assert "DM101" in by_code
    assert "did you mean 'logins'?" in by_code["DM101"][0].fix
    assert any("produkt" in f.message for f in by_code["DM102"])
    assert any("'product'" in f.fix for f in by_code["DM102"])
    assert any("orders.ident" in f.message for f in by_code["DM104"])
    dm105 = by_code["DM105"][0]
    assert "tickets.client_id is text and clients.id is integer" in dm105.message
    assert dm105.fix == "add as_text: true to the link (the key is kept as text)"
    assert dm105.line == _line_of(
        loaded, "{column: client_id, to: clients.id, declared: false, as_text"
    )
    assert "buyer_name" in by_code["DM109"][0].message
    assert "DM103" in by_code  # contacts keyed by a column that is not a key
    if connector_of(company_url) == "postgresql":
        assert "DM106" in by_code  # a varchar is no JSON column there
    for finding in findings:
        assert finding.file == "company.yaml"
        assert finding.line > 1
        assert finding.column >= 1
        assert finding.fix


def test_a_lower_index_silences_the_ignore_case_warning(company_url: str) -> None:
    if connector_of(company_url) != "postgresql":
        return
    engine = create_engine(company_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE INDEX ix_clients_email_lower ON clients (lower(email))"))
    engine.dispose()
    findings = check_datamap(_map(company_url), environ={ENV: company_url})
    flagged = {f.message.split(" ")[2] for f in findings if f.code == "DM108"}
    assert "clients.email" not in flagged
    assert "newsletter.email" in flagged


def test_an_unmapped_table_that_looks_personal_is_a_warning(company_url: str) -> None:
    engine = create_engine(company_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE callbacks (id INTEGER PRIMARY KEY, who VARCHAR(100))"))
        conn.execute(text("INSERT INTO callbacks VALUES (1, '+32470123456'), (2, '0470 99 88 77')"))
    try:
        findings = check_datamap(_map(company_url), environ={ENV: company_url})
    finally:  # the server's database outlives this test; the next one gets the fixture's tables
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE callbacks"))
        engine.dispose()
    warning = next(f for f in findings if f.code == "DM120")
    assert warning.severity is Severity.WARNING
    assert "'callbacks'" in warning.message
    assert "who: sampled values: 2 of 2 look like phone numbers" in warning.message
    assert "+32470123456" not in warning.message
    assert not _errors(findings)


def test_connection_problems_are_findings_without_passwords(tmp_path: Path) -> None:
    loaded = load_datamap(HAND.read_text(encoding="utf-8"), "company.yaml", base_dir=tmp_path)
    unset = check_datamap(loaded, environ={})
    assert [(f.code, f.severity) for f in unset] == [("DM001", Severity.ERROR)]
    assert unset[0].message.endswith("the environment variable COMPANY_DATABASE_URL is not set")
    down = check_datamap(loaded, environ={ENV: "postgresql+psycopg://shop:s3cret@127.0.0.1:1/shop"})
    assert [f.code for f in down] == ["DM002"]
    assert "s3cret" not in down[0].message
    missing = check_datamap(loaded, environ={ENV: "sqlite:///nothing-here.sqlite3"})
    assert [f.code for f in missing] == ["DM002"]
    assert not (tmp_path / "nothing-here.sqlite3").exists()


def test_a_relative_sqlite_url_is_relative_to_the_map(tmp_path: Path) -> None:
    from tests import companydb

    engine = create_engine(f"sqlite:///{tmp_path / 'co.sqlite3'}")
    companydb.metadata.create_all(engine)
    with engine.begin() as conn:
        companydb.seed(conn)
    engine.dispose()
    source = HAND.read_text(encoding="utf-8").replace(
        "url_env: COMPANY_DATABASE_URL", "url: sqlite:///co.sqlite3"
    )
    loaded = load_datamap(source, str(tmp_path / "map.yaml"), base_dir=tmp_path)
    assert check_datamap(loaded, environ={}) == []


def test_masking_null_into_a_not_null_column_is_a_warning(company_url: str) -> None:
    contacts = "          - {column: name, category: user.name}\n"
    loaded = _map(company_url, (contacts, contacts + "        erase: mask\n"))
    findings = check_datamap(loaded, environ={ENV: company_url})
    [warning] = [f for f in findings if f.code == "DM111"]
    assert warning.message.startswith("contacts.email is NOT NULL")
    assert not _errors(findings)


def test_a_wrong_connector_is_an_error(company_url: str) -> None:
    wrong = "mysql" if connector_of(company_url) != "mysql" else "postgresql"
    loaded = _map(company_url, (f"connector: {connector_of(company_url)}", f"connector: {wrong}"))
    findings = check_datamap(loaded, environ={ENV: company_url})
    assert [f.code for f in _errors(findings)] == ["DM003"]


def test_retention_bindings_are_checked_against_the_database(company_url: str) -> None:
    loaded = _map(
        company_url,
        (
            "hold: {id: invoices, date: issued_on}",
            "hold: {id: invoices, date: issued_on}\n"
            "        retention:\n"
            "          - {rule: records, from: buyer_name, where: {stat: paid}}\n"
            "          - rule: stats\n"
            "            aggregate: {into: newsletter, by: [{column: total, period: day}]}",
        ),
    )
    findings = _errors(check_datamap(loaded, environ={ENV: company_url}))
    codes = [(f.code, f.message) for f in findings]
    dm112 = [m for c, m in codes if c == "DM112"]
    assert any("invoices.buyer_name" in m for m in dm112)
    assert any("a period rounds dates only" in m for m in dm112)
    assert any(c == "DM102" and "invoices.stat" in m for c, m in codes)
    dm113 = [f for f in findings if f.code == "DM113"]
    assert len(dm113) == 1
    assert "'newsletter' lacks the columns" in dm113[0].message
    # four lines below the hold in the edited map
    assert dm113[0].line == _line_of(loaded, "hold: {id: invoices, date: issued_on}") + 4
