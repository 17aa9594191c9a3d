"""Autosave under load, and with PostgreSQL stopped: no answer lost or crossed, no 500.

    .venv/bin/python scripts/autosave_load.py [--students 120] [--seconds 30]

Self-contained, with the project's own dependencies only (see docs/security.md, "Load
without loss and faults"):

1. starts a throwaway PostgreSQL cluster in a temporary directory, on a free port (run as
   the postgres user when this runs as root), so stopping it disturbs nothing else;
2. migrates a database there and builds a school with make_demo_school: one teacher, classes
   of 30 students, one open task each with two questions;
3. serves the app with gunicorn (glfsite/gunicorn.conf.py, production settings);
4. phase 1: every student, with its own session, autosaves random texts concurrently as the
   browser does (the same fields and headers, the version from each reply); afterwards each
   answer in the database must be the last text the server acknowledged: 0 lost, 0 crossed,
   0 server errors;
5. phase 2: the same load while PostgreSQL is stopped for a few seconds and started again:
   requests meanwhile must get the app's clean 503, each student retries as the autosave
   script does (back-off 2, 4, 8 … s), and afterwards every answer must be the last text
   its student typed.

Exits non-zero with a summary line when any check fails, or when PostgreSQL's programs
cannot be found (CI must not pass without running the check). Everything it starts is
stopped, and its directory deleted, at exit (Ctrl-C and SIGTERM included).
"""

import argparse
import contextlib
import glob
import html
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "load"
CLIENT_TIMEOUT = 15  # seconds: a reply slower than this counts as a hung connection
RETRY_MAX_SECONDS = 60  # static/js/answering.js: back-off 2, 4, 8 … 60 s
FLUSH_SECONDS = 25  # after a phase, how long students may keep retrying their last text
USERNAME_TAG = re.compile(rf"\[({PREFIX}-student\d+)\]")
WORDS = (
    "the communes took labour from the harvest; backyard furnaces made useless steel",
    "Mao’s “Great Leap Forward” — 大跃进 — aimed to overtake Britain",
    "famine: 饥荒, perhaps 30 million dead (estimates differ)",
    "Lushan 1959: Peng Dehuai’s letter, purged",
    "déjà vu? façade, naïve, Straße, Ærø",
    "Ελληνικά και русский текст",
    "עברית ו‏العربية (right-to-left)",
    "zero\u200bwidth\u200djoiner and emoji 🙂🌾🏭",
    "<b>not markup</b> & ampersands \"quoted\" 'single'",
    "line one\nline two\n\nparagraph",
    "tabs\tand   spaces",
    "1958–1962, 5,000 households each",
)


def log(message: str) -> None:
    print(f"[autosave-load {time.strftime('%H:%M:%S')}] {message}", flush=True)


class CheckFailed(Exception):
    pass


# The throwaway PostgreSQL cluster -------------------------------------------------------


def postgres_bindir() -> Path | None:
    """The directory of initdb and pg_ctl: pg_config's, else the newest Debian-style one."""
    candidates = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            found = subprocess.run(  # noqa: S603 (its own path)
                [pg_config, "--bindir"], capture_output=True, text=True, check=True
            ).stdout.strip()
            candidates.append(Path(found))
        except (OSError, subprocess.CalledProcessError):
            pass

    def version(path: str) -> float:
        try:
            return float(Path(path).parent.name)
        except ValueError:
            return 0.0

    candidates += [
        Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version)[::-1]
    ]
    if shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb")).resolve().parent)
    for path in candidates:
        if (path / "initdb").is_file() and (path / "pg_ctl").is_file():
            return path
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster of our own in a temporary directory."""

    def __init__(self, bindir: Path, workdir: Path):
        self.bindir = bindir
        self.workdir = workdir
        self.data = workdir / "pgdata"
        self.port = free_port()
        # initdb refuses to run as root: the cluster then belongs to the postgres user.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str, check: bool = True, timeout: float = 60):
        command = [*self.as_user, str(self.bindir / args[0]), *args[1:]]
        return subprocess.run(  # noqa: S603 (our own command line)
            command, capture_output=True, text=True, check=check, timeout=timeout
        )

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def create(self) -> None:
        if self.as_user:
            shutil.chown(self.workdir, user="postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C", "--no-sync")  # fmt: skip

    def start(self) -> None:
        # fsync off: a throwaway cluster, and a fast stop is a clean shutdown anyway.
        options = (
            f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=100"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.workdir / "postgres.log"),
                  "-o", options, "-w", "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def destroy(self) -> None:
        """Stop it whatever state it is in, then delete its directory."""
        if self.data.exists():
            result = self._run("pg_ctl", "-D", str(self.data), "status", check=False)
            if result.returncode == 0:
                try:
                    self.stop("immediate")
                except (subprocess.SubprocessError, OSError):
                    pid_file = self.data / "postmaster.pid"
                    if pid_file.exists():
                        with contextlib.suppress(ValueError, OSError):
                            os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
        shutil.rmtree(self.workdir, ignore_errors=True)


# One simulated student ------------------------------------------------------------------


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.latencies: list[float] = []
        self.problems: list[str] = []
        self.bad_503_bodies = 0

    def record(self, status, seconds: float | None) -> None:
        with self.lock:
            self.statuses[status] += 1
            if seconds is not None:
                self.latencies.append(seconds)

    def problem(self, message: str) -> None:
        with self.lock:
            if len(self.problems) < 20:
                self.problems.append(message)


class Student:
    """A browser tab on the task page: its cookies, and per question what the autosave
    script knows (the version, the text the server confirmed, texts sent unconfirmed)."""

    def __init__(self, account: dict, port: int, seed: int):
        self.username = account["username"]
        self.task = account["task"]
        self.questions = account["questions"]
        self.port = port
        self.rng = random.Random(seed)
        self.cookies: dict[str, str] = {}
        if account.get("session"):
            self.cookies["sessionid"] = account["session"]
        self.owner = ""
        self.version = dict.fromkeys(self.questions, 0)
        self.typed = dict.fromkeys(self.questions, "")
        self.confirmed = dict.fromkeys(self.questions, "")
        self.last_sent = dict.fromkeys(self.questions, "")
        self.last_failed = dict.fromkeys(self.questions, False)
        self.unconfirmed: dict[int, set] = {q: set() for q in self.questions}
        self.drafts = 0
        self.failures = 0
        self.conflicts = 0

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, form: dict | None = None, headers=None):
        """(status, headers, body); cookies kept as a browser keeps them."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=CLIENT_TIMEOUT)
        try:
            sent = dict(headers or {})
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            body = None
            if form is not None:
                body = urlencode(form).encode()
                sent["Content-Type"] = "application/x-www-form-urlencoded"
                sent["Origin"] = self.origin
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for value in response.headers.get_all("Set-Cookie") or []:
                jar = SimpleCookie()
                jar.load(value)
                for name, morsel in jar.items():
                    self.cookies[name] = morsel.value
            return response.status, response.headers, text
        finally:
            conn.close()

    def log_in_with_form(self, password: str) -> None:
        status, _, page = self.request("GET", "/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not token:
            raise CheckFailed(f"{self.username}: the log-in page answered {status}")
        form = {"username": self.username, "password": password, "csrfmiddlewaretoken": token[1]}
        status, _, _ = self.request("POST", "/accounts/login/", form)
        if status != 302:
            raise CheckFailed(f"{self.username}: logging in answered {status}")

    def open_task(self) -> None:
        status, _, page = self.request("GET", self.task_path)
        if status != 200:
            raise CheckFailed(f"{self.username}: the task page answered {status}")
        owner = re.search(r'name="owner" value="(\d+)"', page)
        if not owner or "csrftoken" not in self.cookies:
            raise CheckFailed(f"{self.username}: the task page has no answers form")
        self.owner = owner[1]
        for q in self.questions:
            found = re.search(rf'name="q{q}-version" value="(\d+)"', page)
            if not found:
                raise CheckFailed(f"{self.username}: question {q} is not on the page")
            self.version[q] = int(found[1])

    @property
    def task_path(self) -> str:
        return f"/my/tasks/{self.task}/"

    def type_something(self, q: int) -> None:
        self.drafts += 1
        words = " ".join(self.rng.sample(WORDS, self.rng.randint(1, 4)))
        # The username in every text: an answer holding another student's name is crossed.
        self.typed[q] = f"[{self.username}] draft {self.drafts}: {words}"

    def save(self, q: int, stats: Stats) -> bool:
        """One autosave of question q's box, as htmx sends it; True once the server has it."""
        for _ in range(3):  # a self-conflict is saved again at once, as the script does
            text = self.typed[q]
            form = {f"q{q}-text": text, f"q{q}-version": str(self.version[q]), "owner": self.owner}
            headers = {
                "HX-Request": "true",
                "HX-Current-URL": self.origin + self.task_path,
                "HX-Target": f"answer-{q}-status",
                "HX-Trigger": f"answer-{q}",
                "X-CSRFToken": self.cookies.get("csrftoken", ""),
                "Referer": self.origin + self.task_path,
            }
            self.unconfirmed[q].add(text)
            self.last_sent[q] = text
            started = time.monotonic()
            try:
                status, reply_headers, body = self.request(
                    "POST", f"/my/tasks/{self.task}/questions/{q}/answer/", form, headers
                )
            except TimeoutError:
                stats.record("timeout", None)
                stats.problem(f"{self.username}: no reply within {CLIENT_TIMEOUT} s")
                self.last_failed[q] = True
                return False
            except OSError as error:
                stats.record(f"connection error ({type(error).__name__})", None)
                self.last_failed[q] = True
                return False
            stats.record(status, time.monotonic() - started)
            self.last_failed[q] = status != 200
            if status == 200:
                found = re.search(rf'name="q{q}-version" value="(\d+)"', body)
                if not found:
                    stats.problem(f"{self.username}: a 200 without the new version")
                    return False
                self.version[q] = int(found[1])
                self.confirmed[q] = text
                self.unconfirmed[q].clear()
                return True
            if status == 409:
                version = re.search(r'data-server-version="(\d+)"', body)
                saved = re.search(r'class="conflict__saved"[^>]*>\n?(.*?)</textarea>', body, re.S)
                server_text = html.unescape(saved[1]) if saved else None
                if version and server_text in self.unconfirmed[q]:
                    # A save whose reply was lost reached the server: carry on from it.
                    self.version[q] = int(version[1])
                    self.confirmed[q] = server_text
                    continue
                self.conflicts += 1
                stats.problem(f"{self.username}: an unexpected 409 on question {q}")
                return False
            if status == 503:
                if (
                    reply_headers.get("Retry-After") is None
                    or "Temporarily unavailable" not in body
                ):
                    with stats.lock:
                        stats.bad_503_bodies += 1
                    stats.problem(f"{self.username}: a 503 that is not the app's page")
                return False
            stats.problem(f"{self.username}: status {status}: {body[:200]!r}")
            return False
        return False

    def run(self, stats: Stats, stop_at: float, flush_until: float) -> None:
        """Type and autosave until stop_at, retrying with back-off on failure; then keep
        retrying what is not saved yet until flush_until, as the page does."""
        try:
            while time.monotonic() < stop_at:
                q = self.rng.choice(self.questions)
                self.type_something(q)
                if self.save(q, stats):
                    self.failures = 0
                    time.sleep(self.rng.uniform(0.2, 1.0))
                else:
                    self.failures += 1
                    time.sleep(min(RETRY_MAX_SECONDS, 2**self.failures))
            while time.monotonic() < flush_until:
                pending = [q for q in self.questions if self.confirmed[q] != self.typed[q]]
                if not pending:
                    return
                if all(self.save(q, stats) for q in pending):
                    self.failures = 0
                    continue
                self.failures += 1
                time.sleep(min(RETRY_MAX_SECONDS, 2**self.failures))
        except Exception as error:  # noqa: BLE001 (reported as a failed check)
            stats.problem(f"{self.username}: {type(error).__name__}: {error}")


# The checks -------------------------------------------------------------------------------


def stored_answers(database_url: str) -> dict[tuple[str, int], str]:
    import psycopg

    query = """
        SELECT u.username, a.question_id, a.text
        FROM lessons_answer a
        JOIN lessons_submission s ON s.id = a.submission_id
        JOIN lessons_user u ON u.id = s.student_id
        WHERE u.username LIKE %s
    """
    with psycopg.connect(database_url, connect_timeout=10) as conn:
        rows = conn.execute(query, (f"{PREFIX}-student%",)).fetchall()
    return {(username, q): text for username, q, text in rows}


def run_phase(name, students, port, seconds, stats, outage=None) -> float:
    """Run every student for `seconds`, then let them flush; the elapsed seconds."""
    started = time.monotonic()
    stop_at = started + seconds
    flush_until = stop_at + FLUSH_SECONDS
    threads = [
        threading.Thread(target=s.run, args=(stats, stop_at, flush_until), daemon=True)
        for s in students
    ]
    for thread in threads:
        thread.start()
    if outage:
        outage(started)
    for thread in threads:
        thread.join(timeout=max(1, flush_until + CLIENT_TIMEOUT + 5 - time.monotonic()))
    if any(thread.is_alive() for thread in threads):
        stats.problem(f"{name}: some students were still running after the phase")
    return time.monotonic() - started


def summarise(name, students, stats, elapsed, answers, *, must_be_typed: bool) -> list[str]:
    """Print the phase's figures; the list of failed checks."""
    lost = crossed = 0
    examples = []
    for s in students:
        for q in s.questions:
            stored = answers.get((s.username, q), "")
            expected = s.typed[q] if must_be_typed else s.confirmed[q]
            ok = stored == expected
            if must_be_typed and s.confirmed[q] != s.typed[q]:
                ok = False  # the final text was never acknowledged
            if not must_be_typed and not ok and s.last_failed[q]:
                ok = stored == s.last_sent[q]
            if not ok:
                lost += 1
                if len(examples) < 3:
                    examples.append(
                        f"{s.username} q{q}: stored {stored[:60]!r}, expected {expected[:60]!r}"
                    )
            if any(tag != s.username for tag in USERNAME_TAG.findall(stored)):
                crossed += 1
    requests = sum(stats.statuses.values())
    latencies = sorted(stats.latencies)
    p50 = statistics.median(latencies) * 1000 if latencies else 0
    p95 = latencies[int(len(latencies) * 0.95) - 1] * 1000 if latencies else 0
    counts = ", ".join(f"{k}: {v}" for k, v in sorted(stats.statuses.items(), key=str))
    log(
        f"{name}: {len(students)} students, {requests} requests in {elapsed:.1f} s "
        f"({requests / elapsed:.0f} req/s); status {counts}; latency p50 {p50:.0f} ms, "
        f"p95 {p95:.0f} ms; lost {lost}, crossed {crossed}"
    )
    failed = []
    if lost:
        failed.append(f"{name}: {lost} answers lost ({'; '.join(examples)})")
    if crossed:
        failed.append(f"{name}: {crossed} answers hold another student's text")
    errors = {k: v for k, v in stats.statuses.items() if isinstance(k, int) and k >= 500}
    if stats.statuses.get(500):
        failed.append(f"{name}: {stats.statuses[500]} responses with status 500")
    if must_be_typed:
        others = {k: v for k, v in errors.items() if k not in (500, 503)}
    else:
        others = {k: v for k, v in errors.items() if k != 500}
    if others:
        failed.append(f"{name}: server errors {others}")
    unexpected = {
        k: v for k, v in stats.statuses.items() if k not in (200, 500) and k not in errors
    }
    if unexpected:
        failed.append(f"{name}: unexpected outcomes {unexpected}")
    if stats.bad_503_bodies:
        failed.append(f"{name}: {stats.bad_503_bodies} 503s without the app's 503 page")
    for problem in stats.problems[:5]:
        log(f"  {problem}")
    return failed


# Setting up -------------------------------------------------------------------------------

SETUP_CODE = """
import json
from django.test import Client
from lessons.models import SchoolClass
accounts = []
for school_class in SchoolClass.objects.filter(name__isnull=False).order_by("id"):
    tasks = list(school_class.tasks.all())
    if len(tasks) != 1:
        continue
    questions = list(tasks[0].questions.order_by("order", "id").values_list("id", flat=True))
    for enrolment in school_class.enrolments.select_related("student").order_by("student_id"):
        student = enrolment.student
        if not student.username.startswith("{prefix}-student"):
            continue
        session = ""
        if len(accounts) >= {form_logins}:
            client = Client()
            client.force_login(student)
            session = client.cookies["sessionid"].value
        accounts.append(dict(username=student.username, task=tasks[0].pk,
                             questions=questions, session=session))
print("ACCOUNTS " + json.dumps(accounts))
"""


def manage(env: dict, *args: str, capture: bool = False) -> str:
    result = subprocess.run(  # noqa: S603 (our own command line)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise CheckFailed(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout if capture else ""


def wait_for(url_path: str, port: int, seconds: float, want: int = 200) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", url_path)
            status = conn.getresponse().status
            conn.close()
            if status == want:
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def healthz(port: int) -> int | str:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT)
        conn.request("GET", "/healthz")
        status = conn.getresponse().status
        conn.close()
        return status
    except OSError as error:
        return type(error).__name__


def stop_server(server: subprocess.Popen | None) -> None:
    if server is None or server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=5)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--students", type=int, default=120, help="Simulated students (30 a class)."
    )
    parser.add_argument("--seconds", type=float, default=30, help="Length of each phase.")
    parser.add_argument("--outage-at", type=float, default=8, help="Seconds into phase 2.")
    parser.add_argument("--outage", type=float, default=5, help="Seconds PostgreSQL is down.")
    parser.add_argument("--workers", type=int, default=3, help="Gunicorn workers.")
    parser.add_argument("--threads", type=int, default=4, help="Threads per gunicorn worker.")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    begun = time.monotonic()
    bindir = postgres_bindir()
    if bindir is None:
        print(
            "autosave load check FAILED: PostgreSQL's initdb and pg_ctl were not found "
            "(install the PostgreSQL server package, or put pg_config on the PATH).",
            file=sys.stderr,
        )
        return 2

    # Ctrl-C, SIGTERM and a closed terminal all unwind through the finally below (SIGINT
    # too when a non-interactive shell started this in the background with it ignored).
    def interrupted(signum, frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupted)

    workdir = Path(tempfile.mkdtemp(prefix="glf-autosave-load-"))
    cluster = Cluster(bindir, workdir)
    server = None
    failed: list[str] = []
    try:
        log(f"PostgreSQL from {bindir}: a throwaway cluster on 127.0.0.1:{cluster.port}")
        cluster.create()
        cluster.start()
        import psycopg

        with psycopg.connect(f"{cluster.url}/postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE glf_load")
        database_url = f"{cluster.url}/glf_load"
        password = secrets.token_urlsafe(12)
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            # Plain HTTP on loopback, as `make serve`: the HTTPS-only settings are off.
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_SECURE_COOKIES": "false",
            "DJANGO_HSTS_SECONDS": "0",
            "DJANGO_STATIC_ROOT": str(workdir / "static"),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": str(args.workers),
            "GUNICORN_THREADS": str(args.threads),
            "GUNICORN_LOG_LEVEL": "warning",
            "LOG_LEVEL": "WARNING",
        }
        for name in ("DJANGO_SECRET_KEY_FILE", "DATABASE_URL_FILE", "GLF_BENCH_ENDPOINTS"):
            env.pop(name, None)

        log("Migrating, collecting static files, building the school")
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "collectstatic", "--noinput", "-v0")
        classes = max(1, -(-args.students // 30))
        manage(env, "make_demo_school", f"--prefix={PREFIX}", "--teachers=1",
               f"--classes={classes}", "--students-per-class=30", "--tasks-per-class=1",
               "--questions-per-task=2", "--answered=0", f"--password={password}")  # fmt: skip
        # A few students log in through the form (the real path, with its password hash);
        # the others get their session from Django's own login code, to keep set-up short.
        output = manage(
            env,
            "shell",
            "-c",
            SETUP_CODE.replace("{prefix}", PREFIX).replace("{form_logins}", "5"),
            capture=True,
        )
        accounts = json.loads(output.split("ACCOUNTS ", 1)[1])[: args.students]
        if len(accounts) < args.students:
            raise CheckFailed(f"only {len(accounts)} students were set up")

        log(f"Gunicorn on 127.0.0.1:{port}: {args.workers} workers × {args.threads} threads")
        server_log = (workdir / "gunicorn.log").open("w")
        server = subprocess.Popen(  # noqa: S603 (our own command line)
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "-c",
                "glfsite/gunicorn.conf.py",
                "glfsite.wsgi",
            ],
            cwd=ROOT,
            env=env,
            stdout=server_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as one
        )
        if not wait_for("/healthz", port, 60):
            raise CheckFailed("gunicorn did not answer /healthz within 60 s")

        students = [Student(a, port, seed=i) for i, a in enumerate(accounts)]
        for s in students:
            if not s.cookies:
                s.log_in_with_form(password)
            s.open_task()
        log(f"Set up in {time.monotonic() - begun:.0f} s: {len(students)} students logged in")

        # Phase 1: load.
        stats = Stats()
        elapsed = run_phase("phase 1", students, port, args.seconds, stats)
        answers = stored_answers(database_url)
        failed += summarise(
            "phase 1 (load)", students, stats, elapsed, answers, must_be_typed=False
        )

        # Phase 2: the same load with PostgreSQL stopped for a while.
        stats = Stats()
        outage = {}

        def stop_and_start(phase_started: float) -> None:
            time.sleep(max(0, phase_started + args.outage_at - time.monotonic()))
            down = time.monotonic()
            cluster.stop("fast")
            log("PostgreSQL stopped")
            outage["healthz"] = healthz(port)
            time.sleep(max(0, down + args.outage - time.monotonic()))
            cluster.start()
            outage["seconds"] = time.monotonic() - down
            log(f"PostgreSQL started again after {outage['seconds']:.1f} s")

        elapsed = run_phase("phase 2", students, port, args.seconds, stats, outage=stop_and_start)
        answers = stored_answers(database_url)
        failed += summarise(
            "phase 2 (PostgreSQL stopped)", students, stats, elapsed, answers, must_be_typed=True
        )
        log(
            f"phase 2: outage {outage.get('seconds', 0):.1f} s, {stats.statuses.get(503, 0)} "
            f"clean 503s, /healthz during the outage: {outage.get('healthz')}"
        )
        if not stats.statuses.get(503):
            failed.append("phase 2: no request met the outage (no 503): the check proved nothing")
        if outage.get("healthz") != 503:
            failed.append(f"phase 2: /healthz answered {outage.get('healthz')} during the outage")
    except CheckFailed as error:
        failed.append(str(error))
    except subprocess.CalledProcessError as error:
        failed.append(f"{error.cmd[-1]!r} failed: {error.stderr or error.stdout}")
    except (subprocess.SubprocessError, OSError) as error:
        failed.append(f"{type(error).__name__}: {error}")
    except KeyboardInterrupt as error:
        failed.append(f"interrupted ({error or 'Ctrl-C'})")
    finally:
        stop_server(server)
        if failed and (workdir / "gunicorn.log").exists():
            lines = (workdir / "gunicorn.log").read_text(errors="replace").splitlines()
            # Its errors and tracebacks, not the access log's lines.
            tail = [line for line in lines if not line.startswith('127.0.0.1 "')][-40:]
            print("--- gunicorn's errors ---", *tail, "---", sep="\n", file=sys.stderr)
        cluster.destroy()

    total = time.monotonic() - begun
    if failed:
        for failure in failed:
            print(f"FAILED: {failure}", file=sys.stderr)
        print(
            f"autosave load check FAILED ({len(failed)} problems, {total:.0f} s)", file=sys.stderr
        )
        return 1
    print(f"autosave load check passed: 0 lost, 0 crossed, no 500 ({total:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
