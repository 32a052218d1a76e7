r"""A seedable uniform and Gaussian generator for numba kernels: xoshiro256++ and ziggurats.

Every function here but :func:`seed_state` and :func:`seed_lanes` is ``numba.njit``; the generator state is a ``uint64`` array of length 4 made
by :func:`seed_state` from an integer seed, owned by the caller and advanced in place, so that a
kernel given an integer seed draws the same numbers on every run and on every thread.

**Uniform bits: xoshiro256++** (Blackman & Vigna, "Scrambled linear pseudorandom number
generators", ACM Trans. Math. Softw. 47, 36 (2021)). The state :math:`s_0..s_3` (256 bits, period
:math:`2^{256}-1`) is advanced by the linear map

.. math::
    t = s_1 \ll 17,\ s_2 \mathrel{\oplus}= s_0,\ s_3 \mathrel{\oplus}= s_1,\
    s_1 \mathrel{\oplus}= s_2,\ s_0 \mathrel{\oplus}= s_3,\ s_2 \mathrel{\oplus}= t,\
    s_3 = \mathrm{rotl}(s_3, 45),

and the output is :math:`\mathrm{rotl}(s_0 + s_3, 23) + s_0` computed from the state before the
update. Unlike xoshiro256+, every output bit of the ``++`` scrambler passes the usual test
batteries, which matters because the ziggurat below uses the low bits. The four state words are the
first four outputs of **splitmix64** (Steele, Lea & Flood, OOPSLA 2014) started at the seed, as the
authors recommend: a bijective mixing of a Weyl sequence, so distinct seeds give well-separated
states and the state is never all zero.

**Uniform doubles**: the top 53 bits, :math:`u = (b \gg 11)\,2^{-53}\in[0, 1)`, every multiple of
:math:`2^{-53}` equally likely.

**Normal deviates: the ziggurat** of Marsaglia & Tsang (J. Stat. Softw. 5(8), 2000) with
:math:`n = 256` layers for :math:`f(x) = e^{-x^2/2}` on :math:`x\ge0` (a random sign, below, makes it
symmetric). Points :math:`x_1 = r > x_2 > \dots > x_{n-1} > x_n = 0` cut the area under ``f``
into ``n`` pieces of equal area ``v``: layer :math:`i\ge1` is the rectangle
:math:`[0, x_i]\times[f(x_i), f(x_{i+1})]`, so

.. math::
    x_i\,[f(x_{i+1}) - f(x_i)] = v, \qquad
    v = r f(r) + \int_r^\infty f(x)\,dx = r f(r) + \sqrt{\pi/2}\,\operatorname{erfc}(r/\sqrt2),

and the base layer 0 is the rectangle :math:`[0, r]\times[0, f(r)]` plus the tail
:math:`x > r`, given the pseudo-width :math:`x_0 = v/f(r)`. The recursion
:math:`x_{i+1} = f^{-1}(f(x_i) + v/x_i)` from :math:`x_1 = r` must end exactly at
:math:`x_n = 0`, i.e. :math:`f(x_{n-1}) + v/x_{n-1} = 1`; this fixes
:math:`r = 3.6541528853610088` and :math:`v = 4.92867323399\times10^{-3}` (Marsaglia & Tsang's
values). The tables are computed from these equations at import, by bisection on ``r``.

One draw takes one 64-bit word ``b``: its low 8 bits pick the layer :math:`i`, and ``b`` read as
a signed integer and shifted right by 10 bits (arithmetically) gives an integer :math:`u` uniform
on :math:`[-2^{53}, 2^{53})`, the sign included; :math:`x = u\,x_i/2^{53}`. (A separate sign bit
tested by a branch would be mispredicted on half the draws and triple the cost.) If
:math:`|x| < x_{i+1}` (probability 0.985) the point lies under ``f`` and ``x`` is returned.
Otherwise, for :math:`i\ge1` it is accepted if a uniform height :math:`y\in[f(x_i), f(x_{i+1})]`
satisfies :math:`y < f(x)` (the wedge); for :math:`i = 0` a deviate of the tail :math:`|x| > r`, with
the sign of ``u``, is returned, drawn exactly by Marsaglia's method (Technometrics 6, 101, 1964):
with :math:`a = -\ln U_1 / r`, :math:`b = -\ln U_2`, repeat until :math:`2b > a^2`, return
:math:`r + a`. A rejected point starts over with a fresh word. The output is
:math:`N(0, 1)` up to the 53-bit resolution of ``u``: the fast path is exactly symmetric, and
:math:`u = -2^{53}`, which has no positive mirror, only ever leads to a (negative) tail draw, a
bias of order :math:`10^{-15}` in the sign of the tail. About 1.02 words are used per deviate.

Cost (one core, ``fill_normal``): about 2.5 ns per deviate, twice the cost of the 64 random bits.

**Lanes: a vectorisable stream of normal deviates, 32 random bits each.** One xoshiro256++
stream is a chain of dependent operations, and the ziggurat's branch sits in it: the compiler
cannot use the CPU's vector units. :func:`fill_normal_lanes` runs :data:`LANES` = 16 independent
xoshiro256++ streams side by side (the lanes) plus one scalar stream (the spare), a state of
``4 (LANES + 1)`` words (and scratch) made by :func:`seed_lanes` from consecutive splitmix64
outputs. Deviates come in groups of :data:`LANE_GROUP` = 32: the next word of lane ``l`` gives
deviate ``l`` of the group from its low 32 bits and deviate ``16 + l`` from its high 32 bits, as
numpy's float32 normals use 32 bits per deviate. Each 32-bit half takes the fast path of a
ziggurat with :data:`LANE_LAYERS` = 1024 layers (the same equations as above with
:math:`n = 1024`, :math:`r = 4.0388`): its low 10 bits pick the layer, the half read as a signed
32-bit integer and shifted right by 10 gives :math:`u` uniform on :math:`[-2^{21}, 2^{21})`, and
:math:`x = u\,x_i/2^{21}` is accepted if :math:`|u| < k_i = \lfloor 2^{21} x_{i+1}/x_i\rfloor`
(fails for 0.43% of the points). So the fast path's deviates lie on a grid of spacing
:math:`x_i 2^{-21}` within a layer, the resolution of a float32 (about :math:`5\times10^{-7}`
relative), while all arithmetic is float64; for the simulations that use them (observables with
statistical errors of :math:`10^{-3}`) this is irrelevant. The edges :math:`x_i` are rounded down
to 32 significant bits, so that :math:`u\,x_i/2^{21}` is exact and one 64-bit table entry holds
both :math:`x_i/2^{21}` and :math:`k_i` (in its 21 low mantissa bits, zero after the rounding):
one table look-up per deviate. The rounding leaves the areas of the layers equal to within
:math:`3.3\times10^{-7}` relative, so the density is :math:`N(0, 1)` to that accuracy. The fast
path is written in LLVM IR on 16-element vectors (``llvm.masked.gather`` for the table), which the
compiler maps to the CPU's vector registers (AVX-512: two per vector); it also records, per group,
the mask of rejected points. Those (13% of the groups have one) are finished afterwards, in order,
by the slow path above with the 1024-layer tables and full 53-bit words (wedge, fresh words, or the
exact tail beyond r), drawing from the spare stream; the sign of a tail deviate is that of ``u``
(:math:`u = -2^{21}`, which has no positive mirror, only ever gives a negative tail: the
probability of a negative tail deviate is :math:`1/2 + 2\times10^{-6}`, an excess of
:math:`1.2\times10^{-10}` per deviate). The numbers depend only on the seed and the
sizes of the calls, and no result depends on the vector width. The spare also serves single
deviates (:func:`next_normal_lanes`, by the 256-layer ziggurat). Cost: about 0.6 ns per deviate,
a third of that of :func:`fill_normal`, of which 0.4 ns the vector fast path and the rest the
rejected points (``benchmarks/bench_online_sgd.py``).
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.cpython.unsafe.numbers import trailing_zeros
from numba.extending import intrinsic
from scipy.special import erfc

__all__ = [
    "seed_state",
    "next_uint64",
    "next_double",
    "next_normal",
    "fill_normal",
    "ZIGGURAT_R",
    "ZIGGURAT_V",
    "LANES",
    "LANE_GROUP",
    "LANE_LAYERS",
    "LANE_ZIGGURAT_R",
    "LANE_ZIGGURAT_V",
    "seed_lanes",
    "fill_normal_lanes",
    "next_normal_lanes",
]

_LAYERS = 256  # the low 8 bits of a word pick the layer
_MANTISSA = 53

# numba types literal ints as int64, and int64 mixed with uint64 as float64: every constant that
# meets a state word is a uint64.
_U11 = np.uint64(11)
_U17 = np.uint64(17)
_U23 = np.uint64(23)
_U45 = np.uint64(45)
_U27 = np.uint64(27)
_U30 = np.uint64(30)
_U31 = np.uint64(31)
_U32 = np.uint64(32)
_U64 = np.uint64(64)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # splitmix64 Weyl increment, 2^64 / golden ratio
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_LAYER_MASK = np.uint64(_LAYERS - 1)
_TWO_M53 = 2.0**-_MANTISSA


def _f(x: np.ndarray | float) -> np.ndarray | float:
    return np.exp(-0.5 * np.square(x))


def _layer_edges(r: float, layers: int = _LAYERS) -> tuple[np.ndarray, float]:
    """Edges x_1 = r, x_2, ... of the ``layers`` layers of equal area v(r), and v; stops early if f exceeds 1."""
    v = r * _f(r) + math.sqrt(math.pi / 2.0) * erfc(r / math.sqrt(2.0))
    x = [r]
    for _ in range(layers - 2):  # x_2 .. x_{n-1}
        top = _f(x[-1]) + v / x[-1]
        if top >= 1.0:  # the layers reach f = 1 before the (n-1)-th: r is too small
            break
        x.append(math.sqrt(-2.0 * math.log(top)))
    return np.array(x), v


def _ziggurat_tables(
    layers: int = _LAYERS, bracket: tuple[float, float] = (3.0, 4.0)
) -> tuple[float, float, np.ndarray, np.ndarray, np.ndarray]:
    """r, v and the tables (accept thresholds k_i, scaled widths w_i, heights f_i) from the equations.

    Bisection on r for the closing condition f(x_{n-1}) + v/x_{n-1} = 1: a larger r gives a smaller
    v, thinner layers and a top below 1.
    """

    def excess(r: float) -> float:
        x, v = _layer_edges(r, layers)
        if x.size < layers - 1:
            return 1.0
        return _f(x[-1]) + v / x[-1] - 1.0

    lo, hi = bracket
    assert excess(lo) > 0.0 > excess(hi)
    while True:
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if excess(mid) > 0.0 else (lo, mid)
    r = hi
    x, v = _layer_edges(r, layers)
    edges = np.concatenate([[v / _f(r)], x, [0.0]])  # x_0 (pseudo-width of the base), x_1..x_{n-1}, x_n
    accept = np.floor(2.0**_MANTISSA * edges[1:] / edges[:-1]).astype(np.int64)  # |u| < k_i => |x| < x_{i+1}
    width = edges[:-1] * _TWO_M53
    height = np.asarray(_f(edges))
    return r, v, accept, width, height


ZIGGURAT_R, ZIGGURAT_V, _ACCEPT, _WIDTH, _HEIGHT = _ziggurat_tables()
"""r: start of the tail; v: area of each layer (of the unnormalised exp(-x^2/2))."""


@njit(cache=True)
def _rotl(x: np.uint64, k: np.uint64) -> np.uint64:
    return (x << k) | (x >> (_U64 - k))


# The generator proper works on the state as a tuple of four uint64, passed and returned by value:
# inside a loop the tuple lives in registers, whereas a state array would be loaded and stored at
# every draw (the call to the rare slow path stops the compiler from keeping it in registers),
# which triples the cost of a normal deviate.


@njit(cache=True)
def _advance(s: tuple) -> tuple:
    """(64 random bits, next state) of xoshiro256++."""
    s0, s1, s2, s3 = s
    result = _rotl(s0 + s3, _U23) + s0
    t = s1 << _U17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    return result, (s0, s1, s2, _rotl(s3, _U45))


@njit(cache=True)
def _uniform(s: tuple) -> tuple:
    """(uniform double in [0, 1) from the top 53 bits, next state)."""
    bits, s = _advance(s)
    return np.int64(bits >> _U11) * _TWO_M53, s


@njit(cache=True)
def _split(bits: np.uint64, mask: np.uint64 = _LAYER_MASK) -> tuple:
    """(layer from the low bits under ``mask``, u = the word as int64 shifted right by 10: uniform on [-2^53, 2^53))."""
    return np.intp(bits & mask), np.int64(bits) >> 10


@njit(cache=True)
def _normal_slow(s: tuple, layer: int, u: int) -> tuple:
    """The rest of a ziggurat draw whose first point fell outside the rectangle of its layer."""
    return _normal_slow_in(s, layer, u, ZIGGURAT_R, _ACCEPT, _WIDTH, _HEIGHT, _LAYER_MASK)


@njit(cache=True)
def _normal_slow_in(
    s: tuple, layer: int, u: int, r: float, accept: np.ndarray, width: np.ndarray, height: np.ndarray, mask: np.uint64
) -> tuple:
    """:func:`_normal_slow` for the ziggurat with tail start ``r`` and tables ``accept``, ``width``, ``height``."""
    while True:
        if layer == 0:  # tail |x| > r, exact (Marsaglia 1964); 1 - uniform is in (0, 1]
            while True:
                a, s = _uniform(s)
                b, s = _uniform(s)
                a = -math.log1p(-a) / r
                b = -math.log1p(-b)
                if b + b > a * a:
                    return (-(r + a) if u < 0 else r + a), s
        x = u * width[layer]
        y, s = _uniform(s)
        if height[layer] + y * (height[layer + 1] - height[layer]) < math.exp(-0.5 * x * x):  # wedge
            return x, s
        bits, s = _advance(s)  # rejected: start over
        layer, u = _split(bits, mask)
        if abs(u) < accept[layer]:
            return u * width[layer], s


@njit(cache=True)
def _normal(s: tuple) -> tuple:
    """(standard normal deviate, next state): the ziggurat's fast path, inlined where it is called."""
    bits, s = _advance(s)
    layer, u = _split(bits)
    if abs(u) < _ACCEPT[layer]:  # inside the rectangle under f: ~98.5% of the draws
        return u * _WIDTH[layer], s
    return _normal_slow(s, layer, u)


@njit(cache=True)
def _load(state: np.ndarray) -> tuple:
    return state[0], state[1], state[2], state[3]


@njit(cache=True)
def _store(state: np.ndarray, s: tuple) -> None:
    state[0], state[1], state[2], state[3] = s


def seed_state(seed: int | np.integer) -> np.ndarray:
    r"""A fresh xoshiro256++ state (uint64 array of 4) from an integer seed, by splitmix64.

    The state words are the first four splitmix64 outputs: the counter :math:`z` starts at the seed
    and advances by :math:`\gamma` = ``0x9E3779B97F4A7C15`` (modulo 2^64); each value is mixed,
    :math:`y = (z \oplus z\gg30)\,c_1`, :math:`y \leftarrow (y \oplus y\gg27)\,c_2`, output
    :math:`y \oplus y\gg31`, with :math:`c_1` = ``0xBF58476D1CE4E5B9``, :math:`c_2` =
    ``0x94D049BB133111EB``. ``seed`` is a Python or numpy integer, taken modulo 2^64; equal
    seeds give equal states. Anything else (a float, a bool) is refused with a ``TypeError``.
    Called from Python (the kernels receive the state).
    """
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    return _splitmix_words(np.uint64(int(seed) % 2**64), 4)


@njit(cache=True)
def next_uint64(state: np.ndarray) -> np.uint64:
    """The next 64 random bits of xoshiro256++; advances ``state`` in place."""
    bits, s = _advance(_load(state))
    _store(state, s)
    return bits


@njit(cache=True)
def next_double(state: np.ndarray) -> float:
    """A uniform double in [0, 1): the top 53 bits of the next word times 2^-53; advances ``state``."""
    u, s = _uniform(_load(state))
    _store(state, s)
    return u


@njit(cache=True)
def next_normal(state: np.ndarray) -> float:
    """A standard normal deviate by the 256-layer ziggurat (module docstring); advances ``state``.

    For many deviates :func:`fill_normal` is faster: it keeps the state in registers.
    """
    x, s = _normal(_load(state))
    _store(state, s)
    return x


@njit(cache=True)
def fill_normal(state: np.ndarray, out: np.ndarray) -> None:
    """Fill the 1-D array ``out`` with standard normal deviates, in order; advances ``state``.

    The same numbers as ``out.size`` successive calls of :func:`next_normal`.
    """
    s = _load(state)
    for i in range(out.shape[0]):
        out[i], s = _normal(s)
    _store(state, s)


# ------------------------------------------------------------------ lanes (module docstring)

LANES = 16
"""Independent xoshiro256++ streams drawn side by side by :func:`fill_normal_lanes`."""

LANE_GROUP = 2 * LANES
"""Deviates per group of :func:`fill_normal_lanes`: one 64-bit word of every lane gives two."""

LANE_LAYERS = 1024
"""Layers of the lanes' ziggurat: the low 10 bits of a 32-bit half pick one (0.43% of first points rejected)."""

_HALF_BITS = 32  # random bits per deviate of the lanes
_LANE_U_BITS = _HALF_BITS - 10  # u: the half read as int32, shifted right by 10, uniform on [-2^21, 2^21)
_LANE_SCALE = 2.0 ** (_LANE_U_BITS - 1)
_WIDTH_BITS = 32  # significant bits kept of each width: u (22 bits) times a width is exact
_LANE_BLOCK = 8  # groups per call of the vector code (its words and masks live in the state's scratch)
_ACCEPT_MASK = (1 << (_LANE_U_BITS - 1)) - 1  # the low 21 bits of a packed entry: the accept threshold


def _lane_tables() -> tuple[float, float, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """r, v, the slow path's tables (53-bit ``u``) and the packed fast-path table of the lanes' ziggurat.

    The edges x_0 .. x_{n-1} of the 1024-layer ziggurat are rounded down to :data:`_WIDTH_BITS`
    significant bits (relative change below 5e-10) and every table is computed from the rounded edges.
    Entry i of the packed table is the bits of the double x_i / 2^21 (its low 21 mantissa bits zero
    after the rounding) with the accept threshold k_i = floor(2^21 x_{i+1} / x_i) < 2^21 in those bits.
    """
    r, v, _, width, _ = _ziggurat_tables(LANE_LAYERS, (3.5, 4.5))
    drop = np.int64((1 << (_MANTISSA - _WIDTH_BITS)) - 1)
    edges = ((width * 2.0**_MANTISSA).view(np.int64) & ~drop).view(np.float64)  # x_0 .. x_{n-1}, rounded down
    following = np.append(edges[1:], 0.0)
    accept53 = np.floor(2.0**_MANTISSA * following / edges).astype(np.int64)
    height = np.asarray(_f(np.append(edges, 0.0)))
    accept = np.floor(_LANE_SCALE * following / edges).astype(np.int64)
    assert accept.max() <= _ACCEPT_MASK
    packed = (edges / _LANE_SCALE).view(np.int64) | accept
    return float(edges[1]), v, accept53, edges * _TWO_M53, height, packed


LANE_ZIGGURAT_R, LANE_ZIGGURAT_V, _LANE_ACCEPT, _LANE_WIDTH, _LANE_HEIGHT, _LANE_TABLE = _lane_tables()
"""r (the rounded x_1) and v of the lanes' 1024-layer ziggurat (the same equations as the 256-layer one)."""
_LANE_MASK = np.uint64(LANE_LAYERS - 1)


def seed_lanes(seed: int | np.integer) -> np.ndarray:
    """A fresh state of the lane generator from an integer seed (a uint64 array).

    Word ``j < 4`` of lane ``l`` (``l = LANES``: the spare stream) is element ``j LANES' + l`` with
    ``LANES' = LANES + 1``, and these are consecutive splitmix64 outputs from ``seed``
    (:func:`seed_state` takes the first four of the same sequence). The words after the first
    ``4 LANES'`` are scratch for :func:`fill_normal_lanes` (no allocation per call), not part of
    the generator's state. ``TypeError`` for a seed that is not an integer.
    """
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    state = np.zeros(4 * (LANES + 1) + _LANE_BLOCK * (LANES + 1), dtype=np.uint64)
    state[: 4 * (LANES + 1)] = _splitmix_words(np.uint64(int(seed) % 2**64), 4 * (LANES + 1))
    return state


@njit(cache=True)
def _splitmix_words(seed: np.uint64, count: int) -> np.ndarray:
    """The first ``count`` splitmix64 outputs from ``seed``."""
    words = np.empty(count, dtype=np.uint64)
    z = seed
    for i in range(count):
        z += _GOLDEN
        y = (z ^ (z >> _U30)) * _MIX1
        y = (y ^ (y >> _U27)) * _MIX2
        words[i] = y ^ (y >> _U31)
    return words


_WIDE = LANES + 1


@njit(cache=True)
def _spare(state: np.ndarray) -> tuple:
    return state[LANES], state[_WIDE + LANES], state[2 * _WIDE + LANES], state[3 * _WIDE + LANES]


@njit(cache=True)
def _store_spare(state: np.ndarray, s: tuple) -> None:
    state[LANES], state[_WIDE + LANES], state[2 * _WIDE + LANES], state[3 * _WIDE + LANES] = s


def _splat(builder: ir.IRBuilder, value: ir.Value, vector: ir.VectorType) -> ir.Value:
    """``value`` in every element of ``vector``."""
    index = ir.IntType(32)
    one = builder.insert_element(ir.Constant(vector, ir.Undefined), value, ir.Constant(index, 0))
    return builder.shuffle_vector(
        one, ir.Constant(vector, ir.Undefined), ir.Constant(ir.VectorType(index, vector.count), [0] * vector.count)
    )


@intrinsic
def _lane_groups(typingctx, state, table, out, offset, groups):
    """The fast path of ``groups`` groups in LLVM IR on ``LANES``-element vectors (module docstring).

    Loads the lanes' states into four vectors, and per group: advances them (xoshiro256++), writes
    the words to the scratch after the state, the deviates ``u x_i / 2^21`` of the low and high
    halves to ``out[offset + 32 g :]`` and ``out[offset + 32 g + 16 :]`` (the table entries by
    ``llvm.masked.gather``), and the group's rejected points as a 32-bit mask (bit ``h LANES + l``
    for lane l, half h) to the scratch after the words; stores the states back.
    """
    if not (isinstance(state, types.Array) and isinstance(out, types.Array) and isinstance(table, types.Array)):
        return None
    signature = types.void(state, table, out, offset, groups)

    def codegen(context, builder, sig, args):
        word = ir.IntType(64)
        vector = ir.VectorType(word, LANES)
        doubles = ir.VectorType(ir.DoubleType(), LANES)
        bit = ir.IntType(1)
        array = context.make_array(sig.args[0])(context, builder, args[0])
        entries = context.make_array(sig.args[1])(context, builder, args[1])
        target = context.make_array(sig.args[2])(context, builder, args[2])
        start = context.cast(builder, args[3], sig.args[3], types.int64)
        count = context.cast(builder, args[4], sig.args[4], types.int64)

        def constant(value: int) -> ir.Constant:
            return ir.Constant(vector, [value] * LANES)

        def rotl(x: ir.Value, k: int) -> ir.Value:
            return builder.or_(builder.shl(x, constant(k)), builder.lshr(x, constant(64 - k)))

        def at(pointer: ir.Value, index: ir.Value, kind: ir.VectorType) -> ir.Value:
            return builder.bitcast(builder.gep(pointer, [index]), kind.as_pointer())

        homes = [at(array.data, ir.Constant(word, j * _WIDE), vector) for j in range(4)]
        words = builder.gep(array.data, [ir.Constant(word, 4 * _WIDE)])
        masks = builder.gep(words, [ir.Constant(word, _LANE_BLOCK * LANES)])
        lanes = [cgutils.alloca_once_value(builder, builder.load(home, align=8)) for home in homes]
        base = _splat(builder, builder.ptrtoint(entries.data, word), vector)
        first = builder.gep(target.data, [start])
        pointers = ir.VectorType(ir.PointerType(), LANES)
        gather = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(vector, [pointers, ir.IntType(32), ir.VectorType(bit, LANES), vector]),
            f"llvm.masked.gather.v{LANES}i64.v{LANES}p0",
        )
        every = ir.Constant(ir.VectorType(bit, LANES), [1] * LANES)
        with cgutils.for_range(builder, count) as loop:
            s0, s1, s2, s3 = (builder.load(lane) for lane in lanes)
            bits = builder.add(rotl(builder.add(s0, s3), 23), s0)
            t = builder.shl(s1, constant(17))
            s2 = builder.xor(s2, s0)
            s3 = builder.xor(s3, s1)
            s1 = builder.xor(s1, s2)
            s0 = builder.xor(s0, s3)
            s2 = builder.xor(s2, t)
            for lane, value in zip(lanes, (s0, s1, s2, rotl(s3, 45))):
                builder.store(value, lane)
            builder.store(bits, at(words, builder.mul(loop.index, ir.Constant(word, LANES)), vector), align=8)
            rejected = []
            for half in range(2):
                layer = builder.and_(builder.lshr(bits, constant(_HALF_BITS * half)), constant(LANE_LAYERS - 1))
                signed = builder.shl(bits, constant(_HALF_BITS)) if half == 0 else bits
                u = builder.ashr(signed, constant(64 - _LANE_U_BITS))
                address = builder.inttoptr(builder.add(base, builder.shl(layer, constant(3))), pointers)
                entry = builder.call(
                    gather, [address, ir.Constant(ir.IntType(32), 8), every, ir.Constant(vector, ir.Undefined)]
                )
                width = builder.bitcast(builder.and_(entry, constant(~_ACCEPT_MASK)), doubles)
                x = builder.fmul(builder.sitofp(builder.trunc(u, ir.VectorType(ir.IntType(32), LANES)), doubles), width)
                index = builder.add(
                    builder.mul(loop.index, ir.Constant(word, LANE_GROUP)), ir.Constant(word, half * LANES)
                )
                builder.store(x, at(first, index, doubles), align=8)
                size = builder.select(builder.icmp_signed("<", u, constant(0)), builder.neg(u), u)
                outside = builder.icmp_signed(">=", size, builder.and_(entry, constant(_ACCEPT_MASK)))
                rejected.append(builder.zext(builder.bitcast(outside, ir.IntType(LANES)), word))
            mask = builder.or_(rejected[0], builder.shl(rejected[1], ir.Constant(word, LANES)))
            builder.store(mask, builder.gep(masks, [loop.index]))
        for home, lane in zip(homes, lanes):
            builder.store(builder.load(lane), home, align=8)
        return context.get_dummy_value()

    return signature, codegen


@njit(cache=True, nogil=True)
def fill_normal_lanes(state: np.ndarray, out: np.ndarray) -> None:
    """Fill ``out`` (1-D, size a multiple of :data:`LANE_GROUP`) with standard normal deviates; advances ``state``.

    ``state`` is made by :func:`seed_lanes`. Deviate ``32 g + 16 h + l`` comes from half ``h`` (0: the
    low 32 bits) of word ``g`` of lane ``l`` (module docstring); a call with ``n`` deviates takes
    ``n / LANE_GROUP`` words from every lane.
    """
    n = out.shape[0]
    if n % LANE_GROUP:
        raise ValueError("fill_normal_lanes: the size of out must be a multiple of LANE_GROUP")
    words = state[4 * _WIDE : 4 * _WIDE + _LANE_BLOCK * LANES]
    masks = state[4 * _WIDE + _LANE_BLOCK * LANES : 4 * _WIDE + _LANE_BLOCK * _WIDE]
    spare = _spare(state)
    for start in range(0, n, _LANE_BLOCK * LANE_GROUP):
        groups = min(_LANE_BLOCK, (n - start) // LANE_GROUP)
        _lane_groups(state, _LANE_TABLE, out, start, groups)  # type: ignore[call-arg]  # typingctx is numba's
        for group in range(groups):
            mask = masks[group]
            while mask:  # 13% of the groups: finish the rejected points in order, on the spare stream
                point = trailing_zeros(mask)
                mask &= mask - np.uint64(1)
                bits = words[group * LANES + point % LANES]
                half = bits << _U32 if point < LANES else bits
                u = (np.int64(half) >> (64 - _LANE_U_BITS)) * np.int64(1 << (_MANTISSA - _LANE_U_BITS + 1))
                out[start + group * LANE_GROUP + point], spare = _normal_slow_in(
                    spare,
                    np.intp((bits >> (_U32 if point >= LANES else np.uint64(0))) & _LANE_MASK),
                    u,
                    LANE_ZIGGURAT_R,
                    _LANE_ACCEPT,
                    _LANE_WIDTH,
                    _LANE_HEIGHT,
                    _LANE_MASK,
                )
    _store_spare(state, spare)


@njit(cache=True, nogil=True)
def next_normal_lanes(state: np.ndarray) -> float:
    """One standard normal deviate from the spare stream of a lane state (:func:`seed_lanes`); advances it."""
    x, s = _normal(_spare(state))
    _store_spare(state, s)
    return x
