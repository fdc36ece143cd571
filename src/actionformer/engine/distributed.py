"""torchrun integration: process-group setup from the environment, rank helpers, gathering.

``torchrun`` sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT; when they are
present :func:`init_distributed` joins the group (NCCL on CUDA, gloo on CPU), otherwise the
run is a single process and every helper here degrades to a no-op.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any, List, Optional

import torch
import torch.distributed as dist


def launched_by_torchrun() -> bool:
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


def get_rank() -> int:
    return dist.get_rank() if is_distributed() else 0


def get_world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def get_local_rank() -> int:
    return int(os.environ.get("LOCAL_RANK", 0))


def is_main_process() -> bool:
    return get_rank() == 0


def restart_count() -> int:
    """How many times torchrun has restarted this worker group (``--max-restarts``)."""
    return int(os.environ.get("TORCHELASTIC_RESTART_COUNT", 0))


def resolve_device(requested: str = "auto") -> torch.device:
    """'auto' -> this process's GPU when there is one, else CPU; 'cuda' -> cuda:LOCAL_RANK."""
    requested = (requested or "auto").lower()
    if requested == "auto":
        requested = "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda"):
        if not torch.cuda.is_available():
            raise RuntimeError("--device cuda was asked for, but torch sees no CUDA device")
        if requested == "cuda":
            return torch.device("cuda", get_local_rank() % max(torch.cuda.device_count(), 1))
        return torch.device(requested)
    return torch.device(requested)


def init_distributed(device: torch.device, timeout_s: float = 1800.0) -> bool:
    """Join the torchrun process group if launched by torchrun; True when distributed."""
    if not launched_by_torchrun() or int(os.environ["WORLD_SIZE"]) <= 1:
        return False
    if is_distributed():
        return True
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group(backend=backend, timeout=timedelta(seconds=timeout_s))
    return True


def cleanup_distributed() -> None:
    if is_distributed():
        dist.destroy_process_group()


def barrier() -> None:
    if is_distributed():
        dist.barrier()


def all_gather_objects(obj: Any) -> List[Any]:
    """Every rank's ``obj`` (picklable), in rank order; ``[obj]`` in a single process."""
    if not is_distributed():
        return [obj]
    gathered: List[Any] = [None] * get_world_size()
    dist.all_gather_object(gathered, obj)
    return gathered


def broadcast_object(obj: Any, src: int = 0) -> Any:
    """Rank ``src``'s ``obj`` on every rank."""
    if not is_distributed():
        return obj
    holder = [obj if get_rank() == src else None]
    dist.broadcast_object_list(holder, src=src)
    return holder[0]


def all_reduce_mean(value: float, device: Optional[torch.device] = None) -> float:
    """Mean of a python float over ranks."""
    if not is_distributed():
        return float(value)
    tensor = torch.tensor([float(value)], dtype=torch.float64, device=device)
    dist.all_reduce(tensor)
    return float(tensor.item()) / get_world_size()
