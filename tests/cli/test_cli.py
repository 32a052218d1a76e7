"""Tests for the ``statlearn`` command, run in-process through ``main`` except one subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from scipy.stats import norm

from statlearn.cli import main
from statlearn.reproductions.registry import REGISTRY, Check, ReproductionResult, register


def passing_run(settings, out_dir, executor):
    return ReproductionResult((), (), (Check("q", 0.5, 0.5 + settings["shift"], 0.01, 0.03),))


def crashing_run(settings, out_dir, executor):
    raise RuntimeError("planned crash")


@pytest.fixture
def fakes():
    tag = uuid.uuid4().hex[:8]
    names = {"good": f"cli-good-{tag}", "bad": f"cli-bad-{tag}", "crash": f"cli-crash-{tag}"}
    register(names["good"], "Good fake", quick={"shift": 0.01}, full={"shift": 0.0})(passing_run)
    register(names["bad"], "Bad fake", quick={"shift": 0.1}, full={"shift": 0.1})(passing_run)
    register(names["crash"], "Crashing fake", quick={}, full={})(crashing_run)
    yield names
    for name in names.values():
        REGISTRY.pop(name, None)


def usage_error(capsys, argv):
    """Run ``main(argv)``, assert it exits with status 2 and return the error message."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_help_lists_each_subcommand_on_one_line(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    for command, words in (("reproduce", "report.md"), ("capacity", "alpha_c(kappa)"), ("glm", "generalised linear")):
        assert any(line.split()[:1] == [command] and words in line for line in lines), command


def test_python_m_statlearn_behaves_like_the_console_script():
    argv = [sys.executable, "-m", "statlearn", "--help"]
    run = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("usage: statlearn ")
    assert "reproduce" in run.stdout and "capacity" in run.stdout
    script = Path(sys.executable).with_name("statlearn")
    if script.exists():
        installed = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=60)
        assert installed.stdout == run.stdout


def test_no_subcommand_is_a_usage_error(capsys):
    assert "required" in usage_error(capsys, [])


def test_reproduce_list_prints_names_and_titles(fakes, capsys):
    assert main(["reproduce", "--list"]) == 0
    out = capsys.readouterr().out
    assert any(line.split(maxsplit=1) == [fakes["good"], "Good fake"] for line in out.splitlines())


def test_reproduce_exit_status_is_zero_only_if_everything_passed(fakes, tmp_path, capsys):
    assert main(["reproduce", fakes["good"], "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"PASS   {fakes['good']}  1/1 checks" in out
    assert f"report: {tmp_path / 'report.md'}" in out
    assert json.loads((tmp_path / fakes["good"] / "checks.json").read_text())["passed"] is True

    assert main(["reproduce", fakes["good"], fakes["bad"], "--out", str(tmp_path)]) == 1
    assert f"FAIL   {fakes['bad']}  0/1 checks" in capsys.readouterr().out
    assert main(["reproduce", fakes["good"], fakes["crash"], "--out", str(tmp_path), "--jobs", "2"]) == 1
    assert f"CRASH  {fakes['crash']}" in capsys.readouterr().out


def test_reproduce_full_mode_uses_the_full_settings(fakes, tmp_path):
    main(["reproduce", fakes["good"], "--full", "--out", str(tmp_path)])
    checks = json.loads((tmp_path / fakes["good"] / "checks.json").read_text())
    assert checks["mode"] == "full"
    assert checks["checks"][0]["discrepancy"] == 0.0


GLM = ["glm", "--prior", "gaussian", "--channel", "sign"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["reproduce", "no-such-reproduction"], "unknown reproduction 'no-such-reproduction'; known:"),
        (["reproduce", "--jobs", "0"], "argument --jobs: must be >= 1"),
        (["reproduce", "--jobs", "two"], "argument --jobs: not an integer"),
        (["reproduce", "--quick", "--full"], "not allowed with argument"),
        (["capacity", "--kappa", "-1"], "argument --kappa: must be >= 0"),
        (["capacity", "--kappa", "nan"], "argument --kappa: must be a finite number"),
        (["capacity", "--kappa", "inf"], "argument --kappa: must be a finite number"),
        (["capacity", "--kappa", "one"], "argument --kappa: not a number"),
        (["capacity", "--alpha", "0"], "argument --alpha: must be > 0"),
        (GLM, "required: --alpha"),
        (["glm", "--channel", "sign", "--alpha", "1"], "required: --prior"),
        ([*GLM, "--alpha", "1:2"], "argument --alpha: expected START:STOP:STEP"),
        ([*GLM, "--alpha", "1:x:0.1"], "argument --alpha: not a number"),
        ([*GLM, "--alpha", "0:1:0"], "argument --alpha: STEP must be > 0"),
        ([*GLM, "--alpha", "2:1:0.1"], "argument --alpha: STOP must be >= START"),
        ([*GLM, "--alpha", "1,,2"], "argument --alpha: empty entry"),
        ([*GLM, "--alpha=-1"], "argument --alpha: alpha must be >= 0"),
        ([*GLM, "--alpha", "1", "--plot", "a.pdf"], "must end in .png"),
        ([*GLM, "--alpha", "1", "--json", "--csv", "a.csv"], "not allowed"),
        (["glm", "thresholds", "--prior", "gaussian", "--channel", "sign", "--alpha", "1"], "does not take --alpha"),
        (["glm", "fit", "--prior", "gaussian", "--channel", "sign"], "invalid choice: 'fit'"),
    ],
)
def test_bad_input_is_a_clean_usage_error(argv, message, capsys):
    assert message in usage_error(capsys, argv)


@pytest.fixture
def theory():
    return pytest.importorskip("statlearn.replica.capacity")


def run_json(capsys, argv):
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_gardner_capacity_is_two_at_zero_margin(theory, capsys):
    assert main(["capacity", "--kappa", "0"]) == 0
    assert capsys.readouterr().out.startswith("alpha_c = 2.000000  (spherical perceptron, kappa = 0)")
    assert run_json(capsys, ["capacity"])["capacity"] == pytest.approx(2.0, rel=1e-12)


def test_gardner_capacity_with_margin_matches_the_closed_form(theory, capsys):
    kappa = 1.0  # int_{-k}^inf Dt (t + k)^2 = (1 + k^2) Phi(k) + k phi(k)
    expected = 1.0 / ((1 + kappa**2) * norm.cdf(kappa) + kappa * norm.pdf(kappa))
    assert run_json(capsys, ["capacity", "--kappa", "1"])["capacity"] == pytest.approx(expected, rel=1e-10)


def test_binary_capacity_is_krauth_mezard(theory, capsys):
    out = run_json(capsys, ["capacity", "--binary"])
    assert out["model"] == "binary"
    assert out["capacity"] == pytest.approx(0.833, abs=1e-3)


@pytest.mark.parametrize("binary", [False, True])
def test_overlap_at_alpha_is_the_theory_value(theory, binary, capsys):
    flags = ["--binary"] if binary else []
    out = run_json(capsys, ["capacity", "--alpha", "0.5", *flags])
    solve = theory.binary_overlap if binary else theory.gardner_overlap
    assert out["overlap"] == pytest.approx(float(solve(0.5).q), rel=1e-12)
    assert 0 < out["overlap"] < 1 and out["converged"] is True
    assert main(["capacity", "--alpha", "0.5", *flags]) == 0
    assert "q = " in capsys.readouterr().out


def test_alpha_above_capacity_is_a_usage_error(theory, capsys):
    err = usage_error(capsys, ["capacity", "--binary", "--alpha", "0.9"])
    assert "argument --alpha: must not exceed the capacity alpha_c = 0.833" in err


# --------------------------------------------------------------------------- statlearn glm


@pytest.fixture
def glm_theory():
    return pytest.importorskip("statlearn.replica.glm")


def test_glm_gaussian_model_is_the_linear_regression_mmse(glm_theory, capsys):
    rho, delta = 2.0, 0.5
    argv = ["glm", "--prior", "gaussian", "--channel", "gaussian", "--rho", "2", "--delta", "0.5", "--alpha", "0.5,1,3"]
    out = run_json(capsys, argv)
    assert (out["prior"], out["channel"], out["branch"]) == ("gaussian", "gaussian", "equilibrium")
    assert (out["rho"], out["delta"], out["converged"]) == (rho, delta, True)
    columns = out["columns"]
    assert list(columns) == [
        "alpha",
        "m",
        "mse",
        "generalization_error",
        "free_entropy",
        "mutual_information",
        "converged",
    ]
    assert columns["alpha"] == [0.5, 1.0, 3.0]
    for alpha, mse, overlap in zip(columns["alpha"], columns["mse"], columns["m"]):
        b = delta + alpha * rho - rho  # E^2 + b E - rho delta = 0
        exact = (-b + (b * b + 4 * rho * delta) ** 0.5) / 2
        assert mse == pytest.approx(exact, rel=1e-9)
        assert overlap == pytest.approx(rho - exact, rel=1e-9)
    assert columns["generalization_error"] == pytest.approx([m + delta for m in columns["mse"]], rel=1e-9)
    assert columns["converged"] == [True, True, True]


def test_glm_prints_an_aligned_table_over_an_inclusive_grid(glm_theory, capsys):
    assert main(["glm", "--prior", "rademacher", "--channel", "sign", "--alpha", "0.5:1:0.1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("# glm: prior rademacher")
    assert lines[1].split() == ["alpha", "m", "mse", "gen_error", "free_entropy", "mutual_info", "converged"]
    rows = [line.split() for line in lines[2:]]
    assert [row[0] for row in rows] == ["0.5", "0.6", "0.7", "0.8", "0.9", "1"]  # stop included, no 0.6000000001
    assert all(row[-1] == "yes" for row in rows)
    assert len({len(line) for line in lines[1:]}) == 1  # right-aligned columns


def test_glm_csv_has_the_table_columns(glm_theory, tmp_path, capsys):
    path = tmp_path / "sub" / "glm.csv"
    argv = ["glm", "solve", "--prior", "rademacher", "--channel", "sign", "--alpha", "1", "--csv", str(path)]
    assert main(argv) == 0
    assert f"csv: {path}" in capsys.readouterr().out
    header, row = path.read_text().splitlines()
    assert header == "alpha,m,mse,generalization_error,free_entropy,mutual_information,converged"
    assert row.startswith("1.0,") and row.endswith(",True")


def test_glm_plot_writes_a_png(glm_theory, tmp_path, capsys):
    path = tmp_path / "glm.png"
    argv = ["glm", "--prior", "gaussian", "--channel", "sign", "--alpha", "0.5,1,2", "--plot", str(path)]
    out = run_json(capsys, argv)
    assert out["plot"] == str(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_glm_thresholds_of_the_binary_perceptron_are_gyorgyi(glm_theory, capsys):
    out = run_json(capsys, ["glm", "thresholds", "--prior", "rademacher", "--channel", "sign"])
    assert out["alpha_alg"] == pytest.approx(1.493, abs=1e-3)
    assert out["alpha_it"] == pytest.approx(1.245, abs=1e-3)
    assert out["alpha_spinodal"] is None
    assert out["spinodals"][0][0] == pytest.approx(out["alpha_alg"], rel=1e-12)


def test_glm_thresholds_text_shows_none_where_absent(glm_theory, capsys):
    assert main(["glm", "thresholds", "--prior", "gaussian", "--channel", "sign"]) == 0
    out = capsys.readouterr().out
    assert "alpha_it       = none  (not found: no informative branch overtakes" in out
    assert "alpha_alg      = none  (no end of the uninformative branch on the scanned range" in out
    assert "alpha_spinodal = none  (no spinodal on the scanned range)" in out
    assert "spinodals      = none" in out


def test_glm_thresholds_text_says_why_a_found_spinodal_is_not_alpha_spinodal(glm_theory, capsys):
    """Binary perceptron: the one extremum of alpha(m) is alpha_alg; the informative branch reaches
    small alpha, so there is no interior spinodal, and the text says so next to the one found."""
    assert main(["glm", "thresholds", "--prior", "rademacher", "--channel", "sign"]) == 0
    lines = capsys.readouterr().out.splitlines()
    spinodal = next(line for line in lines if line.startswith("alpha_spinodal"))
    assert spinodal.startswith("alpha_spinodal = none  (no interior spinodal")
    extrema = next(line for line in lines if line.startswith("spinodals"))
    assert "(alpha_alg)" in extrema and "alpha = 1.49" in extrema


def test_glm_unconverged_point_exits_with_one(glm_theory, monkeypatch, capsys):
    real = glm_theory.bayes_optimal

    def capped(*args, **kwargs):  # a spinodal makes the iteration crawl: cap it instead of waiting
        return real(*args, **{**kwargs, "max_iter": 3})

    monkeypatch.setattr(glm_theory, "bayes_optimal", capped)
    argv = ["glm", "--prior", "rademacher", "--channel", "sign", "--alpha", "1,2", "--branch", "uninformative"]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert [line.split()[-1] for line in captured.out.splitlines()[-2:]] == ["no", "no"]  # still printed
    assert "did not converge at alpha = 1, 2" in captured.err and "Warning" not in captured.err


def test_glm_unknown_prior_or_channel_lists_the_known_names(glm_theory, capsys):
    from statlearn.models.channels import CHANNELS
    from statlearn.models.priors import PRIORS

    err = usage_error(capsys, ["glm", "--prior", "nope", "--channel", "sign", "--alpha", "1"])
    assert f"unknown prior 'nope'; known priors: {', '.join(PRIORS)}" in err
    err = usage_error(capsys, ["glm", "thresholds", "--prior", "gaussian", "--channel", "nope"])
    assert f"unknown channel 'nope'; known channels: {', '.join(CHANNELS)}" in err


@pytest.mark.parametrize(
    "argv, messages",
    [
        (["--prior", "gauss-bernoulli", "--rho", "2", "--channel", "sign"], ["rho must be <= 1"]),
        (["--prior", "gaussian", "--rho", "0", "--channel", "sign"], ["argument --rho: must be > 0"]),
        (["--prior", "rademacher", "--channel", "noisy-sign", "--delta", "0.7"], ["must be < 1/2"]),
        (["--prior", "rademacher", "--channel", "gaussian"], ["channel 'gaussian' takes delta"]),
        (["--prior", "rademacher", "--channel", "sign", "--delta", "inf"], ["argument --delta: must be a finite"]),
    ],
)
def test_glm_bad_model_is_a_clean_usage_error(glm_theory, argv, messages, capsys):
    err = usage_error(capsys, ["glm", *argv, "--alpha", "1"])
    assert "statlearn glm: error:" in err
    for message in messages:
        assert message in err
