"""A fixed CPU budget per process: a cgroup of its own with a CFS quota (cgroup v1
``cpu.cfs_quota_us``, v2 ``cpu.max``), so that a scaling test gives every replica the same
share of a core whatever else the machine runs.

Needs a writable cpu controller (root, cgroups not read-only); otherwise ``CpuBudgets`` raises
``BudgetUnavailable`` with the reason, for the caller to print and record.
"""

import contextlib
import os
from pathlib import Path
from typing import Any

PERIOD_US = 100_000


class BudgetUnavailable(RuntimeError):
    """No writable cgroup cpu controller here (the reason is the message)."""


def cpu_controller() -> tuple[Path, int]:
    """(mount point, cgroup version) of the cpu controller: v1's ``cpu`` hierarchy when
    mounted (a hybrid machine binds the controller there), else the v2 unified tree."""
    mounts = [line.split() for line in Path("/proc/self/mounts").read_text().splitlines()]
    for _, where, kind, options, *_ in mounts:
        if kind == "cgroup" and "cpu" in options.split(","):
            return Path(where), 1
    for _, where, kind, *_ in mounts:
        if kind == "cgroup2":
            root = Path(where)
            try:
                controllers = (root / "cgroup.controllers").read_text().split()
            except OSError:
                continue
            if "cpu" in controllers:
                return root, 2
    raise BudgetUnavailable("no cgroup cpu controller is mounted")


class CpuBudget:
    """One cgroup with a quota of ``cores``; ``add(pid)`` moves a process into it."""

    def __init__(self, path: Path, version: int, cores: float) -> None:
        self.path, self.version, self.cores = path, version, cores
        quota = max(1_000, round(cores * PERIOD_US))
        if version == 1:
            (path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (path / "cpu.cfs_quota_us").write_text(str(quota))
        else:
            (path / "cpu.max").write_text(f"{quota} {PERIOD_US}")

    def add(self, pid: int) -> None:
        (self.path / "cgroup.procs").write_text(str(pid))

    def throttling(self) -> dict[str, float]:
        """CFS periods so far, of which throttled, and the time throttled (s)."""
        stat = dict(
            (key, int(value))
            for key, value in (
                line.split() for line in (self.path / "cpu.stat").read_text().splitlines()
            )
        )
        throttled_s = (
            stat.get("throttled_time", 0) / 1e9
            if self.version == 1
            else stat.get("throttled_usec", 0) / 1e6
        )
        return {
            "periods": stat.get("nr_periods", 0),
            "throttled_periods": stat.get("nr_throttled", 0),
            "throttled_seconds": throttled_s,
        }


class CpuBudgets:
    """``with CpuBudgets(count, cores) as budgets:`` ``count`` cgroups of ``cores`` each,
    removed afterwards (once the processes in them have exited)."""

    def __init__(self, count: int, cores: float) -> None:
        self.count, self.cores = count, cores
        self.budgets: list[CpuBudget] = []

    def __enter__(self) -> list[CpuBudget]:
        root, version = cpu_controller()
        if version == 2:
            enabled = (root / "cgroup.subtree_control").read_text().split()
            if "cpu" not in enabled:
                try:
                    (root / "cgroup.subtree_control").write_text("+cpu")
                except OSError as error:
                    raise BudgetUnavailable(
                        f"cannot enable the cpu controller under {root} ({error})"
                    ) from error
        try:
            for n in range(self.count):
                path = root / f"promoteros-bench-{os.getpid()}-{n}"
                path.mkdir(exist_ok=True)
                self.budgets.append(CpuBudget(path, version, self.cores))
        except OSError as error:
            self._remove()
            raise BudgetUnavailable(
                f"cannot create a cgroup with a CPU quota under {root} (cgroup v{version}:"
                f" {error.strerror or error}; needs root and writable cgroups)"
            ) from error
        return self.budgets

    def _remove(self) -> None:
        for budget in self.budgets:
            # a process still in it: left behind, harmless and named for our pid
            with contextlib.suppress(OSError):
                budget.path.rmdir()
        self.budgets = []

    def __exit__(self, *exc: Any) -> None:
        self._remove()
