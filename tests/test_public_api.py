"""The seed's public names stay importable from ``actionformer`` (scripts written for it keep working)."""

import importlib

import pytest

import actionformer


@pytest.mark.parametrize("name", sorted(actionformer._PUBLIC))
def test_public_name_resolves(name):
    value = getattr(actionformer, name)
    assert value is getattr(importlib.import_module(actionformer._PUBLIC[name]), name)


def test_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'make_meta_archs'"):
        actionformer.make_meta_archs  # noqa: B018


def test_import_is_light():
    import subprocess
    import sys

    code = "import sys, actionformer; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_detector_is_public():
    from actionformer.inference import Detector

    assert actionformer.Detector is Detector and "Detector" in dir(actionformer)
