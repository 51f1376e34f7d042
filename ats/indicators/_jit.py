"""How the indicator kernels are compiled: numba, cached on disk, one signature per kernel.

* ``kernel`` compiles lazily (on first call) with ``cache=True``: the machine code is kept
  in ``__pycache__`` beside the source (or ``NUMBA_CACHE_DIR``), so only the very first
  process on a machine pays the compile. Where no cache directory is writable numba would
  refuse ``cache=True`` outright; then the kernels compile in memory on every start
  instead of failing the import. numba keys a cached kernel on its *own* source file's
  timestamp only: after editing this file (``fma``), delete
  ``ats/indicators/__pycache__/*.nb[ic]`` so the kernels recompile against it.
* ``error_model="numpy"``: a division by zero gives inf/NaN as numpy does (TA-Lib's C
  semantics), never a ``ZeroDivisionError``. No ``fastmath``: reassociation or contraction
  would change the rounding the TA-Lib comparison depends on.
* ``ro`` hands every array to a kernel as a read-only C-contiguous float64 view. numba
  types read-only and writable arrays differently; without this a caller passing a
  read-only array (a pandas/pyarrow zero-copy column) would trigger a second compile of
  every kernel it touches.
* ``fma`` is a correctly rounded fused multiply-add (LLVM lowers it to the FMA instruction
  or to libm's ``fma``): TA-Lib >= 0.7 updates its EMA with ``fma``, and we round the same.
  Called from plain Python (a kernel's ``py_func``, which the tests run to check the
  compiled code against its source) it computes the same rounding exactly with fractions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any, TypeVar

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic, overload

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS: dict[str, Any] = {"nogil": True, "error_model": "numpy"}


def kernel(fn: F) -> F:
    """``numba.njit`` with the options above; cached where a cache directory is usable."""
    try:
        return numba.njit(cache=True, **_OPTIONS)(fn)  # type: ignore[no-any-return]
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(**_OPTIONS)(fn)  # type: ignore[no-any-return]


def ro(arr: np.ndarray) -> np.ndarray:
    """A read-only view of a C-contiguous float64 array (see the module docstring)."""
    view = arr.view()
    view.flags.writeable = False
    return view


def fma(a: float, b: float, c: float) -> float:
    """``a*b + c`` rounded once."""
    if not (math.isfinite(a) and math.isfinite(b) and math.isfinite(c)):
        return a * b + c  # inf/NaN: the single rounding does not matter
    return float(Fraction(a) * Fraction(b) + Fraction(c))


@intrinsic
def _llvm_fma(typingctx: Any, a: Any, b: Any, c: Any) -> Any:
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        dbl = ir.DoubleType()
        fnty = ir.FunctionType(dbl, [dbl, dbl, dbl])
        fn = builder.module.declare_intrinsic("llvm.fma", [dbl], fnty)
        return builder.call(fn, args)

    return sig, codegen


@overload(fma)
def _fma_jitted(a: Any, b: Any, c: Any) -> Any:
    def impl(a: Any, b: Any, c: Any) -> Any:  # numba wants the overload's own signature
        return _llvm_fma(a, b, c)

    return impl
