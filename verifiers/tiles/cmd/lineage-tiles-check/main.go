// Command lineage-tiles-check is an independent client of a C2SP tlog-tiles log
// (c2sp.org/tlog-tiles) that shares no code with lineage: it fetches the log's
// checkpoint, verifies it under the log's key and, optionally, a quorum of witness
// cosignatures, then checks the inclusion of entries, the consistency with an older
// checkpoint, and every entry bundle, with filippo.io/torchwood and
// golang.org/x/mod/sumdb/tlog.
//
// Usage:
//
//	lineage-tiles-check -url PREFIX -vkey VKEY [-n N] [-index I]... [-seed S]
//	    [-old FILE] [-all] [-witness VKEY]... [-quorum Q] [-timeout D] [-json]
//
// Exit status: 0 all checks passed, 1 a check failed (one line on stderr naming it:
// "checkpoint: …", "witness: …", "inclusion: entry N: …", "consistency: …",
// "entries: …"), 2 usage error.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2

	usage = "usage: lineage-tiles-check -url PREFIX -vkey VKEY [-n N] [-index I]... [-seed S] [-old FILE] [-all] [-witness VKEY]... [-quorum Q] [-timeout D] [-json]"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

// indexFlag is a repeatable non-negative integer flag.
type indexFlag []int64

func (l *indexFlag) String() string { return fmt.Sprint(*l) }
func (l *indexFlag) Set(s string) error {
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil || i < 0 {
		return errors.New("not a non-negative integer")
	}
	*l = append(*l, i)
	return nil
}

// config is what the command line asks for.
type config struct {
	url       string
	vkey      string
	n         int
	indices   []int64
	seed      uint64
	seeded    bool
	old       []byte
	oldName   string
	all       bool
	witnesses []*witness
	quorum    int
	timeout   time.Duration
	json      bool
}

// summary is the -json output of a passing run.
type summary struct {
	Origin         string  `json:"origin"`
	Size           int64   `json:"size"`
	Root           string  `json:"root"`
	Checked        []int64 `json:"checked"`
	ConsistentWith *int64  `json:"consistentWith"`
	Cosignatures   int     `json:"cosignatures"`
	Entries        *int64  `json:"entries"`
	OK             bool    `json:"ok"`
}

func usageError(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "lineage-tiles-check: "+format+"\n", args...)
	fmt.Fprintln(stderr, usage)
	return exitUsage
}

// run is the command; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("lineage-tiles-check", flag.ContinueOnError)
	flags.SetOutput(io.Discard)
	var cfg config
	var witnessKeys listFlag
	var indices indexFlag
	flags.StringVar(&cfg.url, "url", "", "the log's URL prefix (required)")
	flags.StringVar(&cfg.vkey, "vkey", "", "the log's signed-note verifier key (required)")
	flags.IntVar(&cfg.n, "n", 20, "random entries to check for inclusion")
	flags.Var(&indices, "index", "an entry index to check for inclusion (repeatable)")
	seed := flags.String("seed", "", "seed of the random choice of entries (default: the time)")
	oldFile := flags.String("old", "", "an older signed checkpoint of the log, to check consistency with")
	flags.BoolVar(&cfg.all, "all", false, "read and authenticate every entry")
	flags.Var(&witnessKeys, "witness", "a witness's cosignature/v1 verifier key (repeatable)")
	quorum := flags.Int("quorum", -1, "cosignatures required (default: the number of -witness)")
	flags.DurationVar(&cfg.timeout, "timeout", 5*time.Minute, "time limit of the whole check")
	flags.BoolVar(&cfg.json, "json", false, "print a JSON summary")
	if err := flags.Parse(args); err != nil {
		return usageError(stderr, "%v", err)
	}
	if flags.NArg() != 0 {
		return usageError(stderr, "unexpected argument %q", flags.Arg(0))
	}
	if cfg.url == "" || cfg.vkey == "" {
		return usageError(stderr, "-url and -vkey are required")
	}
	if !strings.HasPrefix(cfg.url, "http://") && !strings.HasPrefix(cfg.url, "https://") {
		return usageError(stderr, "-url %q is not an http:// or https:// URL", cfg.url)
	}
	if cfg.n < 0 {
		return usageError(stderr, "-n must not be negative")
	}
	if cfg.timeout <= 0 {
		return usageError(stderr, "-timeout must be positive")
	}
	cfg.indices = indices
	if *seed != "" {
		s, err := strconv.ParseUint(*seed, 10, 64)
		if err != nil {
			return usageError(stderr, "-seed %q is not an unsigned integer", *seed)
		}
		cfg.seed, cfg.seeded = s, true
	}
	if *oldFile != "" {
		data, err := readFile(*oldFile, maxCheckpointBytes)
		if err != nil {
			return usageError(stderr, "-old: %v", err)
		}
		cfg.old, cfg.oldName = data, *oldFile
	}
	names, keys := map[string]bool{}, map[string]bool{}
	for _, vkey := range witnessKeys {
		w, err := parseWitnessKey(vkey)
		if err != nil {
			return usageError(stderr, "-witness %q: %v", vkey, err)
		}
		if names[w.name] {
			return usageError(stderr, "-witness: two keys named %q", w.name)
		}
		if keys[string(w.key)] {
			return usageError(stderr, "-witness: two witnesses share the key of %q", w.name)
		}
		names[w.name], keys[string(w.key)] = true, true
		cfg.witnesses = append(cfg.witnesses, w)
	}
	cfg.quorum = *quorum
	if cfg.quorum < 0 {
		cfg.quorum = len(cfg.witnesses)
	}
	if cfg.quorum > len(cfg.witnesses) {
		return usageError(stderr, "-quorum %d is more than the %d -witness keys given", cfg.quorum, len(cfg.witnesses))
	}
	if _, err := parseLogKey(cfg.vkey); err != nil {
		return usageError(stderr, "-vkey: %v", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()
	s, report, err := check(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, oneLine(err.Error()))
		return exitFail
	}
	if cfg.json {
		out, _ := json.Marshal(s)
		fmt.Fprintln(stdout, string(out))
	} else {
		for _, line := range report {
			fmt.Fprintln(stdout, oneLine(line))
		}
	}
	return exitOK
}

// oneLine keeps a message on one line (errors.Join, for one, joins with newlines).
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

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
		return nil, fmt.Errorf("%s: larger than %d bytes", name, limit)
	}
	return data, nil
}
