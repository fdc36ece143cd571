"""matplotlib is optional: a clear error naming the extra, and atomic saving."""

import sys

import pytest

from actionformer.visualize._matplotlib import MissingPlotDependency, new_figure, require_matplotlib, save_figure


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    with pytest.raises(MissingPlotDependency, match=r'pip install "actionformer\[plot\]"'):
        require_matplotlib()


def test_package_import_does_not_import_matplotlib():
    import subprocess

    code = "import sys, actionformer.visualize, actionformer.analysis; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_save_writes_the_format_of_the_extension_and_leaves_no_temporary(tmp_path):
    figure = new_figure(2, 2)
    figure.add_subplot().plot([0, 1], [0, 1])
    save_figure(figure, str(tmp_path / "sub" / "a.png"))
    save_figure(figure, str(tmp_path / "sub" / "a.svg"))
    assert (tmp_path / "sub" / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tmp_path / "sub" / "a.svg").read_bytes()[:500]
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["a.png", "a.svg"]
