"""The decimation RBM of the 1-D Ising ring: K' = atanh(tanh^2 K) from the hidden free energy, to 1e-12, and the
identity behind it derived symbolically."""

import itertools

import mpmath
import numpy as np
import pytest
import sympy as sp

from statlearn.rg import decimation_rbm


@pytest.mark.parametrize("K", [0.05, 0.3, 0.4406868, 1.0, 2.5, 6.0, -0.8])
@pytest.mark.parametrize("n_spins", [4, 8, 12])
def test_renormalised_coupling_from_the_hidden_free_energy(K, n_spins):
    d = decimation_rbm(K, n_spins=n_spins)
    with mpmath.workdps(40):
        exact = float(mpmath.atanh(mpmath.tanh(K) ** 2))
    assert abs(d.K_prime - exact) < 1e-12
    assert abs(d.K_prime_exact - exact) < 1e-14
    assert abs(d.constant - (np.log(2.0) + exact)) < 1e-12
    assert d.residual < 1e-12  # H^RBM[h] has exactly the nearest-neighbour form
    assert d.rbm.n_visible == d.rbm.n_hidden == n_spins // 2 and d.rbm.spins == "pm1"


def test_the_rbm_energy_is_the_ring_energy():
    K, N = 0.7, 8
    d = decimation_rbm(K, n_spins=N)
    for spins in itertools.islice(itertools.product([-1.0, 1.0], repeat=N), 0, 256, 7):
        s = np.array(spins)
        ring = -K * np.sum(s * np.roll(s, -1))
        v, h = s[1::2], s[0::2]  # odd spins decimated (visible), even spins kept (hidden)
        assert d.rbm.energy(v, h)[0] == pytest.approx(ring, abs=1e-12)


def test_the_decimation_identity_symbolically():
    K = sp.symbols("K", real=True)
    k_prime = sp.atanh(sp.tanh(K) ** 2).rewrite(sp.log)  # (1/2) log((1 + t^2) / (1 - t^2)), t = tanh K
    g = sp.log(2) + k_prime
    # sum over the decimated spin v = +-1 between kept spins h1, h2: exp(K v (h1 + h2))
    for a, b in itertools.product([-1, 1], repeat=2):
        summed = sum(sp.exp(K * v * (a + b)) for v in (-1, 1))
        renormalised = sp.exp(k_prime * a * b + g)
        assert sp.simplify((summed - renormalised).rewrite(sp.exp)) == 0
    # and K' = atanh(tanh^2 K) is (1/2) log cosh 2K
    assert sp.simplify((sp.exp(2 * k_prime) - sp.cosh(2 * K)).rewrite(sp.exp)) == 0
