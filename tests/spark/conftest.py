"""One real local Spark session for every Spark test of a worker: starting a JVM costs seconds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("pyspark", reason="the spark extra is not installed (make test installs it)")


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from billing.ledger.spark_reduce import session

    spark = session("local[2]", partitions=2)
    spark.sparkContext.setLogLevel("ERROR")
    yield spark
    spark.stop()
