"""The endpoints the benchmark drives, as plain data shared by the Locust driver and the
in-process smoke run.

The plan (manage.py bench_pages plan) gives each simulated user an account and the paths
of its pages; an endpoint picks its path from there and, for the autosave, builds the form
a student's browser sends: the answer's text and the version it is based on.
"""

import re
from dataclasses import dataclass

BASELINE = "baseline"


@dataclass(frozen=True)
class Endpoint:
    name: str
    role: str  # "student" or "teacher": whose accounts drive it
    method: str = "GET"


ENDPOINTS = [
    Endpoint(BASELINE, "student"),
    Endpoint("student task page", "student"),
    Endpoint("autosave", "student", "POST"),
    Endpoint("marking by question", "teacher"),
    Endpoint("mark book", "teacher"),
    Endpoint("teacher dashboard", "teacher"),
]
BY_NAME = {endpoint.name: endpoint for endpoint in ENDPOINTS}


class AutosaveState:
    """One student's answer as the browser knows it: each save sends new text based on the
    version the previous save returned, as the autosave script does."""

    def __init__(self, account: dict):
        self.question = account["question"]
        self.version = account["version"]
        self.owner = account["owner"]
        self.saves = 0

    def form(self) -> dict:
        self.saves += 1
        prefix = f"q{self.question}"
        text = (
            f"Draft {self.saves}: the Great Leap Forward aimed to industrialise China rapidly; "
            "the communes and the backyard furnaces took labour from the harvest."
        )
        return {f"{prefix}-text": text, f"{prefix}-version": str(self.version), "owner": self.owner}

    def saved(self) -> None:
        self.version += 1

    def update(self, status: int, body: str) -> None:
        """Take the version from the reply, as the autosave script does: the new one after
        a save, the server's after a conflict (a save cut off at the end of a phase may
        have been stored without the reply being read)."""
        if status == 200:
            found = re.search(rf'name="q{self.question}-version" value="(\d+)"', body)
        elif status == 409:
            found = re.search(r'data-server-version="(\d+)"', body)
        else:
            found = None
        if found:
            self.version = int(found[1])
        elif status == 200:
            self.saved()


def request_for(endpoint: Endpoint, account: dict, state: AutosaveState | None = None):
    """(method, path, form data or None, extra headers) for one request."""
    path = account["paths"][endpoint.name]
    if endpoint.name == "autosave":
        return "POST", path, state.form(), {"HX-Request": "true"}
    return endpoint.method, path, None, {}
