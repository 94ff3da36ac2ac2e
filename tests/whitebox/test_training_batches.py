"""White-box tests of one internal module: neurogebra.training._batches.

They look inside to check what training results cannot show: that a
shuffled epoch over chunked data visits every row exactly once, in batches of
the asked size, while loading only a window of chunks at a time.
"""

import numpy as np
import pytest

import neurogebra.training._batches as batches

da = pytest.importorskip("dask.array", reason="dask arrays need the [dask] extra")


def rows_of_an_epoch(source, batch_size, seed):
    steps = list(source.steps(batch_size, True, np.random.default_rng(seed)))
    assert all(len(step.parts) == 1 for step in steps)
    return [step.parts[0] for step in steps]


@pytest.mark.parametrize("chunks", [7, 100, 333])
def test_a_shuffled_epoch_visits_every_row_once_in_full_batches(monkeypatch, chunks):
    monkeypatch.setattr(batches, "WINDOW_BYTES", 3 * 8 * 2 * 100)   # three chunks of 100 rows
    index = np.arange(1000.0)
    source = batches.make_source([da.from_array(index, chunks=chunks)],
                                 da.from_array(-index, chunks=chunks), ["x", "targets"])
    loaded = []
    original = source._load
    monkeypatch.setattr(source, "_load", lambda order: loaded.append(len(order)) or
                        original(order))
    first = rows_of_an_epoch(source, 64, seed=0)
    assert [len(y) for _, y in first] == [64] * 15 + [40]
    seen = np.concatenate([x for (x,), _ in first])
    np.testing.assert_array_equal(np.sort(seen), index)
    np.testing.assert_array_equal(np.concatenate([y for _, y in first]), -seen)
    assert not np.array_equal(seen, index)
    assert max(loaded) * chunks <= max(300, chunks)   # a window at a time
    second = np.concatenate([x for (x,), _ in rows_of_an_epoch(source, 64, seed=1)])
    assert not np.array_equal(second, seen)


def test_memmaps_are_read_in_blocks(monkeypatch, tmp_path):
    monkeypatch.setattr(batches, "BLOCK_BYTES", 16 * 50)   # 50 rows of x and targets
    values = np.memmap(tmp_path / "x", dtype=np.float32, mode="w+", shape=(420,))
    values[:] = np.arange(420)
    source = batches.make_source([values], np.zeros(420), ["x", "targets"])
    assert source.bounds == [*range(0, 420, 50), 420]
    pieces = list(source.pieces())
    assert all(x.dtype == np.float64 for (x,), _ in pieces)
    np.testing.assert_array_equal(np.concatenate([x for (x,), _ in pieces]), np.arange(420))


def test_a_full_batch_over_dask_arrays_is_a_task_per_chunk(tmp_path):
    x = np.arange(1000.0)
    lazy = da.from_array(x, chunks=300)
    everything_lazy = batches.make_source([lazy], da.from_array(-x, chunks=250), ["x", "y"])
    [step] = everything_lazy.steps(None, True, np.random.default_rng(0))
    assert isinstance(step, batches.ChunkMeans) and len(step.blocks) == 4
    mean = step.mean(lambda columns, y, values: (float(np.mean(columns[0] + y)),
                                                 np.array([np.mean(columns[0])])), None)
    loss, gradient, samples = mean
    assert loss == 0.0 and gradient.tolist() == [499.5] and samples == 1000
    on_disk = np.memmap(tmp_path / "x", dtype=np.float64, mode="w+", shape=(1000,))
    mixed = batches.make_source([on_disk], lazy, ["x", "y"])
    [step] = mixed.steps(None, True, np.random.default_rng(0))
    assert isinstance(step, batches.Step)


@pytest.mark.parametrize("batch_size", [1, 7, 64, 999])
def test_arrays_in_memory_are_shuffled_by_one_permutation_gathered_a_few_batches_at_a_time(
        monkeypatch, batch_size):
    monkeypatch.setattr(batches, "GATHERED", 3)
    x = np.arange(1000.0)
    vectors = np.stack([x, 2 * x], axis=1)   # a column of vectors: rows gathered whole
    source = batches.ArraySource([x, vectors], -x)
    order = np.random.default_rng(5).permutation(1000)
    steps = rows_of_an_epoch(source, batch_size, seed=5)
    assert len(steps) == -(-1000 // batch_size)
    for number, ((got_x, got_vectors), got_y) in enumerate(steps):
        rows = order[number * batch_size:(number + 1) * batch_size]
        np.testing.assert_array_equal(got_x, x[rows])
        np.testing.assert_array_equal(got_vectors, vectors[rows])
        np.testing.assert_array_equal(got_y, -x[rows])


def test_arrays_in_memory_without_shuffling_are_cut_in_order_and_a_full_batch_is_the_arrays():
    x = np.arange(10.0)
    source = batches.ArraySource([x], -x)
    steps = [step.parts[0] for step in source.steps(4, False, None)]
    assert [y.tolist() for _, y in steps] == [[-0.0, -1, -2, -3], [-4, -5, -6, -7], [-8, -9]]
    ((columns, targets),) = next(source.steps(None, True, None)).parts
    assert columns[0] is x and targets is source.targets
