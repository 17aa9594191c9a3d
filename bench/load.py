"""The load driver of `make bench`: Locust, used as a library, in its own process.

For each endpoint, three phases against the running server: one user sending one request
after another (latency without queueing), a fixed request rate (each simulated user waits to
keep its share of the rate) and maximum throughput (no waiting).
Simulated users log in for real (the log-in form with its CSRF token) once per account;
later phases reuse the account's cookies, so the figures measure the pages, not password
hashing. Prints nothing but progress; writes the figures as JSON.

    python -m bench.load --host http://127.0.0.1:8260 --plan plan.json --password PW \
        --out load.json [--seconds 20] [--users 20] [--rate 100] [--only NAME,...]
"""

# Locust patches the standard library with gevent on import: it comes first.
import locust  # noqa: I001,F401
import argparse
import json
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, constant, constant_throughput, task
from locust.env import Environment

from .endpoints import ENDPOINTS, AutosaveState, Endpoint, request_for

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

# Shared by every phase of the run: each account's cookies after its one log-in, and each
# student's autosave state (the version its answer is at).
COOKIES: dict[str, list] = {}
STATES: dict[str, AutosaveState] = {}


class LoginFailed(Exception):
    pass


def _cookie(jar, name: str) -> str:
    return next((c.value for c in jar if c.name == name), "")


def make_user_class(endpoint: Endpoint, accounts: list[dict], password: str, wait_time):
    """A Locust user class that drives one endpoint, each user with an account."""
    handed_out = {"n": 0}
    ready = {"n": 0, "failed": 0}

    class BenchUser(FastHttpUser):
        def on_start(self):
            index = handed_out["n"]
            handed_out["n"] += 1
            self.account = accounts[index % len(accounts)]
            username = self.account["username"]
            if username in COOKIES:
                for cookie in COOKIES[username]:
                    self.client.cookiejar.set_cookie(cookie)
            else:
                try:
                    self._log_in(username)
                except Exception:
                    ready["failed"] += 1
                    raise
                COOKIES[username] = list(self.client.cookiejar)
            self.state = None
            if endpoint.name == "autosave":
                self.state = STATES.setdefault(username, AutosaveState(self.account))
            ready["n"] += 1

        def _log_in(self, username: str) -> None:
            page = self.client.get("/accounts/login/", name="log-in page")
            match = CSRF_INPUT.search(page.text or "")
            if page.status_code != 200 or not match:
                raise LoginFailed(f"log-in page answered {page.status_code}")
            form = {"username": username, "password": password, "csrfmiddlewaretoken": match[1]}
            response = self.client.post(
                "/accounts/login/",
                data=urlencode(form),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                allow_redirects=False,
                name="log in",
            )
            if response.status_code != 302:
                raise LoginFailed(f"log in as {username} answered {response.status_code}")

        @task
        def hit(self):
            method, path, data, headers = request_for(endpoint, self.account, self.state)
            if method == "POST":
                headers = {
                    **headers,
                    "X-CSRFToken": _cookie(self.client.cookiejar, "csrftoken"),
                    "Content-Type": "application/x-www-form-urlencoded",
                }
                data = urlencode(data)
            with self.client.request(
                method,
                path,
                data=data,
                headers=headers,
                name=endpoint.name,
                allow_redirects=False,
                catch_response=True,
            ) as response:
                if response.status_code != 200:
                    response.failure(f"HTTP {response.status_code}")
                if endpoint.name == "autosave":
                    self.state.update(response.status_code, response.text or "")

    BenchUser.wait_time = wait_time
    return BenchUser, ready


def run_phase(
    *, host: str, endpoint: Endpoint, accounts, password, users: int, wait_time, seconds
) -> dict:
    """Start the users, wait until all are logged in, then measure for `seconds`."""
    user_class, ready = make_user_class(endpoint, accounts, password, wait_time)
    # stop_timeout: at the end of a phase each user finishes the request it is sending, so
    # no save is applied without its reply being read (the next phase would start from a
    # stale version and meet a conflict).
    env = Environment(user_classes=[user_class], host=host, stop_timeout=30)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users)
    deadline = time.monotonic() + 120
    while ready["n"] < users:
        if time.monotonic() > deadline or ready["failed"]:
            runner.quit()
            raise LoginFailed(f"{endpoint.name}: {ready['n']} of {users} users logged in")
        gevent.sleep(0.2)
    gevent.sleep(1)  # Connections open, caches warm.
    env.stats.reset_all()
    started = time.time()
    gevent.sleep(seconds)
    entry = env.stats.get(endpoint.name, endpoint.method)
    elapsed = time.time() - started
    result = {
        "users": users,
        "seconds": round(elapsed, 1),
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "rps": round(entry.num_requests / elapsed, 1),
        "p50": entry.get_response_time_percentile(0.50) if entry.num_requests else None,
        "p95": entry.get_response_time_percentile(0.95) if entry.num_requests else None,
        "p99": entry.get_response_time_percentile(0.99) if entry.num_requests else None,
        "mean": round(entry.avg_response_time, 1) if entry.num_requests else None,
        "errors": [
            {"error": str(error.error), "occurrences": error.occurrences}
            for error in list(env.stats.errors.values())[:5]
        ],
    }
    runner.quit()
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--plan", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--users", type=int, default=20, help="Users at maximum throughput.")
    parser.add_argument("--rate", type=float, default=100, help="Requests/s of the fixed phase.")
    parser.add_argument("--rate-users", type=int, default=20, help="Users of the fixed phase.")
    parser.add_argument("--only", default="", help="Comma-separated endpoint names.")
    args = parser.parse_args(argv)
    plan = json.loads(Path(args.plan).read_text(encoding="utf-8"))
    wanted = {name.strip() for name in args.only.split(",") if name.strip()}
    results = {}
    for endpoint in ENDPOINTS:
        if wanted and endpoint.name not in wanted:
            continue
        accounts = plan[f"{endpoint.role}s"]
        if endpoint.name == "autosave" and max(args.users, args.rate_users) > len(accounts):
            print("autosave needs one student account per user", file=sys.stderr)
            return 2
        phases = {}
        for phase, users, wait_time, seconds in (
            # One user, one request after another: the latency nobody else is queued for.
            ("single", 1, constant(0), min(args.seconds, 10)),
            ("fixed", args.rate_users, constant_throughput(args.rate / args.rate_users), None),
            ("max", args.users, constant(0), None),
        ):
            seconds = seconds or args.seconds
            print(f"  {endpoint.name}: {phase} ({users} users, {seconds:g} s)", flush=True)
            phases[phase] = run_phase(
                host=args.host,
                endpoint=endpoint,
                accounts=accounts,
                password=args.password,
                users=users,
                wait_time=wait_time,
                seconds=seconds,
            )
        results[endpoint.name] = phases
    with open(args.out, "w", encoding="utf-8") as out:
        json.dump(results, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
