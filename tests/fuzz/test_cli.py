"""Bad-input audit of the ``statlearn`` command: every subcommand and option, fed bad values.

Each case runs ``statlearn.cli.main(argv)`` in-process on a cheap valid command line with one option
replaced by a bad value (NaN, inf, negative, zero, out of range, 1e300, malformed or 2-D grids, unknown
names, unwritable paths, work too large to start). The command must exit with status 2 after exactly
one line on stderr that names the option, with no traceback, and refuse before any long computation
(each call must return within a few seconds). Counts go to the shared ``audit`` summary.
"""

from __future__ import annotations

import string
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statlearn.cli import main

EXAMPLES = 25
"""Hypothesis examples per option; the fixed bad values of each option are tried on top of them."""

SECONDS = 10.0
"""A refusal must come before any long computation: each call returns within this time."""

JUNK = ["nan", "NaN", "inf", "-inf", "1e309", "-1e309", "", " ", "one", "1,2", "1:2", "[1]", "1e", "0x10", "--"]
"""Text that is not one finite number."""


def above(high: float) -> st.SearchStrategy[float]:
    return st.floats(min_value=high, allow_nan=False, allow_infinity=False).filter(lambda x: x > high)


def below(low: float, *, open_: bool = False) -> st.SearchStrategy[float]:
    return st.floats(max_value=low, allow_nan=False, allow_infinity=False).filter(
        lambda x: x < low or (open_ and x == low)
    )


def numbers(low: float, high: float, *, open_: bool = False) -> st.SearchStrategy[str]:
    """Bad values of an option taking a number in [low, high] ((low, high] with ``open_``)."""
    outside = st.one_of(below(low, open_=open_), above(high)).map(repr)
    fixed = [repr(low)] if open_ else []
    return st.one_of(st.sampled_from(JUNK + fixed + ["1e300", "-1e300"]), outside)


def integers(low: int, high: int) -> st.SearchStrategy[str]:
    """Bad values of an option taking an integer in [low, high]."""
    outside = st.one_of(st.integers(max_value=low - 1), st.integers(min_value=high + 1)).map(str)
    return st.one_of(st.sampled_from(JUNK + ["1.5", "1e3", "2**3"]), outside)


NAMES = st.one_of(
    st.sampled_from(["", " ", "1", "none", "é", "sign;", "../x"]),
    st.text(alphabet=string.ascii_letters + "-_", max_size=8).map(lambda t: "zz" + t),
)
"""Names no registry knows."""


def finite_lists(bad: st.SearchStrategy[float]) -> st.SearchStrategy[str]:
    """Comma lists of good numbers with one bad one among them."""
    good = st.floats(min_value=0.5, max_value=2.0)
    return st.tuples(st.lists(good, max_size=3), bad, st.lists(good, max_size=3)).map(
        lambda parts: ",".join(repr(x) for x in [*parts[0], parts[1], *parts[2]])
    )


MALFORMED_GRIDS = [
    "",
    ",",
    "1,,2",
    "1;2",
    "1 2",
    "[[1,2],[3,4]]",
    "1,2;3,4",
    "1:2",
    "1:2:3:4",
    "a:b:c",
    "1:nan:1",
    "0:inf:1",
    "1:1e309:1",
    "nan",
    "-1",
    "1,-1",
    "1,nan",
    "1,inf",
]

# START:STOP:STEP grids of glm: STEP <= 0, STOP < START, a negative START, or too many points
LINEAR_GRIDS = st.one_of(
    st.sampled_from(MALFORMED_GRIDS + ["0:1e308:1e-300", "0:1:0", "0:1:-0.1", "2:1:0.1", "0:1e6:1e-3", "-1:1:0.5"]),
    st.tuples(st.floats(0, 10), st.floats(0, 10), st.floats(-10, 0)).map(lambda g: f"{g[0]!r}:{g[1]!r}:{g[2]!r}"),
    st.tuples(st.floats(0, 1), st.floats(1e6, 1e300)).map(lambda g: f"{g[0]!r}:{g[1]!r}:{g[1] * 1e-6:.3g}"),
    finite_lists(below(0.0)),
)

# START:STOP:NUM grids of erm: values <= 0 or above 1e4, NUM not a positive integer
LOG_GRIDS = st.one_of(
    st.sampled_from(MALFORMED_GRIDS + ["0:1:3", "1:1e300:3", "2:1:3", "1:2:0", "1:2:1.5", "1:2:-3", "1e-3:1e5:10"]),
    finite_lists(st.one_of(below(0.0, open_=True), above(1e4))),
)


def paths(tmp_path, suffix: str) -> st.SearchStrategy[str]:
    """Files that cannot be written: a folder, a file below a file, a wrong suffix (for PNG)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    bad = [str(tmp_path), "", str(blocker / f"below{suffix}"), str(blocker / "deeper" / f"x{suffix}")]
    if suffix == ".png":
        bad += [str(tmp_path / "x.pdf"), str(tmp_path / "x"), str(tmp_path / "x.png.txt")]
    return st.sampled_from(bad)


def folders(tmp_path) -> st.SearchStrategy[str]:
    """Folders that cannot be created: an empty name, a file, a folder below a file."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    return st.sampled_from(["", " ", str(blocker), str(blocker / "below"), str(blocker / "below" / "deeper")])


GLM = ["glm", "--prior", "gaussian", "--channel", "gaussian", "--delta", "0.5", "--alpha", "1"]
THRESHOLDS = ["glm", "thresholds", "--prior", "rademacher", "--channel", "sign"]
ONLINE = ["online", "--K", "1", "--M", "1", "--eta", "0.5", "--alpha-max", "1", "--points", "2"]
ERM = ["erm", "--model", "isotropic", "--alpha", "1", "--loss", "square", "--lam", "1"]
ERM_RF = ["erm", "--gamma", "1", "--loss", "square", "--lam", "1"]
ERM_SALIENT = ["erm", "--model", "salient-weak", "--alpha", "1", "--loss", "square", "--lam", "1"]
WIRG = ["wirg", "gaussian", "--L", "4", "--radius", "0"]
ISING_T = ["ising", "--L", "4", "--n", "2", "--seed", "0", "--out", "never-written.npy", "--T", "2"]
ISING = [*ISING_T[:-2], "--beta", "0.4"]
PCA = ["pca-rg", "--data", "missing.npy", "--fractions", "0.5"]
MIXTURE = ["mixture", "--loss", "square", "--lam", "0.1", "--alpha", "1"]
DMFT = ["dmft", "--alpha", "1", "--lam", "0.1", "--eta", "0.5", "--steps", "2", "--n-samples", "100"]
FRACTIONS = st.one_of(
    st.sampled_from([*MALFORMED_GRIDS, "0", "0.5,0", "1.0000001", ",".join(["0.5"] * 1001)]),
    finite_lists(st.one_of(below(0.0), above(1.0))),
)

SALIENT = st.one_of(
    st.sampled_from(["", "0.1", "0.1,1", "0.1,1,1,1", "a,b,c", "0.1;1;1", "nan,1,1", "0.1,inf,1"]),
    st.tuples(st.one_of(below(0.0, open_=True), above(1.0)), st.floats(0.1, 10), st.floats(0.1, 10)).map(
        lambda t: ",".join(map(repr, t))
    ),
    st.tuples(st.floats(0.1, 0.9), below(0.0, open_=True), st.floats(0.1, 10)).map(lambda t: ",".join(map(repr, t))),
)
PAIRS = st.one_of(
    st.sampled_from(["", "1", "1,1,1", "a,b", "nan,1", "1,inf"]),
    st.tuples(below(0.0), st.floats(0.1, 10)).map(lambda t: ",".join(map(repr, t))),
)

# (base command line, option, bad values; ``None`` for the option's own paths, filled in per test)
CASES = [
    (["capacity"], "--kappa", numbers(0.0, 1e3)),
    (["capacity"], "--alpha", numbers(0.0, 2.000001, open_=True)),  # alpha_c(0) = 2 up to rounding
    (["capacity", "--binary"], "--alpha", numbers(0.0, 0.834, open_=True)),
    (GLM, "--rho", numbers(0.0, 1e6, open_=True)),
    (GLM, "--delta", numbers(0.0, 1e6)),
    (GLM, "--alpha", LINEAR_GRIDS),
    (GLM, "--prior", NAMES),
    (GLM, "--channel", NAMES),
    (GLM, "--branch", NAMES),
    (GLM, "--csv", ".csv"),
    (GLM, "--plot", ".png"),
    (THRESHOLDS, "--rho", numbers(0.0, 1e6, open_=True)),
    (THRESHOLDS, "--delta", numbers(0.0, 1e6)),
    (THRESHOLDS, "--prior", NAMES),
    (THRESHOLDS, "--channel", NAMES),
    (THRESHOLDS, "--alpha", st.sampled_from(["1", "0:1:0.5"])),
    (ONLINE, "--K", integers(1, 12)),
    (ONLINE, "--M", integers(1, 12)),
    (ONLINE, "--eta", numbers(0.0, 100.0, open_=True)),
    (ONLINE, "--alpha-max", numbers(0.0, 1e7, open_=True)),
    (ONLINE, "--points", integers(1, 10_000)),
    (ONLINE, "--sigma", numbers(0.0, 1e3)),
    (ONLINE, "--weight-decay", numbers(0.0, 1e3)),
    (ONLINE, "--init-scale", numbers(0.0, 1e2)),
    (ONLINE, "--seed", integers(0, 2**63 - 1)),
    (ONLINE, "--simulate", st.one_of(integers(1, 10**6), st.integers(400_000, 10**6).map(str))),
    (ONLINE, "--seeds", integers(1, 1000)),
    (ONLINE, "--activation", NAMES),
    (ONLINE, "--eta-v", st.sampled_from(["0.5", "1"])),
    ([*ONLINE, "--train-second-layer"], "--eta-v", numbers(0.0, 100.0, open_=True)),
    (ONLINE, "--csv", ".csv"),
    (ONLINE, "--plot", ".png"),
    (ERM, "--lam", numbers(0.0, 1e4)),
    (ERM, "--alpha", LOG_GRIDS),
    (ERM, "--delta", numbers(0.0, 1e6)),
    (ERM, "--simulate", st.one_of(integers(1, 10**6), st.integers(20_000, 10**6).map(str))),
    (ERM, "--seeds", integers(1, 1000)),
    (ERM, "--n-test", integers(1, 10**6)),
    (ERM, "--seed", integers(0, 2**63 - 1)),
    (ERM, "--loss", NAMES),
    (ERM, "--teacher", NAMES),
    (ERM, "--model", NAMES),
    (ERM, "--gamma", st.sampled_from(["1", "1:10:3"])),
    (ERM, "--csv", ".csv"),
    (ERM, "--plot", ".png"),
    (ERM_RF, "--gamma", LOG_GRIDS),
    (ERM_RF, "--activation", NAMES),
    (ERM_SALIENT, "--salient", SALIENT),
    (ERM_SALIENT, "--teacher-weights", PAIRS),
    (WIRG, "--L", st.one_of(integers(2, 256), st.integers(3, 255).filter(lambda n: n & (n - 1)).map(str))),
    (WIRG, "--mass", numbers(0.0, 1e3)),
    (WIRG, "--beta", numbers(1e-6, 1e6)),
    (WIRG, "--zero-mode", numbers(0.0, 1e6, open_=True)),
    (WIRG, "--radius", st.one_of(integers(0, 256), st.integers(2, 256).map(str))),
    (["wirg", "gaussian", "--L", "64"], "--radius", st.integers(4, 31).map(str)),
    (WIRG, "--wavelet", NAMES),
    (WIRG, "--plot", ".png"),
    (ISING, "--L", integers(2, 4096)),
    (ISING, "--beta", numbers(0.0, 1e3, open_=True)),
    (ISING_T, "--T", numbers(1e-3, 1e6)),
    (ISING, "--n", integers(1, 10**7)),
    (ISING, "--seed", integers(0, 2**63 - 1)),
    (ISING, "--thermalization", integers(100, 10**9)),
    (ISING, "--thin", integers(1, 10**9)),
    (ISING, "--out", ".npy"),
    (PCA, "--data", st.sampled_from(["/", "", "/nonexistent/x.npy", "missing.npy"])),
    (PCA, "--fractions", FRACTIONS),
    (PCA, "--blocks", integers(2, 1000)),
    (PCA, "--seed", integers(0, 2**63 - 1)),
    (PCA, "--csv", ".csv"),
    (MIXTURE, "--loss", NAMES),
    (MIXTURE, "--lam", numbers(0.0, 1e6, open_=True)),
    (MIXTURE, "--alpha", LOG_GRIDS),
    (MIXTURE, "--delta", numbers(0.0, 1e4, open_=True)),
    (MIXTURE, "--rho", st.one_of(numbers(0.0, 1.0, open_=True), st.just("1.0"))),
    (MIXTURE, "--csv", ".csv"),
    (MIXTURE, "--plot", ".png"),
    (DMFT, "--loss", NAMES),
    (DMFT, "--alpha", numbers(0.0, 1e4, open_=True)),
    (DMFT, "--delta", numbers(0.0, 1e4, open_=True)),
    (DMFT, "--lam", numbers(0.0, 1e4)),
    (DMFT, "--eta", numbers(0.0, 1e4, open_=True)),
    (DMFT, "--steps", integers(1, 100_000)),
    (DMFT, "--batch-fraction", numbers(0.0, 1.0, open_=True)),
    (DMFT, "--persistence", st.one_of(numbers(0.0, 1e4, open_=True), st.sampled_from(["0.1", "0.4999"]))),
    (DMFT, "--n-samples", integers(2, 10**8)),
    (DMFT, "--replicas", integers(2, 1000)),
    (DMFT, "--seed", integers(0, 2**63 - 1)),
    (DMFT, "--smoothing", numbers(0.0, 10.0)),
    (DMFT, "--every", integers(1, 100_000)),
    (DMFT, "--checkpoint", "folder"),
    (DMFT, "--csv", ".csv"),
    (DMFT, "--plot", ".png"),
]


def command(base: list[str]) -> str:
    """The subcommand of a command line: its first words before any option."""
    return " ".join(word for word in base[:2] if not word.startswith("-"))


def with_option(base: list[str], option: str, value: str) -> list[str]:
    """``base`` with ``option`` set to ``value`` (given as ``--option=value``, so that values starting
    with a dash stay values)."""
    argv = list(base)
    if option in argv:
        del argv[argv.index(option) : argv.index(option) + 2]
    return [*argv, f"{option}={value}"]


def refused(capsys, audit, argv: list[str], option: str, entry: str | None = None) -> None:
    """Run ``main(argv)``: exit status 2, one line on stderr naming ``option``, no traceback, quickly.
    ``entry`` (the subcommand and option fuzzed) is counted among the audit's entry points."""
    if entry is not None:
        audit.entry_points.add(entry)
    audit.inputs += 1
    start = time.perf_counter()
    try:
        status = main(argv)
    except SystemExit as exit_:
        status = exit_.code
    elapsed = time.perf_counter() - start
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert status == 2, f"{argv}: exit status {status}, stderr {err!r}"
    audit.rejected += 1
    assert "Traceback" not in err, f"{argv}: {err}"
    assert len(lines) == 1, f"{argv}: {len(lines)} lines on stderr: {err!r}"
    bare = option.lstrip("-")
    assert option in lines[0] or bare in lines[0] or bare.replace("-", "_") in lines[0], (
        f"{argv}: {lines[0]!r} does not name {option}"
    )
    assert not out, f"{argv}: printed {out!r} before refusing"
    assert elapsed < SECONDS, f"{argv}: took {elapsed:.1f} s to refuse (work started?)"


@pytest.mark.parametrize(
    "base, option, values",
    CASES,
    ids=[f"{command(base)} {option}" for base, option, _ in CASES],
)
def test_bad_option_value_is_a_one_line_usage_error(base, option, values, capsys, audit, tmp_path):
    strategy = (
        (folders(tmp_path) if values == "folder" else paths(tmp_path, values)) if isinstance(values, str) else values
    )

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
    )
    @given(value=strategy)
    def check(value: str) -> None:
        refused(capsys, audit, with_option(base, option, value), option, entry=f"statlearn {command(base)} {option}")

    check()


@pytest.mark.parametrize(
    "argv, named",
    [
        ([], "required"),
        (["zz"], "invalid choice"),
        (["glm", "fit", "--prior", "gaussian", "--channel", "sign"], "invalid choice"),
        (["wirg"], "required"),
        (["wirg", "phi4", "--L", "8"], "invalid choice"),
        (["online", "--K", "1", "--M", "1"], "--eta"),
        (["erm", "--lam", "1"], "--gamma"),
        (["erm", "--lam", "1", "--model", "isotropic"], "--alpha"),
        (["erm", "--lam", "1", "--model", "isotropic", "--alpha", "1", "--gamma", "1"], "--gamma"),
        (["erm", "--lam", "1", "--gamma", "1:10:3", "--alpha", "1:10:3"], "--alpha"),
        (["glm", "--prior", "gaussian", "--channel", "sign"], "--alpha"),
        (["glm", *GLM[1:], "--json", "--csv", "x.csv"], "--csv"),
        (["capacity", "--alpha", "1", "--kappa", "1"], "--alpha"),
    ],
)
def test_missing_unknown_or_clashing_arguments(argv, named, capsys, audit):
    refused(capsys, audit, argv, named)


def test_every_option_of_every_subcommand_is_fuzzed():
    """The cases above cover every option the parser offers (but --json and the boolean switches)."""
    from statlearn.cli.command import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # the subcommand parsers, by name
    offered = set()
    for name, sub in commands.items():
        if name == "reproduce":  # audited with the runner (interruption, checkpoints)
            continue
        if name == "wirg":
            sub, name = sub._subparsers._group_actions[0].choices["gaussian"], "wirg gaussian"
        for action in sub._actions:
            flags = [flag for flag in action.option_strings if flag.startswith("--")]
            takes_value = action.nargs != 0
            if flags and takes_value and flags[0] != "--help":
                offered.add((name.split()[0], flags[0]))
    fuzzed = {(base[0], option) for base, option, _ in CASES}
    assert offered <= fuzzed, sorted(offered - fuzzed)
