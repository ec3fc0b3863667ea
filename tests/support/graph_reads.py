"""Every graph read of the store contract about one node, and the queries composed from
them, as one comparable list: what two stores (or two engines) must answer alike."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from lineage.errors import InputError
from lineage.policy.origins import origin_rows
from lineage.query.impact import impact
from lineage.query.trace import Trace
from lineage.store import Store

# the random pipelines' steps are dated 2024-06-01..04: now, and between two of them
AS_OF = [None, 1_717_286_400_000_000]


def _answer(query: Callable[[], object]) -> object:
    try:
        return query()
    except InputError as exc:
        return str(exc)


def _traced(store: Store, node: str, as_of: int | None) -> list[str]:
    return sorted(r.id for r in Trace(store, node, as_of).origins())


def _impacted(store: Store, node: str, as_of: int | None) -> object:
    return impact(store, node, as_of).to_json()


def node_reads(
    store: Store, node: str, kind: str, as_of_times: Sequence[int | None] = tuple(AS_OF)
) -> list[object]:
    """The answers of ``store`` to every read about ``node`` (of kind ``kind``)."""
    answers: list[object] = [store.node(node), store.nodes([node, "rec:none"])]
    for as_of in as_of_times:
        answers += [
            store.edges_of(node, as_of),
            store.edges_of(node, as_of, downstream_only=True, limit=2),
            store.drops_of([node], as_of),
            store.drops_of([node, "rec:none", *store.nodes([node])], as_of),
            sorted(store.walk(node, True, as_of)),
            sorted(store.walk(node, False, as_of)),
        ]
        for edge_kind in ("DERIVED_FROM", "PACKED_INTO", "PART_OF", "TRAINED_ON"):
            answers += [
                store.edges_into([node], edge_kind, as_of),
                store.count_into([node], edge_kind, as_of),
            ]
        if kind == "Shard":
            answers += [list(store.packed_origins([node], as_of))]
            answers += [list(origin_rows(store, [node], as_of))]
        if kind in ("Shard", "Dataset", "Model"):
            answers += [_answer(partial(_traced, store, node, as_of))]
        if kind in ("Post", "Record"):
            answers += [_answer(partial(_impacted, store, node, as_of))]
    answers += [store.count_out_of([node], "DERIVED_FROM")]
    return answers
