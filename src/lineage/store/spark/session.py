"""The Spark session lineage uses: ``local[2]`` unless ``LINEAGE_SPARK_MASTER`` (or a
session already running in this process) says otherwise. In local mode the Python
workers run this interpreter, so they import the same lineage."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from lineage.errors import ConfigurationError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

MASTER_ENV = "LINEAGE_SPARK_MASTER"
DEFAULT_MASTER = "local[2]"
SHUFFLE_PARTITIONS = "2"
"""In local mode, few partitions: the default 200 make every small join 200 tasks (on
a cluster, Spark's own setting applies)."""


def spark_session() -> SparkSession:
    """The active Spark session, or a new one on ``LINEAGE_SPARK_MASTER`` (default
    ``local[2]``: a driver on loopback, no web UI)."""
    try:
        from pyspark.sql import SparkSession

        from lineage.spark_errors import SPARK_ERRORS, spark_reason
    except ImportError as exc:
        raise ConfigurationError(
            "--engine spark needs pyspark (pip install 'lineage[spark]') and Java 17+"
        ) from exc
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    master = os.environ.get(MASTER_ENV, DEFAULT_MASTER)
    builder = (
        SparkSession.builder.master(master)
        .appName("lineage")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
    )
    if master.startswith("local"):
        # one machine: few shuffle partitions, no web UI, the driver on loopback, and
        # Python workers running this interpreter (so they import this lineage)
        builder = (
            builder.config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", SHUFFLE_PARTITIONS)
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
        )
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    try:
        session = builder.getOrCreate()
    except SPARK_ERRORS as exc:
        raise ConfigurationError(f"could not start Spark: {spark_reason(exc)}") from exc
    session.sparkContext.setLogLevel("ERROR")
    return session
