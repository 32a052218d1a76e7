"""How ``statlearn`` fails: one line on stderr and a meaningful exit status, never a traceback.

Usage errors and input the library refuses exit with 2, a numerical failure with 1, Ctrl-C with 130;
warnings are printed once each, on one line, after the output.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import warnings

import pytest

from statlearn.cli import main
from statlearn.cli.wirg import fisher_work

GLM = ["glm", "--prior", "gaussian", "--channel", "sign", "--alpha", "1,2"]


def run(capsys, argv):
    """``main(argv)``: (exit status, stdout, stderr lines)."""
    try:
        status = main(argv)
    except SystemExit as exit_:
        status = exit_.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err.strip().splitlines()


@pytest.fixture
def glm_theory():
    return pytest.importorskip("statlearn.replica.glm")


def test_ctrl_c_prints_one_line_and_exits_130(glm_theory, monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(glm_theory, "bayes_optimal", interrupted)
    status, out, err = run(capsys, GLM)
    assert (status, out, err) == (130, "", ["statlearn glm: interrupted"])


def test_ctrl_c_in_a_subprocess_exits_130_without_a_traceback(tmp_path):
    """The real signal: SIGINT to ``python -m statlearn`` while a subcommand runs."""
    script = tmp_path / "slow.py"
    script.write_text(
        "import os, signal, sys\n"
        "import statlearn.replica.glm as glm\n"
        "from statlearn.cli import main\n"
        "def slow(*a, **k):\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    signal.pause()\n"
        "glm.bayes_optimal = slow\n"
        f"sys.exit(main({GLM!r}))\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 130
    assert done.stderr.strip().splitlines() == ["statlearn glm: interrupted"]


def test_ctrl_c_ends_the_command_even_when_a_worker_thread_does_not_return(tmp_path):
    """A compiled loop in a thread pool (online --simulate) ignores Ctrl-C and the pool waits for it:
    the command still exits with 130 and one line, a couple of seconds after SIGINT."""
    script = tmp_path / "stuck.py"
    script.write_text(
        "import os, signal, sys, time\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "import statlearn.replica.glm as glm\n"
        "from statlearn.cli import main\n"
        "def stuck(*a, **k):\n"
        "    with ThreadPoolExecutor(1) as pool:\n"
        "        job = pool.submit(time.sleep, 600)\n"
        "        os.kill(os.getpid(), signal.SIGINT)\n"
        "        job.result()\n"
        "glm.bayes_optimal = stuck\n"
        f"sys.exit(main({GLM!r}))\n"
    )
    start = time.perf_counter()
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 130
    assert done.stderr.strip().splitlines() == ["statlearn glm: interrupted"]
    assert time.perf_counter() - start < 120  # not the 600 s of the worker


def test_a_value_error_of_the_library_is_a_usage_error(glm_theory, monkeypatch, capsys):
    def refuses(*args, **kwargs):
        raise ValueError("tol must be > 0, got -1")

    monkeypatch.setattr(glm_theory, "bayes_optimal", refuses)
    status, out, err = run(capsys, GLM)
    assert status == 2 and out == ""
    assert err == ["statlearn glm: error: tol must be > 0, got -1 (see 'statlearn glm --help')"]


def test_a_numerical_failure_is_one_line_and_exit_1(glm_theory, monkeypatch, capsys):
    def divides(*args, **kwargs):
        return 1 / 0

    monkeypatch.setattr(glm_theory, "bayes_optimal", divides)
    status, _, err = run(capsys, GLM)
    assert status == 1
    assert err == [
        "statlearn glm: error: the computation failed for these inputs (ZeroDivisionError: division by zero)"
    ]


def test_warnings_are_printed_once_each_after_the_table(glm_theory, monkeypatch, capsys):
    real = glm_theory.bayes_optimal

    def noisy(*args, **kwargs):
        for _ in range(3):
            warnings.warn("overflow encountered in exp\n  (a second line)", RuntimeWarning, stacklevel=1)
            warnings.warn("a documented caveat", UserWarning, stacklevel=1)
        return real(*args, **kwargs)

    monkeypatch.setattr(glm_theory, "bayes_optimal", noisy)
    status, out, err = run(capsys, GLM)
    assert status == 0
    assert err == [
        "statlearn glm: warning: overflow encountered in exp (a second line) (RuntimeWarning)",
        "statlearn glm: warning: a documented caveat (UserWarning)",
    ]
    assert "warning" not in out and len(out.splitlines()) == 4  # the heading, the column names, two rows


def test_output_paths_are_checked_before_any_work(glm_theory, monkeypatch, capsys, tmp_path):
    def never(*args, **kwargs):
        raise AssertionError("work started before the output paths were checked")

    monkeypatch.setattr(glm_theory, "bayes_optimal", never)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for option, path, reason in [
        ("--csv", blocker / "x.csv", "is not a folder"),
        ("--csv", tmp_path, "is a folder"),
        ("--plot", blocker / "sub" / "x.png", "is not a folder"),
        ("--plot", tmp_path / "x.pdf", "must end in .png"),
    ]:
        status, _, err = run(capsys, [*GLM, option, str(path)])
        assert status == 2 and len(err) == 1 and f"argument {option}:" in err[0] and reason in err[0]


def test_csv_folder_is_created(capsys, tmp_path):
    path = tmp_path / "new" / "folder" / "glm.csv"
    status, _, _ = run(capsys, [*GLM, "--csv", str(path)])
    assert status == 0 and path.read_text().startswith("alpha,")


def test_wirg_says_why_the_coarsest_scales_have_no_fisher_condition_number(capsys):
    status, out, _ = run(capsys, ["wirg", "gaussian", "--L", "16"])
    assert status == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.split()[0].isdigit()}
    assert rows["3"][3] == "n/a" and rows["4"][3] == "n/a" and rows["2"][3] != "n/a"  # L_j = 2, 1 <= 3 sites
    assert "# cond(Fisher) n/a at j = 3, 4: the stencil of radius 1 (3 sites a side) does not fit" in out
    status, out, _ = run(capsys, ["wirg", "gaussian", "--L", "16", "--json"])
    assert [scale["fisher"] is None for scale in json.loads(out)["scales"]] == [False, False, True, True]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["wirg", "gaussian", "--L", "2"], "the stencil of radius 1 (3 sites a side) must fit in the lattice"),
        (["wirg", "gaussian", "--L", "8", "--radius", "5"], "must fit in the lattice"),
        (["wirg", "gaussian", "--L", "64", "--radius", "100"], "must fit in the lattice"),
        (["wirg", "gaussian", "--L", "1024"], "argument --L: must be <= 256"),
        (["wirg", "gaussian", "--L", "64", "--radius", "4"], "argument --radius: radius 4 at L = 64 needs about"),
        (["online", "--K", "2", "--M", "2", "--eta", "1000"], "argument --eta: must be <= 100"),
        (["online", "--K", "2", "--M", "2", "--eta", "0.5", "--weight-decay", "1e300"], "argument --weight-decay"),
        (["online", "--K", "2", "--M", "2", "--eta", "0.5", "--simulate", "100000"], "multiply-adds"),
        (["erm", "--lam", "1e-3", "--gamma", "10", "--simulate", "10000"], "GB per draw"),
        ([*GLM[:-2], "--alpha", "0:1e308:1e-300"], "argument --alpha: the grid '0:1e308:1e-300' has more than"),
        ([*GLM, "--rho", "1e300"], "argument --rho: must be <= 1e+06"),
        (["erm", "--lam", "1", "--gamma", "1", "--teacher", "nope"], "argument --teacher: unknown channel 'nope'"),
        (["erm", "--lam", "1", "--gamma", "1", "--loss", "nope"], "argument --loss: unknown loss 'nope'"),
    ],
)
def test_inputs_that_used_to_hang_or_crash_are_refused_up_front(argv, message, capsys):
    status, out, err = run(capsys, argv)
    assert status == 2 and out == "" and len(err) == 1 and message in err[0]


def test_fisher_work_of_the_default_settings_is_allowed():
    """The estimate that bounds --radius: L = 256, radius 1 (about 6 s) stays under the limit; the
    cases that ran for minutes (L = 64 with radius 4, L = 256 with radius 2) are above it."""
    from statlearn.cli.wirg import MAX_FISHER_WORK

    assert fisher_work(256, 1) < MAX_FISHER_WORK < min(fisher_work(64, 4), fisher_work(256, 2))
