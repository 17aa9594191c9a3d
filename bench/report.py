"""The benchmark's figures: the table it prints and the JSON it writes under var/bench/.

Throughput is compared with the baseline view's in the same run (a ratio), because the
absolute numbers depend on the machine and on whatever else it is doing.
"""

import json
from pathlib import Path

from .endpoints import BASELINE


def ratios(results: dict) -> dict:
    """Each endpoint's maximum throughput as a share of the baseline's."""
    base = results.get(BASELINE, {}).get("max", {}).get("rps") or 0
    return {
        name: round(phases["max"]["rps"] / base, 3) if base and "max" in phases else None
        for name, phases in results.items()
    }


def _ms(value) -> str:
    return "–" if value is None else f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def load_table(results: dict, *, rate: float) -> str:
    """One line per endpoint: max throughput, its ratio to the baseline, latency at max
    throughput, latency at the fixed rate, and latency of one user alone."""
    share = ratios(results)
    fixed_label = "@" + format(rate, "g") + "/s"
    header = (
        f"{'endpoint':<22}{'req/s':>7}{'× base':>8}{'p50':>6}{'p95':>6}{'p99':>6}{'fail':>5} |"
        f"{fixed_label:>8}{'p50':>6}{'p95':>6}{'p99':>6} |{'1 user':>7}{'p50':>6}{'p95':>6}"
    )
    lines = [header, "-" * len(header)]
    for name, phases in results.items():
        top, fixed, single = (phases.get(k, {}) for k in ("max", "fixed", "single"))
        lines.append(
            f"{name:<22}{top.get('rps', 0):>7.0f}"
            f"{'–' if share[name] is None else format(share[name], '.2f'):>8}"
            f"{_ms(top.get('p50')):>6}{_ms(top.get('p95')):>6}{_ms(top.get('p99')):>6}"
            f"{top.get('failures', 0):>5} |{fixed.get('rps', 0):>8.0f}"
            f"{_ms(fixed.get('p50')):>6}{_ms(fixed.get('p95')):>6}{_ms(fixed.get('p99')):>6} |"
            f"{single.get('rps', 0):>7.0f}{_ms(single.get('p50')):>6}{_ms(single.get('p95')):>6}"
        )
    lines.append(
        "Latencies in ms. Flat out (req/s, its ratio to the baseline's, p50–p99, failures); "
        "at a fixed rate; one user alone."
    )
    return "\n".join(lines)


def scale_table(scale: dict) -> str:
    """Time and queries per page for each class size."""
    sizes = scale["sizes"]
    header = f"{'page':<26}" + "".join(f"{str(n) + ' ms':>10}{'queries':>9}" for n in sizes)
    lines = [header, "-" * len(header)]
    for page, by_size in scale["pages"].items():
        cells = []
        for n in sizes:
            row = by_size.get(str(n), {})
            cells.append(f"{_ms(row.get('ms')):>10}{row.get('queries', '–'):>9}")
        lines.append(f"{page:<26}" + "".join(cells))
    lines.append(
        "Class sizes are students per class, each class with "
        f"{scale.get('tasks', '?')} tasks of {scale.get('questions', '?')} questions; "
        "median of repeated in-process requests."
    )
    return "\n".join(lines)


def write_json(figures: dict, folder: Path, stamp: str) -> Path:
    """Write the run's figures as bench-STAMP.json and latest.json; return the first."""
    folder.mkdir(parents=True, exist_ok=True)
    data = {**figures, "ratios": ratios(figures.get("load", {}))}
    text = json.dumps(data, indent=2, sort_keys=False, default=str)
    path = folder / f"bench-{stamp}.json"
    path.write_text(text + "\n", encoding="utf-8")
    (folder / "latest.json").write_text(text + "\n", encoding="utf-8")
    return path
