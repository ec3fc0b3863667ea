"""Apache Spark for what one machine cannot do: the lake's graph queries as Spark SQL
over its Parquet parts (:mod:`lineage.spark.graph`) and lineage emitted per partition of
a Spark pipeline (:mod:`lineage.spark.emit`). Needs ``pyspark`` (``pip install
'lineage[spark]'``) and a Java runtime."""
