import h5py
import numpy as np
import pytest
import torch

from actionformer.data.features import FeatureSource, concat_aligned, feature_file_shape, load_feature_file
from actionformer.data.report import DataError


@pytest.fixture
def arr():
    return np.random.default_rng(0).standard_normal((7, 5)).astype(np.float64)


def test_each_file_format_loads_as_float32(tmp_path, arr):
    np.save(tmp_path / "a.npy", arr)
    np.savez(tmp_path / "b.npz", feats=arr, other=np.zeros(3))
    np.savez(tmp_path / "c.npz", arr)
    torch.save(torch.from_numpy(arr), tmp_path / "d.pt")
    torch.save({"feats": torch.from_numpy(arr)}, tmp_path / "e.pt")
    for name in ("a.npy", "b.npz", "c.npz", "d.pt", "e.pt"):
        out = load_feature_file(str(tmp_path / name))
        assert out.dtype == np.float32, name
        np.testing.assert_allclose(out, arr, rtol=1e-6)
    assert feature_file_shape(str(tmp_path / "a.npy")) == (7, 5)
    assert feature_file_shape(str(tmp_path / "b.npz")) == (7, 5)


def test_npz_with_several_arrays_and_no_feats_is_an_error(tmp_path, arr):
    np.savez(tmp_path / "x.npz", a=arr, b=arr)
    src = FeatureSource(str(tmp_path), file_ext=".npz")
    with pytest.raises(DataError, match="x.npz"):
        src.read("x")


def test_auto_extension_and_missing_files(tmp_path, arr):
    np.save(tmp_path / "v1.npy", arr)
    torch.save(torch.from_numpy(arr), tmp_path / "v2.pt")
    src = FeatureSource(str(tmp_path), file_prefix=None, file_ext=None)
    assert src.read("v1").shape == (7, 5) and src.read("v2").shape == (7, 5)
    assert src.missing_files("v1") == []
    assert src.missing_files("nope") == [str(tmp_path / "nope.npy")]
    assert FeatureSource(str(tmp_path / "absent")).missing_roots() == [str(tmp_path / "absent")]


def test_hdf5_file_with_prefix(tmp_path, arr):
    path = tmp_path / "feats.hdf5"
    with h5py.File(path, "w") as f:
        f["v_abc"] = arr
    src = FeatureSource(str(path), file_prefix="v_")
    assert src.use_hdf5
    np.testing.assert_allclose(src.read("abc"), arr, rtol=1e-6)
    assert src.missing_files("zzz") == [f"{path}:v_zzz"]
    import pickle

    clone = pickle.loads(pickle.dumps(src))  # handles are not pickled; reopened on demand
    assert clone.read("abc").shape == (7, 5)
    src.close()


def test_several_folders_concatenate_and_align_by_one_step(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    np.save(tmp_path / "a" / "v.npy", np.ones((10, 3), np.float32))
    np.save(tmp_path / "b" / "v.npy", np.zeros((9, 2), np.float32))
    src = FeatureSource([str(tmp_path / "a"), str(tmp_path / "b")], file_ext=".npy")
    out = src.read("v")
    assert out.shape == (9, 5)
    np.save(tmp_path / "b" / "v.npy", np.zeros((7, 2), np.float32))
    with pytest.raises(DataError, match="differ by more than one step"):
        src.read("v")


def test_not_2d_and_unreadable_name_the_file(tmp_path):
    np.save(tmp_path / "flat.npy", np.zeros(5, np.float32))
    (tmp_path / "bad.npy").write_bytes(b"garbage")
    src = FeatureSource(str(tmp_path), file_ext=".npy")
    with pytest.raises(DataError, match="flat.npy"):
        src.read("flat")
    with pytest.raises(DataError, match="bad.npy"):
        src.read("bad")


def test_concat_aligned_direct():
    out = concat_aligned([np.zeros((4, 1)), np.ones((5, 2))], "v", ["a", "b"])
    assert out.shape == (4, 3)


def test_a_non_hdf5_file_is_a_missing_root(tmp_path):
    (tmp_path / "x.h5").write_text("not hdf5")
    assert FeatureSource(str(tmp_path / "x.h5")).missing_roots() == [str(tmp_path / "x.h5")]


@pytest.mark.parametrize("value, counts", [(np.nan, "1 NaN and 0 Inf"), (np.inf, "0 NaN and 1 Inf")])
def test_non_finite_values_are_a_named_error_when_read(tmp_path, arr, value, counts):
    arr[4, 2] = value
    np.save(tmp_path / "v.npy", arr)
    with pytest.raises(DataError) as info:
        FeatureSource(str(tmp_path), file_ext=".npy").read("v")
    problem = info.value.problems[0]
    assert problem.video_id == "v" and problem.file.endswith("v.npy") and problem.field == "feature values"
    assert counts in problem.message and "first at step 4" in problem.message


def test_shapes_come_from_headers_and_find_truncated_files(tmp_path, arr):
    np.save(tmp_path / "ok.npy", arr)
    raw = (tmp_path / "ok.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(raw[: len(raw) - 40])
    src = FeatureSource(str(tmp_path), file_ext=".npy")
    assert src.shapes("ok") == [(7, 5)]
    with pytest.raises(DataError, match="truncated") as info:
        src.shapes("cut")
    assert info.value.problems[0].video_id == "cut"


def test_data_error_rebuilt_from_its_message_keeps_it():
    # DataLoader workers re-raise an exception as type(exc)(message)
    assert str(DataError("video v: bad")) == "video v: bad" and DataError("x").problems == []
