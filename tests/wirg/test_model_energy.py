"""The energies of a fitted model (wirg.model): the free energies of fit_wirg / WIRGModel.fit_free_energies,
WIRGModel.energy and WIRGModel.microscopic_energy. On Gaussian data the reassembled kernel is the data's
true precision within its Monte Carlo error, and energy differences are the true Gaussian ones; the direct
energy and the microscopic one are the same quadratic form up to its non-stationary part (an identity after
averaging over translations); on phi^4 the nearest-neighbour coupling is -beta; files and checkpoints keep
the free energies; bad input names fields."""

import json

import numpy as np
import pytest
from scipy.stats import t as student

import wirg
import wirg.model
from statlearn.numerics import ConvergenceWarning
from wirg.generate import MALASettings
from wirg.model import FreeEnergySettings, WIRGModel, fit_wirg

L = 16
ALPHA = 0.01


def _true_energy(fields, spectrum):
    """E = 1/2 phi^T C^{-1} phi of the stationary Gaussian of ``spectrum``."""
    return 0.5 * np.sum(np.abs(np.fft.fft2(fields)) ** 2 / spectrum, axis=(-2, -1)) / fields.shape[-1] ** 2


def _translations(field):
    """All L^2 periodic translations of one field, (L^2, L, L)."""
    n = field.shape[-1]
    return np.stack([np.roll(field, (dy, dx), axis=(0, 1)) for dy in range(n) for dx in range(n)])


def _student_bound(n_tests, refits):
    return float(student.ppf(1.0 - ALPHA / (2 * n_tests), refits - 1))


@pytest.fixture(scope="module")
def gaussian_refits():
    """Six models of independent free-field datasets (m = 0.5, Haar, radius 1, one scale: the scale-1
    conditional has range exactly 1, so the ansatz holds the truth; the 8 x 8 coarsest field is the exact
    Gaussian marginal of its periodogram), with the exact free energies of the Gaussian path."""
    spectrum = wirg.free_field_spectrum(L, 0.5)
    models = []
    for r in range(6):
        fields = wirg.gaussian_field(spectrum, L, 300, seed=100 + r)
        models.append(
            fit_wirg(fields, levels=1, wavelet="haar", gamma=1.0, radius=1, potential=None, progress=False,
                     free_energy=FreeEnergySettings())
        )  # fmt: skip
    return spectrum, models


def test_gaussian_model_reassembles_the_true_precision(gaussian_refits):
    spectrum, models = gaussian_refits
    assert all(m.free_energies[0].method == "exact" for m in models)
    kernels = np.array([m.microscopic_energy().kernel for m in models])
    truth = np.fft.ifft2(1.0 / spectrum).real  # 4 + m^2 on site, -1 on nearest neighbours, 0 beyond
    mean, err = kernels.mean(axis=0), kernels.std(axis=0, ddof=1) / np.sqrt(len(models))
    z = (mean - truth) / err
    assert np.abs(z).max() < _student_bound(z.size, len(models))
    assert np.mean(z**2) < 2.0  # no bias hidden under the Bonferroni bound (5 dof: E z^2 = 5/3)


def test_gaussian_energy_differences_are_the_true_ones(gaussian_refits):
    spectrum, models = gaussian_refits
    fields = wirg.gaussian_field(spectrum, L, 9, seed=7)
    truth = _true_energy(fields, spectrum)
    differences = np.array([m.energy(fields)[1:] - m.energy(fields)[0] for m in models])
    mean, err = differences.mean(axis=0), differences.std(axis=0, ddof=1) / np.sqrt(len(models))
    z = (mean - (truth[1:] - truth[0])) / err
    assert np.abs(z).max() < _student_bound(z.size, len(models))


def _check_identity(model, fields):
    """model.energy - microscopic.energy is the non-stationary quadratic part R(phi) plus one constant: it
    averages to the same constant over the translations of every field (the kernel is the translation
    average of the form), and |R(phi)| <= 1/2 ||M - D|| |phi|^2 <= remainder / sqrt(1 - remainder^2) ||D||_F
    |phi|^2 / 2, the bound of each field's own difference."""
    micro = model.microscopic_energy()
    averages = []
    for field in fields:
        shifted = _translations(field)
        averages.append(np.mean(model.energy(shifted) - micro.energy(shifted)))
    averages = np.array(averages)
    scale = np.abs(model.energy(fields)).max()
    np.testing.assert_allclose(averages - averages[0], 0.0, atol=1e-11 * scale)
    direct = model.energy(fields) - micro.energy(fields) - averages[0]
    rem = micro.remainder
    bound = rem / np.sqrt(1.0 - rem**2) * np.sqrt(np.sum(micro.symbol**2)) * np.sum(fields**2, axis=(1, 2)) / 2
    assert np.all(np.abs(direct) <= bound + 1e-9 * scale)
    return direct


def test_energy_is_the_microscopic_energy_up_to_its_non_stationary_part(gaussian_refits):
    spectrum, models = gaussian_refits
    fields = wirg.gaussian_field(spectrum, L, 4, seed=8)
    direct = _check_identity(models[0], fields)
    assert np.ptp(direct) > 1e-6  # a fitted model is 2-periodic only: the identity needs the translations


@pytest.fixture(scope="module")
def phi4_model():
    """Lattice phi^4 at beta = 0.68, L = 16: Haar, radius 1, t^4 and t^6 on every scale, down to 2 x 2."""
    fields = wirg.phi4(L, 0.68, 1000, seed=3).fields
    model = fit_wirg(
        fields, levels=3, wavelet="haar", gamma=1.0, radius=1, potential="polynomial:4,6", seed=1, progress=False,
        free_energy=FreeEnergySettings(),
    )  # fmt: skip
    return fields, model


def test_phi4_coupling_is_recovered(phi4_model):
    """The nearest-neighbour coupling of E = -beta sum_<xy> phi_x phi_y + sum_x (phi_x^4 - phi_x^2) within
    10% of -beta (the score identity on 16 coarse fields; the reproduction wirg-phi4 checks 5% with refits)."""
    _, model = phi4_model
    assert [f.method for f in model.free_energies] == ["score"] * 3
    energy = model.microscopic_energy()
    for dx, dy in [(1, 0), (0, 1)]:
        assert energy.coupling(dx, dy) == pytest.approx(-0.68, rel=0.1)
    assert energy.potential(np.zeros(1))[0] == 0.0
    t = np.linspace(*np.quantile(phi4_model[0], [0.01, 0.99]), 41)  # V_0 + K(0) t^2 / 2 is t^4 - t^2
    assert np.abs(energy.potential(t, onsite=True) - (t**4 - t**2)).max() < 0.1


def test_phi4_energy_is_the_microscopic_energy_up_to_its_non_stationary_part(phi4_model):
    fields, model = phi4_model
    _check_identity(model, fields[:3])


def test_free_energies_of_fit_wirg_are_those_of_fit_free_energies(phi4_model):
    fields, model = phi4_model
    settings = FreeEnergySettings(n_fields=4, n_samples=20, burn_in=50)
    kwargs = {"levels": 2, "wavelet": "haar", "radius": 1, "potential": "polynomial:4", "seed": 5, "progress": False}
    with_free = fit_wirg(fields[:100], free_energy=settings, **kwargs)
    plain = fit_wirg(fields[:100], free_energy=None, **kwargs)
    assert plain.free_energies is None
    # recorded (and in the checkpoint fingerprint) only when asked for, so older checkpoints stay valid
    assert "free_energy" not in plain.settings and with_free.settings["free_energy"]["n_fields"] == 4
    for name in ("energy", "microscopic_energy"):
        with pytest.raises(ValueError, match=r"free energies .*fit_free_energies"):
            getattr(plain, name)(*([fields[:2]] if name == "energy" else []))
    later = plain.fit_free_energies(fields[:100], settings=settings, seed=5)
    assert later is plain.free_energies
    for a, b in zip(with_free.free_energies, later):
        np.testing.assert_array_equal(a.coefficients, b.coefficients)
    first = plain.microscopic_energy()
    assert plain.microscopic_energy() is first  # cached
    plain.fit_free_energies(fields[:100], settings=settings, seed=6)
    assert plain.microscopic_energy() is not first  # new free energies, new reassembly


def test_save_load_keeps_the_energies(tmp_path, phi4_model):
    fields, model = phi4_model
    model.save(tmp_path / "m")
    loaded = WIRGModel.load(tmp_path / "m")
    np.testing.assert_array_equal(loaded.energy(fields[:5]), model.energy(fields[:5]))
    np.testing.assert_array_equal(loaded.microscopic_energy().kernel, model.microscopic_energy().kernel)
    for a, b in zip(model.free_energies, loaded.free_energies):
        assert a.message == b.message and a.field_ansatz.potential == b.field_ansatz.potential
        np.testing.assert_array_equal(a.covariance, b.covariance)
    # a file without free energies (as written before they were stored) loads without them
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    del meta["free_energies"]
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    assert WIRGModel.load(tmp_path / "m").free_energies is None


def test_checkpoint_holds_the_free_energies(tmp_path, monkeypatch, gaussian_refits):
    spectrum, _ = gaussian_refits
    fields = wirg.gaussian_field(spectrum, L, 40, seed=9)
    settings = FreeEnergySettings(n_fields=3, n_samples=10, burn_in=20)
    kwargs = {"levels": 2, "radius": 1, "potential": "polynomial:4", "progress": False, "free_energy": settings}
    first = fit_wirg(fields, checkpoint=tmp_path / "ck", **kwargs)
    calls = []
    original = wirg.model.free_energy_score

    def counted(*args, **kw):
        calls.append(1)
        return original(*args, **kw)

    monkeypatch.setattr(wirg.model, "free_energy_score", counted)
    (tmp_path / "ck" / "scale_2.json").unlink()
    second = fit_wirg(fields, checkpoint=tmp_path / "ck", **kwargs)
    assert len(calls) == 1  # scale 2 only: scale 1's free energy came from its checkpoint
    for a, b in zip(first.free_energies, second.free_energies):
        np.testing.assert_array_equal(a.coefficients, b.coefficients)
    out = second.generate(2, seed=0, mcmc=MALASettings(burn_in=5, coarse_steps=10))
    assert np.all(np.isfinite(second.energy(out)))


@pytest.mark.parametrize(
    "fields, match",
    [
        (np.zeros((2, 8, 8)), r"fields must have shape \(S, 16, 16\)"),
        (np.full((2, 16, 16), np.nan), "fields must be finite"),
        (np.zeros((2, 16)), "fields must have shape"),
        (np.full((2, 16, 16), 1e200), "fields: the energy overflows"),
    ],
)
def test_bad_fields_are_named(gaussian_refits, fields, match):
    _, models = gaussian_refits
    with pytest.raises(ValueError, match=match):
        models[0].energy(fields)
    if "overflows" not in match:
        with pytest.raises(ValueError, match=match):
            models[0].fit_free_energies(fields)


def test_settings_are_checked():
    with pytest.raises(ValueError, match="n_chains"):
        FreeEnergySettings(n_chains=1)
    with pytest.raises(ValueError, match="potential"):
        FreeEnergySettings(potential="spline:3")
    with pytest.raises(TypeError, match="free_energy"):
        fit_wirg(np.random.default_rng(0).normal(size=(4, 8, 8)), progress=False, free_energy={"n_fields": 2})
    with pytest.raises(ValueError, match="free_energy: radius must have one entry per scale"):
        fit_wirg(
            np.random.default_rng(0).normal(size=(4, 8, 8)), levels=1, potential=None, progress=False,
            free_energy=FreeEnergySettings(radius=(1, 1)),
        )  # fmt: skip


def test_free_energy_chains_start_from_the_datas_details(phi4_model, monkeypatch):
    """fit_free_energies starts the score identity's chains at every scale from the details of the fields it
    is given (a sample of the data's conditional law; from zero details the phi^4 couplings came out biased,
    tests/wirg/test_free_energy.py shows the mechanism)."""
    fields, model = phi4_model
    seen = []
    original = wirg.model.free_energy_score

    def spy(*args, **kwargs):
        seen.append(kwargs["init"])
        return original(*args, **kwargs)

    monkeypatch.setattr(wirg.model, "free_energy_score", spy)
    kept = model.free_energies
    try:
        with pytest.warns(ConvergenceWarning):  # two steps do not adapt the MALA step
            model.fit_free_energies(
                fields[:5], settings=FreeEnergySettings(n_fields=3, n_chains=2, n_samples=2, burn_in=2)
            )
    finally:
        model.free_energies = kept
    x = fields[:3]
    assert len(seen) == model.levels
    for psi in seen:
        x, details = wirg.analysis_step(x, "haar", 1.0)
        assert np.array_equal(psi, details)
