package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const testOrigin = "lineage.local/tiles-test"

// testLog is a log held in memory: its entries and their stored hashes.
type testLog struct {
	entries [][]byte
	hashes  []tlog.Hash
}

func (l *testLog) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(l.hashes)) {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = l.hashes[x]
	}
	return out, nil
}

func (l *testLog) append(entry []byte) {
	hs, err := tlog.StoredHashes(int64(len(l.entries)), entry, l)
	if err != nil {
		panic(err)
	}
	l.entries = append(l.entries, entry)
	l.hashes = append(l.hashes, hs...)
}

// newTestLog makes a log of n random entries of 1 to 100 bytes (seeded).
func newTestLog(n int, seed uint64) *testLog {
	r := rand.New(rand.NewPCG(seed, seed))
	l := &testLog{}
	for i := 0; i < n; i++ {
		e := make([]byte, 1+r.IntN(100))
		for j := range e {
			e[j] = byte(r.Uint32())
		}
		l.append(e)
	}
	return l
}

// withEntry is a copy of l's first size entries with entry i replaced: a fork.
func (l *testLog) withEntry(i int, entry []byte) *testLog {
	f := &testLog{}
	for k, e := range l.entries {
		if k == i {
			e = entry
		}
		f.append(e)
	}
	return f
}

func (l *testLog) root(size int64) tlog.Hash {
	if size == 0 {
		return sha256.Sum256(nil)
	}
	h, err := tlog.TreeHash(size, l)
	if err != nil {
		panic(err)
	}
	return h
}

// testKey is an Ed25519 key made from a name.
func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("tiles test key " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// logSigner is the signed-note signer and vkey of the log key of a name.
func logSigner(t testing.TB, name, keyName string) (note.Signer, string) {
	priv := testKey(keyName)
	vkey, err := note.NewEd25519VerifierKey(name, priv.Public().(ed25519.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	hash := strings.SplitN(vkey, "+", 3)[1]
	skey := "PRIVATE+KEY+" + name + "+" + hash + "+" + base64.StdEncoding.EncodeToString(append([]byte{0x01}, priv.Seed()...))
	signer, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return signer, vkey
}

// checkpointText is a tlog-checkpoint body.
func checkpointText(origin string, size int64, root tlog.Hash) string {
	return fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root[:]))
}

// sign signs a note text with signers, in order.
func sign(t testing.TB, text string, signers ...note.Signer) string {
	signed, err := note.Sign(&note.Note{Text: text}, signers...)
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

// cosigner is a witness: torchwood's cosignature/v1 signer and its vkey.
func cosigner(t testing.TB, name string) (*torchwood.CosignatureSigner, string) {
	s, err := torchwood.NewCosignatureSigner(name, testKey("witness "+name))
	if err != nil {
		t.Fatal(err)
	}
	return s, s.Verifier().String()
}

// lastSigLine is the last signature line of a signed note.
func lastSigLine(signed string) string {
	lines := strings.Split(strings.TrimSuffix(signed, "\n"), "\n")
	return lines[len(lines)-1] + "\n"
}

// cosign adds the cosignature of w over body (the checkpoint's own text when
// body is "") to a signed checkpoint.
func cosign(t testing.TB, signed string, w note.Signer, body string) string {
	if body == "" {
		body = signed[:strings.LastIndex(signed, "\n\n")+1]
	}
	return signed + lastSigLine(sign(t, body, w))
}

// server serves a log's first size entries in the tlog-tiles layout, with a
// checkpoint; tamper, if not nil, may change a response by its path.
type server struct {
	log        *testLog
	size       int64
	checkpoint string
	tamper     func(path string, data []byte) []byte
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/log/")
	if path == r.URL.Path {
		http.NotFound(w, r)
		return
	}
	var data []byte
	if path == "checkpoint" {
		data = []byte(s.checkpoint)
	} else {
		t, err := torchwood.ParseTilePath(path)
		if err != nil || t.H != torchwood.TileHeight {
			http.NotFound(w, r)
			return
		}
		// The tile's last hash covers leaves up to (N*256+W) << (8*L).
		level := max(t.L, 0)
		end := (t.N*torchwood.TileWidth + int64(t.W)) << (torchwood.TileHeight * level)
		if end > s.size {
			http.NotFound(w, r)
			return
		}
		if t.L == -1 {
			for i := t.N * torchwood.TileWidth; i < end; i++ {
				if data, err = torchwood.AppendTileEntry(data, s.log.entries[i]); err != nil {
					panic(err)
				}
			}
		} else if data, err = tlog.ReadTileData(t, s.log); err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
	}
	if s.tamper != nil {
		data = s.tamper(path, data)
	}
	w.Write(data)
}

// serve starts a server of the log's first size entries and a checkpoint.
func serve(t testing.TB, s *server) string {
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts.URL + "/log/"
}
