"""How the indicator kernels are compiled: numba, cached on disk, one signature per kernel.

* ``kernel`` compiles lazily (on first call) with ``cache=True``: the machine code is kept
  in ``__pycache__`` beside the source (or ``NUMBA_CACHE_DIR``), so only the very first
  process on a machine pays the compile. Where no cache directory is writable numba would
  refuse ``cache=True`` outright; then the kernels compile in memory on every start
  instead of failing the import.
* ``error_model="numpy"``: a division by zero gives inf/NaN as numpy does (TA-Lib's C
  semantics), never a ``ZeroDivisionError``. No ``fastmath``: reassociation or contraction
  would change the rounding the TA-Lib comparison depends on.
* ``ro`` hands every array to a kernel as a read-only C-contiguous float64 view. numba
  types read-only and writable arrays differently; without this a caller passing a
  read-only array (a pandas/pyarrow zero-copy column) would trigger a second compile of
  every kernel it touches.
* ``fma`` is a correctly rounded fused multiply-add (LLVM lowers it to the FMA instruction
  or to libm's ``fma``): TA-Lib >= 0.7 updates its EMA with ``fma``, and we round the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

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


@intrinsic
def fma(typingctx: Any, a: Any, b: Any, c: Any) -> Any:
    """``a*b + c`` rounded once, inside jitted code."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        dbl = ir.DoubleType()
        fnty = ir.FunctionType(dbl, [dbl, dbl, dbl])
        fn = builder.module.declare_intrinsic("llvm.fma", [dbl], fnty)
        return builder.call(fn, args)

    return sig, codegen
