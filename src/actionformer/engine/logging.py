"""Run logging on rank 0: a text log (file + console), TensorBoard scalars, tqdm bars.

Other ranks get a logger that only reports warnings and errors, a disabled bar and no writer,
so the console shows one copy of everything.
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterable, Optional

LOGGER_NAME = "actionformer.train"


def setup_logger(log_file: Optional[Path], is_main: bool = True, name: str = LOGGER_NAME) -> logging.Logger:
    """A logger writing ``message`` lines to stdout and to ``log_file`` (with time stamps)."""
    logger = logging.getLogger(name)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()
    logger.propagate = False
    logger.setLevel(logging.INFO if is_main else logging.WARNING)
    console = logging.StreamHandler(sys.stdout)
    console.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(console)
    if log_file is not None and is_main:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(str(log_file), mode="a", encoding="utf-8")
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S"))
        logger.addHandler(file_handler)
    return logger


def close_logger(logger: logging.Logger) -> None:
    for handler in list(logger.handlers):
        handler.flush()
        handler.close()
        logger.removeHandler(handler)


class NullWriter:
    """Stands in for a SummaryWriter on ranks other than 0 (or when TensorBoard is missing)."""

    def add_scalar(self, *args: Any, **kwargs: Any) -> None:
        pass

    def add_scalars(self, *args: Any, **kwargs: Any) -> None:
        pass

    def add_text(self, *args: Any, **kwargs: Any) -> None:
        pass

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def make_tb_writer(log_dir: Path, is_main: bool = True) -> Any:
    """A TensorBoard SummaryWriter on rank 0, else a no-op writer."""
    if not is_main:
        return NullWriter()
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # pragma: no cover - tensorboard is a declared dependency
        logging.getLogger(LOGGER_NAME).warning("tensorboard is not installed: no event files are written")
        return NullWriter()
    return SummaryWriter(str(log_dir))


def progress_bar(iterable: Iterable, total: int, desc: str, enabled: bool) -> Any:
    """A tqdm bar over ``iterable`` on rank 0 (a plain iterator elsewhere or without tqdm)."""
    if not enabled:
        return _PlainBar(iterable)
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover
        return _PlainBar(iterable)
    return tqdm(iterable, total=total, desc=desc, leave=False, dynamic_ncols=True, file=sys.stderr)


class _PlainBar:
    def __init__(self, iterable: Iterable) -> None:
        self._iterable = iterable

    def __iter__(self):
        return iter(self._iterable)

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass


def format_duration(seconds: float) -> str:
    seconds = max(int(round(seconds)), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


class AverageMeter:
    """Running average of a scalar (the original's AverageMeter)."""

    def __init__(self) -> None:
        self.val = 0.0
        self.sum = 0.0
        self.count = 0
        self.avg = 0.0

    def update(self, val: float, n: int = 1) -> None:
        self.val = float(val)
        self.sum += float(val) * n
        self.count += n
        self.avg = self.sum / max(self.count, 1)


class EpochTimer:
    """Epoch durations, for the ETA of the remaining epochs."""

    def __init__(self) -> None:
        self.durations: Dict[int, float] = {}
        self._start = time.time()

    def start(self) -> None:
        self._start = time.time()

    def stop(self, epoch: int) -> float:
        self.durations[epoch] = time.time() - self._start
        return self.durations[epoch]

    def eta(self, remaining_epochs: int) -> float:
        if not self.durations:
            return 0.0
        recent = list(self.durations.values())[-3:]
        return sum(recent) / len(recent) * remaining_epochs
