"""The numba generator: xoshiro256++ and splitmix64 against reference values, the ziggurat's
normal deviates against the exact distribution (moments, KS, tails), uniform doubles."""

import math

import numpy as np
import pytest
from scipy import stats

from statlearn.numerics import rng

MASK = 2**64 - 1
DRAWS = 2_000_000
SIGMAS = 5.0


def splitmix64(seed):
    """Reference splitmix64 (Steele, Lea & Flood 2014), in Python integers."""
    z = seed
    while True:
        z = (z + 0x9E3779B97F4A7C15) & MASK
        y = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        y = ((y ^ (y >> 27)) * 0x94D049BB133111EB) & MASK
        yield y ^ (y >> 31)


def xoshiro256pp(state):
    """Reference xoshiro256++ (Blackman & Vigna's C code), in Python integers; advances ``state``."""

    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & MASK

    s = state
    result = (rotl((s[0] + s[3]) & MASK, 23) + s[0]) & MASK
    t = (s[1] << 17) & MASK
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = rotl(s[3], 45)
    return result


@pytest.fixture(scope="module")
def normals():
    out = np.empty(DRAWS)
    rng.fill_normal(rng.seed_state(20240611), out)
    return out


# ------------------------------------------------------------------ uniform bits


def test_splitmix64_published_values():
    # the SplitMix64 test vector for seed 1234567 (Rosetta Code task "Pseudo-random numbers/Splitmix64")
    expected = [6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431]
    assert [int(w) for w in rng.seed_state(1234567)] == expected
    reference = splitmix64(1234567)
    assert [next(reference) for _ in range(4)] == expected


@pytest.mark.parametrize("seed", [0, 1, 987654321, 2**63 - 1])
def test_xoshiro256pp_matches_reference(seed):
    state = rng.seed_state(seed)
    reference = splitmix64(seed)
    ref_state = [next(reference) for _ in range(4)]
    assert [int(w) for w in state] == ref_state
    for _ in range(1000):
        assert int(rng.next_uint64(state)) == xoshiro256pp(ref_state)
    assert [int(w) for w in state] == ref_state


def test_seed_is_taken_modulo_2_64():
    assert np.array_equal(rng.seed_state(-1), rng.seed_state(np.uint64(MASK)))


def test_uniform_doubles():
    state = rng.seed_state(7)
    twin = rng.seed_state(7)
    n = 100_000
    u = np.array([rng.next_double(state) for _ in range(n)])
    assert np.all((u >= 0.0) & (u < 1.0))
    scaled = u * 2.0**53
    assert np.array_equal(scaled, np.floor(scaled))  # multiples of 2^-53
    assert np.array_equal(scaled.astype(np.uint64), [rng.next_uint64(twin) >> np.uint64(11) for _ in range(n)])
    assert abs(u.mean() - 0.5) < SIGMAS * math.sqrt(1 / 12 / n)
    assert abs(u.var() - 1 / 12) < SIGMAS * math.sqrt((1 / 80 - 1 / 144) / n)  # Var (u - 1/2)^2 = 1/80 - 1/144


# ------------------------------------------------------------------ ziggurat tables


def test_ziggurat_constants_are_marsaglia_tsangs():
    # Marsaglia & Tsang (2000), 256 layers: r = 3.6541528853610088, v = 4.92867323399e-3
    assert rng.ZIGGURAT_R == pytest.approx(3.6541528853610088, rel=1e-15)
    assert rng.ZIGGURAT_V == pytest.approx(4.92867323399e-3, rel=1e-11)


def test_ziggurat_layers_have_equal_area():
    r, v = rng.ZIGGURAT_R, rng.ZIGGURAT_V
    x = rng._WIDTH * 2.0**53  # x_0 (pseudo-width of the base) .. x_255
    f = rng._HEIGHT  # exp(-x_i^2/2) at x_0 .. x_256 = 0
    assert x[1] == r
    assert x[0] * math.exp(-r * r / 2) == pytest.approx(v, rel=1e-14)  # base: rectangle + tail
    areas = x[1:] * (f[2:] - f[1:-1])
    np.testing.assert_allclose(areas, v, rtol=1e-12)
    assert f[-1] == 1.0


# ------------------------------------------------------------------ normal deviates


def test_same_seed_same_numbers_bit_for_bit():
    a, b = np.empty(10_000), np.empty(10_000)
    rng.fill_normal(rng.seed_state(3), a)
    rng.fill_normal(rng.seed_state(3), b)
    assert np.array_equal(a, b)


def test_fill_equals_successive_draws():
    state_fill, state_next = rng.seed_state(11), rng.seed_state(11)
    filled = np.empty(20_000)  # ~300 slow-path draws
    rng.fill_normal(state_fill, filled)
    one_by_one = np.array([rng.next_normal(state_next) for _ in range(filled.size)])
    assert np.array_equal(filled, one_by_one)
    assert np.array_equal(state_fill, state_next)


def test_different_seeds_differ():
    n = 100_000
    a, b = np.empty(n), np.empty(n)
    rng.fill_normal(rng.seed_state(0), a)
    rng.fill_normal(rng.seed_state(1), b)
    assert np.mean(a == b) < 1e-3
    assert abs(np.corrcoef(a, b)[0, 1]) < SIGMAS / math.sqrt(n)


@pytest.mark.parametrize(
    "k, moment, variance",
    # E x^k and Var x^k = E x^2k - (E x^k)^2 for N(0, 1): moments 0, 1, 0, 3; E x^2k = (2k-1)!!
    [(1, 0.0, 1.0), (2, 1.0, 3.0 - 1.0), (3, 0.0, 15.0), (4, 3.0, 105.0 - 9.0)],
)
def test_moments(normals, k, moment, variance):
    estimate = np.mean(normals**k)
    assert abs(estimate - moment) < SIGMAS * math.sqrt(variance / normals.size)


def test_kolmogorov_smirnov(normals):
    assert stats.kstest(normals, "norm").pvalue > 1e-4


@pytest.mark.parametrize("level", [3.0, 4.0])
def test_tail_frequencies(normals, level):
    # |x| > 4 lies entirely beyond r = 3.654: only the exact tail algorithm produces it
    p = 2.0 * stats.norm.sf(level)
    count = np.count_nonzero(np.abs(normals) > level)
    assert abs(count - p * normals.size) < SIGMAS * math.sqrt(normals.size * p * (1 - p))


def test_tail_is_the_truncated_normal():
    r = rng.ZIGGURAT_R
    draws = np.empty(10_000_000)
    rng.fill_normal(rng.seed_state(5), draws)
    tail = draws[np.abs(draws) > r]
    expected = 2.0 * stats.norm.sf(r) * draws.size
    assert abs(tail.size - expected) < SIGMAS * math.sqrt(expected)
    assert abs(np.count_nonzero(tail > 0) - tail.size / 2) < SIGMAS * math.sqrt(tail.size / 4)
    assert stats.kstest(np.abs(tail), stats.truncnorm(r, np.inf).cdf).pvalue > 1e-4


@pytest.mark.parametrize("seed", [1.0, 2.5, np.float64(3.0), True, "4", None])
def test_seed_state_refuses_non_integers_by_name(seed):
    with pytest.raises(TypeError, match="seed"):
        rng.seed_state(seed)


# ------------------------------------------------------------------ lanes (a vectorisable stream)

LANE_DRAWS = 2_000_000


def lane_reference(seed, groups):
    """Reference words of the lane generator in Python integers: lane l of state word j is splitmix64 output j (L + 1) + l."""
    words = splitmix64(seed)
    flat = [next(words) for _ in range(4 * (rng.LANES + 1))]
    lanes = [[flat[j * (rng.LANES + 1) + lane] for j in range(4)] for lane in range(rng.LANES)]
    return [[xoshiro256pp(lanes[lane]) for lane in range(rng.LANES)] for _ in range(groups)]


@pytest.fixture(scope="module")
def lane_normals():
    out = np.empty(LANE_DRAWS)  # a multiple of LANES
    rng.fill_normal_lanes(rng.seed_lanes(20240611), out)
    return out


def test_lane_state_and_fast_path_match_the_reference():
    seed, groups = 987654321, 200
    state = rng.seed_lanes(seed)
    reference = splitmix64(seed)
    assert [int(w) for w in state[: 4 * (rng.LANES + 1)]] == [next(reference) for _ in range(4 * (rng.LANES + 1))]
    out = np.empty(groups * rng.LANE_GROUP)
    rng.fill_normal_lanes(state, out)
    edges = rng._LANE_WIDTH * 2.0**53  # x_0 .. x_1023, 32 significant bits
    following = np.append(edges[1:], 0.0)
    checked = 0
    for g, words in enumerate(lane_reference(seed, groups)):
        for lane, word in enumerate(words):
            for half in range(2):  # deviate 32 g + 16 half + lane: the low, then the high 32 bits
                bits = (word >> (32 * half)) & (2**32 - 1)
                layer, u = bits & (rng.LANE_LAYERS - 1), (bits - 2**32 if bits >= 2**31 else bits) >> 10
                x = out[g * rng.LANE_GROUP + half * rng.LANES + lane]
                if abs(u) * edges[layer] < 2.0**21 * following[layer]:  # fast path: u x_i / 2^21, exactly
                    assert x == u * edges[layer] / 2.0**21 == (u * 2**32) * rng._LANE_WIDTH[layer]
                    checked += 1
    assert checked > 0.99 * out.size


def test_lane_ziggurat_layers_have_equal_area():
    r, v = rng.LANE_ZIGGURAT_R, rng.LANE_ZIGGURAT_V
    x = rng._LANE_WIDTH * 2.0**53
    f = rng._LANE_HEIGHT
    assert x[1] == r and 4.0 < r < 4.1 and r == pytest.approx(4.0388, abs=1e-4)
    # the edges are rounded down to 32 significant bits (u x_i / 2^21 is then exact), which leaves
    # the areas of the layers equal to v within 3.3e-7 relative (the module docstring's bound)
    assert np.all(np.frexp(x)[0] * 2.0**32 == np.floor(np.frexp(x)[0] * 2.0**32))
    assert x[0] * math.exp(-r * r / 2) == pytest.approx(v, rel=1e-8)
    np.testing.assert_allclose(x[1:] * (f[2:] - f[1:-1]), v, rtol=3.3e-7)
    assert f[-1] == 1.0 and x.size == rng.LANE_LAYERS
    packed = rng._LANE_TABLE  # fast-path entries: x_i / 2^21 with k_i = floor(2^21 x_{i+1} / x_i) in the low 21 bits
    k = packed & (2**21 - 1)
    assert np.array_equal((packed - k).view(np.float64), x / 2.0**21)
    assert np.array_equal(k, np.floor(2.0**21 * np.append(x[1:], 0.0) / x))


def test_lanes_same_seed_same_numbers_and_split_calls():
    a, b = np.empty(4096), np.empty(4096)
    rng.fill_normal_lanes(rng.seed_lanes(3), a)
    state = rng.seed_lanes(3)
    rng.fill_normal_lanes(state, b[:1024])
    rng.fill_normal_lanes(state, b[1024:])
    assert np.array_equal(a, b)  # a call of n deviates takes n / LANES words from every lane
    c = np.empty(4096)
    rng.fill_normal_lanes(rng.seed_lanes(4), c)
    assert np.mean(a == c) < 1e-3


def test_lanes_refuse_a_partial_group_and_a_float_seed():
    with pytest.raises(ValueError, match="multiple of LANE_GROUP"):
        rng.fill_normal_lanes(rng.seed_lanes(0), np.empty(rng.LANES))
    with pytest.raises(TypeError, match="seed"):
        rng.seed_lanes(1.0)


@pytest.mark.parametrize("k, moment, variance", [(1, 0.0, 1.0), (2, 1.0, 2.0), (3, 0.0, 15.0), (4, 3.0, 96.0)])
def test_lane_moments(lane_normals, k, moment, variance):
    estimate = np.mean(lane_normals**k)
    assert abs(estimate - moment) < SIGMAS * math.sqrt(variance / lane_normals.size)


def test_lane_kolmogorov_smirnov(lane_normals):
    # 2e6 deviates: the KS statistic of N(0, 1) itself is below ~1.9e-3 with probability 1 - 1e-4
    assert stats.kstest(lane_normals, "norm").pvalue > 1e-4


def test_lanes_are_independent(lane_normals):
    # neighbouring lanes (lag 1), the two halves of a word (lag LANES) and the same lane and half in
    # consecutive groups (lag LANE_GROUP) are uncorrelated, also in their squares
    for lag in (1, rng.LANES, rng.LANE_GROUP):
        r = np.corrcoef(lane_normals[:-lag], lane_normals[lag:])[0, 1]
        assert abs(r) < SIGMAS / math.sqrt(lane_normals.size)
        r2 = np.corrcoef(lane_normals[:-lag] ** 2, lane_normals[lag:] ** 2)[0, 1]
        assert abs(r2) < SIGMAS / math.sqrt(lane_normals.size)


def test_lane_tail_beyond_r_is_the_truncated_normal():
    r = rng.LANE_ZIGGURAT_R  # 4.04: only the exact tail algorithm (on the spare stream) draws beyond it
    draws = np.empty(20_000_000)
    rng.fill_normal_lanes(rng.seed_lanes(5), draws)
    tail = draws[np.abs(draws) > r]
    expected = 2.0 * stats.norm.sf(r) * draws.size  # about 1070
    assert abs(tail.size - expected) < SIGMAS * math.sqrt(expected)
    assert abs(np.count_nonzero(tail > 0) - tail.size / 2) < SIGMAS * math.sqrt(tail.size / 4)
    assert stats.kstest(np.abs(tail), stats.truncnorm(r, np.inf).cdf).pvalue > 1e-4
    for level in (3.0, 3.9):  # the wedges of the outer layers
        p = 2.0 * stats.norm.sf(level)
        count = np.count_nonzero(np.abs(draws) > level)
        assert abs(count - p * draws.size) < SIGMAS * math.sqrt(draws.size * p)


def test_next_normal_lanes_draws_from_the_spare_stream():
    state = rng.seed_lanes(8)
    spare = state[rng.LANES :: rng.LANES + 1].copy()  # the spare's four words
    x = rng.next_normal_lanes(state)
    assert x == rng.next_normal(spare)  # the 256-layer ziggurat of fill_normal on the spare
    assert np.array_equal(state[rng.LANES :: rng.LANES + 1], spare)
