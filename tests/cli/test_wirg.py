"""``statlearn wirg gaussian``: the printed condition numbers are GaussianWIRG's, files and bad input."""

import json

import pytest

from statlearn.cli import main
from wirg.fields import free_field_spectrum
from wirg.gaussian import GaussianWIRG


def test_json_matches_the_solver(capsys, tmp_path):
    png = tmp_path / "w.png"
    assert main(["wirg", "gaussian", "--L", "32", "--mass", "0", "--json", "--plot", str(png)]) == 0
    out = json.loads(capsys.readouterr().out)
    cn = GaussianWIRG(free_field_spectrum(32, mass=0.0, zero_mode=1.0)).condition_numbers()
    assert out["full"] == pytest.approx(cn.full) and out["fisher_direct"] == pytest.approx(cn.fisher_direct)
    assert [s["conditional"] for s in out["scales"]] == pytest.approx(list(cn.conditional))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_table(capsys):
    assert main(["wirg", "gaussian", "--L", "16", "--mass", "0.5", "--wavelet", "haar"]) == 0
    assert "cond(Q_hh)" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--L", "12"], "power of two"),
        (["--L", "16", "--mass", "-1"], "--mass"),
        (["--L", "16", "--wavelet", "db2"], "wavelet"),
        (["--L", "16", "--plot", "x.pdf"], ".png"),
    ],
)
def test_bad_input(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["wirg", "gaussian", *argv])
    assert exit_.value.code == 2 and message in capsys.readouterr().err
