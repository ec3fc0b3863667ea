"""Tiles benchmark: exporting the log as c2sp.org/tlog-tiles and serving it over HTTP.

Run by hand (figures go in the issue note):

    .venv/bin/python bench/tiles.py --n 1000000

It appends N small signed statements to a fresh SQLite ledger, then measures, in the
same run:

- scan (the baseline): reading every entry and leaf hash from the store, hashing
  each entry (the floor of any full export);
- export: ``tiles export`` into an empty directory (time, files, bytes), as a ratio
  to the scan;
- incremental: appending 1,000 entries, then exporting again into the same directory
  (time, files, bytes), as a ratio to the full export;
- serving: ``lineage serve --tiles`` on loopback; for random entries, a client fetches
  the tiles an inclusion proof needs (one a level: the entry's level-0 tile and its
  ancestors') over one kept-alive HTTP connection (proofs/s), as a ratio to building
  the same proofs in-process from the store (the baseline).
"""

from __future__ import annotations

import argparse
import http.client
import random
import sys
import tempfile
import threading
import time
from hashlib import sha256
from pathlib import Path

from ledger import write_statements
from lineage.crypto.keys import KeyDirectory
from lineage.ingest.jsonl import read_envelopes
from lineage.ledger.log import Ledger
from lineage.transparency.export import export_tiles
from lineage.transparency.serve import TileServer
from lineage.transparency.tiles import TILE_HEIGHT, TILE_WIDTH, Tile


def _append(ledger: Ledger, path: Path, key_dir: KeyDirectory) -> None:
    with path.open("rb") as handle:
        ledger.append(read_envelopes(handle, str(path)), key_dir.load("admin"))


def _scan(ledger: Ledger) -> float:
    start = time.perf_counter()
    for _, leaf, body in ledger.store.iter_entries():
        sha256(b"\x00" + body).digest()
        del leaf
    return time.perf_counter() - start


def _proof_tiles(index: int, size: int) -> list[Tile]:
    """The tiles a client fetches for an inclusion proof of ``index`` in a tree of ``size``."""
    tiles, level = [], 0
    while size >> (TILE_HEIGHT * level):
        hashes = size >> (TILE_HEIGHT * level)
        position = index >> (TILE_HEIGHT * level)
        tile_index = position // TILE_WIDTH
        width = min(TILE_WIDTH, hashes - tile_index * TILE_WIDTH)
        tiles.append(Tile(level, tile_index, width))
        level += 1
    return tiles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="entries in the log")
    parser.add_argument("--proofs", type=int, default=2000, help="random inclusion proofs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        keys = KeyDirectory(work / "keys")
        admin, collector = keys.create("admin"), keys.create("collector")
        ledger = Ledger.create(f"sqlite:///{work / 'bench.db'}", admin)
        statements = work / "statements.jsonl"
        write_statements(statements, admin, collector, args.n)
        built = time.perf_counter()
        _append(ledger, statements, keys)
        print(f"log of {ledger.size():,} entries built in {time.perf_counter() - built:.1f} s")

        scan = _scan(ledger)
        start = time.perf_counter()
        full = export_tiles(ledger, work / "tiles")
        export = time.perf_counter() - start
        print(
            f"scan (baseline) {scan:.2f} s; export {export:.2f} s = {export / scan:.1f}x the"
            f" scan; {full.files:,} files, {full.bytes:,} bytes"
            f" ({full.bytes / ledger.size():.0f} bytes/entry)"
        )

        write_statements(statements, admin, collector, 1000, start=args.n)
        _append(ledger, statements, keys)
        start = time.perf_counter()
        again = export_tiles(ledger, work / "tiles")
        incremental = time.perf_counter() - start
        print(
            f"incremental export after 1,000 entries: {incremental * 1000:.0f} ms ="
            f" {incremental / export:.4f}x the full export; {again.files} files,"
            f" {again.bytes:,} bytes"
        )

        size = ledger.size()
        picks = [random.randrange(size) for _ in range(args.proofs)]
        start = time.perf_counter()
        for index in picks:
            ledger.inclusion_proof(index)
        local = args.proofs / (time.perf_counter() - start)
        server = TileServer(ledger, "127.0.0.1", 0, lambda line: None)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        fetched = 0
        connection = http.client.HTTPConnection("127.0.0.1", server.server_port)
        start = time.perf_counter()
        for index in picks:
            for tile in _proof_tiles(index, size):
                connection.request("GET", f"/{tile.path()}")
                response = connection.getresponse()
                fetched += len(response.read())
                assert response.status == 200, tile
        served = args.proofs / (time.perf_counter() - start)
        connection.close()
        server.shutdown()
        server.server_close()
        print(
            f"inclusion proofs: in-process (baseline) {local:,.0f}/s; over HTTP from tiles"
            f" {served:,.0f}/s = {served / local:.2f}x; {fetched / args.proofs:,.0f} bytes"
            " of tiles a proof"
        )
        ledger.close()


if __name__ == "__main__":
    sys.exit(main())
