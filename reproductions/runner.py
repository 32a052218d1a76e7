"""Run registered reproductions and write their ``checks.json`` files and one ``report.md``.

Each reproduction runs in its own folder ``out/<name>/``; a reproduction that raises is recorded
as crashed, with its traceback, and the others still run. ``report.md`` in ``out`` lays out every
figure and every check (theory, simulation, standard error, tolerance, discrepancy, pass).

On the console (stderr) every reproduction gets one line when it starts and one when it ends
(status, checks, time, and for a crash its reason, then the overall progress: reproductions done,
checks passed so far, time since the start), followed by the warnings it raised, each once with
its count; the progress bar of the running sweep is the only bar. Ctrl-C stops the run with
:class:`RunInterrupted`; a full disk stops it with the :class:`OSError`: what was saved stays.

With ``jobs > 1`` the reproductions run side by side, each in one worker process with its sweeps
run serially in it: ``jobs`` single-threaded processes keep ``jobs`` cores busy, with no
oversubscription, and the serial parts of one reproduction (its theory curves, thresholds,
figures) overlap with the work of the others instead of leaving a core idle. The workers are
started once for the whole run (imports and compiled code are reused), and the reproductions are
started longest first (:attr:`~statlearn.reproductions.registry.Reproduction.cost`), so that the
last one to finish is a short one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import os
import platform
import sys
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
from tqdm import tqdm

import statlearn
from statlearn.reproductions.registry import Check, Reproduction, ReproductionResult, get
from statlearn.reproductions.registry import names as registered_names
from statlearn.sweep import SweepInterrupted, process_pool

__all__ = ["Outcome", "RunInterrupted", "run_reproductions"]

MODES = ("quick", "full")

#: Errors that stop the whole run instead of crashing one reproduction: the disk is full.
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during :func:`run_reproductions`; the message says what was saved and how to resume."""


@dataclass(frozen=True)
class Outcome:
    """What running one reproduction gave: its checks and files, or the traceback of a crash."""

    name: str
    title: str
    mode: str
    elapsed: float
    checks: tuple[Check, ...] = ()
    figures: tuple[str, ...] = ()
    data: tuple[str, ...] = ()
    summary: str = ""
    error: str | None = None
    warnings: tuple[str, ...] = ()
    cpu: float = 0.0

    @property
    def crashed(self) -> bool:
        return self.error is not None

    @property
    def n_passed(self) -> int:
        return sum(check.passed for check in self.checks)

    @property
    def passed(self) -> bool:
        """True if the reproduction ran to the end, made checks, and every check passed."""
        return not self.crashed and bool(self.checks) and self.n_passed == len(self.checks)

    @property
    def status(self) -> str:
        """``"PASS"``, ``"FAIL"`` (a check failed) or ``"CRASH"`` (the reproduction raised)."""
        if self.crashed:
            return "CRASH"
        return "PASS" if self.passed else "FAIL"

    @property
    def reason(self) -> str:
        """Why it crashed: the last line of the traceback (empty if it did not crash)."""
        lines = (self.error or "").strip().splitlines()
        return lines[-1] if lines else ""

    def line(self) -> str:
        """One console line: status, name, checks passed, time, and the reason of a crash."""
        text = (
            f"{self.status:<5}  {self.name}  {self.n_passed}/{len(self.checks)} checks  {self.elapsed:.1f} s"
            f" (CPU {self.cpu:.1f} s)"
        )
        return f"{text}  ({self.reason})" if self.crashed else text

    def to_dict(self) -> dict[str, Any]:
        """The content of ``checks.json``."""
        return {
            "name": self.name,
            "title": self.title,
            "mode": self.mode,
            "elapsed_seconds": self.elapsed,
            "cpu_seconds": self.cpu,
            "passed": self.passed,
            "error": self.error,
            "warnings": list(self.warnings),
            "summary": self.summary,
            "figures": list(self.figures),
            "data": list(self.data),
            "checks": [check.to_dict() for check in self.checks],
        }


def run_reproductions(
    names: Sequence[str] | None = None,
    mode: str = "quick",
    out: str | os.PathLike[str] = Path("reproduce-out"),
    jobs: int = 1,
    scheduler: str | None = None,
    *,
    fresh: bool = False,
    progress: bool = True,
) -> list[Outcome]:
    """Run reproductions, write ``out/<name>/checks.json`` for each and ``out/report.md``.

    Parameters
    ----------
    names
        Names of the reproductions to run, in order; None or empty runs every registered one.
    mode
        ``"quick"`` (minutes, for CI) or ``"full"`` (the published figure's statistics).
    out
        Output folder; each reproduction writes into ``out/<name>/``. Existing files are
        overwritten, others are left alone.
    jobs
        Number of reproductions run at the same time in separate processes; 1 runs them one
        after the other in this process, and their sweeps use a local process pool. With
        ``jobs > 1`` the sweeps inside each reproduction run serially (no oversubscription),
        and the reproductions start longest first (module docstring).
    scheduler
        Address of a dask.distributed scheduler: the reproductions' sweeps then run on that
        cluster (through :func:`statlearn.sweep.dask_executor`) and the reproductions
        themselves one after the other.
    fresh
        Delete the reproductions' checkpoints (``out/<name>/*.jsonl``) first and recompute
        everything. Without it, finished points are resumed from the checkpoints, unless they
        were written by other code (then they are ignored with a message).
    progress
        Print a line per reproduction, its warnings and its sweep's progress bar on stderr.

    Returns
    -------
    list of Outcome
        One per reproduction, in the order of ``names``.

    Raises
    ------
    ValueError
        If a name is not registered (the message lists the known names), ``mode`` is not
        ``"quick"`` or ``"full"``, or ``jobs < 1``.
    TypeError
        If ``names`` is a single string or ``jobs`` is not an int.
    ConnectionError
        If the scheduler cannot be reached (one line, before anything runs).
    OSError
        If the disk is full (or ``out`` cannot be written): one line naming the file; checkpoints
        keep every point saved before.
    RunInterrupted
        On Ctrl-C: the message says how many points of each running reproduction were saved;
        rerunning the same command resumes.
    """
    if isinstance(names, str):
        raise TypeError(f"names must be a sequence of names, not the string {names!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be 'quick' or 'full', got {mode!r}")
    if not isinstance(jobs, int) or isinstance(jobs, bool):
        raise TypeError(f"jobs must be an int, got {type(jobs).__name__}")
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    if names is not None and not isinstance(names, Sequence):
        raise TypeError(f"names must be a sequence of names or None, got {type(names).__name__}")
    if scheduler is not None and not isinstance(scheduler, str):
        raise TypeError(f"scheduler must be an address string or None, got {type(scheduler).__name__}")
    for flag, value in (("fresh", fresh), ("progress", progress)):
        if not isinstance(value, bool):
            raise TypeError(f"{flag} must be True or False, got {type(value).__name__}")
    if not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"out must be a path, got {type(out).__name__}")
    out = Path(out)
    for folder in (out, *out.parents):
        if folder.exists():
            if not folder.is_dir():
                raise ValueError(f"out {out} cannot be a folder: {folder} is a file")
            break
    selected = [get(name) for name in dict.fromkeys(names or registered_names())]
    out.mkdir(parents=True, exist_ok=True)
    for repro in selected:
        (out / repro.name).mkdir(parents=True, exist_ok=True)
        if fresh:
            for checkpoint in (out / repro.name).glob("*.jsonl"):
                checkpoint.unlink()
    say = _Console(progress)
    started = datetime.now().astimezone()
    clock = time.perf_counter()
    outcomes: dict[str, Outcome] = {}

    def finish(outcome: Outcome) -> None:
        outcomes[outcome.name] = outcome
        text = json.dumps(outcome.to_dict(), indent=2)
        (out / outcome.name / "checks.json").write_text(text + "\n")
        checks = sum(len(o.checks) for o in outcomes.values())
        passed = sum(o.n_passed for o in outcomes.values())
        say(
            f"[{len(outcomes)}/{len(selected)}] {outcome.line()}  |  so far {passed}/{checks} checks passed, "
            f"{time.perf_counter() - clock:.0f} s"
        )
        for warning in outcome.warnings:
            say(f"    warning: {warning}")

    parallel = scheduler is None and jobs > 1 and len(selected) > 1
    if scheduler is not None:
        from statlearn.sweep import dask_executor

        executor = dask_executor(scheduler)
    else:
        executor = "serial" if parallel else None
    try:
        if parallel:
            say(f"running {len(selected)} reproductions, {min(jobs, len(selected))} at a time, longest first")
            _run_parallel(selected, mode, out, jobs, finish, say)
        else:
            for repro in selected:
                say(f"[{len(outcomes) + 1}/{len(selected)}] {repro.name}: {repro.title}")
                try:
                    finish(_run_one(repro, mode, out / repro.name, executor, progress))
                except KeyboardInterrupt as exc:
                    saved = str(exc) if isinstance(exc, SweepInterrupted) else "interrupted, rerun to resume"
                    raise RunInterrupted(f"{repro.name}: {saved}") from None
    finally:
        if scheduler is not None:
            executor.shutdown()
    ordered = [outcomes[repro.name] for repro in selected]
    wall = time.perf_counter() - clock
    _write_report(ordered, out / "report.md", mode=mode, started=started, wall=wall, jobs=jobs)
    return ordered


class _Console:
    """Lines on stderr that keep clear of the progress bar of a running sweep."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str) -> None:
        if self.enabled:
            tqdm.write(text, file=sys.stderr)


def _write_report(outcomes: list[Outcome], path: Path, *, mode: str, started: datetime, wall: float, jobs: int) -> None:
    """Write the markdown report; figure and data links are relative to ``path``'s folder."""
    n_checks = sum(len(o.checks) for o in outcomes)
    n_passed = sum(o.n_passed for o in outcomes)
    lines = [
        "# Reproduction report",
        "",
        f"- **Mode:** {mode}",
        f"- **Date:** {started.isoformat(timespec='seconds')}",
        f"- **Machine:** {_machine()}",
        f"- **Wall time:** {wall:.1f} s with {jobs} job(s); CPU time {sum(o.cpu for o in outcomes):.1f} s",
        f"- **Result:** {sum(o.passed for o in outcomes)} of {len(outcomes)} reproductions passed, "
        f"{n_passed} of {n_checks} checks passed, {sum(o.crashed for o in outcomes)} crashed",
        "",
        "## Summary",
        "",
        "| Reproduction | Title | Checks passed | Time (s) | CPU (s) | Status |",
        "|---|---|--:|--:|--:|---|",
    ]
    lines += [
        f"| `{o.name}` | {_cell(o.title)} | {o.n_passed}/{len(o.checks)} | {o.elapsed:.1f} | {o.cpu:.1f} | {_marked(o)} |"
        for o in outcomes
    ]
    for outcome in outcomes:
        lines += _section(outcome, path.parent)
    path.write_text("\n".join(lines) + "\n")


def _section(o: Outcome, root: Path) -> list[str]:
    """The report section of one reproduction: status, summary, figures, data, checks table."""
    lines = [
        "",
        f"## `{o.name}`: {o.title}",
        "",
        f"{_marked(o)}: {o.n_passed}/{len(o.checks)} checks passed in {o.elapsed:.1f} s.",
        "",
    ]
    if o.summary:
        lines += [o.summary, ""]
    if o.error is not None:
        lines += ["The reproduction crashed:", "", "```text", o.error.rstrip(), "```", ""]
    if o.warnings:
        lines += ["Warnings:", "", *(f"- {_cell(text)}" for text in o.warnings), ""]
    for figure in o.figures:
        if (root / o.name / figure).exists():
            lines += [f"![{o.name}: {figure}]({_link(o.name, figure)})", ""]
        else:
            lines += [f"*Missing figure: {figure}*", ""]
    if o.data:
        lines += ["Data: " + ", ".join(f"[{name}]({_link(o.name, name)})" for name in o.data), ""]
    if o.checks:
        lines += [
            "| Quantity | Theory | Simulation | Stderr | Tolerance | Discrepancy | Pass | Note |",
            "|---|--:|--:|--:|--:|--:|:-:|---|",
        ]
        lines += [
            f"| {_cell(c.quantity)} | {c.theory:.6g} | {c.simulation:.6g} | {c.stderr:.3g} "
            f"| {c.tolerance:.3g} | {c.discrepancy:.3g} | {'pass' if c.passed else '**FAIL**'} | {_cell(c.note)} |"
            for c in o.checks
        ]
    return lines


def _run_parallel(
    selected: list[Reproduction],
    mode: str,
    out: Path,
    jobs: int,
    finish: Callable[[Outcome], None],
    say: Callable[[str], None],
) -> None:
    """Run the reproductions ``jobs`` at a time on worker processes, longest first, passing each
    outcome to ``finish`` as it comes.

    A worker that dies crashes the reproductions running at that moment; the others go on in a
    new pool. On Ctrl-C the running reproductions are interrupted (each saves what its sweep
    finished) and :class:`RunInterrupted` says, for each, how many points were saved.
    """
    queue = sorted(selected, key=lambda repro: -repro.cost)  # stable: equal costs keep their order
    workers = min(jobs, len(selected))
    running: dict[Future[Outcome], Reproduction] = {}
    try:
        while queue:
            with process_pool(workers, interruptible=True) as pool:
                broken = False
                while (queue and not broken) or running:
                    while queue and not broken and len(running) < workers:
                        repro = queue.pop(0)
                        running[pool.submit(_run_one, repro, mode, out / repro.name, "serial", False)] = repro
                        say(f"started {repro.name}: {repro.title}")
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        repro = running.pop(future)
                        try:
                            outcome = future.result()
                        except OSError as exc:
                            if exc.errno in DISK_FULL:
                                raise
                            outcome = _crashed(repro, mode, exc)
                        except BrokenProcessPool as exc:  # a worker died: start a new pool for the rest
                            broken = True
                            outcome = _crashed(repro, mode, exc)
                        except Exception as exc:  # the reproduction could not be pickled
                            outcome = _crashed(repro, mode, exc)
                        finish(outcome)
    except KeyboardInterrupt:
        saved = "; ".join(f"{repro.name}: {_interrupted(future)}" for future, repro in running.items())
        raise RunInterrupted(saved or "interrupted, rerun to resume") from None


def _interrupted(future: Future[Outcome]) -> str:
    """What an interrupted reproduction saved: the message of its sweep's SweepInterrupted."""
    exc = future.exception(timeout=0) if future.done() and not future.cancelled() else None
    if isinstance(exc, SweepInterrupted):
        return str(exc)
    return "interrupted, rerun to resume"


@contextlib.contextmanager
def _bars(shown: bool) -> Iterator[None]:
    """Hide tqdm's progress bars inside the block unless ``shown`` (through ``TQDM_DISABLE``)."""
    before = os.environ.get("TQDM_DISABLE")
    if not shown:
        os.environ["TQDM_DISABLE"] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = before


def _crashed(repro: Reproduction, mode: str, exc: BaseException) -> Outcome:
    return Outcome(repro.name, repro.title, mode, 0.0, error="".join(traceback.format_exception(exc)))


def _run_one(repro: Reproduction, mode: str, folder: Path, executor: Any, progress: bool = False) -> Outcome:
    """Run one reproduction, turning any exception into a crashed outcome (runs in the worker).

    Its warnings are recorded (each distinct one once, with its count) instead of printed; a
    full disk and Ctrl-C are not crashes of the reproduction and propagate. Without
    ``progress`` its sweeps show no progress bar.
    """
    start, cpu_start = time.perf_counter(), _cpu_seconds()
    with _bars(progress), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = repro.run(repro.settings(mode), folder, executor)
            if not isinstance(result, ReproductionResult):
                raise TypeError(f"{repro.name} returned {type(result).__name__}, not a ReproductionResult")
            outcome = Outcome(
                repro.name,
                repro.title,
                mode,
                time.perf_counter() - start,
                checks=tuple(_checked(check) for check in result.checks),
                figures=tuple(str(figure) for figure in result.figures),
                data=tuple(str(name) for name in result.data),
                summary=str(result.summary),
            )
        except OSError as exc:
            if exc.errno in DISK_FULL:
                raise
            outcome = Outcome(repro.name, repro.title, mode, time.perf_counter() - start, error=traceback.format_exc())
        except Exception:
            outcome = Outcome(repro.name, repro.title, mode, time.perf_counter() - start, error=traceback.format_exc())
    counts = Counter(f"{w.category.__name__}: {w.message}" for w in caught)
    seen = tuple(text if n == 1 else f"{text} (x{n})" for text, n in counts.items())
    return dataclasses.replace(outcome, warnings=seen, cpu=_cpu_seconds() - cpu_start)


def _cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its finished children, e.g. pool workers."""
    try:
        import resource
    except ImportError:  # not on Unix: this process only
        return time.process_time()
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _checked(check: Check) -> Check:
    """The check itself, if it is one (Check stores plain floats, so it serialises to JSON)."""
    if not isinstance(check, Check):
        raise TypeError(f"checks must be Check instances, got {type(check).__name__}")
    return check


def _marked(outcome: Outcome) -> str:
    """The status in markdown, bold unless it is a pass."""
    return outcome.status if outcome.passed else f"**{outcome.status}**"


def _link(name: str, file: str) -> str:
    """Relative, URL-quoted link from the report to a file of reproduction ``name``."""
    return quote(f"{name}/{Path(file).as_posix()}")


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _machine() -> str:
    return (
        f"{platform.node()}, {platform.platform()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, numpy {np.__version__}, statlearn {statlearn.__version__}"
    )
