"""Tests for statlearn.reproductions.runner with fake reproductions registered for the test only."""

from __future__ import annotations

import json
import os
import uuid

import numpy as np
import pytest

from statlearn.plotting import figure, lecture_style, save_figure, simulation_points, theory_line
from statlearn.reproductions.registry import REGISTRY, Check, ReproductionResult, register
from statlearn.reproductions.runner import run_reproductions
from statlearn.sweep import write_csv


# Run functions must be picklable (module level) for jobs > 1.
def mixed_run(settings, out_dir, executor):
    """Writes a PNG and a CSV; one check passes, one fails."""
    with lecture_style():
        fig, ax = figure()
        theory_line(ax, [0.0, 1.0], [0.0, 1.0], label="theory")
        simulation_points(ax, [0.0, 1.0], [0.1, 0.9], [0.05, 0.05], label="simulation")
        save_figure(fig, out_dir / "overlap.png")
    write_csv({"alpha": [0.0, 1.0], "q": [0.1, 0.9]}, out_dir / "overlap.csv")
    checks = (
        Check("overlap q", theory=0.5, simulation=0.52, stderr=0.01, tolerance=0.03, note="3 stderr"),
        Check("capacity", theory=2.0, simulation=1.5, stderr=0.1, tolerance=0.3, note="3 stderr"),
    )
    return ReproductionResult(("overlap.png",), ("overlap.csv",), checks, summary=f"n = {settings['n']}")


def crashing_run(settings, out_dir, executor):
    raise ZeroDivisionError("planned crash")


def dying_run(settings, out_dir, executor):
    os._exit(3)  # the worker process dies without raising


def passing_run(settings, out_dir, executor):
    check = Check("energy", np.float32(1.0), np.float32(1.25), np.float32(0.1), 0.3)  # numpy numbers
    return ReproductionResult(figures=("absent.png",), data=(), checks=(check,))


def empty_run(settings, out_dir, executor):
    return ReproductionResult(figures=(), data=(), checks=())


@pytest.fixture
def fakes():
    """Register the three fake reproductions under unique names; unregister them afterwards."""
    tag = uuid.uuid4().hex[:8]
    names = {kind: f"test-{kind}-{tag}" for kind in ("mixed", "crashing", "passing")}
    for kind, run in (("mixed", mixed_run), ("crashing", crashing_run), ("passing", passing_run)):
        register(names[kind], f"Fake {kind} | reproduction", quick={"n": 10}, full={"n": 1000})(run)
    yield names
    for name in names.values():
        REGISTRY.pop(name, None)


def test_checks_json_records_checks_title_mode_time_and_status(fakes, tmp_path):
    outcomes = run_reproductions(list(fakes.values()), out=tmp_path)
    assert [o.name for o in outcomes] == list(fakes.values())
    assert [o.passed for o in outcomes] == [False, False, True]

    mixed = json.loads((tmp_path / fakes["mixed"] / "checks.json").read_text())
    assert mixed["title"] == "Fake mixed | reproduction"
    assert mixed["mode"] == "quick"
    assert mixed["elapsed_seconds"] > 0
    assert mixed["passed"] is False and mixed["error"] is None
    assert mixed["summary"] == "n = 10"
    assert [c["passed"] for c in mixed["checks"]] == [True, False]
    assert mixed["checks"][0]["discrepancy"] == pytest.approx(0.02)
    assert mixed["checks"][1] == {
        "quantity": "capacity",
        "theory": 2.0,
        "simulation": 1.5,
        "stderr": 0.1,
        "tolerance": 0.3,
        "note": "3 stderr",
        "discrepancy": -0.5,
        "passed": False,
    }
    assert (tmp_path / fakes["mixed"] / "overlap.png").read_bytes().startswith(b"\x89PNG")

    crashed = json.loads((tmp_path / fakes["crashing"] / "checks.json").read_text())
    assert crashed["passed"] is False and crashed["checks"] == []
    assert "ZeroDivisionError: planned crash" in crashed["error"]

    passing = json.loads((tmp_path / fakes["passing"] / "checks.json").read_text())
    assert passing["passed"] is True
    assert passing["checks"][0]["simulation"] == 1.25


def test_report_shows_summary_figures_and_every_check(fakes, tmp_path):
    run_reproductions(list(fakes.values()), mode="full", out=tmp_path)
    report = (tmp_path / "report.md").read_text()
    assert "- **Mode:** full" in report
    assert "1 of 3 reproductions passed, 2 of 3 checks passed, 1 crashed" in report
    mixed, crashing, passing = fakes.values()
    assert f"| `{mixed}` | Fake mixed \\| reproduction | 1/2 |" in report
    assert f"| `{crashing}` | Fake crashing \\| reproduction | 0/0 |" in report
    assert f"![{mixed}: overlap.png]({mixed}/overlap.png)" in report
    assert f"[overlap.csv]({mixed}/overlap.csv)" in report
    assert "n = 1000" in report  # the full settings reached the reproduction
    assert "| overlap q | 0.5 | 0.52 | 0.01 | 0.03 | 0.02 | pass | 3 stderr |" in report
    assert "| capacity | 2 | 1.5 | 0.1 | 0.3 | -0.5 | **FAIL** | 3 stderr |" in report
    assert "| energy | 1 | 1.25 | 0.1 | 0.3 | 0.25 | pass |  |" in report
    assert "**CRASH**" in report and "ZeroDivisionError: planned crash" in report
    assert "*Missing figure: absent.png*" in report


def test_parallel_jobs_give_the_same_outcomes(fakes, tmp_path):
    serial = run_reproductions(list(fakes.values()), out=tmp_path / "serial")
    parallel = run_reproductions(list(fakes.values()), out=tmp_path / "parallel", jobs=3)
    assert [o.name for o in parallel] == [o.name for o in serial]
    assert [o.checks for o in parallel] == [o.checks for o in serial]
    assert [o.crashed for o in parallel] == [False, True, False]
    assert (tmp_path / "parallel" / "report.md").exists()


def test_a_dead_worker_is_recorded_as_a_crash(fakes, tmp_path):
    dying = f"test-dying-{uuid.uuid4().hex[:8]}"
    register(dying, "Dies", quick={}, full={})(dying_run)
    try:
        outcomes = run_reproductions([dying, fakes["passing"]], out=tmp_path, jobs=2)
    finally:
        REGISTRY.pop(dying)
    assert outcomes[0].crashed and "BrokenProcessPool" in outcomes[0].error
    assert json.loads((tmp_path / dying / "checks.json").read_text())["passed"] is False
    assert "**CRASH**" in (tmp_path / "report.md").read_text()


def test_unknown_name_lists_the_known_ones(fakes, tmp_path):
    with pytest.raises(ValueError, match=f"unknown reproduction 'nope'.*{fakes['mixed']}"):
        run_reproductions(["nope"], out=tmp_path)
    assert not (tmp_path / "report.md").exists()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"mode": "fast"}, ValueError, "mode must be"),
        ({"jobs": 0}, ValueError, "jobs must be >= 1"),
        ({"jobs": 1.5}, TypeError, "jobs must be an int"),
        ({"names": "mixed"}, TypeError, "names must be a sequence"),
    ],
)
def test_bad_arguments(kwargs, error, match, tmp_path):
    with pytest.raises(error, match=match):
        run_reproductions(**{"out": tmp_path, **kwargs})


def test_a_reproduction_without_checks_does_not_pass(tmp_path):
    name = "fake-no-checks-" + tmp_path.name
    register(name, "No checks", quick={}, full={})(empty_run)
    try:
        (outcome,) = run_reproductions([name], out=tmp_path)
    finally:
        REGISTRY.pop(name, None)
    assert not outcome.passed and outcome.status == "FAIL"


def test_check_validates_its_tolerance():
    with pytest.raises(ValueError, match="tolerance"):
        Check("x", 1.0, 1.0, 0.1, float("nan"))
    assert isinstance(Check("x", np.float32(1), 1, 0, 0).theory, float)
