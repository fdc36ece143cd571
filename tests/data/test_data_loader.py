import warnings

import pytest
import torch

from actionformer.data import make_data_loader, make_dataset
from actionformer.data.loader import SeededItems, SeededSampler, trivial_batch_collator


def _batches(loader, epochs=2):
    out = []
    for _ in range(epochs):
        for batch in loader:
            out.append([(item["video_id"], item["feats"].shape[1], item["feats"].sum().item(),
                         item["segments"].tolist()) for item in batch])
    return out


@pytest.fixture
def train_set(thumos_dir):
    kw = dict(thumos_dir["kwargs"], max_seq_len=32)
    return make_dataset("thumos", True, ["validation", "test"], **kw)


def test_same_seed_same_batches_with_any_number_of_workers(train_set):
    runs = {}
    for workers in (0, 2):
        loader = make_data_loader(train_set, True, torch.Generator().manual_seed(42), 2, workers)
        runs[workers] = _batches(loader)
    assert runs[0] == runs[2]
    assert runs[0][0] != runs[0][2] or runs[0][1] != runs[0][3], "epochs should differ"
    other = _batches(make_data_loader(train_set, True, torch.Generator().manual_seed(7), 2, 0))
    assert other != runs[0]


def test_eval_loader_is_ordered_and_complete(thumos_dir):
    ds = make_dataset("thumos", False, ["validation", "test"], **thumos_dir["kwargs"])
    loader = make_data_loader(ds, False, None, 3, 0, pin_memory=True)
    ids = [item["video_id"] for batch in loader for item in batch]
    assert ids == ds.video_ids
    assert all(isinstance(batch, list) for batch in loader)


def test_training_drops_last_partial_batch_unless_the_epoch_would_be_empty(train_set):
    loader = make_data_loader(train_set, True, torch.Generator().manual_seed(0), 3, 0)
    assert [len(b) for b in loader] == [3]
    with pytest.warns(UserWarning, match="keeping the partial batch"):
        loader = make_data_loader(train_set, True, torch.Generator().manual_seed(0), 8, 0)
    assert [len(b) for b in loader] == [4]


def test_sampler_shards_for_distributed_training():
    per_rank = [list(SeededSampler(5, torch.Generator().manual_seed(1), True, 2, r)) for r in range(2)]
    assert len(per_rank[0]) == len(per_rank[1]) == 3
    indices = {i for rank in per_rank for i, _ in rank}
    assert indices == set(range(5))


def test_foreign_dataset_is_wrapped_and_seeded(tmp_path):
    class RandomItems(torch.utils.data.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, idx):
            import random

            return {"video_id": str(idx), "noise": random.random()}

    loader = make_data_loader(RandomItems(), True, torch.Generator().manual_seed(3), 2, 0)
    assert isinstance(loader.dataset, SeededItems) and len(loader.dataset) == 4
    first = [item["noise"] for b in loader for item in b]
    again = [item["noise"] for b in make_data_loader(RandomItems(), True, torch.Generator().manual_seed(3), 2, 0)
             for item in b]
    assert first == again


def test_trivial_collate():
    batch = [{"a": 1}, {"a": 2}]
    assert trivial_batch_collator(batch) is batch


def test_distributed_eval_shards_without_repeating(thumos_dir):
    ds = make_dataset("thumos", False, ["validation", "test"], **thumos_dir["kwargs"])
    seen = []
    for rank in range(3):
        loader = make_data_loader(ds, False, None, 1, 0, num_replicas=3, rank=rank)
        seen += [item["video_id"] for batch in loader for item in batch]
    assert sorted(seen) == sorted(ds.video_ids)
