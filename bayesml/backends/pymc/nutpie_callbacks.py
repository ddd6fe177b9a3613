"""nutpie's C callbacks, written so that numba compiles them in a fraction of the time.

nutpie wraps the numba-compiled log density (and the function that computes the stored values) in
numba ``cfunc`` callbacks, which numba cannot cache on disk: they are compiled again in every
process. nutpie 0.16's callbacks copy the gradient with ``out[...] = grad``, a broadcasting
assignment whose numba implementation (shape checks that format their error messages) takes about
1.5 s to compile; with the ``np.all(np.isfinite(out))`` check, the callbacks cost 2 s of the 3.5 s
a warm fit of bacteria spends compiling. The callbacks below do the same with element loops: the
same log density, gradient, return codes and draws (bit for bit; tested), compiled in about 0.1 s.

:func:`fast_callbacks` swaps them in for the duration of a ``nutpie.compile_pymc_model`` call, only
for the nutpie versions they were checked against (:data:`CHECKED_VERSIONS`) and only where
nutpie's private functions still have the signatures they replace; otherwise nutpie's own
callbacks are used, unchanged.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

__all__ = ["CHECKED_VERSIONS", "fast_callbacks", "applies"]

#: nutpie minor versions whose ``_make_c_logp_func`` / ``_make_c_expand_func`` these replace
CHECKED_VERSIONS = ("0.16.",)

_LOGP_PARAMETERS = ["n_dim", "logp_fn", "user_data", "shared_keys", "shared_data"]
_EXPAND_PARAMETERS = [
    "n_dim",
    "n_expanded",
    "expand_fn",
    "user_data",
    "shared_var_keys",
    "shared_data",
]


def _c_signature(numba: Any, *, sizes: int, arrays: int) -> Any:
    """``int64(uint64 × sizes, double* × arrays, void*)``: the C signature of nutpie's callbacks
    (the sizes they are called with, the input/output arrays, the user data)."""
    types = numba.types
    pointers = [types.CPointer(types.double)] * arrays
    return types.int64(*[types.uint64] * sizes, *pointers, types.voidptr)


def _extraction(module: Any, inner: Any, shared_data: dict, keys: list, record_dtype: Any):
    """``extract(x, user_data)``: ``inner(x, *shared arrays)``, the arrays read from the user
    data's pointers and sizes. nutpie's ``make_extraction_fn`` handles arrays of any rank with
    generic numba overloads that take seconds to compile; for vectors (the shared inputs of
    :mod:`bayesml.backends.pymc.compile_cache`) the straight code below compiles in a fraction
    of that and reads the same memory. Other ranks, or no shared inputs, use nutpie's."""
    import numba

    keys = list(keys)
    if not keys or any(np.ndim(shared_data[key]) != 1 for key in keys):
        return module.make_extraction_fn(inner, shared_data, keys, record_dtype)
    # the byte offsets of each array's pointer and size in the user data (a record of uintp
    # fields): read as words, without typing the nested record
    offsets = []
    shared = record_dtype.fields["shared"]
    for key in keys:
        data = shared[0].fields["data"]
        size = shared[0].fields["size"]
        offsets.append(
            (
                shared[1] + data[1] + data[0].fields[key][1],
                shared[1] + size[1] + size[0].fields[key][1],
            )
        )
    if any(offset % 8 for pair in offsets for offset in pair) or record_dtype.itemsize % 8:
        return module.make_extraction_fn(inner, shared_data, keys, record_dtype)
    names = {
        "carray": numba.carray,
        "address": module.address_as_void_pointer,
        "uint64": np.uint64,
        "inner": inner,
    }
    lines = [
        "def extract(x, user_data_):",
        f"    words = carray(user_data_, {record_dtype.itemsize // 8}, uint64)",
    ]
    for index, (data, size) in enumerate(offsets):
        names[f"dtype{index}"] = np.dtype(shared_data[keys[index]].dtype)
        lines.append(
            f"    a{index} = carray(address(words[{data // 8}]), "
            f"int(words[{size // 8}]), dtype{index})"
        )
    lines.append(f"    return inner(x, {', '.join(f'a{i}' for i in range(len(keys)))})")
    exec("\n".join(lines), names)  # noqa: S102  (generated from integer offsets only)
    return numba.njit(names["extract"])


def _logp_callback(module: Any):
    def make_logp_callback(n_dim, logp_fn, user_data, shared_keys, shared_data):
        import numba

        extract = _extraction(module, logp_fn, shared_data, shared_keys, user_data.dtype)
        signature = _c_signature(numba, sizes=1, arrays=3)

        def logp_callback(dim, x_, out_, logp_, user_data_):
            if dim != n_dim:
                return -1
            try:
                x = numba.carray(x_, (n_dim,))
                logp_value, gradient = extract(x, user_data_)
                logp_[0] = logp_value
                finite = True
                for index in range(n_dim):
                    value = gradient[index]
                    out_[index] = value
                    if not np.isfinite(value):
                        finite = False
                if not finite:
                    return 3
                if not np.isfinite(logp_value):
                    return 4
            except Exception:  # noqa: BLE001  (nutpie's return code for a failed evaluation)
                return 1
            return 0

        return logp_callback, signature

    return make_logp_callback


def _expand_callback(module: Any):
    def make_expand_callback(n_dim, n_expanded, expand_fn, user_data, shared_var_keys, shared_data):
        import numba

        extract = _extraction(module, expand_fn, shared_data, shared_var_keys, user_data.dtype)
        signature = _c_signature(numba, sizes=2, arrays=2)

        def expand_callback(dim, expanded, x_, out_, user_data_):
            if dim != n_dim:
                return -1
            if expanded != n_expanded:
                return -1
            try:
                x = numba.carray(x_, (n_dim,))
                (values,) = extract(x, user_data_)
                for index in range(n_expanded):
                    out_[index] = values[index]
            except Exception:  # noqa: BLE001  (nutpie's return code for a failed evaluation)
                return -2
            return 0

        return expand_callback, signature

    return make_expand_callback


def _parameters(function: Any) -> list[str]:
    return list(inspect.signature(function).parameters)


def applies(nutpie_module: Any, compile_module: Any) -> bool:
    """Whether the installed nutpie is one the fast callbacks were checked against."""
    version = str(getattr(nutpie_module, "__version__", ""))
    if not version.startswith(CHECKED_VERSIONS):
        return False
    try:
        return (
            _parameters(compile_module._make_c_logp_func) == _LOGP_PARAMETERS
            and _parameters(compile_module._make_c_expand_func) == _EXPAND_PARAMETERS
            and callable(compile_module.make_extraction_fn)
            and callable(compile_module.address_as_void_pointer)
        )
    except (AttributeError, TypeError, ValueError):
        return False


@contextmanager
def fast_callbacks() -> Iterator[bool]:
    """Within the block, ``nutpie.compile_pymc_model`` builds the fast callbacks.

    Yields whether they are in use (False, and nutpie untouched, for an unchecked version). Not
    thread-safe: it swaps two functions of ``nutpie.compile_pymc`` for the block's duration.
    """
    import nutpie
    import nutpie.compile_pymc as compile_module

    if not applies(nutpie, compile_module):
        yield False
        return
    originals = compile_module._make_c_logp_func, compile_module._make_c_expand_func
    compile_module._make_c_logp_func = _logp_callback(compile_module)
    compile_module._make_c_expand_func = _expand_callback(compile_module)
    try:
        yield True
    finally:
        compile_module._make_c_logp_func, compile_module._make_c_expand_func = originals
