// Command lineage-verify-bundle checks a lineage evidence bundle (docs/bundle.md)
// with code that shares nothing with lineage.
//
// Usage: lineage-verify-bundle [--log-key VERIFIER_KEY] [--since CHECKPOINT_FILE] [--witness VERIFIER_KEY]... [--quorum N] BUNDLE.json
//
// Exit status: 0 proven, 1 not proven (first line "NOT PROVEN: <class> at <where>:
// <detail>"), 2 unreadable input or usage error.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"lineage.local/verifiers/go/internal/bundle"
)

const (
	exitProven     = 0
	exitNotProven  = 1
	exitUnreadable = 2

	maxBundleBytes = 256 << 20
	usage          = "usage: lineage-verify-bundle [--log-key VERIFIER_KEY] [--since CHECKPOINT_FILE] [--witness VERIFIER_KEY]... [--quorum N] BUNDLE.json"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("lineage-verify-bundle", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	logKey := flags.String("log-key", "", "the log's signed-note verifier key, as you hold it")
	since := flags.String("since", "", "a checkpoint of the log you hold, which the bundle's must extend")
	var witnessKeys witnessFlag
	flags.Var(&witnessKeys, "witness", "a witness's cosignature/v1 verifier key you trust (repeatable)")
	quorum := flags.Int("quorum", -1, "the cosignatures the checkpoint needs (default: the number of --witness)")
	if err := flags.Parse(args); err != nil || flags.NArg() != 1 {
		if err != nil {
			fmt.Fprintf(stderr, "lineage-verify-bundle: %v\n", err)
		}
		fmt.Fprintln(stderr, usage)
		return exitUnreadable
	}
	opts := bundle.Options{LogKey: strings.TrimSpace(*logKey)}
	names, keys := map[string]bool{}, map[string]bool{}
	for _, vkey := range witnessKeys {
		w, err := bundle.ParseWitnessKey(strings.TrimSpace(vkey))
		if err != nil {
			fmt.Fprintf(stderr, "lineage-verify-bundle: --witness %q: %v\n", vkey, err)
			return exitUnreadable
		}
		if names[w.Name] {
			fmt.Fprintf(stderr, "lineage-verify-bundle: --witness: two keys named %q\n", w.Name)
			return exitUnreadable
		}
		if keys[w.KeyString()] {
			fmt.Fprintf(stderr, "lineage-verify-bundle: --witness: two witnesses share the key of %q\n", w.Name)
			return exitUnreadable
		}
		names[w.Name], keys[w.KeyString()] = true, true
		opts.Witnesses = append(opts.Witnesses, w)
	}
	opts.Quorum = *quorum
	if opts.Quorum < 0 {
		opts.Quorum = len(opts.Witnesses)
	}
	if opts.Quorum > len(opts.Witnesses) {
		fmt.Fprintf(stderr, "lineage-verify-bundle: --quorum %d is more than the %d --witness keys given\n", opts.Quorum, len(opts.Witnesses))
		return exitUnreadable
	}
	if *since != "" {
		data, err := readFile(*since, bundle.MaxCheckpointBytes)
		if err != nil {
			fmt.Fprintf(stderr, "lineage-verify-bundle: --since: %v\n", err)
			return exitUnreadable
		}
		opts.Since = data
	}
	data, err := readFile(flags.Arg(0), maxBundleBytes)
	if err != nil {
		fmt.Fprintf(stderr, "lineage-verify-bundle: %v\n", err)
		return exitUnreadable
	}
	b, err := bundle.Parse(data)
	if err != nil {
		fmt.Fprintf(stderr, "lineage-verify-bundle: %s: %v\n", flags.Arg(0), err)
		return exitUnreadable
	}
	result, failure := bundle.Verify(b, opts)
	if failure != nil {
		fmt.Fprintln(stdout, failure.Line())
		if opts.LogKey == "" {
			fmt.Fprintln(stdout, "log key: taken from the bundle (no --log-key given)")
		}
		return exitNotProven
	}
	report(stdout, result)
	return exitProven
}

// witnessFlag is the repeatable --witness flag.
type witnessFlag []string

func (w *witnessFlag) String() string     { return strings.Join(*w, " ") }
func (w *witnessFlag) Set(s string) error { *w = append(*w, s); return nil }

// readFile reads a whole file of at most limit bytes.
func readFile(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errors.New(name + ": larger than " + fmt.Sprint(limit) + " bytes")
	}
	return data, nil
}
