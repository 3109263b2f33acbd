"""Capacity by a compiled load generator (Debian's `wrk`), in bracketed rounds.

Python client threads on the same 2 cores as the server flatten every difference (they need as much CPU as the
server); wrk needs little. A ratio is only worth something when both sides ran on the same server in the same
minutes, so the subject runs between its baselines — baseline, subject, baseline, subject … baseline — and each
round's ratio is the subject against the mean of the baselines either side of it; the report is the median round."""

import os
import re
import shutil
import statistics
import subprocess
from dataclasses import dataclass, field

THREADS = 2
CONNECTIONS = 32


def wrk_path() -> str:
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("the capacity rounds need wrk: apt-get install wrk")
    return found


@dataclass
class Run:
    rate: float  # requests per second
    non_2xx: int = 0
    socket_errors: str = ""
    output: str = ""


def run(
    url: str, seconds: int, *, script: str | None = None, env: dict | None = None, connections: int = CONNECTIONS
) -> Run:
    """wrk -t2 -c32 against `url` for `seconds` (with a Lua script if given); the rate and what went wrong."""
    command = [wrk_path(), f"-t{THREADS}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s"]
    if script:
        command += ["-s", script]
    output = subprocess.run(
        [*command, url], env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=seconds + 60
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors:.*", output)
    return Run(
        rate=float(rate.group(1)) if rate else 0.0,
        non_2xx=int(bad.group(1)) if bad else 0,
        socket_errors=errors.group(0) if errors else "",
        output=output,
    )


@dataclass
class Bracketed:
    """Rates of the baselines and the subject, round by round, and the subject's ratio to each baseline."""

    baselines: list[str]
    subject: str
    rates: dict = field(default_factory=dict)  # label → [rate of each run, in order]
    runs: list = field(default_factory=list)  # (label, Run) in the order they ran

    def ratios(self, baseline: str) -> list[float]:
        """Per round: the subject's rate / the mean of this baseline's runs just before and just after it."""
        base, subject = self.rates[baseline], self.rates[self.subject]
        return [s / ((base[i] + base[i + 1]) / 2) for i, s in enumerate(subject) if base[i] and base[i + 1]]

    def median_ratio(self, baseline: str) -> float:
        ratios = self.ratios(baseline)
        return statistics.median(ratios) if ratios else float("nan")

    def median_rate(self, label: str) -> float:
        return statistics.median(self.rates[label])


def bracketed(baselines: dict, subject: tuple, rounds: int) -> Bracketed:
    """Run `baselines` ({label: callable → Run}) and `subject` ((label, callable → Run)) as B… S B… S … B…:
    `rounds` subject runs, each with every baseline run just before and just after it."""
    label, measure = subject
    result = Bracketed(list(baselines), label, {name: [] for name in [*baselines, label]})

    def each_baseline():
        for name, baseline in baselines.items():
            ran = baseline()
            result.rates[name].append(ran.rate)
            result.runs.append((name, ran))

    each_baseline()
    for _ in range(rounds):
        ran = measure()
        result.rates[label].append(ran.rate)
        result.runs.append((label, ran))
        each_baseline()
    return result
