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
    assert all(len(parts) == 1 for parts in steps)
    return [parts[0] for parts in steps]


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
