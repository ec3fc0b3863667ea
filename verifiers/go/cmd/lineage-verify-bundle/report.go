package main

import (
	"fmt"
	"io"

	"lineage.local/verifiers/go/internal/bundle"
)

// report prints what a proven bundle proves.
func report(w io.Writer, r *bundle.Result) {
	fmt.Fprintf(w, "PROVEN: %s\n", r.Claim.Statement)
	for _, line := range r.Claim.Details {
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "checkpoint: %q, size %d, root %s\n", r.Origin, r.Size, r.Root)
	if r.OlderSize != nil {
		fmt.Fprintf(w, "consistency: proven from the checkpoint of size %d\n", *r.OlderSize)
	}
	fmt.Fprintf(w, "entries: %d, items: %d (%d nodes, %d edges)\n", r.Entries, r.Items, r.Nodes, r.Items-r.Nodes)
	if r.KeyPinned {
		fmt.Fprintf(w, "log key: %s (given with --log-key)\n", r.LogKey)
	} else {
		fmt.Fprintf(w, "log key: %s (taken from the bundle: pass --log-key to check it against the key you hold)\n", r.LogKey)
	}
}
