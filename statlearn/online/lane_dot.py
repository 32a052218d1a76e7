"""A dot product for numba kernels that uses the vector units with a fixed order of summation.

Without ``fastmath`` the compiler keeps the order of a floating-point sum as written, so a dot
product written as a loop runs one addition at a time (its partial sums are not reordered into
vector lanes). With ``fastmath`` it would be vectorised, but in an order that follows the CPU's
vector width, and a seed would no longer give the same numbers on every machine. :func:`dot_prefix`
instead states the lanes explicitly in LLVM IR: element ``i`` of the product is added to the
partial sum of lane ``i mod 8``, held in two 4-wide vectors, the elements past the last multiple of
8 to a scalar tail in order, and the result is::

    ((s_0 + s_1) + (s_2 + s_3)) + ((s_4 + s_5) + (s_6 + s_7)) + tail,

one rounding per multiplication and per addition (no fused multiply-add). The order is part of the
code, so the result is the same bit for bit on any CPU (a machine with narrower vectors splits
each 4-wide operation in two, exactly). About 3.5x faster than a scalar loop with four partial sums.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["LANE_WIDTH", "dot_prefix"]

_VECTOR = 4  # doubles per vector
_VECTORS = 2  # independent vectors of partial sums
LANE_WIDTH = _VECTOR * _VECTORS
"""The number of partial sums (lanes) of :func:`dot_prefix`."""


def _is_c_float_array(ty: types.Type) -> bool:
    return isinstance(ty, types.Array) and ty.layout == "C" and ty.dtype == types.float64


@njit(cache=True, nogil=True)
def dot_prefix(a: np.ndarray, offset: int, b: np.ndarray, n: int) -> float:
    """``sum_{i < n} a.flat[offset + i] * b[i]`` in the fixed lane order of the module docstring.

    ``a`` is a C-contiguous float64 array of any dimension, ``b`` a C-contiguous 1-D float64 array;
    ``offset`` and ``n`` are integers with ``offset + n <= a.size`` and ``n <= b.size`` (unchecked:
    for kernels that own their arrays).
    """
    return _lane_dot(a, offset, b, n)  # type: ignore[call-arg]  # typingctx is numba's, not an argument


@intrinsic
def _lane_dot(typingctx, a, offset, b, n):
    """The LLVM IR of :func:`dot_prefix` (typing: C-contiguous float64 arrays, integer offset and n)."""
    if not (_is_c_float_array(a) and _is_c_float_array(b) and b.ndim == 1):
        return None
    if not (isinstance(offset, types.Integer) and isinstance(n, types.Integer)):
        return None
    signature = types.float64(a, offset, b, n)

    def codegen(context, builder, sig, args):
        first = context.make_array(sig.args[0])(context, builder, args[0])
        second = context.make_array(sig.args[2])(context, builder, args[2])
        index_type = ir.IntType(64)
        start = context.cast(builder, args[1], sig.args[1], types.int64)
        count = context.cast(builder, args[3], sig.args[3], types.int64)
        pa = builder.gep(first.data, [start])
        pb = second.data
        double = ir.DoubleType()
        vector = ir.VectorType(double, _VECTOR)
        sums = [cgutils.alloca_once_value(builder, ir.Constant(vector, [0.0] * _VECTOR)) for _ in range(_VECTORS)]
        blocks = builder.sdiv(count, ir.Constant(index_type, LANE_WIDTH))
        with cgutils.for_range(builder, blocks) as loop:
            base = builder.mul(loop.index, ir.Constant(index_type, LANE_WIDTH))
            for k, total in enumerate(sums):
                at = builder.add(base, ir.Constant(index_type, k * _VECTOR))
                left = builder.load(builder.bitcast(builder.gep(pa, [at]), vector.as_pointer()), align=8)
                right = builder.load(builder.bitcast(builder.gep(pb, [at]), vector.as_pointer()), align=8)
                builder.store(builder.fadd(builder.load(total), builder.fmul(left, right)), total)
        tail = cgutils.alloca_once_value(builder, ir.Constant(double, 0.0))
        done = builder.mul(blocks, ir.Constant(index_type, LANE_WIDTH))
        with cgutils.for_range_slice(builder, done, count, ir.Constant(index_type, 1), inc=True) as (i, _):
            product = builder.fmul(builder.load(builder.gep(pa, [i])), builder.load(builder.gep(pb, [i])))
            builder.store(builder.fadd(builder.load(tail), product), tail)
        lanes = []
        for total in sums:
            value = builder.load(total)
            lanes += [builder.extract_element(value, ir.Constant(ir.IntType(32), k)) for k in range(_VECTOR)]
        while len(lanes) > 1:  # ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
            lanes = [builder.fadd(lanes[2 * k], lanes[2 * k + 1]) for k in range(len(lanes) // 2)]
        return builder.fadd(lanes[0], builder.load(tail))

    return signature, codegen
