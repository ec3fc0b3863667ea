"""Carry out remediation plans on the demo's shard files: ``lineage remediate``.

A plan (what ``lineage impact --json`` prints, or its ``plan`` part) says which records
to remove from which shards. For each such shard this writes a new version of its file
without those records, beside the old one (which is never modified), and records, as
one signed append by a ``remediate`` step run:

- a new shard node per rebuilt shard, its ``supersedes`` attribute naming the old
  version, with the kept records packed into it;
- a new version of every current dataset that holds an old version, made of the new
  shards and its unaffected shards, its ``supersedes`` attribute naming the old one.

Models are not touched: those trained on the old versions still need retraining, and
``impact`` keeps listing them. A shard that was remediated before is rebuilt from its
newest version, so plans can be carried out one after another; several plans given at
once are merged (one new version per shard).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from lineage.crypto.keys import KeyDirectory
from lineage.demo.simulate import shard_bytes
from lineage.errors import InputError
from lineage.files import write_whole
from lineage.ingest.pipeline import MAX_BATCH_SIZE, Lineage, Ref
from lineage.ledger.log import Ledger
from lineage.model.graph import (
    DATASET,
    ID_PREFIX,
    PACKED_INTO,
    PART_OF,
    RECORD,
    SHARD,
    kind_of,
    make_id,
)
from lineage.model.times import format_time, now
from lineage.query.versions import Versions, versions
from lineage.store.base import Store

REMEDIATE_STAGE = "remediate"
REMEDIATE_VERSION = "1.0"
REMEDIATE_KEY = "demo-remediate"
"""The key the remediate step signs with (created and registered by the log key if missing)."""
MAX_PLAN_BYTES = 64 * 1024 * 1024
"""A plan file read at most (an author's plan lists up to 100,000 records a shard)."""
MAX_PLANS = 1000
MAX_SHARD_FILE_BYTES = 1024 * 1024 * 1024
"""Uncompressed bytes of a shard file read at most."""
_VERSION = re.compile(r"^(.*)-r(\d{1,9})\Z")
_SHA256 = re.compile(r"^[0-9a-f]{64}\Z")


@dataclass
class PlanFile:
    """A plan as read from a file: which records to remove from which shards."""

    name: str
    """The file, for messages."""
    start: str
    remove: dict[str, set[str]] = field(default_factory=dict)
    """Shard -> records to remove from it."""
    sha256: dict[str, str] = field(default_factory=dict)
    """Shard -> the SHA-256 of the file the plan was made for."""


@dataclass
class RebuiltShard:
    """A shard version written and recorded: the old version, the new one and its file."""

    old: str
    new: str
    path: Path
    sha256: str
    records: int
    removed: int

    def to_json(self) -> dict[str, Any]:
        """The rebuilt shard as a JSON object."""
        return {
            "old": self.old,
            "new": self.new,
            "path": str(self.path),
            "sha256": self.sha256,
            "records": self.records,
            "removed": self.removed,
        }


@dataclass
class Remediation:
    """What ``remediate`` did: shards rebuilt, dataset versions made, the step run."""

    starts: list[str]
    shards: list[RebuiltShard]
    datasets: list[tuple[str, str]]
    """(old version, new version) of each dataset."""
    unchanged: list[str]
    """Shards of the plans whose newest version already lacks every record to remove."""
    run: str
    appended: int

    def to_json(self) -> dict[str, Any]:
        """The remediation as a JSON object (``lineage remediate --json``)."""
        return {
            "plans": self.starts,
            "step": {"name": REMEDIATE_STAGE, "run": self.run},
            "shards": [s.to_json() for s in self.shards],
            "datasets": [{"old": old, "new": new} for old, new in self.datasets],
            "unchanged": self.unchanged,
            "appended": self.appended,
        }


def _fail(name: str, where: str, message: str) -> InputError:
    return InputError(message, location=name, field=where)


def parse_plan(data: bytes, name: str) -> PlanFile:
    """The plan in ``data`` (``lineage impact --json`` output or its ``plan`` object);
    bad input is an :class:`InputError` naming ``name`` and the field."""
    if len(data) > MAX_PLAN_BYTES:
        raise _fail(name, "", f"larger than {MAX_PLAN_BYTES} bytes")
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(name, "", f"not a JSON plan ({str(exc)[:200]})") from exc
    if isinstance(document, dict) and isinstance(document.get("plan"), dict):
        document, prefix = document["plan"], "plan."
    else:
        prefix = ""
    if not isinstance(document, dict) or not isinstance(document.get("shards"), list):
        raise _fail(name, f"{prefix}shards", "must be a list (lineage impact --json prints plans)")
    start = document.get("start")
    if not isinstance(start, str) or not start:
        raise _fail(name, f"{prefix}start", "must be the node id the plan starts from")
    plan = PlanFile(name, start)
    for position, fix in enumerate(document["shards"]):
        where = f"{prefix}shards[{position}]"
        if not isinstance(fix, dict):
            raise _fail(name, where, "must be an object")
        shard = fix.get("shard")
        if not isinstance(shard, str) or not _is_id(shard, SHARD):
            raise _fail(name, f"{where}.shard", "must be a shard id (shard:…)")
        sha256 = fix.get("rebuild_from_sha256")
        if not isinstance(sha256, str) or not _SHA256.match(sha256):
            raise _fail(name, f"{where}.rebuild_from_sha256", "must be 64 lower-case hex")
        remove = fix.get("remove")
        if not isinstance(remove, list) or not all(
            isinstance(r, str) and _is_id(r, RECORD) for r in remove
        ):
            raise _fail(name, f"{where}.remove", "must be a list of record ids (rec:…)")
        count = fix.get("remove_count", len(remove))
        if type(count) is not int or count != len(remove):
            raise _fail(
                name,
                f"{where}.remove_count",
                f"is {count!r} but {len(remove)} records are listed (a plan cut short"
                " cannot be carried out)",
            )
        if plan.sha256.setdefault(shard, sha256) != sha256:
            raise _fail(name, f"{where}.rebuild_from_sha256", f"differs for {shard}")
        plan.remove.setdefault(shard, set()).update(remove)
    return plan


def read_plan(path: Path) -> PlanFile:
    """The plan in the file ``path`` (at most :data:`MAX_PLAN_BYTES`)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_PLAN_BYTES + 1)
    except OSError as exc:
        raise _fail(str(path), "", exc.strerror or str(exc)) from exc
    return parse_plan(data, str(path))


def _is_id(value: str, kind: str) -> bool:
    try:
        return kind_of(value) == kind
    except InputError:
        return False


def _next_name(node_id: str, kind: str) -> tuple[str, int]:
    """The name of the next version of ``node_id`` and its number (``x`` -> ``x-r1``)."""
    body = node_id[len(ID_PREFIX[kind]) :]
    found = _VERSION.match(body)
    base, number = (found.group(1), int(found.group(2))) if found else (body, 0)
    return f"{base}-r{number + 1}", number + 1


@dataclass
class _Rebuild:
    old: str
    new_name: str
    path: Path
    data: bytes
    kept: list[str]
    removed: int


def _shard_file(directory: Path, shard: str, attrs: dict[str, Any]) -> Path:
    uri = attrs.get("uri")
    if not isinstance(uri, str) or not uri or "/" in uri or uri.startswith("."):
        raise InputError(f"{shard} names no file of the demo (uri {uri!r})")
    for candidate in (directory / "shards" / uri, directory / uri):
        if candidate.is_file():
            return candidate
    raise InputError(f"{shard}: no file {uri} in {directory / 'shards'} or {directory}")


def _read_lines(path: Path, shard: str) -> list[tuple[str, str]]:
    """(record, line) of each line of a demo shard file."""
    try:
        with gzip.open(path, "rb") as handle:
            raw = handle.read(MAX_SHARD_FILE_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{path}: not a gzip shard file ({exc})") from exc
    if len(raw) > MAX_SHARD_FILE_BYTES:
        raise InputError(f"{path}: more than {MAX_SHARD_FILE_BYTES} bytes uncompressed")
    lines = []
    for number, line in enumerate(raw.decode(errors="replace").splitlines(keepends=True), 1):
        try:
            record = json.loads(line).get("record")
        except (json.JSONDecodeError, AttributeError) as exc:
            raise InputError("not a JSON object", location=f"{path}:{number}") from exc
        if not isinstance(record, str) or not _is_id(record, RECORD):
            raise InputError(
                f"names no ledger record of {shard}", location=f"{path}:{number}", field="record"
            )
        lines.append((record, line))
    return lines


def _rebuild(store: Store, directory: Path, shard: str, remove: set[str]) -> _Rebuild | None:
    """The new version of ``shard`` without ``remove`` (None: it holds none of them)."""
    row = store.node(shard)
    if row is None or row.kind != SHARD:
        raise InputError(f"no shard {shard} in the ledger")
    attrs = row.attributes()
    path = _shard_file(directory, shard, attrs)
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != attrs.get("sha256"):
        raise InputError(f"{path} is not the file of {shard}: its SHA-256 differs")
    lines = _read_lines(path, shard)
    packed = {edge.up for edge in store.edges_into([shard], PACKED_INTO)}
    if {record for record, _ in lines} != packed or len(lines) != attrs.get("records"):
        raise InputError(f"{path}: its records are not those the ledger packed into {shard}")
    kept = [(record, line) for record, line in lines if record not in remove]
    if len(kept) == len(lines):
        return None
    name, _ = _next_name(shard, SHARD)
    new_id = make_id(SHARD, name)
    if store.node(new_id) is not None:
        raise InputError(f"{new_id} is already in the ledger, but does not supersede {shard}")
    target, data = path.with_name(f"{name}.jsonl.gz"), shard_bytes([line for _, line in kept])
    if target.exists() and target.read_bytes() != data:
        raise InputError(f"{target} exists and is not {new_id}'s file: move it away first")
    return _Rebuild(
        shard, name, target, data, [record for record, _ in kept], len(lines) - len(kept)
    )


def _datasets(
    store: Store, known: Versions, replaced: dict[str, str]
) -> list[tuple[str, list[str]]]:
    """Every current dataset (no newer version) holding a replaced shard version, with
    its shards as the new version has them."""
    holding: set[str] = set()
    for old in replaced:
        holding.update(
            e.down
            for e in store.edges_of(old, downstream_only=True)
            if e.kind == PART_OF and e.up == old
        )
    found = []
    for dataset in sorted(d for d in holding if d not in known.superseded_by):
        shards = [edge.up for edge in store.edges_into([dataset], PART_OF)]
        found.append((dataset, sorted({replaced.get(s, s) for s in shards})))
    return found


def _step_key(url: str, keys: KeyDirectory) -> None:
    """Create and register the remediate step's key unless it is registered."""
    ledger = Ledger.open(url)
    try:
        if any(s.name == REMEDIATE_KEY for s in ledger.store.signers()):
            return
        key = keys.load(REMEDIATE_KEY) if keys.exists(REMEDIATE_KEY) else keys.create(REMEDIATE_KEY)
        admin = ledger.load_log_key(keys)
        ledger.register_key(admin, REMEDIATE_KEY, key.public, [REMEDIATE_STAGE])
    finally:
        ledger.close()


def remediate(
    url: str,
    keys_dir: Path,
    directory: Path,
    plans: Sequence[PlanFile],
    *,
    time: datetime | None = None,
) -> Remediation:
    """Carry out ``plans`` on the demo's shard files in ``directory`` and record the new
    versions in the ledger at ``url`` (keys in ``keys_dir``); see the module's doc."""
    if not 1 <= len(plans) <= MAX_PLANS:
        raise InputError(f"give 1-{MAX_PLANS} plans")
    when = time or now()
    remove: dict[str, set[str]] = {}
    claimed: dict[str, str] = {}
    for plan in plans:
        for shard, records in plan.remove.items():
            remove.setdefault(shard, set()).update(records)
            if claimed.setdefault(shard, plan.sha256[shard]) != plan.sha256[shard]:
                raise InputError(f"{plan.name}: {shard} has another SHA-256 in another plan")
    ledger = Ledger.open(url)
    try:
        store = ledger.store
        known = versions(store)
        targets: dict[str, set[str]] = {}
        for shard in sorted(remove):
            row = store.node(shard)
            if row is None or row.kind != SHARD:
                raise InputError(f"no shard {shard} in the ledger")
            if row.attributes().get("sha256") != claimed[shard]:
                raise InputError(
                    f"the plan is for another {shard} (file SHA-256 {claimed[shard]}, the"
                    f" ledger's {row.attributes().get('sha256')}): run lineage impact again"
                )
            targets.setdefault(known.newest(shard), set()).update(remove[shard])
        rebuilds, unchanged = [], []
        for target in sorted(targets):
            rebuilt = _rebuild(store, directory, target, targets[target])
            if rebuilt is None:
                unchanged.append(target)
            else:
                rebuilds.append(rebuilt)
        replaced = {old: make_id(SHARD, r.new_name) for r in rebuilds for old in known.chain(r.old)}
        datasets = _datasets(store, known, replaced)
        dataset_rows = {d: store.node(d) for d, _ in datasets}
    finally:
        ledger.close()
    run = f"remediate-{format_time(when)}"
    starts = sorted({plan.start for plan in plans})
    if not rebuilds:
        return Remediation(starts, [], [], unchanged, run, 0)
    written: list[Path] = []
    try:
        for rebuilt in rebuilds:
            if not rebuilt.path.exists():  # else left, the same, by a run killed before it appended
                write_whole(rebuilt.path, rebuilt.data)
                written.append(rebuilt.path)
        keys = KeyDirectory(keys_dir)
        _step_key(url, keys)
        new_datasets = []
        with Lineage.open(
            url, keys_dir=keys_dir, batch_size=MAX_BATCH_SIZE, statements_per_append=2**30
        ) as lineage:
            step = lineage.step(
                REMEDIATE_STAGE, version=REMEDIATE_VERSION, run=run, key=REMEDIATE_KEY, time=when
            )
            for rebuilt in rebuilds:
                step.shard(
                    rebuilt.new_name,
                    sha256=hashlib.sha256(rebuilt.data).hexdigest(),
                    size=len(rebuilt.data),
                    records=[Ref(record, RECORD) for record in rebuilt.kept],
                    uri=rebuilt.path.name,
                    supersedes=Ref(rebuilt.old, SHARD),
                )
            for dataset, shards in datasets:
                row = dataset_rows[dataset]
                version = str(row.attributes().get("version", "")) if row else ""
                name, number = _next_name(dataset, DATASET)
                made = step.dataset(
                    name,
                    shards=[Ref(shard, SHARD) for shard in shards],
                    version=f"{version}-r{number}" if version else f"r{number}",
                    supersedes=Ref(dataset, DATASET),
                )
                new_datasets.append((dataset, made.id))
            lineage.flush()
            appended = lineage.appended
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return Remediation(
        starts,
        [
            RebuiltShard(
                r.old,
                make_id(SHARD, r.new_name),
                r.path,
                hashlib.sha256(r.data).hexdigest(),
                len(r.kept),
                r.removed,
            )
            for r in rebuilds
        ],
        new_datasets,
        unchanged,
        run,
        appended,
    )
