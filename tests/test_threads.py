"""actionformer.threads: the default thread count (affinity, cgroup quota, torchrun's local
processes, OMP_NUM_THREADS), setting torch's count, and the OpenMP wait policy."""

from __future__ import annotations

import sys

import pytest
import torch

from actionformer import threads


@pytest.fixture
def four_cpus(monkeypatch):
    monkeypatch.setattr(threads.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)


def test_default_is_the_affinity_without_quota_or_torchrun(four_cpus, tmp_path):
    assert threads.default_num_threads(env={}, cgroup_path=tmp_path / "absent") == 4


def test_default_is_capped_by_the_cgroup_quota_rounded_down(four_cpus, tmp_path):
    quota = tmp_path / "cpu.max"
    quota.write_text("250000 100000\n")
    assert threads.default_num_threads(env={}, cgroup_path=quota) == 2
    quota.write_text("50000 100000\n")  # half a CPU: still one thread
    assert threads.default_num_threads(env={}, cgroup_path=quota) == 1
    quota.write_text("max 100000\n")  # no quota
    assert threads.default_num_threads(env={}, cgroup_path=quota) == 4


def test_default_is_shared_among_torchruns_local_processes(four_cpus, tmp_path):
    absent = tmp_path / "absent"
    assert threads.default_num_threads(env={"LOCAL_WORLD_SIZE": "2"}, cgroup_path=absent) == 2
    assert threads.default_num_threads(env={"LOCAL_WORLD_SIZE": "3"}, cgroup_path=absent) == 1
    assert threads.default_num_threads(env={"LOCAL_WORLD_SIZE": "8"}, cgroup_path=absent) == 1


def test_an_explicit_omp_num_threads_is_respected(four_cpus, tmp_path):
    env = {"OMP_NUM_THREADS": "3", "LOCAL_WORLD_SIZE": "2"}
    assert threads.default_num_threads(env=env, cgroup_path=tmp_path / "absent") == 3
    env["OMP_NUM_THREADS"] = "lots"  # not a number: ignored
    assert threads.default_num_threads(env=env, cgroup_path=tmp_path / "absent") == 2


def test_configure_threads_sets_torchs_count_and_refuses_zero():
    assert threads.configure_threads(2) == 2 and torch.get_num_threads() == 2
    assert threads.configure_threads(1) == 1 and torch.get_num_threads() == 1
    with pytest.raises(ValueError, match="--threads 0"):
        threads.configure_threads(0)


def test_passive_wait_is_set_before_torch_loads_unless_the_user_chose(monkeypatch):
    env = {}
    assert not threads.prefer_passive_wait(env)  # torch is loaded here: too late, nothing set
    assert env == {}
    monkeypatch.delitem(sys.modules, "torch")
    assert threads.prefer_passive_wait(env) and env == {"OMP_WAIT_POLICY": "PASSIVE"}
    chosen = {"GOMP_SPINCOUNT": "10000"}
    assert not threads.prefer_passive_wait(chosen) and "OMP_WAIT_POLICY" not in chosen


def test_torchruns_own_one_thread_default_is_replaced_by_the_division(four_cpus, tmp_path):
    # torchrun exports OMP_NUM_THREADS=1 to each of several local processes when the user set none
    env = {"OMP_NUM_THREADS": "1", "LOCAL_WORLD_SIZE": "2"}
    assert threads.default_num_threads(env, cgroup_path=tmp_path / "absent") == 2
    # alone, a 1 is the user's choice
    assert threads.default_num_threads({"OMP_NUM_THREADS": "1"}, cgroup_path=tmp_path / "absent") == 1
