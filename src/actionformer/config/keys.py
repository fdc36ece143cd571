"""The table of every config key: type, default, meaning.

Defaults of ``origin=ORIGINAL`` keys are the original release's DEFAULTS (tuples written as
lists, which is what YAML gives and what ``yaml.safe_dump`` can write). ``ORIGINAL_FILES`` keys
are set by the original's YAML files but have no default there. ``OURS`` keys extend the
original; their defaults leave the original's behaviour unchanged.
"""

from __future__ import annotations

from typing import Optional

from .schema import NO_DEFAULT, ORIGINAL_FILES, OURS, Key
from .valuetypes import AnyOf, Bool, Derived, Float, Int, ListOf, Null, Registered, Section, Str, ValueType

# the registries that config keys select from (imported only when a value is checked)
META_ARCHS = "actionformer.modeling.registries:META_ARCHS"
BACKBONES = "actionformer.modeling.registries:BACKBONES"
NECKS = "actionformer.modeling.registries:NECKS"
NMS_METHODS = "actionformer.postprocess.registries:NMS_METHODS"
DETECTION_FILTERS = "actionformer.postprocess.registries:DETECTION_FILTERS"
DATASETS = "actionformer.data.builders:DATASETS"

POS_INT = Int(lo=1)
NON_NEG_INT = Int(lo=0)
POS_FLOAT = Float(lo=0, lo_open=True)
NON_NEG_FLOAT = Float(lo=0)
UNIT = Float(lo=0, hi=1)
UNIT_HALF_OPEN = Float(lo=0, hi=1, hi_open=True)
STR = Str()
OPT_STR = AnyOf(Null(), Str())
STR_LIST = ListOf(Str(), min_len=1)


def _odd(value: object) -> Optional[str]:
    return None if value % 2 == 1 else "must be odd (a centred convolution kernel)"


def _ordered_pair(value: object) -> Optional[str]:
    if value is None:
        return None
    lo, hi = value
    if not 0 < lo <= hi <= 1:
        return "must be [lo, hi] with 0 < lo <= hi <= 1"
    return None


def _ranges_increasing(value: object) -> Optional[str]:
    for idx, (lo, hi) in enumerate(value):
        if not lo < hi:
            return f"range {idx} [{lo}, {hi}] must have lo < hi"
    return None


def _window(value: object) -> Optional[str]:
    wins = value if isinstance(value, (list, tuple)) else [value]
    for w in wins:
        if w < -1 or w == 0:
            return "window sizes are -1 (global attention) or >= 1"
    return None


def _seed(value: object) -> Optional[str]:
    return None if 0 <= value < 2**32 else "must be in [0, 2**32) (numpy's seed range)"


_TOP = [
    Key("init_rand_seed", Int(), 1234567891, "Random seed for Python, NumPy and torch, in [0, 2**32).", check=_seed),
    Key("dataset_name", Registered(DATASETS), "epic",
        "Registered dataset to build (`thumos`, `anet`, `epic`, `ego4d`, `custom`, or one "
        "registered by a module in `custom_imports`)."),
    Key("devices", ListOf(AnyOf(Str(), NON_NEG_INT), min_len=1), ["cuda:0"],
        "The original's GPU list (it trained on them with DataParallel and multiplied "
        "`opt.learning_rate` and `loader.num_workers` by their count). See also `trainer.device`."),
    Key("train_split", STR_LIST, ["training"], "Subsets (annotation `subset` values) to train on."),
    Key("val_split", STR_LIST, ["validation"], "Subsets to evaluate on."),
    Key("model_name", Registered(META_ARCHS), "LocPointTransformer",
        "Registered meta-architecture to build (`model.meta_arch`, the seed fork's spelling, "
        "means the same); its task (detection) picks the evaluator."),
    Key("output_folder", STR, NO_DEFAULT, "Folder under which each run's checkpoint folder is made.",
        origin=ORIGINAL_FILES),
    Key("custom_imports", ListOf(Str(pattern=r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*|.+\.py",
                                      pattern_doc="module name or path to a .py file")), [],
        "Python modules (dotted names, looked up in the working directory too, or paths to .py "
        "files) imported before anything is built, so that they can register their own "
        "datasets, backbones, necks or meta-architectures.", origin=OURS),
]

_DATASET = [
    Key("dataset", Section(), NO_DEFAULT, "Features and annotations (passed to the dataset)."),
    Key("dataset.json_file", STR, NO_DEFAULT,
        "Annotation file: the benchmark's JSON, or a CSV for `custom` datasets.", origin=ORIGINAL_FILES),
    Key("dataset.feat_folder", AnyOf(Str(), STR_LIST), NO_DEFAULT,
        "Feature folder (or an .h5/.hdf5 file); a list concatenates several feature sets along "
        "channels (Ego4D).", origin=ORIGINAL_FILES),
    Key("dataset.file_prefix", OPT_STR, NO_DEFAULT, "Prefix of feature file names (`v_` for "
        "ActivityNet), null for none.", origin=ORIGINAL_FILES),
    Key("dataset.file_ext", OPT_STR, NO_DEFAULT, "Extension of feature files (`.npy`, `.npz`).",
        origin=ORIGINAL_FILES),
    Key("dataset.feat_stride", POS_FLOAT, 16, "Temporal stride of the features, in frames."),
    Key("dataset.num_frames", POS_FLOAT, 32, "Frames covered by one feature (clip length)."),
    Key("dataset.default_fps", AnyOf(Null(), POS_FLOAT), None,
        "Frame rate of every video; null reads each video's fps from the annotations."),
    Key("dataset.input_dim", AnyOf(POS_INT, ListOf(POS_INT, min_len=1)), 2304,
        "Feature channels; a list gives the channels of each concatenated feature set (then "
        "`model.embd_dim` must be a list of the same length)."),
    Key("dataset.num_classes", POS_INT, 97, "Number of action classes."),
    Key("dataset.downsample_rate", POS_INT, 1, "Keep every n-th feature (1 = full resolution)."),
    Key("dataset.max_seq_len", POS_INT, 2304,
        "Training sequence length: longer videos are cropped, shorter ones padded to it."),
    Key("dataset.trunc_thresh", UNIT, 0.5,
        "A cropped action is kept if at least this fraction of it is inside the crop."),
    Key("dataset.crop_ratio", AnyOf(Null(), ListOf(Float(), length=2)), None,
        "[lo, hi] with 0 < lo <= hi <= 1: randomly crop training videos to this fraction of "
        "`max_seq_len` (used with `force_upsampling`); null disables.", check=_ordered_pair),
    Key("dataset.force_upsampling", Bool(), False,
        "Resize every video's features to exactly `max_seq_len` (ActivityNet)."),
    Key("dataset.on_bad_video", Str(choices=["error", "skip"]), "error",
        "What training does with a video that fails the data checks: stop with an error, or skip "
        "it with a warning.", origin=OURS),
    Key("dataset.video_list", OPT_STR, None,
        "Custom datasets with CSV annotations: a CSV of videos (video, duration, fps[, subset]).",
        origin=OURS),
    Key("dataset.class_list", OPT_STR, None,
        "Optional text file with one class name per line (line order = label id).", origin=OURS),
]

_LOADER = [
    Key("loader", Section(), NO_DEFAULT, "Data loading."),
    Key("loader.batch_size", POS_INT, 8,
        "Training batch size of one optimizer step over all processes (the global batch: under "
        "torchrun each process takes batch_size / processes / accum_steps)."),
    Key("loader.num_workers", NON_NEG_INT, 4, "DataLoader worker processes."),
    Key("loader.pin_memory", Bool(), True, "Pin host memory for faster copies to the GPU.",
        origin=OURS),
]

_WINDOW = AnyOf(Int(), ListOf(Int(), min_len=1))

_MODEL = [
    Key("model", Section(), NO_DEFAULT, "Network architecture (the meta-architecture's arguments)."),
    Key("model.backbone_type", Registered(BACKBONES), "convTransformer",
        "Registered backbone: `convTransformer`, `conv` or `convTransformerv2`."),
    Key("model.fpn_type", Registered(NECKS), "identity",
        "Registered neck: `identity`, `fpn` or `cs_fpn` (top-down then bottom-up)."),
    Key("model.backbone_arch", ListOf(NON_NEG_INT, length=3), [2, 2, 5],
        "[embedding convs, stem blocks, branch blocks]; the pyramid has branch + 1 levels."),
    Key("model.scale_factor", POS_INT, 2, "Downsampling between consecutive pyramid levels."),
    Key("model.regression_range", ListOf(ListOf(NON_NEG_FLOAT, length=2), min_len=1),
        [[0, 4], [4, 8], [8, 16], [16, 32], [32, 64], [64, 10000]],
        "[lo, hi] per pyramid level (from `fpn_start_level`): the action sizes, in units of the "
        "level's stride, that level regresses (lo < hi).", check=_ranges_increasing),
    Key("model.n_head", POS_INT, 4, "Attention heads."),
    Key("model.n_mha_win_size", _WINDOW, -1,
        "Local attention window: one for all levels or one per level (backbone_arch[-1] + 1 "
        "values); -1 (or 1) = global attention.", check=_window),
    Key("model.embd_kernel_size", POS_INT, 3, "Kernel size (odd) of the embedding convolutions.",
        check=_odd),
    Key("model.embd_dim", AnyOf(POS_INT, ListOf(POS_INT, min_len=1)), 512,
        "Embedding channels; a list projects each input feature set to its own width, then "
        "concatenates (the width is the sum)."),
    Key("model.embd_with_ln", Bool(), True, "LayerNorm after each embedding convolution."),
    Key("model.fpn_dim", POS_INT, 512, "Neck output channels (identity neck: equals embd_dim)."),
    Key("model.fpn_with_ln", Bool(), True, "LayerNorm at the end of the neck."),
    Key("model.fpn_start_level", NON_NEG_INT, 0, "First backbone level passed to the heads."),
    Key("model.head_dim", POS_INT, 512, "Channels of the classification / regression heads."),
    Key("model.head_kernel_size", POS_INT, 3, "Kernel size (odd) of the head convolutions.", check=_odd),
    Key("model.head_num_layers", POS_INT, 3, "Layers per head, the classifier included."),
    Key("model.head_with_ln", Bool(), True, "LayerNorm in the heads."),
    Key("model.max_buffer_len_factor", POS_FLOAT, 6.0,
        "Accepted for the original's configs and unused: the original precomputed points for "
        "max_seq_len x this factor (its longest video at inference); here points are made for "
        "any length, so it limits nothing."),
    Key("model.use_abs_pe", Bool(), False, "Add sinusoidal absolute position encodings."),
    Key("model.use_rel_pe", Bool(), False, "Learned relative position bias in local attention."),
    Key("model.input_dim", Derived("dataset.input_dim"), NO_DEFAULT, "Set by the loader."),
    Key("model.num_classes", Derived("dataset.num_classes"), NO_DEFAULT, "Set by the loader."),
    Key("model.max_seq_len", Derived("dataset.max_seq_len"), NO_DEFAULT, "Set by the loader."),
    Key("model.train_cfg", Derived("train_cfg"), NO_DEFAULT,
        "Set by the loader (the same dict as `train_cfg`)."),
    Key("model.test_cfg", Derived("test_cfg"), NO_DEFAULT,
        "Set by the loader (the same dict as `test_cfg`)."),
]

_TRAIN = [
    Key("train_cfg", Section(), NO_DEFAULT, "Training targets and losses."),
    Key("train_cfg.center_sample", Str(choices=["radius", "none"]), "radius",
        "Positive points: only near the action centre (`radius`) or anywhere inside (`none`)."),
    Key("train_cfg.center_sample_radius", POS_FLOAT, 1.5, "Centre radius, in units of stride."),
    Key("train_cfg.loss_weight", Float(), 1.0,
        "Weight of the regression loss (> 0), or -1 to balance it automatically.",
        check=lambda v: None if v > 0 or v == -1 else "must be > 0, or -1 (automatic balancing)"),
    Key("train_cfg.cls_prior_prob", Float(lo=0, hi=1, lo_open=True, hi_open=True), 0.01,
        "Prior probability used to initialise the classifier bias."),
    Key("train_cfg.init_loss_norm", POS_FLOAT, 2000,
        "Initial value of the running number of positives that normalises the losses."),
    Key("train_cfg.clip_grad_l2norm", Float(), -1,
        "Clip gradients to this L2 norm; <= 0 disables clipping."),
    Key("train_cfg.head_empty_cls", ListOf(NON_NEG_INT), [],
        "Class ids with no training data; their logits are initialised to ~0 probability "
        "(the trainer fills this in from the dataset)."),
    Key("train_cfg.dropout", UNIT_HALF_OPEN, 0.0, "Dropout in the transformer projections."),
    Key("train_cfg.droppath", UNIT_HALF_OPEN, 0.1, "Stochastic depth (drop path) rate."),
    Key("train_cfg.label_smoothing", UNIT_HALF_OPEN, 0.0, "Label smoothing of the class targets."),
]

class _ConstraintsMapping(ValueType):
    """A temporal-rules mapping (``postprocess/constraint_rules.py``), checked on its own."""

    def check(self, value: object) -> Optional[str]:
        if not isinstance(value, dict):
            return "expected a mapping (classes, exclusive, max_per_video)"
        from actionformer.postprocess.constraint_rules import check_mapping

        return check_mapping(value)

    def describe(self) -> str:
        return "mapping {classes: {CLASS or '*': {min_duration, max_duration, min_gap, merge_gap}}, " \
               "exclusive: [[CLASS, ...]], max_per_video}"


_TEST = [
    Key("test_cfg", Section(), NO_DEFAULT, "Decoding and post-processing at inference."),
    Key("test_cfg.pre_nms_thresh", UNIT, 0.001, "Drop candidates scoring below this before NMS."),
    Key("test_cfg.pre_nms_topk", POS_INT, 5000, "Keep at most this many candidates before NMS."),
    Key("test_cfg.iou_threshold", UNIT, 0.1, "IoU threshold of hard NMS."),
    Key("test_cfg.min_score", UNIT, 0.01, "Drop detections scoring below this after NMS."),
    Key("test_cfg.max_seg_num", POS_INT, 1000, "Keep at most this many detections per video."),
    Key("test_cfg.nms_method", Registered(NMS_METHODS), "soft",
        "Registered NMS method: Soft-NMS (Gaussian), hard NMS, or none."),
    Key("test_cfg.nms_sigma", POS_FLOAT, 0.5, "Gaussian sigma of Soft-NMS."),
    Key("test_cfg.duration_thresh", NON_NEG_FLOAT, 0.05,
        "Drop candidates shorter than this before NMS, in feature-grid steps (not seconds: the "
        "original compares it with the decoded segment on the grid)."),
    Key("test_cfg.multiclass_nms", Bool(), True, "Run NMS per class (else across classes)."),
    Key("test_cfg.ext_score_file", OPT_STR, None,
        "JSON of external video-level class scores to fuse (ActivityNet); null for none."),
    Key("test_cfg.voting_thresh", UNIT, 0.75,
        "IoU threshold of score voting to refine boundaries after NMS; 0 disables."),
    Key("test_cfg.score_temperature", Float(lo=0, lo_open=True, hi=float("inf"), hi_open=True), 1.0,
        "Temperature T of the class scores, sigmoid(logit / T), applied before `pre_nms_thresh`: "
        "T > 1 softens over-confident scores, T < 1 sharpens them; 1 = the original.", origin=OURS),
    Key("test_cfg.filters", ListOf(Registered(DETECTION_FILTERS)), [],
        "Registered detection filters applied in order to each video's detections after NMS, "
        "in seconds (built in: `constraints`; a module in `custom_imports` may register more).",
        origin=OURS),
    Key("test_cfg.constraints", AnyOf(Null(), _ConstraintsMapping()), None,
        "Temporal rules on each video's detections after NMS, in seconds (docs/postprocessing.md): "
        "per class (name or id, `*` = all) `min_duration`, `max_duration`, `min_gap` (keep the "
        "higher score), `merge_gap` (merge same-class detections this close); `exclusive` class "
        "groups that cannot overlap; `max_per_video`. Set = the `constraints` filter runs; null = "
        "none.", origin=OURS),
]

_OPT = [
    Key("opt", Section(), NO_DEFAULT, "Optimizer and learning-rate schedule."),
    Key("opt.type", Str(choices=["AdamW", "SGD"]), "AdamW", "Optimizer."),
    Key("opt.momentum", UNIT, 0.9, "SGD momentum."),
    Key("opt.weight_decay", NON_NEG_FLOAT, 0.0, "Weight decay (not applied to norms and biases)."),
    Key("opt.learning_rate", POS_FLOAT, 0.001, "Learning rate (per the original, for one device)."),
    Key("opt.epochs", POS_INT, 30, "Epochs after warm-up."),
    Key("opt.warmup", Bool(), True, "Linear learning-rate warm-up first."),
    Key("opt.warmup_epochs", NON_NEG_INT, 5, "Warm-up epochs."),
    Key("opt.schedule_type", Str(choices=["cosine", "multistep"]), "cosine",
        "Schedule after warm-up."),
    Key("opt.schedule_steps", ListOf(NON_NEG_INT), [],
        "Multistep: epochs (after warm-up) at which the rate is multiplied by `schedule_gamma`."),
    Key("opt.schedule_gamma", POS_FLOAT, 0.1, "Multistep decay factor."),
    Key("opt.early_stop_epochs", AnyOf(Null(), POS_INT), None,
        "Stop training after this many epochs (warm-up included); null = epochs + "
        "warmup_epochs (the original's train.py reads it when present).", origin=OURS),
]

_TRAINER = [
    Key("trainer", Section(), NO_DEFAULT, "How the training loop runs.", origin=OURS),
    Key("trainer.amp", Str(choices=["off", "fp16", "bf16"]), "off",
        "Automatic mixed precision.", origin=OURS),
    Key("trainer.accum_steps", POS_INT, 1,
        "Gradient accumulation: optimizer step every this many batches.", origin=OURS),
    Key("trainer.eval_freq", NON_NEG_INT, 0,
        "Validate every this many epochs; 0 = only after the last epoch.", origin=OURS),
    Key("trainer.ckpt_freq", NON_NEG_INT, 5,
        "Save a checkpoint every this many epochs (the last epoch is always saved); 0 = last only.",
        origin=OURS),
    Key("trainer.print_freq", POS_INT, 10, "Log every this many iterations.", origin=OURS),
    Key("trainer.loss_logger", Bool(), True,
        "Moving averages of every loss term, positives and mean IoU (predicted vs ground truth) "
        "at positive points per pyramid level: in the progress bar, TensorBoard and one log line "
        "per epoch (LossLogger). Changes no result.", origin=OURS),
    Key("trainer.keep_last", NON_NEG_INT, 3,
        "Keep only this many most recent periodic checkpoints (0 keeps all).", origin=OURS),
    Key("trainer.ema_decay", UNIT, 0.999, "Decay of the model's exponential moving average.",
        origin=OURS),
    Key("trainer.ema_warmup", Bool(), True,
        "EMA decay after t updates: min(ema_decay, (1 + t) / (3 + t)); false = ema_decay from the first "
        "update (the original's rule).", origin=OURS),
    Key("trainer.device", Str(pattern=r"auto|cpu|cuda(:\d+)?",
                              pattern_doc='"auto" | "cpu" | "cuda" | "cuda:N"'), "auto",
        "Device to train on; auto = CUDA when available.", origin=OURS),
]

KEYS = tuple(_TOP + _DATASET + _LOADER + _MODEL + _TRAIN + _TEST + _OPT + _TRAINER)
