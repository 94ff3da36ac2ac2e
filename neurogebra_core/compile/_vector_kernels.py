"""Kernels of the vector operations for NumPy, JAX and PyTorch.

Every kernel acts on the *last* axes (the vector axis last, a matrix's two
axes last), so any number of leading batch axes passes through. The function
table names them ``neurogebra.compile._vector_kernels.<op>_<backend>``; the
helpers at the end (alignment, all-ones, sums over the batch, basis
directions) are called by the generated code directly.

The softmax family subtracts the maximum and sums the *other* exponentials
(``rest``), so ``log_softmax`` of a confident class is ``-log1p(rest)``, exact
to the last bit where the textbook ``log(sum(exp(z - max)))`` (used by torch,
jax and scipy) loses up to four digits. The maximum keeps its gradient in the
JAX and PyTorch versions: its own term is not in ``rest``, so stopping its
gradient would make the derivative wrong at the arg-max.
"""

from __future__ import annotations

import importlib
import math

import numpy as np

# -- NumPy ------------------------------------------------------------------------


def _parts_numpy(a):
    m = a.max(-1, keepdims=True)
    e = np.exp(a - m)
    at_max = a == m
    rest = np.where(at_max, 0.0, e).sum(-1, keepdims=True) + (at_max.sum(-1, keepdims=True) - 1)
    return m, e, rest


def logsumexp_numpy(a):
    m, _, rest = _parts_numpy(a)
    return (m + np.log1p(rest))[..., 0]


def log_softmax_numpy(a):
    m, _, rest = _parts_numpy(a)
    return (a - m) - np.log1p(rest)


def softmax_numpy(a):
    _, e, rest = _parts_numpy(a)
    return e / (1.0 + rest)


def vsum_numpy(a):
    return a.sum(-1)


def vmax_numpy(a):
    return a.max(-1)


def maxmask_numpy(a):
    mask = (a == a.max(-1, keepdims=True)).astype(np.float64)
    return mask / mask.sum(-1, keepdims=True)


def norm_numpy(a):
    # scaled by the largest entry: no overflow at 1e200, no underflow at 1e-200
    scale = np.abs(a).max(-1, keepdims=True)
    scale = np.where(scale == 0.0, 1.0, scale)
    return (scale * np.sqrt(((a / scale) ** 2).sum(-1, keepdims=True)))[..., 0]


def unit_numpy(a):
    n = norm_numpy(a)[..., None]
    return np.where(n == 0.0, 0.0, a / np.where(n == 0.0, 1.0, n))


def dot_numpy(a, b):
    if b.ndim == 1:
        return a @ b                      # BLAS matrix-vector product for the whole batch
    if a.ndim == 1:
        return b @ a
    return (a * b).sum(-1)


def matmul_numpy(a, b, rank_a, rank_b):
    if rank_b == 1:                       # W @ x
        return b @ a.T if a.ndim == 2 else np.matmul(a, b[..., None])[..., 0]
    if rank_a == 1:                       # x @ B
        return a @ b if b.ndim == 2 else np.matmul(a[..., None, :], b)[..., 0, :]
    return a @ b


def outer_numpy(a, b):
    return a[..., :, None] * b[..., None, :]


def transpose_numpy(a):
    return np.swapaxes(a, -1, -2)


def diag_numpy(v):
    return v[..., :, None] * np.eye(v.shape[-1])


def pick_numpy(a, k):
    index = np.broadcast_to(np.asarray(k).astype(np.intp), a.shape[:-1])
    return np.take_along_axis(a, index[..., None], -1)[..., 0]


def onehot_numpy(k, n):
    return (np.asarray(k)[..., None] == np.arange(n)).astype(np.float64)


def first_half_numpy(a):
    return a[..., :a.shape[-1] // 2]


def second_half_numpy(a):
    return a[..., a.shape[-1] // 2:]


def place_half_numpy(g, which):
    zeros = np.zeros_like(g)
    return np.concatenate([g, zeros] if which == 0 else [zeros, g], -1)


# -- JAX (under jit, grad and vmap) --------------------------------------------------

def _jnp():
    return importlib.import_module("jax.numpy")


def _parts_jax(a):
    jnp = _jnp()
    m = a.max(-1, keepdims=True)   # not stop_gradient: see the module docstring
    e = jnp.exp(a - m)
    at_max = a == m
    rest = jnp.where(at_max, 0.0, e).sum(-1, keepdims=True) + \
        (at_max.sum(-1, keepdims=True) - 1)
    return m, e, rest


def logsumexp_jax(a):
    m, _, rest = _parts_jax(a)
    return (m + _jnp().log1p(rest))[..., 0]


def log_softmax_jax(a):
    m, _, rest = _parts_jax(a)
    return (a - m) - _jnp().log1p(rest)


def softmax_jax(a):
    _, e, rest = _parts_jax(a)
    return e / (1.0 + rest)


def vsum_jax(a):
    return a.sum(-1)


def vmax_jax(a):
    return a.max(-1)


def maxmask_jax(a):
    mask = (a == a.max(-1, keepdims=True)).astype(a.dtype)
    return mask / mask.sum(-1, keepdims=True)


def norm_jax(a):
    return _jnp().linalg.norm(a, axis=-1)


def unit_jax(a):
    jnp = _jnp()
    n = jnp.linalg.norm(a, axis=-1, keepdims=True)
    safe = jnp.where(n == 0.0, 1.0, n)
    return jnp.where(n == 0.0, 0.0, a / safe)


def dot_jax(a, b):
    return _jnp().einsum("...i,...i->...", a, b)


def matmul_jax(a, b, rank_a, rank_b):
    jnp = _jnp()
    if rank_b == 1:
        return jnp.matmul(a, b[..., None])[..., 0]
    if rank_a == 1:
        return jnp.matmul(a[..., None, :], b)[..., 0, :]
    return jnp.matmul(a, b)


def outer_jax(a, b):
    return a[..., :, None] * b[..., None, :]


def transpose_jax(a):
    return _jnp().swapaxes(a, -1, -2)


def diag_jax(v):
    return v[..., :, None] * _jnp().eye(v.shape[-1], dtype=v.dtype)


def pick_jax(a, k):
    jnp = _jnp()
    index = jnp.broadcast_to(jnp.asarray(k).astype(int), a.shape[:-1])
    return jnp.take_along_axis(a, index[..., None], -1)[..., 0]


def onehot_jax(k, n):
    jnp = _jnp()
    k = jnp.asarray(k)
    return (k[..., None] == jnp.arange(n)).astype(jnp.result_type(float))


def first_half_jax(a):
    return a[..., :a.shape[-1] // 2]


def second_half_jax(a):
    return a[..., a.shape[-1] // 2:]


def place_half_jax(g, which):
    jnp = _jnp()
    zeros = jnp.zeros_like(g)
    return jnp.concatenate([g, zeros] if which == 0 else [zeros, g], -1)


# -- PyTorch (under autograd, on any device) ---------------------------------------------

def _torch():
    return importlib.import_module("torch")


def _parts_torch(a):
    torch = _torch()
    m = a.amax(-1, keepdim=True)   # not detached: see the module docstring
    e = torch.exp(a - m)
    at_max = a == m
    rest = torch.where(at_max, torch.zeros_like(e), e).sum(-1, keepdim=True) + \
        (at_max.sum(-1, keepdim=True) - 1).to(a.dtype)
    return m, e, rest


def logsumexp_torch(a):
    m, _, rest = _parts_torch(a)
    return (m + _torch().log1p(rest))[..., 0]


def log_softmax_torch(a):
    m, _, rest = _parts_torch(a)
    return (a - m) - _torch().log1p(rest)


def softmax_torch(a):
    _, e, rest = _parts_torch(a)
    return e / (1.0 + rest)


def vsum_torch(a):
    return a.sum(-1)


def vmax_torch(a):
    return a.amax(-1)


def maxmask_torch(a):
    mask = (a == a.amax(-1, keepdim=True)).to(a.dtype)
    return mask / mask.sum(-1, keepdim=True)


def norm_torch(a):
    return _torch().linalg.vector_norm(a, dim=-1)


def unit_torch(a):
    torch = _torch()
    n = torch.linalg.vector_norm(a, dim=-1, keepdim=True)
    return torch.where(n == 0.0, torch.zeros_like(a), a / torch.where(n == 0.0, 1.0, n))


def dot_torch(a, b):
    return (a * b).sum(-1)


def matmul_torch(a, b, rank_a, rank_b):
    if rank_b == 1:
        return (a @ b[..., None])[..., 0]
    if rank_a == 1:
        return (a[..., None, :] @ b)[..., 0, :]
    return a @ b


def outer_torch(a, b):
    return a[..., :, None] * b[..., None, :]


def transpose_torch(a):
    return a.transpose(-1, -2)


def diag_torch(v):
    return v[..., :, None] * _torch().eye(v.shape[-1], dtype=v.dtype, device=v.device)


def pick_torch(a, k):
    torch = _torch()
    index = torch.as_tensor(k, device=a.device).long().expand(a.shape[:-1])
    return torch.gather(a, -1, index[..., None])[..., 0]


def onehot_torch(k, n):
    torch = _torch()
    k = torch.as_tensor(k)
    return (k[..., None] == torch.arange(n, device=k.device)).to(torch.float64)


def first_half_torch(a):
    return a[..., :a.shape[-1] // 2]


def second_half_torch(a):
    return a[..., a.shape[-1] // 2:]


def place_half_torch(g, which):
    torch = _torch()
    zeros = torch.zeros_like(g)
    return torch.cat([g, zeros] if which == 0 else [zeros, g], -1)


# -- helpers of the generated code ----------------------------------------------------------

_AXES = [(Ellipsis,) + (None,) * n for n in range(8)]


def align(value, axes: int):
    """``value`` with ``axes`` new last axes (a per-sample scalar beside a vector);
    a Python number broadcasts as it is."""
    return value if isinstance(value, (int, float)) else value[_AXES[axes]]


def ones_numpy(*shape):
    return np.ones(shape)


def ones_jax(*shape):
    return _jnp().ones(shape)


def ones_torch(*shape):
    return _torch().ones(shape, dtype=_torch().float64)


def eye_numpy(n):
    return np.eye(n)


def eye_jax(n):
    return _jnp().eye(n)


def eye_torch(n):
    return _torch().eye(n, dtype=_torch().float64)


def batch_sum_numpy(a, rank: int, count: int):
    """The sum over the leading batch axes; an unbatched value counts ``count`` times."""
    if np.ndim(a) == rank:
        return a * count
    return np.add.reduce(a.reshape((-1,) + a.shape[a.ndim - rank:]), 0) if rank else \
        np.add.reduce(a, None)


def batch_outer_numpy(a, b, count: int):
    """The sum over the batch of ``a b^T``, as one matrix product (B, m)^T @ (B, n)."""
    if a.ndim == 1 and b.ndim == 1:
        return count * np.outer(a, b)
    if a.shape[:-1] != b.shape[:-1]:
        batch = np.broadcast_shapes(a.shape[:-1], b.shape[:-1])
        a = np.broadcast_to(a, batch + a.shape[-1:])
        b = np.broadcast_to(b, batch + b.shape[-1:])
    return a.reshape(-1, a.shape[-1]).T @ b.reshape(-1, b.shape[-1])


def batch_scaled_numpy(s, v, rank: int, count: int):
    """The sum over the batch of ``s*v``, ``s`` a scalar per sample and ``v``
    of core rank ``rank``: one product ``s^T V`` over the batch."""
    if type(s) is np.ndarray and s.ndim == 1 and v.ndim == rank + 1 and len(v) == len(s):
        return s @ v if rank <= 1 else np.tensordot(s, v, 1)   # one batch axis: most calls
    if np.ndim(s) == 0:
        return s * batch_sum_numpy(v, rank, count)
    core = v.shape[v.ndim - rank:]
    batch = v.shape[:v.ndim - rank]
    if s.shape != batch:
        batch = np.broadcast_shapes(s.shape, batch)
        s = np.broadcast_to(s, batch)
        v = np.broadcast_to(v, batch + core)
    return (s.reshape(-1) @ v.reshape((s.size, -1))).reshape(core)


def batch_rank(*pairs) -> int:
    """The number of batch axes of the arguments, given as ``(value, core rank)``."""
    return max([np.ndim(v) - rank for v, rank in pairs] + [0])


def basis_numpy(shape, batch: int):
    """Every unit direction of ``shape``, stacked on a new first axis before ``batch`` axes."""
    count = math.prod(shape)
    return np.eye(count).reshape((count,) + (1,) * batch + tuple(shape))


def basis_jax(shape, batch: int):
    count = math.prod(shape)
    return _jnp().eye(count).reshape((count,) + (1,) * batch + tuple(shape))


def basis_torch(shape, batch: int):
    count = math.prod(shape)
    return _torch().eye(count, dtype=_torch().float64).reshape(
        (count,) + (1,) * batch + tuple(shape))


def unbasis_numpy(value, shape):
    """Derivatives along the basis directions (first axis) as a block whose
    last axes have ``shape``, after the value's own axes."""
    value = np.moveaxis(value, 0, -1)
    return value.reshape(value.shape[:-1] + tuple(shape))


def unbasis_jax(value, shape):
    value = _jnp().moveaxis(value, 0, -1)
    return value.reshape(value.shape[:-1] + tuple(shape))


def unbasis_torch(value, shape):
    value = _torch().movedim(value, 0, -1)
    return value.reshape(tuple(value.shape[:-1]) + tuple(shape))
