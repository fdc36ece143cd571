import pytest

from actionformer.registry import Registry


def test_register_and_build():
    reg = Registry("widget")

    @reg.register("square")
    def square(x):
        return x * x

    assert "square" in reg
    assert reg.build("square", 3) == 9
    assert reg.names() == ["square"]


def test_duplicate_name_is_an_error():
    reg = Registry("widget")
    reg.register("a")(int)
    with pytest.raises(ValueError, match="already registered"):
        reg.register("a")(float)


def test_unknown_name_suggests_close_match():
    reg = Registry("backbone")
    reg.register("convTransformer")(object)
    with pytest.raises(KeyError, match="Did you mean 'convTransformer'"):
        reg.get("convTransformr")


def test_default_name_is_object_name():
    reg = Registry("widget")

    @reg.register()
    class Gadget:
        pass

    assert reg.get("Gadget") is Gadget
