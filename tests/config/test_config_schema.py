"""The schema table: complete, self-consistent, and covering every key the original uses."""

from __future__ import annotations

from actionformer.config import all_keys, get_key, load_default_config
from actionformer.config.components import schema_keys
from actionformer.config.schema import NO_DEFAULT, ORIGINAL, ORIGINAL_FILES, OURS


_COMPONENT_SECTIONS = {k.path for k in schema_keys(load_default_config()) if k.is_section}


def _leaf_paths(cfg: dict, prefix: str = "") -> set:
    paths = set()
    for key, value in cfg.items():
        path = f"{prefix}.{key}" if prefix else key
        # a section of the table, or of a component the defaults select (model.backbone)
        is_section = (get_key(path) is not None and get_key(path).is_section) or path in _COMPONENT_SECTIONS
        paths |= _leaf_paths(value, path) if isinstance(value, dict) and is_section else {path}
    return paths


def test_paths_are_unique_and_parents_are_sections():
    paths = [k.path for k in all_keys()]
    assert len(paths) == len(set(paths))
    for key in all_keys():
        if key.parent:
            parent = get_key(key.parent)
            assert parent is not None and parent.is_section, key.path


def test_every_key_is_documented():
    for key in all_keys():
        assert key.doc.strip().endswith((".", ")")), key.path
        assert key.origin in (ORIGINAL, ORIGINAL_FILES, OURS), key.path


def test_every_default_is_valid_for_its_own_type():
    for key in all_keys():
        if key.has_default:
            assert key.vtype.check(key.default) is None, key.path
            assert key.check is None or key.check(key.default) is None, key.path


def test_sections_and_derived_keys_have_no_default():
    for key in all_keys():
        if key.is_section or key.is_derived:
            assert key.default is NO_DEFAULT, key.path


def test_derived_keys_name_existing_sources():
    derived = {k.path: k.vtype.source for k in all_keys() if k.is_derived}
    assert derived == {
        "model.input_dim": "dataset.input_dim",
        "model.num_classes": "dataset.num_classes",
        "model.max_seq_len": "dataset.max_seq_len",
        "model.train_cfg": "train_cfg",
        "model.test_cfg": "test_cfg",
    }


def test_every_key_the_original_sets_is_in_the_schema(original_configs):
    for name, merged in original_configs["merged"].items():
        for path in _leaf_paths(merged):
            assert get_key(path) is not None, f"{name}: {path}"


def test_original_file_keys_are_marked(original_configs):
    from_files = set()
    for settings in original_configs["user_settings"].values():
        from_files |= _leaf_paths(settings)
    in_defaults = _leaf_paths(original_configs["defaults"])
    expected = from_files - in_defaults
    marked = {k.path for k in all_keys() if k.origin == ORIGINAL_FILES}
    assert marked == expected


def test_our_keys_are_exactly_the_extensions():
    ours = {k.path for k in all_keys() if k.origin == OURS and not k.is_section}
    assert ours == {
        "custom_imports", "dataset.on_bad_video", "dataset.video_list", "dataset.class_list",
        "loader.pin_memory", "test_cfg.filters", "test_cfg.constraints", "test_cfg.score_temperature",
        "opt.early_stop_epochs", "trainer.amp", "trainer.accum_steps", "trainer.eval_freq",
        "trainer.ckpt_freq", "trainer.print_freq", "trainer.loss_logger", "trainer.keep_last",
        "trainer.ema_decay", "trainer.ema_warmup",
        "trainer.device",
    }


def test_defaults_hold_every_key_with_a_default():
    defaults = load_default_config()
    # the table's keys and those of the components the defaults select (LocPointTransformer's)
    with_default = {k.path for k in schema_keys(defaults) if k.has_default}
    assert {"train_cfg.cls_loss_type", "train_cfg.reg_loss_type"} <= with_default
    assert _leaf_paths(defaults) == with_default
