"""The lake store's graph queries as Spark SQL over its Parquet parts, for graphs one
machine cannot hold (``--engine spark``; lineage emitted from a Spark pipeline is
:mod:`lineage.ingest.spark_emit`). Needs ``pyspark`` (``pip install 'lineage[spark]'``)
and a Java runtime."""
