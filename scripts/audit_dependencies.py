#!/usr/bin/env python3
"""Check the locked dependencies (requirements.txt) for known vulnerabilities with pip-audit.

Exit status: 0 when no locked version has a known vulnerability, or when the vulnerability
database cannot be reached (then it says "skipped: ..." and why, so CI on a machine without
that access still passes); 1 when a locked version has a known vulnerability, or when only
some of the packages could be checked; 2 when pip-audit itself is missing or fails.

Usage: python scripts/audit_dependencies.py [extra pip-audit options, e.g. -s osv]
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements.txt"
SKIPPED = "skipped: could not reach the vulnerability database"
# What pip-audit says when a query does not get through (no DNS, no route, a proxy's refusal).
UNREACHABLE = (
    "ConnectionError",
    "ConnectTimeout",
    "ReadTimeout",
    "NameResolutionError",
    "Max retries exceeded",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "ProxyError",
    "SSLError",
)


def pip_audit_command() -> list[str]:
    beside = Path(sys.executable).with_name("pip-audit")
    found = os.environ.get("PIP_AUDIT") or (
        str(beside) if beside.exists() else shutil.which("pip-audit")
    )
    if not found:
        print("pip-audit is not installed: it comes with the dev extras (make test installs it).")
        sys.exit(2)
    return [found]


def main(extra: list[str]) -> int:
    with tempfile.TemporaryDirectory() as folder:
        report_path = Path(folder) / "report.json"
        command = pip_audit_command() + [
            "--requirement",
            str(REQUIREMENTS),
            # requirements.txt pins every package, dependencies included: check exactly those
            # versions, without building an environment to resolve them.
            "--no-deps",
            "--disable-pip",
            "--progress-spinner",
            "off",
            "--format",
            "json",
            "--output",
            str(report_path),
            *extra,
        ]
        result = subprocess.run(  # noqa: S603 (our own command line)
            command, capture_output=True, text=True, timeout=900
        )
        report = json.loads(report_path.read_text()) if report_path.exists() else None

    if report is None:
        output = result.stdout + result.stderr
        if any(sign in output for sign in UNREACHABLE):
            print(f"{SKIPPED} ({last_line(output)})")
            return 0
        print(output)
        print(f"pip-audit failed (exit status {result.returncode}) without a report.")
        return 2

    dependencies = report.get("dependencies", [])
    checked = [d for d in dependencies if "skip_reason" not in d]
    skipped = [d for d in dependencies if "skip_reason" in d]
    vulnerable = [d for d in checked if d.get("vulns")]

    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            print(f"{dependency['name']}=={dependency['version']}: {vuln['id']} (fixed in {fixed})")
    if vulnerable:
        count = sum(len(d["vulns"]) for d in vulnerable)
        print(f"{count} known vulnerabilities in {len(vulnerable)} locked packages.")
        return 1
    if not checked and skipped:
        # Every package unknown to the service: the service is not the real one (a mirror
        # without the vulnerability data) or does not answer.
        print(f"{SKIPPED} (none of the {len(skipped)} locked packages could be looked up)")
        return 0
    if skipped:
        for dependency in skipped:
            print(f"not checked: {dependency['skip_reason']}")
        print(f"{len(skipped)} of {len(dependencies)} locked packages could not be checked.")
        return 1
    print(f"No known vulnerabilities in the {len(checked)} locked packages.")
    return 0


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
