"""Compile nutpie's log density once per model *structure*, not once per model.

Compiling the log density and its gradient (PyTensor's rewrites, then numba) costs seconds; the
sampling itself often costs less. Two models that differ only in the *values* of their prior
hyperparameters or data (a prior-sensitivity run, a refit on new data of the same shape, a
simulation study) have the same log-density code, so the compiled function can be reused with
the new values as its inputs.

:func:`lift_values` rebuilds a PyMC model with those values as shared variables (inputs of the
compiled function) instead of constants baked into the code:

* every floating-point parameter of a random variable that is a constant (the prior
  hyperparameters: ``sigma`` of a half-normal SD prior, ``eta`` of an LKJ prior, ...);
* the observed values;
* every floating-point array (design columns, offsets, weights) and every integer index array of
  an indexing operation (the group index of a random effect).

Everything else stays a constant, part of the structure: shapes (the number of rows, levels and
coefficients are static), integer scalars, the coordinates' labels, and floating-point scalars
written into the graph by arithmetic (e.g. the location and scale of a Cauchy coefficient prior,
built as μ + σ·tan(…)): a change there compiles anew.

:func:`compile_nutpie` keys the compiled model by a hash of the lifted model's log-density,
initial-point and stored-value graphs, with the lifted values left out (their types and shapes
kept), so two models share a compiled function exactly when its code is the same. A cache hit
swaps the new values in (``CompiledPyMCModel.with_data``), costing milliseconds. The cache lives
in the process (:data:`CACHE`, least recently used entries dropped beyond
:data:`MAX_ENTRIES`); across processes, PyTensor's and numba's disk caches (``PYTENSOR_FLAGS``'
``base_compiledir``, ``NUMBA_CACHE_DIR``) keep the numba-compiled code, whose source no longer
contains the values, so a new process reuses it for every model of the same structure. PyTensor's
rewrites of the log-density graph (seconds per model) are not cached by PyTensor across
processes: :func:`compile_nutpie` stores nutpie's rewritten and linked PyTensor functions
(pickled, keyed by the structure and the library versions, with a format version
:data:`DISK_FORMAT`) under :func:`disk_cache_dir`, and a new process loads them instead of
rewriting the graph again. A file that cannot be read, was written for another structure or by
other library versions, or does not fit the model is ignored (the model is compiled as usual and
the file rewritten): a cache file never decides a result. The folder holds pickles, which run
code when loaded: keep it private to the user (as PyTensor's own compile directory).

Lifting keeps the arithmetic but not PyTensor's constant folding of expressions of the values
(e.g. log σ of a prior scale is computed at each evaluation instead of once), so draws can differ
from those of the unlifted graph in the last bits, and hence over a long chain; the posterior is
the same. A model that cannot be lifted (initial values set on its variables) is compiled as is,
without the cache.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import pickle
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pymc as pm
import pytensor
from pytensor.graph.basic import Constant, Variable
from pytensor.graph.traversal import io_toposort
from pytensor.tensor.sharedvar import TensorSharedVariable
from pytensor.tensor.variable import TensorConstant

__all__ = [
    "CACHE",
    "CacheStats",
    "LiftedModel",
    "MAX_ENTRIES",
    "DISK_FORMAT",
    "clear_cache",
    "compile_nutpie",
    "disk_cache_dir",
    "forward_key",
    "lift_values",
    "structure_key",
]

logger = logging.getLogger(__name__)

#: prefix of the shared variables that hold the lifted values
LIFTED_PREFIX = "__bayesml_value_"
#: compiled models kept per process
MAX_ENTRIES = 16


@dataclass
class CacheStats:
    """Counts of :func:`compile_nutpie` calls: ``hits`` reused a compiled model of this
    process, ``misses`` compiled one (and stored it), ``disk_hits`` are the misses whose
    numba-compiled log density came from the disk cache (compiled by an earlier process),
    ``file_hits`` are the misses whose rewritten PyTensor functions were loaded from bayesml's
    own disk cache (:func:`disk_cache_dir`, written by an earlier process) instead of being
    rewritten again, ``uncached`` compiled a model that could not be lifted."""

    hits: int = 0
    misses: int = 0
    disk_hits: int = 0
    file_hits: int = 0
    uncached: int = 0


@dataclass
class _Entry:
    compiled: Any  # nutpie's CompiledPyMCModel
    shared: list[TensorSharedVariable]  # the lifted model's shared values, in lifting order
    start_lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)


class _Cache:
    def __init__(self) -> None:
        self.entries: OrderedDict[str, _Entry] = OrderedDict()
        self.stats = CacheStats()
        self.lock = threading.Lock()


CACHE = _Cache()
"""The per-process cache: ``CACHE.stats`` counts hits and misses."""


def clear_cache() -> None:
    """Drop every compiled model of the per-process cache and reset its counts."""
    with CACHE.lock:
        CACHE.entries.clear()
        CACHE.stats = CacheStats()


# -- lifting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiftedModel:
    """A PyMC model whose values are shared variables, and those values in lifting order."""

    model: pm.Model
    shared: list[TensorSharedVariable]
    values: list[np.ndarray]


def _index_ops() -> tuple[type, ...]:
    from pytensor.tensor import subtensor

    return tuple(
        getattr(subtensor, name)
        for name in ("AdvancedSubtensor", "AdvancedIncSubtensor", "AdvancedSubtensor1",
                     "AdvancedIncSubtensor1")
        if hasattr(subtensor, name)
    )  # fmt: skip


def _random_ops() -> tuple[type, ...]:
    from pymc.distributions.distribution import SymbolicRandomVariable
    from pytensor.tensor.random.op import RandomVariable

    return RandomVariable, SymbolicRandomVariable


def _liftable(node: Any, position: int, constant: TensorConstant, kinds: dict, data: bool) -> bool:
    """Whether ``constant``, input ``position`` of ``node``, is a value rather than structure
    (the data arrays only where ``data``)."""
    from pymc.model.fgraph import ModelObservedRV

    dtype = np.dtype(constant.type.dtype)
    floating = dtype.kind == "f"
    if isinstance(node.op, ModelObservedRV):
        return data and position == 1  # the observed values
    if isinstance(node.op, kinds["random"]):
        # the distribution parameters follow the rng and size inputs
        return floating and any(constant is param for param in _dist_params(node))
    if not data:
        return False
    if isinstance(node.op, kinds["index"]) and position > 0 and dtype.kind in "iu":
        return constant.type.ndim >= 1
    return floating and constant.type.ndim >= 1


def _dist_params(node: Any) -> tuple:
    """The distribution parameters of a random variable's node; none for a symbolic random
    variable without an extended signature (the hurdle families' ``CustomDist``), whose
    constants then stay in the compiled code (structure)."""
    if not hasattr(node.op, "dist_params"):
        return ()
    try:
        return tuple(node.op.dist_params(node))
    except ValueError:
        return ()


def _constant_expression_inputs(params: Sequence[Variable]) -> list[TensorConstant]:
    """The floating-point constants of the parameters that are expressions of constants only
    (PyMC writes some parameters so: an exponential's rate λ becomes the scale 1/λ)."""
    from pytensor.graph.traversal import ancestors

    found: list[TensorConstant] = []
    for param in params:
        if isinstance(param, Constant) or param.owner is None:
            continue
        roots = [var for var in ancestors([param]) if var.owner is None]
        if all(isinstance(var, Constant) for var in roots):
            found.extend(
                var
                for var in roots
                if isinstance(var, TensorConstant) and np.dtype(var.type.dtype).kind == "f"
            )
    return found


def _packed(
    constants: Sequence[TensorConstant],
) -> tuple[list[TensorSharedVariable], dict[Variable, Variable]]:
    """One shared vector per dtype holding ``constants``' values one after another, and each
    constant's replacement: its slice of the vector, reshaped (same type). Few inputs keep the
    compiled function's entry point cheap to compile: numba compiles nutpie's unpacking of the
    shared inputs in a time that grows fast with their number."""

    by_dtype: dict[str, list[TensorConstant]] = {}
    for constant in constants:
        by_dtype.setdefault(str(constant.type.dtype), []).append(constant)
    shared: list[TensorSharedVariable] = []
    replacements: dict[Variable, Variable] = {}
    for dtype, group in by_dtype.items():
        values = [np.asarray(constant.data, dtype=dtype).ravel() for constant in group]
        flat = np.concatenate(values)
        vector = pytensor.shared(flat, name=f"{LIFTED_PREFIX}{dtype}", shape=flat.shape)
        shared.append(vector)
        offset = 0
        for constant, value in zip(group, values, strict=True):
            shape = tuple(np.shape(constant.data))
            if shape:
                piece = vector[offset : offset + value.size].reshape(shape)
            else:
                piece = vector[offset]
            replacements[constant] = constant.type.filter_variable(piece)
            offset += value.size
    return shared, replacements


def lift_values(model: pm.Model, *, data: bool = True) -> LiftedModel | None:
    """A copy of ``model`` with its values (module docstring) as shared variables, or None
    where the model cannot be converted (initial values set on its variables)."""
    from pymc.model.fgraph import fgraph_from_model, model_from_fgraph

    if any(value is not None for value in model.rvs_to_initial_values.values()):
        return None
    try:
        fgraph, _ = fgraph_from_model(model)
    except (NotImplementedError, ValueError) as error:
        logger.debug("model not lifted: %s", error)
        return None
    kinds = {"random": _random_ops(), "index": _index_ops()}
    chosen: dict[Variable, None] = {}
    for node in fgraph.toposort():
        for position, variable in enumerate(node.inputs):
            if isinstance(variable, TensorConstant) and variable not in chosen:
                if _liftable(node, position, variable, kinds, data):
                    chosen[variable] = None
        if isinstance(node.op, kinds["random"]):
            for constant in _constant_expression_inputs(_dist_params(node)):
                chosen.setdefault(constant, None)
    shared, replacements = _packed(list(chosen))
    if replacements:
        fgraph.replace_all(tuple(replacements.items()), import_missing=True)
    lifted = model_from_fgraph(fgraph, mutate_fgraph=True)
    lifted.check_bounds = model.check_bounds
    # the conversion orders the variables by the graph; nutpie lays out its parameter vector
    # (and so the draws of a seed) in the order of free_RVs: keep the model's own order
    for kind in ("free_RVs", "observed_RVs", "deterministics", "potentials"):
        order = {var.name: index for index, var in enumerate(getattr(model, kind))}
        ordered = sorted(getattr(lifted, kind), key=lambda var, order=order: order[var.name])
        target = getattr(lifted, kind)
        target.clear()
        target.extend(ordered)
    return LiftedModel(lifted, shared, [np.asarray(var.get_value()) for var in shared])


# -- the structural key --------------------------------------------------------------------


def _op_signature(op: Any, seen: dict) -> str:
    kind = f"{type(op).__module__}.{type(op).__qualname__}"
    props = getattr(op, "__props__", None)
    if props:
        description = repr(
            [(name, _stable_description(getattr(op, name)) or getattr(op, name)) for name in props]
        )
    else:
        description = str(op)
    inner = getattr(op, "fgraph", None)
    if inner is not None and hasattr(inner, "outputs"):
        description += "|" + _graph_digest(inner.inputs, inner.outputs, seen)
    return f"{kind}{description}"


def _graph_digest(inputs: Sequence[Variable], outputs: Sequence[Variable], seen: dict) -> str:
    """A hash of the graph from ``inputs`` to ``outputs``: its operations and how they connect,
    the values of its constants, the types (not the values) of its shared variables."""
    digest = hashlib.sha256()
    ids: dict[Variable, int] = {}

    def name_of(variable: Variable) -> int:
        if variable in ids:
            return ids[variable]
        ids[variable] = len(ids)
        if isinstance(variable, Constant):
            data = np.asarray(variable.data)
            part = f"c{variable.type}{data.dtype}{data.shape}"
            digest.update(part.encode())
            if data.dtype.kind == "O":  # None (an absent size): its bytes are an address
                digest.update(repr(variable.data).encode())
            else:
                digest.update(np.ascontiguousarray(data).tobytes())
        elif getattr(variable, "owner", None) is None:
            # inputs and shared variables: their type and name, never their value
            digest.update(f"v{variable.type}{variable.name}".encode())
        return ids[variable]

    for variable in inputs:
        name_of(variable)
    for node in io_toposort(list(inputs), list(outputs)):
        arguments = [name_of(variable) for variable in node.inputs]
        digest.update(f"n{_op_signature(node.op, seen)}{arguments}".encode())
        for output in node.outputs:
            ids[output] = len(ids)
            digest.update(f"o{output.type}".encode())
    digest.update(f"out{[name_of(variable) for variable in outputs]}".encode())
    return digest.hexdigest()


def _stable_description(value: Any) -> str | None:
    """A description of an operation's property that is the same in every process (a PyMC
    transform by its class and attributes), or None where there is none (an object shown by
    its address)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return repr(value)
    if isinstance(value, (tuple, list)):
        parts = [_stable_description(item) for item in value]
        return None if any(part is None for part in parts) else f"({','.join(parts)})"
    kind = f"{type(value).__module__}.{type(value).__qualname__}"
    if not kind.startswith("pymc.logprob.transforms.") and not kind.startswith(
        "pymc.distributions.transforms."
    ):
        return None
    attributes = [(name, _stable_description(item)) for name, item in sorted(vars(value).items())]
    if any(part is None for _, part in attributes):
        return None
    return f"{kind}{attributes}"


def _importable(kind: type) -> bool:
    """Whether ``kind`` is the class its module holds under its name (not one made at run
    time)."""
    import importlib

    if "<locals>" in kind.__qualname__:
        return False
    try:
        found: Any = importlib.import_module(kind.__module__)
        for part in kind.__qualname__.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError):
        return False
    return found is kind


def _model_graph_key(model: pm.Model) -> str | None:
    """A hash of ``model``'s own graph (PyMC's model graph: its random variables with their
    transforms, dims, values and data, Deterministics and Potentials), from which its log
    density and initial points follow; None where an operation's property has no stable
    description. Cheaper than hashing the log density, which PyMC builds anew at each call."""
    from pymc.model.fgraph import ModelValuedVar, fgraph_from_model

    try:
        fgraph, _ = fgraph_from_model(model)
    except (NotImplementedError, ValueError):
        return None
    for node in fgraph.apply_nodes:
        if not _importable(type(node.op)):
            # a class made at run time (a CustomDist's), whose log density is registered
            # for the class and need not show in the graph: only the log density's graph says
            return None
        if isinstance(node.op, ModelValuedVar):
            transform = getattr(node.op, "transform", None)
            if transform is not None and _stable_description(transform) is None:
                return None
    return _graph_digest(list(fgraph.inputs), list(fgraph.outputs), {})


def structure_key(model: pm.Model, var_names: Iterable[str] | None = None) -> str:
    """The structure of ``model`` as nutpie compiles it: a hash of its model graph (from which
    its log density, initial points and stored values follow; where that graph cannot be
    described stably, of the log density's, the initial-point expressions' and the stored
    values' graphs), with the values of shared variables left out, of its variables' names,
    types and dims, and of its coordinates."""
    graph = _model_graph_key(model)
    if graph is None:
        graph = _derived_graphs_key(model)
    values = [model.rvs_to_values[var] for var in model.free_RVs]
    stored = list(model.unobserved_value_vars)
    layout = repr(
        (
            [(var.name, str(var.type)) for var in values],
            [var.name for var in stored],
            sorted(var_names) if var_names is not None else None,
            {name: tuple(dims) for name, dims in model.named_vars_to_dims.items()},
            {dim: tuple(map(str, labels)) for dim, labels in model.coords.items() if labels},
            model.check_bounds,
        )
    )
    return hashlib.sha256(f"{graph}|{layout}".encode()).hexdigest()


def _derived_graphs_key(model: pm.Model) -> str:
    """A hash of the log density's, the initial-point expressions' and the stored values'
    graphs of ``model``."""
    from pymc.initial_point import make_initial_point_expression

    free = list(model.free_RVs)
    values = [model.rvs_to_values[var] for var in free]
    starts = make_initial_point_expression(
        free_rvs=free,
        rvs_to_transforms=model.rvs_to_transforms,
        initval_strategies={},
        jitter_rvs=set(free),
        return_transformed=True,
    )
    stored = list(model.unobserved_value_vars)
    outputs = [model.logp(), *starts, *stored]
    return "derived" + _graph_digest(values, outputs, {})


# -- the disk cache of the rewritten functions --------------------------------------------

#: version of the files :func:`compile_nutpie` writes into :func:`disk_cache_dir`; a file of
#: another version (or of other library versions) is never read
DISK_FORMAT = 1
#: nutpie minor versions whose ``_make_functions`` the disk cache stands in for
_DISK_CHECKED_NUTPIE = ("0.16.",)


def disk_cache_dir() -> Path | None:
    """Where :func:`compile_nutpie` keeps the rewritten log-density functions across processes.

    ``$BAYESML_CACHE_DIR`` when set (the empty string turns the disk cache off), else the
    ``bayesml`` folder of PyTensor's ``base_compiledir`` (``PYTENSOR_FLAGS=base_compiledir=...``;
    by default ``~/.pytensor``). Deleting the folder clears the cache; it is rebuilt as models
    are compiled.
    """
    configured = os.environ.get("BAYESML_CACHE_DIR")
    if configured is not None:
        return Path(configured).expanduser() if configured.strip() else None
    return Path(pytensor.config.base_compiledir) / "bayesml"


def _library_versions() -> str:
    from importlib.metadata import version

    names = ("pytensor", "pymc", "nutpie", "numba", "numpy")
    return "|".join(
        [f"format{DISK_FORMAT}", sys.version, *(f"{name}={version(name)}" for name in names)]
    )


def _disk_path(key: str, versions: str) -> Path | None:
    folder = disk_cache_dir()
    if folder is None:
        return None
    name = hashlib.sha256(f"{key}|{versions}".encode()).hexdigest()[:40]
    return folder / f"nutpie-v{DISK_FORMAT}-{name}.pkl"


def _value_sizes(model: Any) -> dict[str, int]:
    """The number of values of each free variable's value variable (from the static shapes,
    else from the initial point)."""
    values = [model.rvs_to_values[var] for var in model.free_RVs]
    shapes = [value.type.shape for value in values]
    if all(size is not None for shape in shapes for size in shape):
        return {
            value.name: int(np.prod(shape)) for value, shape in zip(values, shapes, strict=True)
        }
    return {name: int(np.size(value)) for name, value in model.initial_point(0).items()}


def _load_functions(path: Path, key: str, versions: str, model: Any, lifted_names: set[str]):
    """The stored ``_make_functions`` pieces of ``path``, or None where the file is missing,
    unreadable, of another structure or version, or does not fit ``model`` (then the model is
    compiled as usual: a cache file never decides a result)."""
    try:
        payload = pickle.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except Exception as error:  # a truncated, corrupted or foreign file
        logger.debug("disk cache file %s not used: %s", path, error)
        return None
    try:
        if not (
            isinstance(payload, dict)
            and payload.get("format") == DISK_FORMAT
            and payload.get("key") == key
            and payload.get("versions") == versions
        ):
            return None
        n_dim, n_expanded, logp_fn, expand_fn, shape_info, reparameterized = payload["pieces"]
        names, _, shapes = shape_info
        free = [model.rvs_to_values[var].name for var in model.free_RVs]
        sizes = _value_sizes(model)
        if list(names[: len(free)]) != free or n_dim != sum(sizes[name] for name in free):
            return None
        if any(int(np.prod(shapes[k])) != sizes[name] for k, name in enumerate(free)):
            return None
        # every input the functions read must be one the cache sets to this model's values
        shared = [*logp_fn.get_shared(), *expand_fn.get_shared()]
        if any(variable.name not in lifted_names for variable in shared):
            return None
    except Exception as error:
        logger.debug("disk cache file %s not used: %s", path, error)
        return None
    return n_dim, n_expanded, logp_fn, expand_fn, shape_info, reparameterized


def _store_functions(path: Path, key: str, versions: str, pieces: tuple) -> None:
    """Write ``pieces`` to ``path`` (atomically: a reader sees the old file or the whole new
    one); a failure only costs the next process a compile."""
    payload = {"format": DISK_FORMAT, "key": key, "versions": versions, "pieces": pieces}
    try:
        data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except Exception as error:
        logger.debug("disk cache file %s not written: %s", path, error)


@contextmanager
def _disk_cached_functions(key: str, lifted: LiftedModel) -> Iterator[list[bool]]:
    """While active, nutpie's ``_make_functions`` (the PyTensor rewrites and numba linking of
    the log density and of the stored values, seconds per model) reads its result from the disk
    cache, or computes it and stores it there. Yields a list that holds True once the disk
    cache answered. Only for the nutpie versions checked (:data:`_DISK_CHECKED_NUTPIE`) and
    only where the cache folder is set; otherwise nutpie runs unchanged."""
    loaded: list[bool] = []
    try:
        import nutpie
        from nutpie import compile_pymc as module
    except ImportError:
        yield loaded
        return
    original = getattr(module, "_make_functions", None)
    wrapper = getattr(module, "_rv_dict_to_flat_array_wrapper", None)
    version = getattr(nutpie, "__version__", "")
    path = _disk_path(key, _library_versions())
    if (
        path is None
        or original is None
        or wrapper is None
        or not version.startswith(_DISK_CHECKED_NUTPIE)
    ):
        yield loaded
        return
    versions = _library_versions()
    lifted_names = {variable.name for variable in lifted.shared}

    def make_functions(model, *, mode, compute_grad, join_expanded, pymc_initial_point_fn,
                       var_names=None):  # fmt: skip
        if mode == "NUMBA" and compute_grad and join_expanded:
            pieces = _load_functions(path, key, versions, model, lifted_names)
            if pieces is not None:
                n_dim, n_expanded, logp_fn, expand_fn, shape_info, reparameterized = pieces
                n_free = len(model.free_RVs)
                start = wrapper(
                    pymc_initial_point_fn,
                    names=list(shape_info[0][:n_free]),
                    shapes=list(shape_info[2][:n_free]),
                )
                loaded.append(True)
                return n_dim, n_expanded, logp_fn, expand_fn, start, shape_info, reparameterized
        result = original(
            model,
            mode=mode,
            compute_grad=compute_grad,
            join_expanded=join_expanded,
            pymc_initial_point_fn=pymc_initial_point_fn,
            var_names=var_names,
        )
        if mode == "NUMBA" and compute_grad and join_expanded:
            n_dim, n_expanded, logp_fn, expand_fn, _, shape_info, reparameterized = result
            _store_functions(
                path, key, versions, (n_dim, n_expanded, logp_fn, expand_fn, shape_info,
                                      reparameterized)
            )  # fmt: skip
        return result

    module._make_functions = make_functions
    try:
        yield loaded
    finally:
        module._make_functions = original


def forward_key(model: pm.Model, outputs: Sequence[Variable]) -> str | None:
    """The structure of the forward (prior) sampler of ``outputs``, variables of a lifted
    ``model``: a hash of their graph (shared values by type only) and of the model's dims and
    coordinates; None where the graph reads a shared value that is not a lifted one (its value
    would not be an input of the cached sampler). A dimension's length is a shared value too,
    determined by the coordinates in the hash."""
    from pytensor.graph.traversal import ancestors
    from pytensor.tensor.random.type import RandomType

    lengths = set(model.dim_lengths.values())
    for variable in ancestors(list(outputs)):
        if variable.owner is None and not isinstance(variable, Constant):
            shared = hasattr(variable, "get_value")
            lifted = str(variable.name or "").startswith(LIFTED_PREFIX)
            known = lifted or variable in lengths or isinstance(variable.type, RandomType)
            if shared and not known:
                return None
    graph = _graph_digest([], list(outputs), {})
    layout = repr(
        (
            [variable.name for variable in outputs],
            {name: tuple(dims) for name, dims in model.named_vars_to_dims.items()},
            {dim: tuple(map(str, labels)) for dim, labels in model.coords.items() if labels},
        )
    )
    return hashlib.sha256(f"forward|{graph}|{layout}".encode()).hexdigest()


# -- compiling through the cache -----------------------------------------------------------


def _with_values(entry: _Entry, values: Sequence[np.ndarray]) -> Any:
    """The cached compiled model with ``values`` as its inputs: the log density's (nutpie's
    ``with_data``) and the initial points' (PyMC's initial-point function, compiled once, reads
    the shared variables: they are set to ``values`` for each call)."""
    values = [np.asarray(value) for value in values]
    original = entry.compiled.initial_point_func

    def initial_point(seed=None):
        with entry.start_lock:
            for variable, value in zip(entry.shared, values, strict=True):
                variable.set_value(value)
            return original(seed)

    # the values the compiled functions read (others only enter the initial points, or were
    # rewritten away)
    used = {variable.name for variable in entry.compiled.shared_var_keys}
    updates = {
        variable.name: value
        for variable, value in zip(entry.shared, values, strict=True)
        if variable.name in used
    }
    compiled = entry.compiled.with_data(**updates) if updates else entry.compiled
    return dataclasses.replace(compiled, initial_point_func=initial_point)


def _loaded_from_disk(compiled: Any) -> bool:
    """Whether numba loaded the compiled log density from its disk cache."""
    try:
        stats = compiled.logp_func.vm.jit_fn.stats
    except AttributeError:
        return False
    return sum(stats.cache_hits.values()) > 0


def compile_nutpie(model: pm.Model, *, var_names: Sequence[str], compile_fn=None) -> Any:
    """nutpie's compiled model of ``model``, reusing the compiled code of a model of the same
    structure compiled earlier in this process (module docstring).

    Parameters
    ----------
    model
        The PyMC model NUTS samples.
    var_names
        The variables whose draws are stored (nutpie's ``var_names``).
    compile_fn
        ``compile_fn(model, var_names)`` compiles a PyMC model for nutpie; default
        ``nutpie.compile_pymc_model``.

    Returns
    -------
    nutpie.compile_pymc.CompiledPyMCModel
        Ready to sample; its shared values are those of ``model``.
    """
    disk = compile_fn is None
    if compile_fn is None:
        import nutpie

        def compile_fn(model, var_names):
            return nutpie.compile_pymc_model(model, var_names=var_names)

    lifted = lift_values(model)
    if lifted is None:
        with CACHE.lock:
            CACHE.stats.uncached += 1
        return compile_fn(model, list(var_names))
    key = structure_key(lifted.model, var_names)
    with CACHE.lock:
        entry = CACHE.entries.get(key)
        if entry is not None:
            CACHE.entries.move_to_end(key)
            CACHE.stats.hits += 1
            logger.debug("compiled log density reused (structure %s)", key[:12])
            return _with_values(entry, lifted.values)
        CACHE.stats.misses += 1
        if disk:
            with _disk_cached_functions(key, lifted) as loaded:
                compiled = compile_fn(lifted.model, list(var_names))
            if loaded:
                CACHE.stats.file_hits += 1
        else:
            compiled = compile_fn(lifted.model, list(var_names))
        if _loaded_from_disk(compiled):
            CACHE.stats.disk_hits += 1
        entry = _Entry(compiled, lifted.shared)
        CACHE.entries[key] = entry
        while len(CACHE.entries) > MAX_ENTRIES:
            CACHE.entries.popitem(last=False)
        logger.debug("log density compiled (structure %s)", key[:12])
        return _with_values(entry, lifted.values)
