"""The RBM against brute force: log Z by enumerating both layers, free energies, conditionals, pseudo-likelihood,
AIS within its error bar (and the error bar honest over seeds), the CD gradient against finite differences of
the exact log-likelihood, conversions between the +-1 and 0/1 conventions, reproducibility, divergence."""

import itertools
import warnings

import numpy as np
import pytest
from scipy.special import logsumexp

from statlearn.numerics import ConvergenceWarning, SolverResult
from statlearn.rbm import DBN, RBM, beta_schedule


def _machine(n_v, n_h, spins, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return RBM.from_params(
        scale * rng.standard_normal((n_v, n_h)),
        scale * rng.standard_normal(n_v),
        scale * rng.standard_normal(n_h),
        spins=spins,
    )


def _configs(n, spins):
    low = -1.0 if spins == "pm1" else 0.0
    return np.array(list(itertools.product([low, 1.0], repeat=n)))


def _joint_minus_energy(m):
    """-E(v, h) over every (v, h): the brute-force table, straight from the energy's definition."""
    vs, hs = _configs(m.n_visible, m.spins), _configs(m.n_hidden, m.spins)
    return vs, hs, vs @ m.W @ hs.T + (vs @ m.b_visible)[:, None] + (hs @ m.b_hidden)[None, :]


@pytest.mark.parametrize("spins", ["pm1", "01"])
@pytest.mark.parametrize("shape", [(6, 3), (3, 7), (5, 5)])
def test_exact_log_partition_equals_the_sum_over_both_layers(spins, shape):
    m = _machine(*shape, spins, seed=sum(shape))
    _, _, minus_e = _joint_minus_energy(m)
    result = m.log_partition()
    assert isinstance(result, SolverResult)
    assert result.log_z == pytest.approx(logsumexp(minus_e), abs=1e-12)
    assert result.stderr == 0.0


@pytest.mark.parametrize("spins", ["pm1", "01"])
def test_free_energies_against_brute_force(spins):
    m = _machine(5, 4, spins, seed=3)
    vs, hs, minus_e = _joint_minus_energy(m)
    np.testing.assert_allclose(m.free_energy(vs), -logsumexp(minus_e, axis=1), atol=1e-12)
    np.testing.assert_allclose(m.hidden_free_energy(hs), -logsumexp(minus_e, axis=0), atol=1e-12)
    np.testing.assert_allclose(m.energy(vs[:4], hs[:4]), -minus_e[np.arange(4), np.arange(4)], atol=1e-12)


def test_chunked_enumeration_of_either_layer_agrees():
    # 15 hidden units (two chunks of 2**14 states) against the transposed machine, whose visible layer is enumerated
    m = _machine(16, 15, "pm1", seed=5, scale=0.3)
    transposed = RBM.from_params(m.W.T, m.b_hidden, m.b_visible, spins="pm1")
    assert m.exact_log_partition()[1] == "hidden" and transposed.exact_log_partition()[1] == "visible"
    assert m.log_partition().log_z == pytest.approx(transposed.log_partition().log_z, abs=1e-10)


@pytest.mark.parametrize("spins", ["pm1", "01"])
def test_conversion_between_conventions_gives_the_same_distribution(spins):
    m = _machine(4, 3, spins, seed=7)
    other, shift = m.to_spins("01" if spins == "pm1" else "pm1")
    x = _configs(4, spins)
    y = _configs(4, other.spins)  # the same configurations in the other convention (same ordering)
    log_p = -m.free_energy(x) - m.log_partition().log_z
    np.testing.assert_allclose(-other.free_energy(y) - other.log_partition().log_z, log_p, atol=1e-12)
    assert m.log_partition().log_z == pytest.approx(other.log_partition().log_z + shift, abs=1e-12)
    back, back_shift = other.to_spins(spins)
    np.testing.assert_allclose(back.W, m.W, atol=1e-14)
    np.testing.assert_allclose(back.b_visible, m.b_visible, atol=1e-14)
    assert back_shift == pytest.approx(-shift, abs=1e-12)


@pytest.mark.parametrize("spins", ["pm1", "01"])
def test_pseudo_likelihood_against_its_definition(spins):
    m = _machine(5, 3, spins, seed=11)
    vs, _, minus_e = _joint_minus_energy(m)
    log_p = logsumexp(minus_e, axis=1)  # unnormalised log p(v), row order = bits of the configuration
    low = vs.min()
    index = {tuple(v): i for i, v in enumerate(vs)}
    data = vs[[0, 3, 17, 31, 8]]
    expected = 0.0
    for v in data:
        for i in range(5):
            flipped = v.copy()
            flipped[i] = 1.0 + low - v[i]
            a, b = log_p[index[tuple(v)]], log_p[index[tuple(flipped)]]
            expected += a - np.logaddexp(a, b)
    assert m.pseudo_likelihood(data) == pytest.approx(expected / len(data), abs=1e-12)
    # every site drawn: the estimator is the definition itself
    assert m.pseudo_likelihood(data, n_sites=5, seed=3) == pytest.approx(expected / len(data), abs=1e-12)


@pytest.mark.parametrize("spins", ["pm1", "01"])
def test_conditionals_and_sampling_against_the_exact_marginal(spins):
    m = _machine(4, 3, spins, seed=2, scale=0.7)
    vs, _, minus_e = _joint_minus_energy(m)
    p = np.exp(logsumexp(minus_e, axis=1) - logsumexp(minus_e))
    samples = m.sample(20000, steps=300, seed=4)  # +-1 units mix slowly at this scale
    low = vs.min()
    codes = ((samples == 1.0) * (1 << np.arange(4))[::-1]).sum(axis=1)  # itertools.product order
    counts = np.bincount(codes, minlength=16)
    expected = 20000 * p
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < 15 + 5 * np.sqrt(30), chi2  # 15 degrees of freedom: mean 15, sd sqrt(30)
    assert set(np.unique(samples)) <= {low, 1.0}


def test_ais_within_its_error_bar_and_the_error_bar_honest():
    z = []
    for machine_seed in range(3):
        for spins in ("pm1", "01"):
            m = _machine(12, 8, spins, seed=machine_seed, scale=0.6)
            exact = m.log_partition().log_z
            for seed in range(3):
                est = m.log_partition("ais", n_chains=64, n_betas=800, seed=seed)
                assert est.converged and est.n_chains == 64 and est.n_betas == 800
                z.append((est.log_z - exact) / est.stderr)
    z = np.asarray(z)
    assert np.all(np.abs(z) < 4.5), z
    assert abs(z.mean()) < 4.0 / np.sqrt(len(z)), z.mean()  # 18 z-scores: the mean within 4 of its sd
    assert 0.3 < np.mean(z**2) < 2.5, np.mean(z**2)  # chi2/dof of the z-scores: the error bar is honest


def test_ais_base_rate_from_data_and_schedule():
    betas = beta_schedule(100)
    assert betas[0] == 0.0 and betas[-1] == 1.0 and len(betas) == 101 and np.all(np.diff(betas) > 0)
    m = _machine(10, 5, "01", seed=1, scale=0.5)
    data = m.sample(200, steps=20, seed=0)
    est = m.log_partition("ais", n_chains=50, n_betas=500, seed=1, base_data=data)
    assert abs(est.log_z - m.log_partition().log_z) < 4 * est.stderr + 1e-3


def _exact_mean_log_likelihood(W, b_v, b_h, data, spins):
    return RBM.from_params(W, b_v, b_h, spins=spins).log_likelihood(data)


@pytest.mark.parametrize("spins", ["pm1", "01"])
def test_cd_gradient_with_long_chains_matches_the_exact_log_likelihood_gradient(spins):
    m = _machine(4, 3, spins, seed=9, scale=0.5)
    data = _machine(4, 2, spins, seed=1, scale=1.0).sample(4000, steps=20, seed=2)
    eps = 1e-5
    exact = np.zeros_like(m.W)
    for i, j in itertools.product(range(4), range(3)):
        plus, minus = m.W.copy(), m.W.copy()
        plus[i, j] += eps
        minus[i, j] -= eps
        exact[i, j] = (
            _exact_mean_log_likelihood(plus, m.b_visible, m.b_hidden, data, spins)
            - _exact_mean_log_likelihood(minus, m.b_visible, m.b_hidden, data, spins)
        ) / (2 * eps)
    trained = m.copy()
    eta = 1e-6
    trained.fit(data, method="cd", k=30, learning_rate=eta, momentum=0.0, batch_size=4000, epochs=1, monitor=())
    estimate = (trained.W - m.W) / eta
    # the model term is a mean over 4000 chains: sd per entry <= (1 - low)^2 / sqrt(4000) ~ 0.03 (+-1 units)
    sd = (1.0 - trained.low) ** 2 / 2 / np.sqrt(4000)
    np.testing.assert_allclose(estimate, exact, atol=5 * sd)
    assert np.abs(exact).max() > 10 * sd  # the gradient is not trivially small


@pytest.mark.parametrize("method", ["cd", "pcd"])
def test_training_increases_the_exact_log_likelihood(method):
    data = _machine(8, 3, "01", seed=4, scale=2.0).sample(500, steps=50, seed=5)
    m = RBM(8, 4, spins="01", seed=0)
    before = m.log_likelihood(data)
    history = m.fit(
        data, method=method, k=1, learning_rate=0.05, epochs=15, batch_size=20, seed=1, monitor=MONITORS_ALL
    )
    assert history.converged and history.iterations == 15
    assert history.log_likelihood[-1] == pytest.approx(m.log_likelihood(data), abs=1e-12)
    assert history.log_likelihood[-1] > before + 0.5
    assert history.reconstruction_error[-1] < history.reconstruction_error[0]


MONITORS_ALL = ("pseudo_likelihood", "reconstruction_error", "log_likelihood")


def test_penalties_shrink_the_weights():
    data = _machine(8, 3, "pm1", seed=4, scale=1.0).sample(300, steps=30, seed=5)
    norms = {}
    for penalty in (None, "l2", "l1"):
        m = RBM(8, 4, seed=0)
        m.fit(data, penalty=penalty, strength=0.05, learning_rate=0.05, epochs=10, seed=3, monitor=())
        norms[penalty] = np.abs(m.W).sum()
    assert norms["l2"] < norms[None] and norms["l1"] < norms[None]


def test_training_is_reproducible_per_seed():
    data = _machine(10, 3, "pm1", seed=4).sample(200, steps=20, seed=5)
    runs = []
    for seed in (3, 3, 4):
        m = RBM(10, 6, seed=1)
        m.fit(data, method="pcd", k=2, epochs=3, batch_size=32, seed=seed, monitor=())
        runs.append(m.W.copy())
    assert np.array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])
    m = _machine(6, 4, "pm1")
    assert np.array_equal(m.sample(10, steps=5, seed=8), m.sample(10, steps=5, seed=8))
    a, b = (m.log_partition("ais", n_chains=16, n_betas=400, seed=2) for _ in range(2))
    assert a.log_z == b.log_z


def test_divergence_stops_and_keeps_the_last_good_parameters(tmp_path):
    data = _machine(6, 3, "pm1", seed=4).sample(100, steps=10, seed=5)
    m = RBM(6, 4, seed=0)
    # weight decay with eta * strength = 4 > 2 and no momentum multiplies the weights by about -3 per update
    with pytest.warns(ConvergenceWarning, match="diverged"):
        history = m.fit(
            data,
            penalty="l2",
            strength=4.0,
            learning_rate=1.0,
            epochs=20,
            momentum=0.0,
            batch_size=10,
            seed=0,
            monitor=(),
            checkpoint=str(tmp_path),
        )
    assert not history.converged and 1 <= history.iterations < 20 and "kept the parameters" in history.message
    assert np.all(np.isfinite(m.W)) and 1e2 < np.abs(m.W).max() <= 1e8  # the last good epoch's (large) weights
    assert np.array_equal(RBM.load(tmp_path).W, m.W)  # also the last checkpoint written


def test_save_and_load_round_trip(tmp_path):
    m = _machine(5, 3, "01", seed=2)
    m.save(tmp_path / "m")
    back = RBM.load(tmp_path / "m")
    assert back.spins == "01" and np.array_equal(back.W, m.W) and np.array_equal(back.b_hidden, m.b_hidden)
    assert not list((tmp_path / "m").glob("*.pkl"))


def test_dbn_receptive_fields_and_sampling():
    data = _machine(12, 4, "pm1", seed=4, scale=1.0).sample(200, steps=20, seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dbn = DBN.train(data, [6, 4, 2], epochs=2, seed=3, monitor=("reconstruction_error",))
    assert [layer.n_hidden for layer in dbn.layers] == [6, 4, 2] and len(dbn.histories) == 3
    w1, w2, w3 = (layer.W for layer in dbn.layers)
    np.testing.assert_allclose(dbn.receptive_fields(1), w1)
    np.testing.assert_allclose(dbn.receptive_fields(3), w1 @ w2 @ w3)
    assert dbn.receptive_fields(2).shape == (12, 4)
    up = dbn.up(data[:5], seed=0)
    assert [u.shape for u in up] == [(5, 6), (5, 4), (5, 2)]
    samples = dbn.sample(7, steps=5, seed=1)
    assert samples.shape == (7, 12) and set(np.unique(samples)) <= {-1.0, 1.0}
    assert np.array_equal(samples, dbn.sample(7, steps=5, seed=1))
    with pytest.raises(ValueError, match="layer"):
        dbn.receptive_fields(4)
    with pytest.raises(ValueError, match="layers"):
        DBN([dbn.layers[0], dbn.layers[2]])
