// Command interop checks lineage's checkpoints and proofs with independent Go code:
// golang.org/x/mod/sumdb/note (signed notes), transparency-dev/formats (checkpoints)
// and transparency-dev/merkle (RFC 9162 proofs).
//
// Usage: interop VERIFIER_KEY CHECKPOINT_FILE PROOFS_JSON
//
// PROOFS_JSON holds {"inclusion": [{index, leaf_hash, hashes, checkpoint?, entry?}],
// "consistency": [{old_checkpoint, new_checkpoint?, hashes}]}, hashes in base64 as
// lineage prints them. Every proof is checked against its own checkpoint when it
// carries one (any checkpoint verified with the key), else against CHECKPOINT_FILE; an
// inclusion proof that carries its entry's bytes (base64) has their leaf hash checked.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

type inclusion struct {
	Index      uint64   `json:"index"`
	LeafHash   string   `json:"leaf_hash"`
	Hashes     []string `json:"hashes"`
	Checkpoint string   `json:"checkpoint"`
	Entry      string   `json:"entry"`
}

type consistency struct {
	OldCheckpoint string   `json:"old_checkpoint"`
	NewCheckpoint string   `json:"new_checkpoint"`
	Hashes        []string `json:"hashes"`
}

type proofs struct {
	Inclusion   []inclusion   `json:"inclusion"`
	Consistency []consistency `json:"consistency"`
}

func decode(values []string) [][]byte {
	out := make([][]byte, len(values))
	for i, v := range values {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			fail("bad base64 %q: %v", v, err)
		}
		out[i] = b
	}
	return out
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 4 {
		fail("usage: interop VERIFIER_KEY CHECKPOINT_FILE PROOFS_JSON")
	}
	verifier, err := note.NewVerifier(os.Args[1])
	if err != nil {
		fail("verifier key: %v", err)
	}
	raw, err := os.ReadFile(os.Args[2])
	if err != nil {
		fail("%v", err)
	}
	checkpoint, _, _, err := log.ParseCheckpoint(raw, verifier.Name(), verifier)
	if err != nil {
		fail("checkpoint: %v", err)
	}
	data, err := os.ReadFile(os.Args[3])
	if err != nil {
		fail("%v", err)
	}
	var p proofs
	if err := json.Unmarshal(data, &p); err != nil {
		fail("proofs: %v", err)
	}
	against := func(text string) *log.Checkpoint {
		if text == "" {
			return checkpoint
		}
		c, _, _, err := log.ParseCheckpoint([]byte(text), verifier.Name(), verifier)
		if err != nil {
			fail("checkpoint: %v", err)
		}
		return c
	}
	for _, inc := range p.Inclusion {
		leaf := decode([]string{inc.LeafHash})[0]
		if inc.Entry != "" && !bytes.Equal(rfc6962.DefaultHasher.HashLeaf(decode([]string{inc.Entry})[0]), leaf) {
			fail("entry %d: its bytes do not hash to the leaf hash", inc.Index)
		}
		c := against(inc.Checkpoint)
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, inc.Index, c.Size, leaf, decode(inc.Hashes), c.Hash); err != nil {
			fail("inclusion of entry %d: %v", inc.Index, err)
		}
	}
	for _, con := range p.Consistency {
		old, _, _, err := log.ParseCheckpoint([]byte(con.OldCheckpoint), verifier.Name(), verifier)
		if err != nil {
			fail("old checkpoint: %v", err)
		}
		c := against(con.NewCheckpoint)
		if err := proof.VerifyConsistency(rfc6962.DefaultHasher, old.Size, c.Size, decode(con.Hashes), old.Hash, c.Hash); err != nil {
			fail("consistency %d -> %d: %v", old.Size, c.Size, err)
		}
	}
	fmt.Printf("ok: checkpoint of size %d, %d inclusion and %d consistency proofs\n", checkpoint.Size, len(p.Inclusion), len(p.Consistency))
}
