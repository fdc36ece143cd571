"""actionformer.atomic_files: the new file replaces the old one whole, or not at all."""

from __future__ import annotations

import pytest

from actionformer.atomic_files import atomic_write


def test_text_and_binary_replace_the_file(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("old")
    with atomic_write(path) as handle:
        handle.write("new\nlines\n")
    assert path.read_text(encoding="utf-8") == "new\nlines\n"
    with atomic_write(path, binary=True) as handle:
        handle.write(b"\x00\x01")
    assert path.read_bytes() == b"\x00\x01"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_an_error_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "out.json"
    path.write_text("old")
    with pytest.raises(RuntimeError, match="midway"):
        with atomic_write(path) as handle:
            handle.write("partial")
            raise RuntimeError("midway")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_writable_problem_names_the_path_and_leaves_nothing(tmp_path):
    from actionformer.atomic_files import writable_problem

    assert writable_problem(tmp_path / "new" / "out.json") is None
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == []  # the folder is made, the probe removed
    (tmp_path / "afile").write_text("x")
    problem = writable_problem(tmp_path / "afile" / "out.json")
    assert problem is not None and str(tmp_path / "afile" / "out.json") in problem
