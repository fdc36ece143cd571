"""docs/config.md: the generated key reference is up to date, and its examples are valid."""

from __future__ import annotations

import re

import pytest
import yaml
from config_testutils import REPO_ROOT

from actionformer.config import all_keys, config_from_dict
from actionformer.config.reference import BEGIN, END, main, render_key_reference, splice

DOC = REPO_ROOT / "docs" / "config.md"


def test_docs_key_reference_is_up_to_date():
    text = DOC.read_text(encoding="utf-8")
    assert splice(text, render_key_reference()) == text, (
        "docs/config.md is out of date: run `PYTHONPATH=src python -m "
        "actionformer.config.reference docs/config.md`")


def test_reference_lists_every_settable_key():
    reference = render_key_reference()
    for key in all_keys():
        if not key.is_section:
            assert f"| `{key.name}` |" in reference, key.path


def test_splice_replaces_only_the_marked_part(tmp_path):
    doc = f"intro\n{BEGIN}\nstale\n{END}\noutro\n"
    out = splice(doc, "fresh\n")
    assert out.startswith("intro\n") and out.endswith(f"{END}\noutro\n")
    assert "fresh" in out and "stale" not in out
    with pytest.raises(ValueError, match="markers"):
        splice("no markers", "x")


def test_main_check_reports_a_stale_file_and_rewrites_it(tmp_path, capsys):
    path = tmp_path / "config.md"
    path.write_text(f"# t\n{BEGIN}\nold\n{END}\n", encoding="utf-8")
    assert main([str(path), "--check"]) == 1
    assert "out of date" in capsys.readouterr().err
    assert main([str(path)]) == 0
    assert main([str(path), "--check"]) == 0
    assert "| `num_classes` |" in path.read_text(encoding="utf-8")


def test_docs_example_config_is_valid():
    text = DOC.read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    assert blocks, "docs/config.md has no yaml example"
    for block in blocks:
        cfg = config_from_dict(yaml.safe_load(block))
        assert cfg["model"]["num_classes"] == cfg["dataset"]["num_classes"]
