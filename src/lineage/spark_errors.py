"""What Spark raises, and one line saying why: for the Spark engine of the lake store
and for lineage emitted from Spark executors. Needs ``pyspark`` (imported here only)."""

from __future__ import annotations

from py4j.protocol import Py4JError
from pyspark.errors import PySparkException

SPARK_ERRORS = (PySparkException, Py4JError)
"""What a failed Spark job raises (its own errors, and the JVM bridge's)."""


def spark_reason(exc: BaseException) -> str:
    """One line saying why Spark failed: the JVM's exception without its stack, or the
    last error line of a Python worker's traceback (the error the worker raised)."""
    java = getattr(exc, "java_exception", None)
    text = str(java.toString()) if java is not None else str(exc)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return type(exc).__name__
    if any(line.startswith("Traceback") for line in lines):
        errors = [line for line in lines if "Error: " in line or "Exception: " in line]
        return errors[-1] if errors else lines[-1]
    return lines[0]
