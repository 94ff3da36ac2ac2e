"""Sources of batches: how the Trainer reads data, in memory or not.

``fit``, ``evaluate``, ``score`` and ``predict`` read their data through one
abstraction, a :class:`BatchSource`, which gives

* ``steps(batch_size, shuffle, rng)``: one epoch as optimiser steps; each
  step's ``mean(objective, values)`` is its mean loss and gradient. A step is
  one part ``(columns, targets)``, except a full-batch step over data that do
  not fit in memory: over memmaps, the windows averaged one after another;
  over dask arrays, each chunk's mean computed where dask computes the chunk
  (on a worker, with a ``distributed.Client``), so that only the gradients
  travel;
* ``pieces()``: the data once, in order, in pieces that fit in memory (for
  losses, metrics and predictions, averaged over pieces weighted by their
  sizes);
* ``sample()``: a first piece, to check the data's shapes against the model.

Three sources:

* :class:`ArraySource`: NumPy arrays in memory. An epoch shuffles with one
  permutation of all rows, as before there were other sources; the rows of
  ``GATHERED`` batches at a time are gathered by one call per array.
* :class:`ChunkedSource`: any mix of ``np.memmap`` and dask arrays (with
  in-memory arrays alongside). The rows are cut into chunks (a dask array's
  own chunks, blocks of about ``BLOCK_BYTES`` of a memmap); an epoch visits
  the chunks in a shuffled order, loads a *window* of a few of them at a time
  (dask computes a window's chunks together, on a cluster when a
  ``distributed.Client`` is active), shuffles the rows inside the window and
  cuts batches from it. Rows left over at a window's end go to the next
  window, so every batch but the last has ``batch_size`` rows and, without
  shuffling, the batches are those of the same arrays in memory. At most a
  window and a batch are in memory at once: nothing builds a permutation of
  all rows or reads the whole array.
* :class:`IterableSource`: batches the user makes: an iterable of
  ``(inputs, targets)`` pairs that can be iterated again each epoch (a list,
  or an object whose ``__iter__`` starts over), a function returning a new
  iterable each epoch, or a one-shot iterator for a single pass. Each batch is
  one step, in the order given; every batch is checked like ``fit``'s arrays
  and must have the first batch's shapes beyond the sample axis.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from itertools import chain
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np

from ..errors import ArgumentError, DataError
from ._checks import data_column

__all__ = ["BatchSource", "ArraySource", "ChunkedSource", "IterableSource", "make_source",
           "as_column", "is_lazy", "BLOCK_BYTES", "WINDOW_BYTES"]

# A memmap is read in blocks of about this many bytes (as float64, all columns).
BLOCK_BYTES = 4 * 2 ** 20
# A window holds as many chunks as fit in this many bytes (at least one).
WINDOW_BYTES = 32 * 2 ** 20

Piece = tuple  # (list of float64 columns, float64 targets or None)


def is_dask(value) -> bool:
    """A dask array (checked by type, so that dask need not be imported)."""
    return type(value).__module__.startswith("dask.") and hasattr(value, "chunks")


def is_lazy(value) -> bool:
    """Data read chunk by chunk rather than held in memory: memmaps and dask arrays."""
    return isinstance(value, np.memmap) or is_dask(value)


def as_column(values, name: str):
    """One input or the targets as float64 samples; lazy arrays stay lazy.

    Raises:
        DataError: not real numbers, non-finite values in memory (the sample
            is named; lazy data are checked batch by batch as they are read),
            or a single number instead of samples.
    """
    if is_lazy(values):
        if values.dtype.kind not in "biuf":
            raise DataError(f"data for {name!r} is not real numbers (dtype {values.dtype})")
        if any(np.isnan(size) for size in values.shape):
            raise DataError(f"data for {name!r} is a dask array with chunks of unknown size; "
                            "call compute_chunk_sizes() on it first")
        array = values
        if array.ndim == 0:
            raise DataError(f"data for {name!r} must be an array of samples, got a scalar")
        return array
    return data_column(values, name)


def check_lengths(columns: Sequence, names: Sequence[str]) -> int:
    """The common number of samples of ``columns``.

    Raises:
        DataError: the lengths differ, or there are no samples.
    """
    lengths = {name: c.shape[0] for name, c in zip(names, columns)}
    if len(set(lengths.values())) != 1:
        raise DataError("data arrays have different lengths: " +
                        ", ".join(f"{k}={n}" for k, n in lengths.items()))
    count = next(iter(lengths.values()))
    if count == 0:
        raise DataError("no training data (empty arrays)")
    return count


def _average(means: Iterable[tuple[float, np.ndarray, int]]) -> tuple[float, np.ndarray, int]:
    """The mean loss and gradient of parts given as ``(loss, gradient, samples)``
    (one part: its own, exactly), and the number of samples."""
    means = iter(means)
    loss, gradient, count = next(means)
    for part_loss, part_gradient, size in means:
        count += size
        share = size / count
        loss += (part_loss - loss) * share
        gradient = gradient + (part_gradient - gradient) * share
    return loss, gradient, count


class Step:
    """One optimiser step over parts ``(columns, targets)``, read one at a time."""

    def __init__(self, parts: Iterable[Piece]):
        self.parts = parts

    def mean(self, objective: Callable, values: np.ndarray) -> tuple[float, np.ndarray, int]:
        """The step's mean loss and gradient by ``objective(columns, targets,
        values) -> (loss, gradient)``, and its number of samples."""
        if type(self.parts) is list and len(self.parts) == 1:   # a batch in memory
            columns, targets = self.parts[0]
            return (*objective(columns, targets, values), len(targets))
        return _average((*objective(columns, targets, values), len(targets))
                        for columns, targets in self.parts)


class ChunkMeans:
    """A full-batch step over dask arrays: each chunk's mean loss and gradient
    are computed as a dask task next to the chunk, and averaged here."""

    def __init__(self, columns: list, targets, bounds: list[int]):
        sizes = tuple(b - a for a, b in zip(bounds, bounds[1:]))
        aligned = [c.rechunk((sizes, *((-1,) * (c.ndim - 1)))) for c in [*columns, targets]]
        self.blocks = [list(chunk) for chunk in zip(
            *(c.to_delayed().reshape(-1) for c in aligned))]

    def mean(self, objective: Callable, values: np.ndarray) -> tuple[float, np.ndarray, int]:
        import dask
        step = uuid.uuid4().hex   # named here: dask would otherwise pickle the objective
        tasks = [dask.delayed(_chunk_mean)(objective, blocks, values,
                                           dask_key_name=f"neurogebra-gradient-{step}-{i}")
                 for i, blocks in enumerate(self.blocks)]
        return _average(dask.compute(*tasks))


def _chunk_mean(objective: Callable, blocks: list, values: np.ndarray):
    """One chunk's mean loss and gradient, and its size (a dask task)."""
    *columns, targets = (np.asarray(b, dtype=np.float64) for b in blocks)
    with np.errstate(all="ignore"):   # the Trainer checks the result
        return (*objective(columns, targets, values), len(targets))


class BatchSource(ABC):
    """Data read as batches and pieces; see the module's docstring."""

    @abstractmethod
    def steps(self, batch_size: int | None, shuffle: bool, rng) -> Iterator[Step | ChunkMeans]:
        """One epoch, step by step."""

    @abstractmethod
    def pieces(self) -> Iterator[Piece]:
        """All the data once, in order, in pieces that fit in memory."""

    @abstractmethod
    def sample(self) -> Piece:
        """A first piece, to check the data's shapes against the model."""

    def mean(self, measure: Callable[[list, np.ndarray], dict]) -> dict[str, float]:
        """``measure(columns, targets)`` (a dict of means) over all the data:
        the mean of its values over the pieces, weighted by their sizes."""
        totals, count, results, number = {}, 0, {}, -1
        for number, (columns, targets) in enumerate(self.pieces()):
            results = measure(columns, targets)
            for name, value in results.items():
                totals[name] = totals.get(name, 0.0) + value * len(targets)
            count += len(targets)
        if number < 0:
            raise DataError("no data to evaluate: the source gave no batches")
        if number == 0:
            return results   # one piece: its own means, exactly
        return {name: total / count for name, total in totals.items()}


GATHERED = 16   # shuffled batches whose rows one fancy index gathers (~1 us a call)


class ArraySource(BatchSource):
    """NumPy arrays in memory (``targets`` None for predictions). Shuffled rows
    are gathered ``GATHERED`` batches at a time, each batch then a view."""

    def __init__(self, columns: list[np.ndarray], targets: np.ndarray | None):
        self.columns, self.targets = columns, targets

    def steps(self, batch_size, shuffle, rng):
        count = len(self.targets)
        size = count if batch_size is None else batch_size
        if size >= count:   # the whole data, every epoch the same
            yield Step([(self.columns, self.targets)])
        elif not shuffle:
            yield from _cut(self.columns, self.targets, size)
        else:
            order = rng.permutation(count)
            for start in range(0, count, size * GATHERED):
                index = order[start:start + size * GATHERED]
                yield from _cut([c[index] for c in self.columns], self.targets[index], size)

    def pieces(self):
        yield self.columns, self.targets

    def sample(self):
        return self.columns, self.targets


class ChunkedSource(BatchSource):
    """Memmaps and dask arrays (with arrays in memory alongside), chunk by chunk."""

    def __init__(self, columns: list, targets, count: int):
        self.columns, self.targets, self.count = columns, targets, count
        everything = columns if targets is None else [*columns, targets]
        row_bytes = 8 * sum(int(np.prod(c.shape[1:])) for c in everything)
        self.bounds = _chunk_bounds(everything, count, row_bytes)
        largest = max(b - a for a, b in zip(self.bounds, self.bounds[1:]))
        self.window = max(1, WINDOW_BYTES // (largest * row_bytes))

    def _load(self, chunks: Sequence[int]) -> Piece:
        """The rows of these chunks, in this order, as float64 arrays in memory."""
        ranges = [(self.bounds[i], self.bounds[i + 1]) for i in chunks]
        everything = self.columns if self.targets is None else [*self.columns, self.targets]
        parts = [[c[a:b] for a, b in ranges] for c in everything]
        lazy = [p for column, p in zip(everything, parts) if is_dask(column)]
        if lazy:
            import dask
            computed = iter(dask.compute(*lazy))
            parts = [next(computed) if is_dask(column) else p
                     for column, p in zip(everything, parts)]
        arrays = [np.concatenate(p).astype(np.float64, copy=False) if len(p) > 1
                  else np.asarray(p[0], dtype=np.float64) for p in parts]
        if self.targets is None:
            return arrays, None
        return arrays[:-1], arrays[-1]

    def _windows(self, order: Sequence[int]) -> Iterator[Piece]:
        for start in range(0, len(order), self.window):
            yield self._load(order[start:start + self.window])

    def steps(self, batch_size, shuffle, rng):
        chunks = len(self.bounds) - 1
        if batch_size is None or batch_size >= self.count:   # one step over all the data
            everything = [*self.columns, self.targets]
            yield ChunkMeans(self.columns, self.targets, self.bounds) \
                if all(is_dask(c) for c in everything) else Step(self._windows(range(chunks)))
            return
        order = rng.permutation(chunks) if shuffle else range(chunks)
        held: Piece | None = None   # the rows of a batch begun in the last window
        for columns, targets in self._windows(order):
            if shuffle:
                mixed = rng.permutation(len(targets))
                columns, targets = [c[mixed] for c in columns], targets[mixed]
            start = 0
            if held is not None:
                start = min(batch_size - len(held[1]), len(targets))
                held = _joined(held, ([c[:start] for c in columns], targets[:start]))
                if len(held[1]) < batch_size:
                    continue
                yield Step([held])
            whole = start + (len(targets) - start) // batch_size * batch_size
            yield from _cut([c[start:whole] for c in columns], targets[start:whole], batch_size)
            held = [c[whole:] for c in columns], targets[whole:]
        if held is not None and len(held[1]):
            yield Step([held])

    def pieces(self):
        return self._windows(range(len(self.bounds) - 1))

    def sample(self):
        return self._load([0])


def _cut(columns: list, targets, size: int) -> Iterator[Step]:
    """Steps of ``size`` consecutive rows (views of the arrays)."""
    for first in range(0, len(targets), size):
        rows = slice(first, first + size)
        yield Step([([c[rows] for c in columns], targets[rows])])


def _joined(first: Piece, second: Piece) -> Piece:
    """Two pieces' rows, one after the other."""
    return ([np.concatenate([a, b]) for a, b in zip(first[0], second[0])],
            np.concatenate([first[1], second[1]]))


def _chunk_bounds(columns: Sequence, count: int, row_bytes: int) -> list[int]:
    """Where the chunks start and end: the first dask array's chunks, or blocks
    of about ``BLOCK_BYTES``."""
    for column in columns:
        if is_dask(column):
            return [0, *np.cumsum(column.chunks[0]).tolist()]
    rows = max(1, BLOCK_BYTES // max(row_bytes, 1))
    return [*range(0, count, rows), count]


class IterableSource(BatchSource):
    """Batches ``(inputs, targets)`` from an iterable, a function returning one,
    or a one-shot iterator; ``read(inputs, targets)`` checks one batch."""

    def __init__(self, batches, read: Callable[[object, object], Piece], epochs: int = 1):
        if isinstance(batches, (np.ndarray, Mapping)) or is_dask(batches):
            raise ArgumentError("targets are missing: pass fit(inputs, targets), or, without "
                                "targets, batches (an iterable of (inputs, targets) pairs or a "
                                "function returning one)")
        if callable(batches):
            self._new = batches
        elif isinstance(batches, Iterable) and not isinstance(batches, (str, bytes)):
            self._new = lambda: batches
        else:
            raise ArgumentError(
                "without targets, data are batches: an iterable of (inputs, targets) pairs "
                f"or a function returning one; got {type(batches).__name__}")
        self._one_shot = not callable(batches) and iter(batches) is batches
        if self._one_shot and epochs > 1:
            raise ArgumentError(_ONE_SHOT + f", but fit runs {epochs} epochs")
        self._read = read
        self._shapes = None
        self._started: Iterator | None = None
        self._used = False

    def _iterate(self) -> Iterator:
        if self._one_shot and self._used:
            raise ArgumentError(_ONE_SHOT + ", and was read already (the data of metrics "
                                "are read once more after each epoch)")
        self._used = True
        made = self._new()
        try:
            return iter(made)
        except TypeError:
            raise ArgumentError(f"the function giving batches returned a "
                                f"{type(made).__name__}, not an iterable") from None

    def _checked(self, batches: Iterator) -> Iterator[Piece]:
        number = 0
        for number, batch in enumerate(batches, 1):
            yield self._check(number, batch)
        if number == 0:
            raise DataError("the batches are empty: the iterable gave no (inputs, targets) "
                            "pair")

    def _check(self, number: int, batch) -> Piece:
        if not (isinstance(batch, (tuple, list)) and len(batch) == 2):
            raise DataError(f"batch {number} is a {type(batch).__name__}; each batch is a "
                            "pair (inputs, targets)")
        try:
            columns, targets = self._read(*batch)
        except DataError as exc:
            raise DataError(f"batch {number}: {exc}") from None
        shapes = [c.shape[1:] for c in columns] + [targets.shape[1:]]
        if self._shapes is None:
            self._shapes = shapes
        elif shapes != self._shapes:
            raise DataError(f"batch {number} has samples of shapes {shapes}, the first batch "
                            f"{self._shapes}; every batch needs the same shapes beyond its "
                            "first (sample) axis")
        return [np.asarray(c, dtype=np.float64) for c in columns], \
            np.asarray(targets, dtype=np.float64)

    def steps(self, batch_size, shuffle, rng):
        if batch_size is not None:
            raise ArgumentError("the batches set their own size; leave batch_size unset when "
                                "fitting on an iterable of batches")
        started, self._started = self._started, None
        for piece in started if started is not None else self._checked(self._iterate()):
            yield Step([piece])

    def pieces(self):
        return self._checked(self._iterate())

    def sample(self):
        """The first batch; the next ``steps`` starts with it rather than reading it again."""
        batches = self._checked(self._iterate())
        first = next(batches)
        self._started = chain([first], batches)
        return first


_ONE_SHOT = ("the batches are a one-shot iterator (a generator), which can be read only once; "
             "pass a function that returns a new iterable of batches each time it is called, "
             "e.g. `lambda: batches(...)`")


def make_source(columns: list, targets, names: Sequence[str]) -> BatchSource:
    """The source of these checked columns (``targets`` None for predictions):
    chunked when any of them is a memmap or a dask array."""
    everything = columns if targets is None else [*columns, targets]
    if not any(is_lazy(c) for c in everything):
        return ArraySource(columns, targets)
    count = check_lengths(everything, names)
    return ChunkedSource(columns, targets, count)
