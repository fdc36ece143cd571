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


def _key(path, default=0):
    from actionformer.config import Key
    from actionformer.config.valuetypes import Int

    return Key(path, Int(), default, "a test key")


def test_declared_keys_are_inherited_and_overridden_by_path():
    reg = Registry("widget")

    class Base:
        config_keys = (_key("model.a", 1), _key("model.b", 2))

    @reg.register("child", keys=[_key("model.c", 3)])
    class Child(Base):
        config_keys = (_key("model.b", 20),)

    keys = {k.path: k.default for k in reg.config_keys("child")}
    assert keys == {"model.a": 1, "model.b": 20, "model.c": 3}


def test_builtins_module_is_imported_on_first_lookup(tmp_path, monkeypatch):
    (tmp_path / "widgets_builtin_x.py").write_text(
        "from test_registry_holder import REG\n@REG.register('made')\nclass Made:\n    pass\n")
    (tmp_path / "test_registry_holder.py").write_text(
        "from actionformer.registry import Registry\nREG = Registry('widget', builtins='widgets_builtin_x')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import test_registry_holder

    assert len(test_registry_holder.REG._entries) == 0  # nothing imported yet
    assert "made" in test_registry_holder.REG
    assert test_registry_holder.REG.names() == ["made"]


def test_unknown_message_lists_close_matches_and_names():
    reg = Registry("loss")
    reg.register("diou")(object)
    reg.register("giou")(object)
    assert reg.unknown_message("dio") == "unknown loss 'dio'. Did you mean 'diou'? Registered: diou, giou."
    assert "x" not in reg and 3 not in reg
