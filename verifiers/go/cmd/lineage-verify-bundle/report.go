package main

import (
	"fmt"
	"io"
	"strconv"

	"lineage.local/verifiers/go/internal/bundle"
)

// report prints what a proven bundle proves.
func report(w io.Writer, r *bundle.Result) {
	fmt.Fprintf(w, "PROVEN: %s\n", r.Claim.Statement)
	for _, line := range r.Claim.Details {
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "checkpoint: %q, size %d, root %s\n", r.Origin, r.Size, r.Root)
	if r.Witnesses > 0 {
		line := fmt.Sprintf("witnesses: %d of the %d given cosigned the checkpoint (quorum %d)", len(r.Cosigned), r.Witnesses, r.Quorum)
		for i, name := range r.Cosigned {
			if i == 0 {
				line += ": "
			} else {
				line += ", "
			}
			line += strconv.Quote(name)
		}
		fmt.Fprintln(w, line)
	}
	if r.OlderSize != nil {
		fmt.Fprintf(w, "consistency: proven from the checkpoint of size %d\n", *r.OlderSize)
	}
	fmt.Fprintf(w, "entries: %d, items: %d (%s)\n", r.Entries, r.Items, tally(r.ItemsOf))
	if r.Batches > 0 {
		fmt.Fprintf(w, "full batches: %d (%s)\n", r.Batches, tally(r.BatchOf))
	}
	if r.Payloads > 0 {
		fmt.Fprintf(w, "Lineage/v1 and Request/v1 entries: %d (%s in their payloads)\n", r.Payloads, tally(r.PayloadOf))
	}
	if r.KeyPinned {
		fmt.Fprintf(w, "log key: %s (given with --log-key)\n", r.LogKey)
	} else {
		fmt.Fprintf(w, "log key: %s (taken from the bundle: pass --log-key to check it against the key you hold)\n", r.LogKey)
	}
}

// tally is "N nodes, M edges" and ", R requests" when there are any.
func tally(t bundle.Tally) string {
	s := fmt.Sprintf("%d nodes, %d edges", t.Nodes, t.Edges)
	if t.Requests > 0 {
		s += fmt.Sprintf(", %d requests", t.Requests)
	}
	return s
}
