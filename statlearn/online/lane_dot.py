"""Dot products for numba kernels that use the vector units with a fixed order of summation.

Without ``fastmath`` the compiler keeps the order of a floating-point sum as written, so a dot
product written as a loop runs one addition at a time (its partial sums are not reordered into
vector lanes). With ``fastmath`` it would be vectorised, but in an order that follows the CPU's
vector width, and a seed would no longer give the same numbers on every machine. :func:`dot_rows`
instead states the lanes explicitly in LLVM IR: element ``i`` of a product is added to the partial
sum of lane ``i mod 8``, held in one 8-wide vector, the elements past the last multiple of 8 to a
scalar tail in order, and the result is::

    ((s_0 + s_1) + (s_2 + s_3)) + ((s_4 + s_5) + (s_6 + s_7)) + tail,

one rounding per multiplication and per addition (no fused multiply-add). The order is part of the
code, so the result is the same bit for bit on any CPU (a machine with narrower vectors splits
each 8-wide operation into narrower ones, exactly). :func:`dot_rows` computes :data:`SLOTS` such
dot products in one pass over ``b``: the rows of a matrix with ``b``, and ``b`` with itself, whose
independent sums keep the vector units busy (about 3x faster than one dot product at a time).
:func:`scale_add_row`, the SGD update of one row, is written in the same way because the compiler
does not vectorise it in a numba loop (it cannot rule out that the row and ``b`` overlap).
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["LANE_WIDTH", "SLOTS", "dot_rows", "scale_add_row"]

LANE_WIDTH = 8
"""The number of partial sums (lanes) of each dot product."""

SLOTS = 5
"""Dot products computed by one call of :func:`dot_rows` (K + M rows and ``b . b`` at K = M = 2)."""


def _is_c_float_array(ty: types.Type, ndim: int) -> bool:
    return isinstance(ty, types.Array) and ty.layout == "C" and ty.dtype == types.float64 and ty.ndim == ndim


@njit(cache=True, nogil=True)
def dot_rows(a: np.ndarray, first: int, b: np.ndarray, n: int) -> tuple:
    """:data:`SLOTS` dot products in the lane order of the module docstring, in one pass over ``b``.

    Slot ``s`` is ``sum_{i < n} a[first + s, i] * b[i]`` if ``first + s < a.shape[0]``, else
    ``sum_{i < n} b[i] * b[i]``. ``a`` is a C-contiguous 2-D float64 array with ``n <= a.shape[1]``,
    ``b`` a C-contiguous 1-D float64 array with ``n <= b.size`` (unchecked: for kernels that own
    their arrays). Returns a tuple of :data:`SLOTS` floats.
    """
    return _lane_dots(a, first, b, n)  # type: ignore[call-arg]  # typingctx is numba's, not an argument


@intrinsic
def _lane_dots(typingctx, a, first, b, n):
    """The LLVM IR of :func:`dot_rows` (typing: C-contiguous float64 arrays, integer first and n)."""
    if not (_is_c_float_array(a, 2) and _is_c_float_array(b, 1)):
        return None
    if not (isinstance(first, types.Integer) and isinstance(n, types.Integer)):
        return None
    signature = types.UniTuple(types.float64, SLOTS)(a, first, b, n)

    def codegen(context, builder, sig, args):
        matrix = context.make_array(sig.args[0])(context, builder, args[0])
        vector_b = context.make_array(sig.args[2])(context, builder, args[2])
        index_type = ir.IntType(64)
        start = context.cast(builder, args[1], sig.args[1], types.int64)
        count = context.cast(builder, args[3], sig.args[3], types.int64)
        rows, columns = cgutils.unpack_tuple(builder, matrix.shape, 2)
        pb = vector_b.data
        pointers = []
        for s in range(SLOTS):
            row = builder.add(start, ir.Constant(index_type, s))
            inside = builder.icmp_signed("<", row, rows)
            at_row = builder.gep(matrix.data, [builder.mul(row, columns)])
            pointers.append(builder.select(inside, at_row, pb))
        double = ir.DoubleType()
        vector = ir.VectorType(double, LANE_WIDTH)
        sums = [cgutils.alloca_once_value(builder, ir.Constant(vector, [0.0] * LANE_WIDTH)) for _ in range(SLOTS)]
        blocks = builder.sdiv(count, ir.Constant(index_type, LANE_WIDTH))
        with cgutils.for_range(builder, blocks) as loop:
            at = builder.mul(loop.index, ir.Constant(index_type, LANE_WIDTH))
            right = builder.load(builder.bitcast(builder.gep(pb, [at]), vector.as_pointer()), align=8)
            for pa, total in zip(pointers, sums):
                left = builder.load(builder.bitcast(builder.gep(pa, [at]), vector.as_pointer()), align=8)
                builder.store(builder.fadd(builder.load(total), builder.fmul(left, right)), total)
        tails = [cgutils.alloca_once_value(builder, ir.Constant(double, 0.0)) for _ in range(SLOTS)]
        done = builder.mul(blocks, ir.Constant(index_type, LANE_WIDTH))
        with cgutils.for_range_slice(builder, done, count, ir.Constant(index_type, 1), inc=True) as (i, _):
            right = builder.load(builder.gep(pb, [i]))
            for pa, tail in zip(pointers, tails):
                product = builder.fmul(builder.load(builder.gep(pa, [i])), right)
                builder.store(builder.fadd(builder.load(tail), product), tail)
        results = []
        for total, tail in zip(sums, tails):
            value = builder.load(total)
            lanes = [builder.extract_element(value, ir.Constant(ir.IntType(32), k)) for k in range(LANE_WIDTH)]
            while len(lanes) > 1:  # ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
                lanes = [builder.fadd(lanes[2 * k], lanes[2 * k + 1]) for k in range(len(lanes) // 2)]
            results.append(builder.fadd(lanes[0], builder.load(tail)))
        return context.make_tuple(builder, sig.return_type, results)

    return signature, codegen


@njit(cache=True, nogil=True)
def scale_add_row(a: np.ndarray, row: int, d: float, c: float, b: np.ndarray, n: int) -> None:
    """``a[row, i] = d * a[row, i] + c * b[i]`` for ``i < n``, in place, in 8-wide vectors.

    Each element is rounded as written (two products, then their sum; no fused multiply-add), so
    the result does not depend on the vector width. ``a`` is a C-contiguous 2-D float64 array,
    ``b`` a C-contiguous 1-D float64 array, ``n <= min(a.shape[1], b.size)`` and ``row`` a valid
    row (unchecked: for kernels that own their arrays); ``b`` must not overlap the row.
    """
    _lane_scale_add(a, row, d, c, b, n)  # type: ignore[call-arg]  # typingctx is numba's, not an argument


@intrinsic
def _lane_scale_add(typingctx, a, row, d, c, b, n):
    """The LLVM IR of :func:`scale_add_row` (typing: C-contiguous float64 arrays, integer row and n)."""
    if not (_is_c_float_array(a, 2) and _is_c_float_array(b, 1)):
        return None
    if not all(isinstance(ty, types.Integer) for ty in (row, n)) or not all(
        isinstance(ty, types.Float) for ty in (d, c)
    ):
        return None
    signature = types.void(a, row, d, c, b, n)

    def codegen(context, builder, sig, args):
        matrix = context.make_array(sig.args[0])(context, builder, args[0])
        vector_b = context.make_array(sig.args[4])(context, builder, args[4])
        index_type = ir.IntType(64)
        rows, columns = cgutils.unpack_tuple(builder, matrix.shape, 2)
        start = builder.mul(context.cast(builder, args[1], sig.args[1], types.int64), columns)
        count = context.cast(builder, args[5], sig.args[5], types.int64)
        scalars = [context.cast(builder, args[k], sig.args[k], types.float64) for k in (2, 3)]
        pa, pb = builder.gep(matrix.data, [start]), vector_b.data
        double = ir.DoubleType()
        vector = ir.VectorType(double, LANE_WIDTH)
        splats = []
        for scalar in scalars:
            value = ir.Constant(vector, ir.Undefined)
            for k in range(LANE_WIDTH):
                value = builder.insert_element(value, scalar, ir.Constant(ir.IntType(32), k))
            splats.append(value)
        blocks = builder.sdiv(count, ir.Constant(index_type, LANE_WIDTH))
        with cgutils.for_range(builder, blocks) as loop:
            at = builder.mul(loop.index, ir.Constant(index_type, LANE_WIDTH))
            where = builder.bitcast(builder.gep(pa, [at]), vector.as_pointer())
            left = builder.fmul(splats[0], builder.load(where, align=8))
            right = builder.fmul(
                splats[1], builder.load(builder.bitcast(builder.gep(pb, [at]), vector.as_pointer()), align=8)
            )
            builder.store(builder.fadd(left, right), where, align=8)
        done = builder.mul(blocks, ir.Constant(index_type, LANE_WIDTH))
        with cgutils.for_range_slice(builder, done, count, ir.Constant(index_type, 1), inc=True) as (i, _):
            where = builder.gep(pa, [i])
            left = builder.fmul(scalars[0], builder.load(where))
            builder.store(builder.fadd(left, builder.fmul(scalars[1], builder.load(builder.gep(pb, [i])))), where)
        return context.get_dummy_value()

    return signature, codegen
