package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// maxCheckpointBytes bounds a checkpoint note: a few lines and some signatures.
const maxCheckpointBytes = 1 << 20

// emptyRoot is the RFC 9162 root of the empty tree, SHA-256 of nothing.
var emptyRoot = sha256.Sum256(nil)

// failure names the check that failed.
func failure(check, format string, args ...any) error {
	return errors.New(check + ": " + fmt.Sprintf(format, args...))
}

// parseLogKey reads the log's vkey: a signed-note Ed25519 key (type 0x01).
func parseLogKey(vkey string) (note.Verifier, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("not a signed-note Ed25519 verifier key: %v", err)
	}
	return v, nil
}

// openCheckpoint verifies a signed note under the log key and reads its text as a
// tlog-checkpoint whose origin is the key's name. Other signatures are ignored
// here (they are left in the note's UnverifiedSigs).
func openCheckpoint(text []byte, log note.Verifier) (*note.Note, torchwood.Checkpoint, error) {
	if len(text) > maxCheckpointBytes {
		return nil, torchwood.Checkpoint{}, fmt.Errorf("the note is larger than %d bytes", maxCheckpointBytes)
	}
	n, err := note.Open(text, note.VerifierList(log))
	if err != nil {
		return nil, torchwood.Checkpoint{}, fmt.Errorf("the note does not verify under the log key: %v", err)
	}
	c, err := torchwood.ParseCheckpoint(n.Text)
	if err != nil {
		return nil, torchwood.Checkpoint{}, fmt.Errorf("the note is not a tlog-checkpoint: %v", err)
	}
	if c.Origin != log.Name() {
		return nil, torchwood.Checkpoint{}, fmt.Errorf("its origin %q is not the key name %q", c.Origin, log.Name())
	}
	return n, c, nil
}

// verifiedCache is a torchwood.TileReader that keeps the hash tiles the tlog hash
// reader has authenticated (SaveTiles) and serves them again; every tile is
// authenticated again when used, so the cache only saves fetches. Level 0 full
// tiles and entry bundles are not kept (-all would keep the whole log).
type verifiedCache struct {
	torchwood.TileReader
	mu    sync.Mutex
	tiles map[tlog.Tile][]byte
}

func (c *verifiedCache) ReadTiles(ctx context.Context, tiles []tlog.Tile) ([][]byte, error) {
	data := make([][]byte, len(tiles))
	var missing []tlog.Tile
	c.mu.Lock()
	for i, t := range tiles {
		if d, ok := c.tiles[t]; ok {
			data[i] = d
		} else {
			missing = append(missing, t)
		}
	}
	c.mu.Unlock()
	if len(missing) == 0 {
		return data, nil
	}
	fetched, err := c.TileReader.ReadTiles(ctx, missing)
	if err != nil {
		return nil, err
	}
	for i := range data {
		if data[i] == nil {
			data[i], fetched = fetched[0], fetched[1:]
		}
	}
	return data, nil
}

func (c *verifiedCache) SaveTiles(tiles []tlog.Tile, data [][]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, t := range tiles {
		if t.L >= 1 || (t.L == 0 && t.W < torchwood.TileWidth) {
			c.tiles[t] = data[i]
		}
	}
}

// check runs the checks in order: checkpoint, witnesses, inclusion, consistency,
// all entries. It returns the JSON summary and the text report.
func check(ctx context.Context, cfg config) (*summary, []string, error) {
	logKey, err := parseLogKey(cfg.vkey)
	if err != nil {
		return nil, nil, failure("checkpoint", "%v", err)
	}
	fetcher, err := torchwood.NewTileFetcher(cfg.url, torchwood.WithUserAgent("lineage-tiles-check"))
	if err != nil {
		return nil, nil, failure("checkpoint", "%v", err)
	}
	tr := &verifiedCache{TileReader: fetcher, tiles: map[tlog.Tile][]byte{}}

	// Checkpoint.
	text, err := tr.ReadEndpoint(ctx, "checkpoint")
	if err != nil {
		return nil, nil, failure("checkpoint", "fetching: %v", err)
	}
	n, cp, err := openCheckpoint(text, logKey)
	if err != nil {
		return nil, nil, failure("checkpoint", "%v", err)
	}
	tree := cp.Tree
	root := base64.StdEncoding.EncodeToString(tree.Hash[:])
	s := &summary{Origin: cp.Origin, Size: tree.N, Root: root, Checked: []int64{}, OK: true}
	report := []string{fmt.Sprintf("checkpoint: origin %q, size %d, root %s (verified under %s+%08x)",
		cp.Origin, tree.N, root, logKey.Name(), logKey.KeyHash())}

	// Witnesses.
	if len(cfg.witnesses) > 0 {
		t := tallyCosignatures(n, cfg.witnesses)
		if err := checkQuorum(t, cfg.quorum); err != nil {
			return nil, nil, failure("witness", "%v", err)
		}
		s.Cosignatures = len(t.valid)
		line := fmt.Sprintf("witness: %d of %d witnesses cosigned (quorum %d)", len(t.valid), len(cfg.witnesses), cfg.quorum)
		if len(t.valid) > 0 {
			line += ": " + quoteAll(t.valid)
		}
		report = append(report, line)
	}

	// Inclusion.
	indices, err := chooseIndices(cfg, tree.N)
	if err != nil {
		return nil, nil, err
	}
	hr := torchwood.TileHashReaderWithContext(ctx, tree, tr)
	for _, i := range indices {
		if err := checkInclusion(ctx, tr, hr, tree, i); err != nil {
			return nil, nil, failure("inclusion", "entry %d: %v", i, err)
		}
	}
	s.Checked = indices
	report = append(report, fmt.Sprintf("inclusion: %d entries verified in the tree of size %d%s", len(indices), tree.N, listed(indices)))

	// Consistency.
	if cfg.old != nil {
		oldSize, err := checkConsistency(cfg.old, logKey, hr, tree)
		if err != nil {
			return nil, nil, failure("consistency", "%s: %v", cfg.oldName, err)
		}
		s.ConsistentWith = &oldSize
		report = append(report, fmt.Sprintf("consistency: the tree of size %d extends the older checkpoint of size %d", tree.N, oldSize))
	}

	// Every entry.
	if cfg.all {
		count, err := readAll(ctx, tr, tree)
		if err != nil {
			return nil, nil, failure("entries", "%v", err)
		}
		s.Entries = &count
		report = append(report, fmt.Sprintf("entries: all %d entries read and authenticated", count))
	}
	report = append(report, "OK")
	return s, report, nil
}

// listed is " (indices …)" for a short list, "" otherwise.
func listed(indices []int64) string {
	if len(indices) == 0 || len(indices) > 64 {
		return ""
	}
	s := make([]string, len(indices))
	for i, x := range indices {
		s[i] = fmt.Sprint(x)
	}
	return ": " + strings.Join(s, " ")
}

// chooseIndices is the sorted set of -index values and -n random indices below
// size (every index when -n is at least size).
func chooseIndices(cfg config, size int64) ([]int64, error) {
	set := map[int64]bool{}
	for _, i := range cfg.indices {
		if i >= size {
			return nil, failure("inclusion", "entry %d: not below the tree size %d", i, size)
		}
		set[i] = true
	}
	if int64(cfg.n) >= size {
		for i := range size {
			set[i] = true
		}
	} else if cfg.n > 0 {
		seed := cfg.seed
		if !cfg.seeded {
			seed = uint64(time.Now().UnixNano())
		}
		r := rand.New(rand.NewPCG(seed, 0x6c696e65616765)) // "lineage"
		for chosen := map[int64]bool{}; len(chosen) < cfg.n; {
			i := r.Int64N(size)
			chosen[i] = true
			set[i] = true
		}
	}
	out := make([]int64, 0, len(set))
	for i := range set {
		out = append(out, i)
	}
	slices.Sort(out)
	return out, nil
}

// leafHash is the RFC 6962 leaf hash SHA-256(0x00 || entry).
func leafHash(entry []byte) tlog.Hash {
	return tlog.Hash(sha256.Sum256(append([]byte{0x00}, entry...)))
}

// checkInclusion fetches the entry bundle of index, reads the entry from it, and
// checks the record proof of its leaf hash in tree, built from authenticated tiles.
func checkInclusion(ctx context.Context, tr torchwood.TileReader, hr tlog.HashReader, tree tlog.Tree, index int64) error {
	bundle := tlog.Tile{H: torchwood.TileHeight, L: -1, N: index / torchwood.TileWidth}
	bundle.W = int(min(torchwood.TileWidth, tree.N-bundle.N*torchwood.TileWidth))
	data, err := tr.ReadTiles(ctx, []tlog.Tile{bundle})
	if err != nil {
		return fmt.Errorf("fetching %s: %v", torchwood.TilePath(bundle), err)
	}
	rest := data[0]
	var entry []byte
	for k := range bundle.W {
		e, r, err := torchwood.ReadTileEntry(rest)
		if err != nil {
			return fmt.Errorf("%s: entry %d of %d: %v", torchwood.TilePath(bundle), k, bundle.W, err)
		}
		if bundle.N*torchwood.TileWidth+int64(k) == index {
			entry = e
		}
		rest = r
	}
	if len(rest) != 0 {
		return fmt.Errorf("%s: %d bytes after its %d entries", torchwood.TilePath(bundle), len(rest), bundle.W)
	}
	leaf := leafHash(entry)
	proof, err := tlog.ProveRecord(tree.N, index, hr)
	if err != nil {
		return fmt.Errorf("building the record proof from the hash tiles: %v", err)
	}
	if err := tlog.CheckRecord(proof, tree.N, tree.Hash, index, leaf); err != nil {
		return fmt.Errorf("the entry's leaf hash %s is not in the tree: %v",
			base64.StdEncoding.EncodeToString(leaf[:]), err)
	}
	return nil
}

// checkConsistency verifies the older checkpoint under the log key and proves, from
// authenticated hash tiles of tree, that tree extends it. It returns its size.
func checkConsistency(old []byte, logKey note.Verifier, hr tlog.HashReader, tree tlog.Tree) (int64, error) {
	_, oc, err := openCheckpoint(old, logKey)
	if err != nil {
		return 0, fmt.Errorf("the older checkpoint: %v", err)
	}
	switch {
	case oc.N > tree.N:
		return 0, fmt.Errorf("the older checkpoint's size %d is larger than the current %d", oc.N, tree.N)
	case oc.N == tree.N:
		if oc.Hash != tree.Hash {
			return 0, fmt.Errorf("the older checkpoint has the same size %d but another root", oc.N)
		}
		return oc.N, nil
	case oc.N == 0:
		if !bytes.Equal(oc.Hash[:], emptyRoot[:]) {
			return 0, errors.New("the older checkpoint has size 0 but its root is not SHA-256 of nothing")
		}
		return 0, nil
	}
	proof, err := tlog.ProveTree(tree.N, oc.N, hr)
	if err != nil {
		return 0, fmt.Errorf("building the consistency proof from the hash tiles: %v", err)
	}
	if err := tlog.CheckTree(proof, tree.N, tree.Hash, oc.N, oc.Hash); err != nil {
		return 0, fmt.Errorf("the tree of size %d does not extend the older one of size %d: %v", tree.N, oc.N, err)
	}
	return oc.N, nil
}

// readAll reads every entry with torchwood's Client, which authenticates each entry
// bundle against the tree, and returns their count.
func readAll(ctx context.Context, tr torchwood.TileReader, tree tlog.Tree) (int64, error) {
	client, err := torchwood.NewClient(tr)
	if err != nil {
		return 0, err
	}
	var next int64
	for next < tree.N {
		before := next
		for i := range client.Entries(ctx, tree, next) {
			if i != next {
				return next, fmt.Errorf("entry %d came where entry %d was expected", i, next)
			}
			next++
		}
		if err := client.Err(); err != nil {
			return next, fmt.Errorf("after %d entries: %v", next, err)
		}
		if next == before {
			return next, fmt.Errorf("no progress after %d entries of %d", next, tree.N)
		}
	}
	return next, nil
}
