"""Training engine: loops, trainer, checkpoints, torchrun helpers, EMA, optimizer and schedules."""

from .checkpoint import atomic_torch_save, latest_checkpoint, load_checkpoint_file, save_checkpoint
from .ema import ModelEma, unwrap_model
from .loops import predict, train_one_epoch, valid_one_epoch
from .optim import make_optimizer, make_scheduler
from .seed import fix_random_seed
from .trainer import Trainer, TrainOptions

__all__ = [
    "ModelEma",
    "Trainer",
    "TrainOptions",
    "atomic_torch_save",
    "fix_random_seed",
    "latest_checkpoint",
    "load_checkpoint_file",
    "make_optimizer",
    "make_scheduler",
    "predict",
    "save_checkpoint",
    "train_one_epoch",
    "unwrap_model",
    "valid_one_epoch",
]
