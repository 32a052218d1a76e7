"""The whole model (wirg.model): Gaussian data give wirg.gaussian's couplings and keep the exact Gaussian
generation path; saving, loading, format versions, checkpoints and resuming; moment matching; a phi^4 fit with
its mixing diagnostics; bad input."""

import json

import numpy as np
import pytest
from scipy.stats import norm

import wirg
from wirg.generate import FieldModel, GaussianMarginal, MALASettings
from wirg.model import MomentSettings, WIRGModel, fit_wirg, potential_factory


@pytest.fixture(scope="module")
def gaussian_fields():
    spectrum = wirg.free_field_spectrum(16, 0.5)
    return spectrum, wirg.gaussian_field(spectrum, 16, 300, seed=21)


def test_gaussian_model_has_the_exact_couplings_and_the_exact_sampling_path(gaussian_fields):
    spectrum, fields = gaussian_fields
    model = fit_wirg(fields, levels=2, wavelet="haar", gamma=1.0, radius=1, potential=None, progress=False)
    assert isinstance(model.coarse, GaussianMarginal) and model.fits[-1] is None
    exact = wirg.GaussianWIRG(spectrum, wavelet="haar", levels=2).scales[0]
    truth = model.scales[0].ansatz.from_kernels(*exact.kernels())
    z = (model.scales[0].theta - truth) / model.fits[0].stderr
    assert np.abs(z).max() < norm.ppf(1 - 0.001 / (2 * z.size))
    # the Gaussian path of wirg.generate: an exact sample, bit for bit the same as calling it directly
    direct = wirg.generate(model.scales, model.coarse, 5, seed=4, wavelet="haar", gamma=1.0)
    np.testing.assert_array_equal(model.generate(5, seed=4), direct)
    assert [row["j"] for row in model.diagnostics] == [1, 2, 3]
    assert model.diagnostics[0]["condition_normalised"] <= model.diagnostics[0]["condition_raw"]


def test_default_gamma_equalises_the_variances_and_small_lattices_get_every_coupling(gaussian_fields):
    _, fields = gaussian_fields
    model = fit_wirg(fields[:40], radius=1, potential=("bump", 4), progress=False)
    assert model.levels == 2 and model.gamma == pytest.approx(wirg.scale_normalisation(fields[:40], 2, "db4"))
    assert isinstance(model.coarse, FieldModel) and model.coarse.L == 4
    deep = fit_wirg(fields[:40], levels=4, radius=1, potential=("bump", 4), progress=False)
    # L_j = 8, 4, 2, 1: the radius on 8, every coupling of the torus on the smaller lattices
    assert [(s.ansatz.radius, s.ansatz.lattice) for s in deep.scales] == [(1, None), (2, 4), (1, 2), (0, 1)]
    assert deep.coarse.L == 1 and deep.coarse.ansatz.lattice == 1
    out = model.generate(3, seed=0, mcmc=MALASettings(burn_in=20, coarse_steps=20))
    assert out.shape == (3, 16, 16) and np.all(np.isfinite(out))


def test_save_load_round_trip_and_format_version(tmp_path, gaussian_fields):
    _, fields = gaussian_fields
    model = fit_wirg(fields[:60], levels=3, radius=1, potential="sigmoid:3+polynomial:4", progress=False)
    model.save(tmp_path / "m")
    loaded = WIRGModel.load(tmp_path / "m")
    for a, b in zip(model.scales, loaded.scales):
        np.testing.assert_array_equal(a.theta, b.theta)
        assert a.ansatz.potential == b.ansatz.potential and a.ansatz.gamma == b.ansatz.gamma
        assert b.ansatz.potential.window is not None and b.ansatz.potential.window == a.ansatz.potential.window
    assert loaded.coarse.ansatz.potential.window == model.coarse.ansatz.potential.window is not None
    assert loaded.diagnostics[:3] == model.diagnostics[:3]
    settings = MALASettings(burn_in=10, coarse_steps=10)
    np.testing.assert_array_equal(model.generate(4, seed=9, mcmc=settings), loaded.generate(4, seed=9, mcmc=settings))
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    meta["format_version"] = 999
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="directory: .* format version 999"):
        WIRGModel.load(tmp_path / "m")
    with pytest.raises(ValueError, match="directory"):
        WIRGModel.load(tmp_path / "missing")
    assert not any(p.suffix == ".pkl" for p in (tmp_path / "m").iterdir())


def test_checkpoint_resumes_after_the_completed_scales(tmp_path, gaussian_fields):
    _, fields = gaussian_fields
    kwargs = {"levels": 3, "radius": 1, "potential": "sigmoid:3", "checkpoint": tmp_path / "ck", "progress": False}
    first = fit_wirg(fields[:50], **kwargs)
    assert sorted(p.name for p in (tmp_path / "ck").glob("*.json")) == [f"scale_{j}.json" for j in (1, 2, 3, 4)]
    (tmp_path / "ck" / "scale_2.json").unlink()  # as if the run had stopped during scale 2
    second = fit_wirg(fields[:50], **kwargs)
    for j in (0, 2, 3):  # loaded, so the recorded wall times are the first run's
        assert second.fits[j].seconds == first.fits[j].seconds
    np.testing.assert_array_equal(second.scales[1].theta, first.scales[1].theta)  # refitted, deterministic
    with pytest.raises(ValueError, match="checkpoint: .* other data or settings"):
        fit_wirg(fields[50:100], **kwargs)


def test_moment_matching_starts_from_score_matching_and_stays_within_its_errors(gaussian_fields, tmp_path):
    """... and its relaxation check (on by default, 500 steps) holds on Gaussian data, whose ansatz contains the
    law, and survives a save and load."""
    spectrum, fields = gaussian_fields
    model = fit_wirg(
        fields,
        levels=1,
        wavelet="haar",
        gamma=1.0,
        radius=1,
        potential=None,
        method="moments",
        moments=MomentSettings(steps=40, mcmc_steps=5),
        seed=3,
        progress=False,
    )
    fit = model.fits[0]
    assert fit.method == "moments" and "moment matching" in fit.message
    exact = wirg.GaussianWIRG(spectrum, wavelet="haar", levels=1).scales[0]
    truth = model.scales[0].ansatz.from_kernels(*exact.kernels())
    assert np.abs((model.scales[0].theta - truth) / fit.stderr).max() < 5.0
    assert fit.converged and fit.relaxation is not None and fit.relaxation["passed"] and fit.relaxation["steps"] == 500
    assert "relaxation check holds" in fit.message
    model.save(tmp_path / "m")
    assert WIRGModel.load(tmp_path / "m").fits[0].relaxation == fit.relaxation


def test_polishing_only_at_the_chosen_scales(gaussian_fields):
    """``polish_scales`` restricts the Newton polishing to the scales listed; the other moment-matched scale keeps
    its averaged iterate (its message has no Newton step)."""
    _, fields = gaussian_fields
    moments = MomentSettings(steps=5, mcmc_steps=2, check_steps=0, polish=1, polish_steps=40, polish_scales=(2,))
    model = fit_wirg(
        fields[:50],
        levels=2,
        wavelet="haar",
        radius=1,
        potential=None,
        method="moments",
        moments=moments,
        progress=False,
    )
    assert "Newton step" not in model.fits[0].message
    assert "1 Newton step(s)" in model.fits[1].message


def test_coarsest_field_by_likelihood_keeps_its_variance_and_skewness():
    """The coarsest field's model (every coupling of the 8 x 8 torus plus 8 bumps) on the coarse fields of 200
    skewed lognormal fields (16 x 16, shift 3): score matching alone gives a law far from the data's (its
    samples' variance is 10 standard errors and more too high), maximum likelihood (``coarse_method="moments"``)
    one whose variance and third moment agree with 200 held-out coarse fields within 4 standard errors (the
    errors of both samples, from the spread of the per-field moments)."""
    train = wirg.lognormal_field(16, 200, exponent=2.0, shift=3.0, seed=1)
    held_out = wirg.lognormal_field(16, 200, exponent=2.0, shift=3.0, seed=2)
    moments = MomentSettings(steps=200, lr_factor=0.2, mcmc_steps=20, natural=True)
    z = {}
    for method in ("score", "moments"):
        model = fit_wirg(
            train,
            levels=1,
            wavelet="haar",
            potential=lambda v: wirg.BumpPotential.from_data(v, 8),
            coarse_method=method,
            moments=moments,
            progress=False,
        )
        assert model.fits[-1].method == method and isinstance(model.coarse, FieldModel)
        generated = model.coarse.sample(200, np.random.default_rng(3), MALASettings(coarse_steps=2000))
        reference = wirg.analysis_step(held_out, "haar", model.gamma[0])[0]
        centre = reference.mean()
        per_field = [
            np.stack([((x - centre) ** p).mean(axis=(1, 2)) for p in (2, 3)], axis=1) for x in (generated, reference)
        ]
        means = [f.mean(axis=0) for f in per_field]
        errors = np.hypot(*(f.std(axis=0, ddof=1) / np.sqrt(f.shape[0]) for f in per_field))
        z[method] = (means[0] - means[1]) / errors
    assert z["score"][0] > 10.0
    assert np.abs(z["moments"]).max() < 4.0
    with pytest.raises(ValueError, match=r"fields \(coarsest field, 42 parameters\): natural: .* singular"):
        fit_wirg(train[:30], levels=1, wavelet="haar", potential="bump:8", coarse_method="moments", moments=moments)


def test_phi4_fit_generates_and_reports_mixing():
    fields = wirg.phi4(16, 0.68, 200, seed=2).fields
    model = fit_wirg(fields, radius=1, potential="sigmoid:8+polynomial:4", progress=False)
    out = model.generate(20, seed=1, mcmc=MALASettings(burn_in=100, coarse_steps=200))
    assert out.shape == (20, 16, 16) and np.all(np.isfinite(out))
    rows = model.diagnose_mixing(fields, n_chains=4, n_steps=100, seed=0)
    for row in rows[:-1]:
        assert 0.2 < row["acceptance"] < 0.95 and row["tau_mean"] >= 0.5
        assert np.isfinite(row["condition_raw"])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"fields": np.zeros((4, 8))}, ValueError, "fields must have shape"),
        ({"fields": np.full((4, 8, 8), np.nan)}, ValueError, "fields must be finite"),
        ({"fields": np.ones((4, 12, 12))}, ValueError, "power of two"),
        ({"method": "ml"}, ValueError, "method"),
        ({"potential": "spline:3"}, ValueError, "potential"),
        ({"potential": "sigmoid:x"}, ValueError, "potential"),
        ({"potential": 3}, TypeError, "potential"),
        ({"levels": 5}, ValueError, "levels"),
        ({"gamma": 2.2e38}, ValueError, "gamma must lie in"),  # its fit overflowed (fuzz audit)
        ({"moments": {"steps": 3}}, TypeError, "moments"),
        ({"block_quartic": "all"}, TypeError, "block_quartic"),
        ({"block_quartic": [0]}, ValueError, "block_quartic"),
        ({"block_quartic": [True]}, ValueError, "block_quartic"),
        ({"block_quartic": [2.0]}, ValueError, "block_quartic"),
        ({"method": "moments", "moments": MomentSettings(scales=(3,))}, ValueError, "moments: scales"),
        ({"method": "moments", "moments": MomentSettings(polish_scales=(3,))}, ValueError, "moments: polish_scales"),
    ],
)
def test_bad_input(kwargs, error, match):
    base = {"fields": np.random.default_rng(0).normal(size=(4, 8, 8)), "progress": False}
    with pytest.raises(error, match=match):
        fit_wirg(**{**base, **kwargs})


def test_potential_specifications():
    values = np.random.default_rng(1).normal(size=100)
    assert potential_factory(None) is None
    combined = potential_factory("sigmoid:5 + polynomial:3,4")(values)
    assert combined.n_params == 7 and combined.to_dict()["parts"][1]["powers"] == [3, 4]
    assert potential_factory(("bump", 4))(values).n_params == 4
    assert potential_factory(lambda v: wirg.PolynomialPotential((4,)))(values).n_params == 1
