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


# ---------------------------------------------------------------------------------- fit and generate


@pytest.fixture(scope="module")
def fields_file(tmp_path_factory):
    import numpy as np

    from wirg.fields import gaussian_field

    path = tmp_path_factory.mktemp("data") / "fields.npy"
    np.save(path, gaussian_field(free_field_spectrum(8, 0.5), 8, 40, seed=0))
    return path


def test_fit_then_generate(fields_file, tmp_path, capsys):
    import numpy as np

    from wirg.model import WIRGModel

    out = tmp_path / "model"
    argv = ["wirg", "fit", "--data", str(fields_file), "--out", str(out), "--levels", "2", "--radius", "1"]
    assert main([*argv, "--potential", "sigmoid:3+polynomial:4", "--wavelet", "haar"]) == 0
    assert "cond(H)" in capsys.readouterr().out
    model = WIRGModel.load(out)
    assert model.levels == 2 and model.wavelet == "haar"
    assert main([*argv, "--potential", "polynomial:4", "--block-quartic", "2"]) == 0
    assert [scale.ansatz.block_quartic for scale in WIRGModel.load(out).scales] == [False, True]
    assert (
        main([*argv, "--potential", "bump:4", "--modulation", "bump:3", "--detail-scale", "1", "--block-cubic", "2"])
        == 0
    )
    loaded = WIRGModel.load(out).scales
    assert [s.ansatz.detail_scale is not None for s in loaded] == [True, False]
    assert [s.ansatz.block_cubic for s in loaded] == [False, True]
    assert all(s.ansatz.n_mod == 6 for s in loaded)
    assert main([*argv, "--potential", "bump:4", "--coarse-method", "moments"]) == 0
    assert "moments" in capsys.readouterr().out
    coarse = WIRGModel.load(out)
    assert coarse.settings["coarse_method"] == "moments" and coarse.diagnostics[-1]["method"] == "moments"
    npy = tmp_path / "gen.npy"
    gen = ["wirg", "generate", "--model", str(out), "--n", "5", "--batch", "2", "--seed", "3", "--out", str(npy)]
    assert main(gen) == 0
    first = np.load(npy)
    assert first.shape == (5, 8, 8) and np.all(np.isfinite(first))
    assert main(gen) == 0
    np.testing.assert_array_equal(np.load(npy), first)  # seeded


def test_fit_gaussian_model_and_checkpoint(fields_file, tmp_path):
    argv = ["wirg", "fit", "--data", str(fields_file), "--out", str(tmp_path / "m"), "--potential", "none"]
    assert main([*argv, "--checkpoint", str(tmp_path / "ck")]) == 0
    assert (tmp_path / "ck" / "scale_1.json").exists()
    assert main([*argv, "--checkpoint", str(tmp_path / "ck")]) == 0  # resumed: every scale loaded


def test_fit_with_free_energies(fields_file, tmp_path, capsys):
    from wirg.model import WIRGModel

    argv = ["wirg", "fit", "--data", str(fields_file), "--out", str(tmp_path / "m"), "--potential", "none"]
    assert main([*argv, "--levels", "1", "--radius", "1", "--free-energy"]) == 0
    assert "free energies per scale (1: exact)" in capsys.readouterr().out
    model = WIRGModel.load(tmp_path / "m")
    assert model.free_energies is not None and model.microscopic_energy().L == 8


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--method", "ml"], "--method"),
        (["--coarse-method", "ml"], "--coarse-method"),
        (["--potential", "spline:3"], "--potential"),
        (["--wavelet", "db2"], "--wavelet"),
        (["--levels", "9"], "--levels"),
        (["--block-quartic", "0"], "--block-quartic"),
        (["--block-quartic", "some"], "--block-quartic"),
        (["--detail-scale", "0"], "--detail-scale"),
        (["--block-cubic", "x"], "--block-cubic"),
        (["--modulation", "wiggle:3"], "--modulation"),
        (["--levels", "2", "--block-quartic", "3"], "--block-quartic"),
    ],
)
def test_fit_bad_options(fields_file, tmp_path, extra, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["wirg", "fit", "--data", str(fields_file), "--out", str(tmp_path / "m"), *extra])
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_fit_and_generate_bad_files(tmp_path, capsys):
    import numpy as np

    bad = tmp_path / "bad.npy"
    np.save(bad, np.ones((3, 12, 12)))
    for data, message in [(bad, "power of two"), (tmp_path / "missing.npy", "cannot read")]:
        with pytest.raises(SystemExit) as exit_:
            main(["wirg", "fit", "--data", str(data), "--out", str(tmp_path / "m")])
        err = capsys.readouterr().err
        assert exit_.value.code == 2 and "--data" in err and message in err
    with pytest.raises(SystemExit) as exit_:
        main(["wirg", "generate", "--model", str(tmp_path), "--n", "2", "--out", str(tmp_path / "g.npy")])
    assert exit_.value.code == 2 and "--model" in capsys.readouterr().err
