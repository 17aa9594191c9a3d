"""`make bench`: build a synthetic school in a database of its own, serve it with gunicorn and
the production settings, drive it with Locust from another process, measure the scale
curve, print the figures and write them under var/bench/.

    DATABASE_URL=postgresql://USER@127.0.0.1:5432/DBNAME python -m bench.run [--quick]

The benchmark's database is DBNAME_bench on the same server: created at the start (dropped
first if an earlier run left it) and dropped at the end (--keep-db keeps it). Nothing else
on the server is touched.
"""

import argparse
import json
import os
import platform
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .report import load_table, scale_table, write_json

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def bench_database_url(url: str) -> tuple[str, str]:
    """(the benchmark database's URL, its name): DBNAME_bench next to the given one."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise SystemExit("make bench runs on PostgreSQL: DATABASE_URL must be postgresql://…")
    name = parts.path.lstrip("/") or "postgres"
    bench_name = f"{name}_bench"
    return urlunsplit(parts._replace(path=f"/{bench_name}")), bench_name


def recreate_database(admin_url: str, name: str, *, drop_only: bool = False) -> str:
    """Drop the benchmark database if it is there, create it again; the server's version."""
    import psycopg
    from psycopg import sql

    try:
        conn = psycopg.connect(admin_url, autocommit=True)
    except psycopg.OperationalError as error:
        # Said plainly, not as a traceback: the usual cause is a DATABASE_URL naming a
        # database that does not exist yet (the benchmark makes its own next to it).
        raise SystemExit(
            "make bench could not connect to the database in DATABASE_URL, which it uses to "
            f"create {name} next to it: {str(error).strip()}\n"
            "Name a database that exists on that server, e.g. …:5432/postgres."
        ) from None
    with conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return version


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: S603


def wait_until_up(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"The server did not answer {url} within {seconds:.0f} s.")


def memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        return None
    return None


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="The load benchmark (see docs/performance.md).")
    parser.add_argument("--quick", action="store_true", help="A short run to try it out.")
    parser.add_argument("--port", type=int, default=8260)
    parser.add_argument("--seconds", type=float, help="Length of each measured phase.")
    parser.add_argument("--users", type=int, default=20, help="Users at maximum throughput.")
    parser.add_argument("--rate", type=float, default=100, help="Requests/s of the fixed phase.")
    parser.add_argument("--classes", type=int, help="Classes of the school (30 students each).")
    parser.add_argument("--sizes", help="Class sizes of the scale curve, e.g. 30,300,3000.")
    parser.add_argument("--only", default="", help="Comma-separated endpoints to load.")
    parser.add_argument("--workers", type=int, help="Gunicorn workers (default: its config).")
    parser.add_argument("--keep-db", action="store_true", help="Keep the database afterwards.")
    args = parser.parse_args(argv)
    args.seconds = args.seconds or (5 if args.quick else 20)
    args.classes = args.classes or (20 if args.quick else 100)
    args.sizes = args.sizes or ("30,300" if args.quick else "30,300,3000")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        print(
            "make bench runs on PostgreSQL. Set DATABASE_URL, e.g.\n"
            "  DATABASE_URL=postgresql://USER:PASSWORD@127.0.0.1:5432/DBNAME make bench\n"
            "It creates the database DBNAME_bench on that server and drops it afterwards.",
            file=sys.stderr,
        )
        return 2
    bench_url, bench_name = bench_database_url(url)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work = OUT / stamp
    work.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    env = {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        # Plain HTTP on loopback, as `make serve`: the HTTPS-only settings are off.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",
        "DJANGO_HSTS_SECONDS": "0",
        "DJANGO_STATIC_ROOT": str(work / "static"),
        "GLF_BENCH_ENDPOINTS": "true",
        "LOG_LEVEL": "WARNING",
    }
    if args.workers:
        env["GUNICORN_WORKERS"] = str(args.workers)
    env.pop("DJANGO_SECRET_KEY_FILE", None)
    env.pop("DATABASE_URL_FILE", None)

    started = time.monotonic()
    log(f"Database {bench_name}: creating it (dropping an earlier run's first)")
    pg_version = recreate_database(url, bench_name)
    figures: dict = {}
    server = None
    try:
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "collectstatic", "--noinput", "-v0")
        log(f"Building the school: {args.classes} classes of 30 students, 10 tasks each")
        begun = time.monotonic()
        manage(
            env,
            "make_demo_school",
            f"--classes={args.classes}",
            f"--teachers={max(1, args.classes // 10)}",
            "--students-per-class=30",
            "--tasks-per-class=10",
            "--questions-per-task=3",
            f"--password={password}",
        )
        build_seconds = round(time.monotonic() - begun, 1)
        plan_path = work / "plan.json"
        manage(env, "bench_pages", "plan", f"--out={plan_path}", f"--students={args.users * 2}")

        log(f"Starting gunicorn on 127.0.0.1:{args.port} (production settings)")
        server_log = (work / "gunicorn.log").open("w")
        server = subprocess.Popen(  # noqa: S603 (our own command line)
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "-c",
                "glfsite/gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{args.port}",
                "glfsite.wsgi",
            ],
            cwd=ROOT,
            env=env,
            stdout=server_log,
            stderr=subprocess.STDOUT,
        )
        host = f"http://127.0.0.1:{args.port}"
        wait_until_up(f"{host}/healthz")
        load_before = os.getloadavg()
        log(f"Load: each endpoint {args.seconds:g} s at {args.rate:g} req/s, then flat out")
        load_path = work / "load.json"
        subprocess.run(  # noqa: S603 (our own command line)
            [
                sys.executable,
                "-m",
                "bench.load",
                f"--host={host}",
                f"--plan={plan_path}",
                f"--password={password}",
                f"--out={load_path}",
                f"--seconds={args.seconds}",
                f"--users={args.users}",
                f"--rate={args.rate}",
                f"--only={args.only}",
            ],
            cwd=ROOT,
            check=True,
        )
        load_after = os.getloadavg()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
        server = None
        figures["load"] = json.loads(load_path.read_text(encoding="utf-8"))

        log(f"Scale curve: classes of {args.sizes} students (in-process, same database)")
        scale_path = work / "scale.json"
        manage(
            env,
            "bench_pages",
            "scale",
            f"--out={scale_path}",
            f"--sizes={args.sizes}",
            f"--password={password}",
            "--repeats=3" if args.quick else "--repeats=5",
        )
        figures["scale"] = json.loads(scale_path.read_text(encoding="utf-8"))
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
        if not args.keep_db:
            recreate_database(url, bench_name, drop_only=True)
            log(f"Database {bench_name} dropped")

    cores = os.cpu_count()
    figures["conditions"] = {
        "when": stamp,
        "command": "make bench" + (" BENCH_ARGS=--quick" if args.quick else ""),
        "cores": cores,
        "memory_gib": memory_gib(),
        "postgresql": pg_version,
        "python": platform.python_version(),
        "gunicorn_workers": int(env.get("GUNICORN_WORKERS") or min(2 * (cores or 1) + 1, 9)),
        "gunicorn_threads": int(env.get("GUNICORN_THREADS") or 2),
        "database_connections": "persistent (CONN_MAX_AGE "
        + env.get("DATABASE_CONN_MAX_AGE", "60")
        + " s)",
        "school": f"{args.classes} classes × 30 students, 10 tasks × 3 questions",
        "school_build_seconds": build_seconds,
        "phase_seconds": args.seconds,
        "users_at_max": args.users,
        "fixed_rate": args.rate,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
        "total_seconds": round(time.monotonic() - started),
    }
    print()
    print(load_table(figures["load"], rate=args.rate))
    print()
    print(scale_table(figures["scale"]))
    path = write_json(figures, OUT, stamp)
    print()
    conditions = figures["conditions"]
    log(
        f"{conditions['cores']} cores, {conditions['memory_gib']} GiB, PostgreSQL "
        f"{pg_version}; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after"
    )
    log(f"Figures written to {path.relative_to(ROOT)} (and var/bench/latest.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
