"""Stage timings: where the wall time of a Spark reduction goes, stage by stage.

Spark is lazy, so reading, validating, deduplicating and reducing run as one job; its own
stages (a shuffle ends one) are read from Spark's status store, the driver's steps (collect,
write the rejected rows, ingest into the ledger) are timed around them. Executor CPU seconds
sit beside the wall seconds, since on a shared machine wall time says more about the
neighbours than about the job. Nothing here imports Spark.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Stage:
    name: str
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # the driver's own, plus Spark executors' when Spark ran it

    def to_dict(self) -> dict[str, Any]:
        return {"stage": self.name, "seconds": round(self.seconds, 3),
                "cpu_seconds": round(self.cpu_seconds, 3)}


@dataclass
class Stages:
    """The stages in the order they first ran; a stage that runs twice adds up."""

    stages: dict[str, Stage] = field(default_factory=dict)

    def add(self, name: str, seconds: float, cpu_seconds: float = 0.0) -> None:
        stage = self.stages.setdefault(name, Stage(name))
        stage.seconds += seconds
        stage.cpu_seconds += cpu_seconds

    @contextmanager
    def timed(self, name: str, spark: Any = None, spark_names: Sequence[str] = ()
              ) -> Iterator[None]:
        """Time a step; with `spark`, the Spark stages it ran are split out under
        `spark_names` (in the order Spark ran them; the last name takes any beyond)."""
        group = f"billing-{name}-{time.monotonic_ns()}"
        if spark is not None:
            spark.sparkContext.setJobGroup(group, name)
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            split = _spark_stages(spark, group) if spark is not None else []
            if spark is not None:
                spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
                spark.sparkContext.setLocalProperty("spark.job.description", None)
            if spark_names and split:
                self._split(wall, cpu, split, spark_names)
            else:
                self.add(name, wall, cpu + sum(item[1] for item in split))

    def _split(self, wall: float, cpu: float, split: list[tuple[float, float]],
               names: Sequence[str]) -> None:
        """The step's wall time shared by its Spark stages in proportion to their own wall
        time (stages mostly run one after the other); the driver's share goes to the first."""
        spent = sum(item[0] for item in split) or 1.0
        for index, (seconds, executor_cpu) in enumerate(split):
            self.add(names[min(index, len(names) - 1)], wall * seconds / spent,
                     executor_cpu + (cpu if index == 0 else 0.0))

    @property
    def total(self) -> float:
        return sum(stage.seconds for stage in self.stages.values())

    def to_list(self) -> list[dict[str, Any]]:
        return [stage.to_dict() for stage in self.stages.values()]


def _spark_stages(spark: Any, group: str) -> list[tuple[float, float]]:
    """(wall seconds, executor CPU seconds) of each Spark stage the job group ran, by stage
    id; a stage skipped because an earlier one's output was reused has no time."""
    try:
        store = spark.sparkContext._jsc.sc().statusStore()
        ids = []
        jobs = store.jobsList(None).iterator()
        while jobs.hasNext():
            job = jobs.next()
            if job.jobGroup().isDefined() and job.jobGroup().get() == group:
                stages = job.stageIds().iterator()
                while stages.hasNext():
                    ids.append(int(stages.next()))
        found = []
        for stage_id in sorted(set(ids)):
            try:
                data = store.lastStageAttempt(stage_id)
            except Exception:  # noqa: BLE001, S112 - a stage never attempted
                continue
            if not (data.submissionTime().isDefined() and data.completionTime().isDefined()):
                continue
            millis = data.completionTime().get().getTime() - data.submissionTime().get().getTime()
            found.append((millis / 1000, data.executorCpuTime() / 1e9))
        return found
    except Exception:  # noqa: BLE001 - timings are a report; never fail the job for them
        return []
