"""scripts/audit_dependencies.py: fails on a known vulnerability, skips when offline."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "audit_dependencies.py"


@pytest.fixture
def fake_pip_audit(tmp_path):
    """A pip-audit stand-in that writes the given report (or prints an error) and exits."""

    def make(report: dict | None, *, stderr: str = "", status: int = 0) -> Path:
        tool = tmp_path / "pip-audit"
        tool.write_text(
            "#!/usr/bin/env python3\n"
            "import sys\n"
            f"report = {json.dumps(json.dumps(report)) if report is not None else None!r}\n"
            "if report is not None:\n"
            "    path = sys.argv[sys.argv.index('--output') + 1]\n"
            "    open(path, 'w').write(__import__('json').loads(report))\n"
            f"sys.stderr.write({stderr!r})\n"
            f"sys.exit({status})\n"
        )
        tool.chmod(0o755)
        return tool

    return make


def run(tool: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT)],
        env={"PIP_AUDIT": str(tool), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_known_vulnerability_fails_the_audit(fake_pip_audit):
    report = {
        "dependencies": [
            {
                "name": "django",
                "version": "5.2.0",
                "vulns": [{"id": "PYSEC-1", "fix_versions": ["5.2.1"]}],
            },
            {"name": "nh3", "version": "0.3", "vulns": []},
        ]
    }
    result = run(fake_pip_audit(report, status=1))
    assert result.returncode == 1
    assert "django==5.2.0: PYSEC-1 (fixed in 5.2.1)" in result.stdout


def test_no_known_vulnerability_passes(fake_pip_audit):
    report = {"dependencies": [{"name": "django", "version": "5.2.19", "vulns": []}]}
    result = run(fake_pip_audit(report))
    assert result.returncode == 0
    assert "No known vulnerabilities in the 1 locked packages." in result.stdout


def test_an_unreachable_database_is_skipped_with_a_message(fake_pip_audit):
    error = "requests.exceptions.ConnectionError: Max retries exceeded with url: /v1/query\n"
    result = run(fake_pip_audit(None, stderr=error, status=1))
    assert result.returncode == 0
    assert result.stdout.startswith("skipped: could not reach the vulnerability database")


def test_a_service_that_knows_no_package_is_skipped_with_a_message(fake_pip_audit):
    report = {"dependencies": [{"name": "django", "skip_reason": "Dependency not found"}]}
    result = run(fake_pip_audit(report))
    assert result.returncode == 0
    assert result.stdout.startswith("skipped: could not reach the vulnerability database")


def test_packages_left_unchecked_fail_the_audit(fake_pip_audit):
    report = {
        "dependencies": [
            {"name": "django", "version": "5.2.19", "vulns": []},
            {"name": "nh3", "skip_reason": "Dependency not found"},
        ]
    }
    result = run(fake_pip_audit(report))
    assert result.returncode == 1
    assert "not checked: Dependency not found" in result.stdout


def test_another_failure_of_pip_audit_is_an_error(fake_pip_audit):
    result = run(fake_pip_audit(None, stderr="Traceback: ValueError: bad requirement\n", status=1))
    assert result.returncode == 2
