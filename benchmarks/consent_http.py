"""Consent over HTTP: durable writes/s and current-consent reads/s with their latency.

Target (PRODUCT.md): >= 2,000 durable consent writes/s and >= 5,000 reads/s, p99 <= 20 ms,
over HTTP on the 2-core machine with PostgreSQL; the same on SQLite reported too.

What it does: makes a fresh store (a PostgreSQL database, or a SQLite file), loads the
Jetstax example, issues an API token, starts ``privaat serve`` with N workers, then drives it
with wrk (Debian's ``wrk``; a Lua script per phase):

0. warm-up: ``--warmup`` seconds of the same writes, shown but not in the medians: they
   create most of the subjects (a store in use has its people) and warm each worker's caches;
1. writes: POST /consents, random subjects among ``--subjects``, given or withdrawn, each
   committed before the answer (PostgreSQL synchronous_commit on; SQLite synchronous=FULL);
2. reads: GET /consent?purpose=newsletter&email=... (the hot path applications call).

After the write phase it counts the events in the store and compares them with the 2xx
answers wrk saw: a benchmark that loses writes is not a result.

    .venv/bin/python benchmarks/consent_http.py --backend postgresql
    .venv/bin/python benchmarks/consent_http.py --backend sqlite
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import create_engine, func, select, text

from privaat.core.access import ALL_SCOPES
from privaat.engine import orgs, tokens
from privaat.examples import example_text
from privaat.store.db import Store
from privaat.store.migrate import upgrade
from privaat.store.models import ConsentEvent

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DB_NAME = "privaat_bench_consent"
SECRET = "benchmark-secret-key-0123456789-abcdefghij"

WRITE_LUA = """
math.randomseed(os.time())
local actions = {"given", "withdrawn"}
request = function()
  local n = math.random(1, %(subjects)d)
  local body = '{"email":"u' .. n .. '@bench.example","purpose":"newsletter","action":"'
    .. actions[math.random(1, 2)] .. '","ip":"203.0.113.' .. math.random(1, 254)
    .. '","user_agent":"bench"}'
  return wrk.format("POST", "/api/v1/orgs/jetstax/consents", {
    ["Authorization"] = "Bearer %(token)s",
    ["Content-Type"] = "application/json",
  }, body)
end
"""

READ_LUA = """
math.randomseed(os.time())
request = function()
  local n = math.random(1, %(subjects)d)
  return wrk.format("GET", "/api/v1/orgs/jetstax/consent?purpose=newsletter&email=u" .. n
    .. "%%40bench.example", {["Authorization"] = "Bearer %(token)s"})
end
"""


def make_store(backend: str, folder: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'bench.sqlite3'}"
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}"


def drop_store(backend: str) -> None:
    if backend == "postgresql":
        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        admin.dispose()


def prepare(url: str) -> str:
    store = Store(url)
    upgrade(store.engine)
    now = dt.datetime.now(dt.UTC)
    with store.transaction() as session:
        org = orgs.create_org(session, "jetstax", "Jetstax BV", now=now, actor="bench")
        orgs.load_version(session, org, example_text("jetstax"), now=now, actor="bench")
        _row, token = tokens.issue_api_token(
            session,
            org_id=org.id,
            scopes=ALL_SCOPES,
            name="bench",
            now=now,
            actor="bench",
            ttl=dt.timedelta(days=1),
        )
    store.dispose()
    return token


def start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        PRIVAAT_ENVIRONMENT="production",
        PRIVAAT_SECRET_KEY=SECRET,
        PRIVAAT_DATABASE_URL=url,
    )
    privaat = Path(sys.executable).with_name("privaat")
    server = subprocess.Popen(
        [
            str(privaat),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise SystemExit("the server did not start")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def run_wrk(
    script: str, port: int, seconds: int, connections: int, threads: int
) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            handle.name,
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(handle.name)
    return parse_wrk(out)


def _found(pattern: str, text: str) -> re.Match[str]:
    match = re.search(pattern, text)
    if match is None:
        raise SystemExit(f"unexpected wrk output (no {pattern!r}):\n{text}")
    return match


def parse_wrk(out: str) -> dict[str, float]:
    def ms(value: str) -> float:
        number, unit = _found(r"^([\d.]+)(us|ms|s)$", value).groups()
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    result: dict[str, float] = {
        "rps": float(_found(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": float(_found(r"(\d+) requests in", out).group(1)),
    }
    for pct in ("50", "90", "99"):
        match = re.search(rf"\s{pct}(?:\.000)?%\s+([\d.]+(?:us|ms|s))", out)
        result[f"p{pct}"] = ms(match.group(1)) if match else float("nan")
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["errors"] = float(non2xx.group(1)) if non2xx else 0.0
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    result["socket_errors"] = float(sum(int(g) for g in errors.groups())) if errors else 0.0
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--subjects", type=int, default=20_000)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each phase; the median run is reported"
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=10,
        help="seconds of writes before the measured runs, not reported (0: none); they "
        "create most of the subjects, as a store in use has them",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("needs wrk: apt-get install wrk")

    folder = Path(tempfile.mkdtemp(prefix="privaat-bench-"))
    url = make_store(args.backend, folder)
    try:
        token = prepare(url)
        server = start_server(url, args.port, args.workers)
        try:
            values = {"subjects": args.subjects, "token": token}
            phase = (args.port, args.seconds, args.connections, args.threads)
            warm = (args.port, args.warmup, args.connections, args.threads)
            warmup = [run_wrk(WRITE_LUA % values, *warm)] if args.warmup > 0 else []
            write_runs = [run_wrk(WRITE_LUA % values, *phase) for _ in range(args.repeat)]
            store = Store(url)
            with store.reading() as session:
                stored = session.execute(
                    select(func.count()).select_from(ConsentEvent)
                ).scalar_one()
            store.dispose()
            read_runs = [run_wrk(READ_LUA % values, *phase) for _ in range(args.repeat)]
        finally:
            stop_server(server)
    finally:
        drop_store(args.backend)
        shutil.rmtree(folder, ignore_errors=True)

    answered = sum(r["requests"] - r["errors"] for r in warmup + write_runs)
    print(
        f"backend {args.backend}, {args.workers} workers, {args.connections} connections, "
        f"{args.seconds} s per run, {args.repeat} runs per phase (the median run is marked *), "
        f"after {args.warmup} s of writes not counted"
    )
    print("phase   req/s     p50 ms  p90 ms  p99 ms  non-2xx")
    for name, runs in (("warmup", warmup), ("writes", write_runs), ("reads", read_runs)):
        if not runs:
            continue
        middle = sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]
        for r in runs:
            mark = "*" if r is middle else " "
            print(
                f"{name:<7}{mark}{r['rps']:>8.0f}  {r['p50']:>6.2f}  {r['p90']:>6.2f}  "
                f"{r['p99']:>6.2f}  {r['errors']:>7.0f}"
            )
    print(f"writes answered 2xx: {answered:.0f}; events stored: {stored}")
    if stored < answered:
        raise SystemExit("LOST WRITES: fewer events stored than acknowledged")


if __name__ == "__main__":
    main()
