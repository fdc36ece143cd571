"""Rules that span several keys (the original's asserts, as messages naming the keys).

Each rule reads values through :class:`Values`, which skips the rule when a value it needs
is missing or already reported as wrong, so one mistake is reported once.
"""

from __future__ import annotations

import math
from typing import Any, Callable, List, Mapping, Set

from .schema import all_keys
from .valuetypes import show


class _Skip(Exception):
    """A value a rule needs is missing or invalid (and reported elsewhere)."""


class Values:
    """Read access to the config for rules: ``values["model.n_head"]``."""

    def __init__(self, cfg: Mapping[str, Any], bad_paths: Set[str]) -> None:
        self.cfg, self.bad_paths = cfg, bad_paths

    def __getitem__(self, path: str) -> Any:
        node: Any = self.cfg
        parts = path.split(".")
        for depth, part in enumerate(parts):
            if ".".join(parts[: depth + 1]) in self.bad_paths:
                raise _Skip(path)
            if not isinstance(node, Mapping) or part not in node:
                raise _Skip(path)
            node = node[part]
        return node


Rule = Callable[[Values], List[str]]
RULES: List[Rule] = []


def rule(fn: Rule) -> Rule:
    RULES.append(fn)
    return fn


def run_rules(cfg: Mapping[str, Any], bad_paths: Set[str]) -> List[str]:
    """The problems every cross-key rule finds."""
    values = Values(cfg, bad_paths)
    problems: List[str] = []
    for fn in RULES:
        try:
            problems.extend(fn(values))
        except _Skip:
            continue
    return problems


def _width(dim: Any) -> int:
    return sum(dim) if isinstance(dim, (list, tuple)) else dim


def _windows(v: Values, levels: int) -> List[int]:
    wins = v["model.n_mha_win_size"]
    return list(wins) if isinstance(wins, (list, tuple)) else [wins] * levels


@rule
def pyramid_levels(v: Values) -> List[str]:
    """Level counts: start level, regression ranges and windows match the backbone's levels."""
    levels = v["model.backbone_arch"][-1] + 1
    problems = []
    start = v["model.fpn_start_level"]
    if start >= levels:
        problems.append(
            f"model.fpn_start_level: must be < the number of pyramid levels ({levels} = "
            f"model.backbone_arch[-1] + 1), got {start}")
    else:
        ranges = v["model.regression_range"]
        if len(ranges) != levels - start:
            problems.append(
                f"model.regression_range: needs one [lo, hi] per pyramid level used by the heads "
                f"({levels - start} = model.backbone_arch[-1] + 1 - model.fpn_start_level), "
                f"got {len(ranges)}")
    wins = v["model.n_mha_win_size"]
    if isinstance(wins, (list, tuple)) and len(wins) != levels:
        problems.append(
            f"model.n_mha_win_size: a per-level list needs {levels} windows "
            f"(model.backbone_arch[-1] + 1), got {len(wins)}: {show(wins)}")
    return problems


def level_divisor(stride: int, window: int) -> int:
    """What the sequence length at stride 1 must be a multiple of for one pyramid level.

    The original asserts ``max_seq_len % (s * (w // 2) * 2) == 0`` for a local window
    ``w > 1`` and ``max_seq_len % s == 0`` otherwise (global attention).
    """
    return stride * (window // 2) * 2 if window > 1 else stride


@rule
def max_seq_len_divisible(v: Values) -> List[str]:
    """max_seq_len divides evenly at every level (local attention works in whole windows).

    Every backbone level ``l`` pairs stride ``scale_factor ** l`` with window ``l``, which is
    what the backbone needs at run time and the original's assert for ``fpn_start_level`` 0.
    (For a later start level the original pairs the strides from that level on with windows
    from level 0; that shifted check is not reproduced.)
    """
    levels = v["model.backbone_arch"][-1] + 1
    wins = _windows(v, levels)
    if len(wins) != levels:
        return []  # reported by pyramid_levels
    scale = v["model.scale_factor"]
    max_len = v["dataset.max_seq_len"]
    need = [level_divisor(scale ** lvl, w) for lvl, w in enumerate(wins)]
    failing = [lvl for lvl, d in enumerate(need) if max_len % d != 0]
    if not failing:
        return []
    every = 1
    for d in need:
        every = every * d // math.gcd(every, d)
    below, above = max_len // every * every, (max_len // every + 1) * every
    examples = f"{below} or {above}" if below > 0 else f"{above}"
    return [f"dataset.max_seq_len: must be a multiple of stride x (window // 2 * 2) at every "
            f"pyramid level (just the stride for global attention; from model.scale_factor and "
            f"model.n_mha_win_size); {max_len} is not, at level{'s' if len(failing) > 1 else ''} "
            f"{', '.join(str(lvl) for lvl in failing)} (multiples of "
            f"{', '.join(str(need[lvl]) for lvl in failing)}); use a multiple of {every}, "
            f"e.g. {examples}"]


@rule
def multi_feature_widths(v: Values) -> List[str]:
    """A list of input widths is projected per feature set; it needs a matching embd_dim list."""
    in_dim, embd = v["dataset.input_dim"], v["model.embd_dim"]
    in_list, embd_list = isinstance(in_dim, (list, tuple)), isinstance(embd, (list, tuple))
    if in_list and (not embd_list or len(embd) != len(in_dim)):
        return [f"model.embd_dim: dataset.input_dim is a list of {len(in_dim)} feature widths, "
                f"so embd_dim must be a list of {len(in_dim)} widths too, got {show(embd)}"]
    if embd_list and not in_list:
        return [f"model.embd_dim: a list needs dataset.input_dim to be a list of the same length "
                f"(one width per feature set), but input_dim is {show(in_dim)}"]
    return []


@rule
def heads_divide_width(v: Values) -> List[str]:
    if v["model.backbone_type"] not in ("convTransformer", "convTransformerv2"):
        return []
    width, heads = _width(v["model.embd_dim"]), v["model.n_head"]
    if width % heads:
        return [f"model.n_head: {heads} does not divide the embedding width {width} "
                f"(model.embd_dim)"]
    return []


@rule
def kv_heads_divide_heads(v: Values) -> List[str]:
    kv, heads = v["model.backbone.n_kv_head"], v["model.n_head"]
    if kv is not None and heads % kv:
        return [f"model.backbone.n_kv_head: {kv} does not divide model.n_head ({heads})"]
    return []


@rule
def transformer_scale_factor(v: Values) -> List[str]:
    scale, backbone = v["model.scale_factor"], v["model.backbone_type"]
    if backbone in ("convTransformer", "convTransformerv2") and scale != 1 and scale % 2:
        return [f"model.scale_factor: the {backbone} backbone downsamples with strided "
                f"attention, which needs 1 or an even factor, got {scale}"]
    return []


@rule
def v2_backbone_options(v: Values) -> List[str]:
    """What convTransformerv2 cannot do: a learned relative bias, RoPE on odd head widths."""
    if v["model.backbone_type"] != "convTransformerv2":
        return []
    problems = []
    if v["model.use_rel_pe"]:
        problems.append("model.use_rel_pe: convTransformerv2 has no learned relative bias; "
                        "use model.backbone.use_rope for relative positions")
    head_dim = _width(v["model.embd_dim"]) // v["model.n_head"]
    if v["model.backbone.use_rope"] and head_dim % 2:
        problems.append(f"model.backbone.use_rope: rotary embeddings rotate channel pairs, so the "
                        f"head width (model.embd_dim / model.n_head = {head_dim}) must be even")
    return problems


@rule
def identity_neck_width(v: Values) -> List[str]:
    if v["model.fpn_type"] != "identity":
        return []
    width, fpn_dim = _width(v["model.embd_dim"]), v["model.fpn_dim"]
    if fpn_dim != width:
        return [f"model.fpn_dim: the identity neck keeps the backbone's width, so fpn_dim must "
                f"equal the embedding width {width} (model.embd_dim), got {fpn_dim}"]
    return []


@rule
def one_layer_heads_keep_the_neck_width(v: Values) -> List[str]:
    """With ``head_num_layers: 1`` a v1-style head tower has no conv layer: its last conv (built
    for ``head_dim`` inputs) reads the neck's ``fpn_dim`` channels directly, and crashed mid-run
    when they differ. Only LocPointTransformer's v2 heads project the input to ``head_dim``
    first; the other models' boundary / offset heads are v1-style towers whatever head_type."""
    if v["model.head_num_layers"] != 1:
        return []
    head_dim, fpn_dim = v["model.head_dim"], v["model.fpn_dim"]
    if head_dim == fpn_dim:
        return []
    if v["model.head_type"] == "v2" and v["model_name"] == "LocPointTransformer":
        return []
    return [f"model.head_dim: with model.head_num_layers 1 the heads' only convolution reads the neck's "
            f"output, so head_dim must equal model.fpn_dim ({fpn_dim}), got {head_dim}; set head_dim to "
            f"{fpn_dim} or head_num_layers to 2 or more"]


@rule
def empty_classes_exist(v: Values) -> List[str]:
    num_classes = v["dataset.num_classes"]
    bad = [c for c in v["train_cfg.head_empty_cls"] if c >= num_classes]
    if bad:
        return [f"train_cfg.head_empty_cls: class ids {bad} are not < dataset.num_classes "
                f"({num_classes})"]
    return []


@rule
def nms_class_ids_exist(v: Values) -> List[str]:
    from actionformer.postprocess.class_params import class_id_problems

    return class_id_problems(v["test_cfg"], v["dataset.num_classes"])


@rule
def derived_fields_agree(v: Values) -> List[str]:
    """A resolved config's derived copies equal their sources."""
    problems = []
    for key in all_keys():
        if not key.is_derived:
            continue
        source = key.vtype.source  # type: ignore[attr-defined]
        try:
            copy_value = v[key.path]
            value = v[source]
        except _Skip:
            continue
        if copy_value is not value and copy_value != value:
            problems.append(f"{key.path}: must equal {source} ({show(value)}), got "
                            f"{show(copy_value)}; set {source} instead")
    return problems


@rule
def boundary_bins_cover_ranges(v: Values) -> List[str]:
    """A boundary-distribution model (TBTFormer's ``reg_max``, TriDet's ``num_bins``) expresses
    offsets of 0..bins strides of the level; a target beyond is clamped. Only the top level's
    open-ended range may reach past the bins; on any other level clamping would silently move
    boundaries that the level is meant to regress."""
    for path in ("model.reg_max", "model.num_bins"):
        try:
            bins = v[path]
        except _Skip:
            continue
        if not _declared_by_model(v["model_name"], path):
            continue  # a harmless leftover of another model (e.g. a saved config)
        scale, start, ranges = v["model.scale_factor"], v["model.fpn_start_level"], v["model.regression_range"]
        need, failing = 1, []
        for level, (lo, hi) in enumerate(ranges):
            stride = scale ** (start + level)
            top = level == len(ranges) - 1
            # the top level needs its lower end inside the bins, every other level its upper end
            level_need = math.floor(lo / stride) + 1 if top else math.ceil(hi / stride)
            need = max(need, level_need)
            if bins < level_need:
                failing.append(f"level {level} (stride {stride}, range {show([lo, hi])})")
        if not failing:
            return []
        return [f"{path}: {bins} bins of the level's stride do not cover model.regression_range at "
                f"{', '.join(failing)}; targets there would be clamped. Set {path} to at least {need} "
                f"or narrow the ranges"]
    return []


def _declared_by_model(model_name: Any, path: str) -> bool:
    """Whether the selected meta-architecture (or a plug-in subclass) declares the key ``path``."""
    from actionformer.modeling.registries import META_ARCHS

    if not isinstance(model_name, str) or model_name not in META_ARCHS:
        return False
    return any(key.path == path for key in META_ARCHS.config_keys(model_name))
