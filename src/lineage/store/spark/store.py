"""A lake store whose graph reads run in Spark (``--engine spark``); its log reads, and
the writes of an append, are the lake store's own."""

from __future__ import annotations

from lineage.store.lake.store import LakeStore
from lineage.store.spark.frames import Frames
from lineage.store.spark.graph import SparkGraph
from lineage.store.spark.session import spark_session


class SparkLakeStore(SparkGraph, LakeStore):
    """:class:`LakeStore` with the graph reads of :class:`SparkGraph`."""

    def __init__(self, url: str, *, read_only: bool = False) -> None:
        LakeStore.__init__(self, url, read_only=read_only)
        try:
            session = spark_session()
        except BaseException:
            LakeStore.close(self)
            raise
        SparkGraph.__init__(self, Frames(session, self.part_paths))
