package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tb "lineage.local/verifiers/go/internal/testbundle"
)

// verify runs the command on a bundle document with extra arguments.
func verify(t *testing.T, doc []byte, args ...string) (int, string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bundle.json")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(append(args, path), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func flipB64(s string) string {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	b[len(b)/2] ^= 0x01
	return base64.StdEncoding.EncodeToString(b)
}

// restate rewrites an entry's statement, keeping its signature.
func restate(entry string, change func(map[string]any)) string {
	raw, _ := base64.StdEncoding.DecodeString(entry)
	parts := tb.OpenEnvelope(raw)
	var st map[string]any
	if err := json.Unmarshal(parts.Payload, &st); err != nil {
		panic(err)
	}
	change(st)
	return base64.StdEncoding.EncodeToString(tb.EnvelopeWith(tb.Canonical(st), parts.KeyID, parts.Sig))
}

type testCase struct {
	name     string
	scenario tb.Scenario
	build    func(tb.Scenario) *tb.Fixture // default tb.Build (a path bundle)
	// change alters the fixture's bundle and returns extra command-line arguments.
	change func(t *testing.T, f *tb.Fixture) []string
	code   int
	line   func(f *tb.Fixture) string // expected start of the first line of stdout
	output []string                   // lines the output must also hold
}

func at(s string) func(*tb.Fixture) string { return func(*tb.Fixture) string { return s } }

func TestProven(t *testing.T) {
	f := tb.Build(tb.Scenario{})
	code, out, errOut := verify(t, f.Doc.JSON())
	if code != 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, want := range []string{
		`PROVEN: post "post:1" reaches artifact "model:1" (4 edges)`,
		`  "post:1" -> "record:1"  [DERIVED_FROM, item 1]`,
		`  "dataset:1" -> "model:1"  [TRAINED_ON, item 4]`,
		`post node: Post created_at="2024-01-10T00:00:00Z" likes=3 platform="forum"`,
		fmt.Sprintf("checkpoint: %q, size %d, root ", "lineage.local/testbundle", len(f.Log.Leaves)),
		"entries: 5, items: 5 (1 nodes, 4 edges)",
		"(taken from the bundle",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = verify(t, f.Doc.JSON(), "--log-key", f.Log.VKey)
	if code != 0 || !strings.Contains(out, "(given with --log-key)") {
		t.Errorf("with --log-key: exit %d:\n%s", code, out)
	}
}

func TestNotProven(t *testing.T) {
	cases := []testCase{
		{name: "log key mismatch", change: func(t *testing.T, f *tb.Fixture) []string {
			_, other := tb.NewKey("other").NoteKeys(f.Log.Origin)
			return []string{"--log-key", other}
		}, line: at("NOT PROVEN: verifier-key at log: ")},
		{name: "verifier key malformed", change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Log.VerifierKey = "not a key"
			return nil
		}, line: at("NOT PROVEN: verifier-key at log: ")},
		{name: "checkpoint signature", change: func(t *testing.T, f *tb.Fixture) []string {
			lines := strings.Split(f.Doc.Log.Checkpoint, "\n")
			sig := lines[len(lines)-2] // "— name base64"
			i := strings.LastIndex(sig, " ")
			lines[len(lines)-2] = sig[:i+1] + flipB64(sig[i+1:])
			f.Doc.Log.Checkpoint = strings.Join(lines, "\n")
			return nil
		}, line: at("NOT PROVEN: checkpoint at log: ")},
		{name: "checkpoint by another key", change: func(t *testing.T, f *tb.Fixture) []string {
			signer, _ := tb.NewKey("other").NoteKeys(f.Log.Origin)
			f.Doc.Log.Checkpoint = tb.SignCheckpoint(signer, f.Log.Origin, 7, make([]byte, 32))
			return nil
		}, line: at("NOT PROVEN: checkpoint at log: ")},
		{name: "checkpoint origin", change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Log.Origin = "lineage.local/elsewhere"
			return nil
		}, line: at("NOT PROVEN: checkpoint at log: ")},
		{name: "entry payload changed", change: func(t *testing.T, f *tb.Fixture) []string {
			e := &f.Doc.Entries[f.EntryPos(f.IngestEntry)]
			e.Entry = restate(e.Entry, func(st map[string]any) {
				st["predicate"].(map[string]any)["time"] = "2024-02-01T00:00:01Z"
			})
			return nil
		}, line: func(f *tb.Fixture) string { return fmt.Sprintf("NOT PROVEN: signature at entry %d: ", f.IngestEntry) }},
		{name: "entry signature", change: func(t *testing.T, f *tb.Fixture) []string {
			e := &f.Doc.Entries[f.EntryPos(f.TrainEntry)]
			raw, _ := base64.StdEncoding.DecodeString(e.Entry)
			p := tb.OpenEnvelope(raw)
			p.Sig[10] ^= 0x80
			e.Entry = base64.StdEncoding.EncodeToString(tb.EnvelopeWith(p.Payload, p.KeyID, p.Sig))
			return nil
		}, line: func(f *tb.Fixture) string { return fmt.Sprintf("NOT PROVEN: signature at entry %d: ", f.TrainEntry) }},
		{name: "entry bytes not canonical", change: func(t *testing.T, f *tb.Fixture) []string {
			e := &f.Doc.Entries[f.EntryPos(f.IngestEntry)]
			raw, _ := base64.StdEncoding.DecodeString(e.Entry)
			e.Entry = base64.StdEncoding.EncodeToString(append([]byte("{ "), raw[1:]...))
			return nil
		}, line: func(f *tb.Fixture) string { return fmt.Sprintf("NOT PROVEN: entry at entry %d: ", f.IngestEntry) }},
		{name: "payload not canonical", change: func(t *testing.T, f *tb.Fixture) []string {
			payload := []byte(`{"_type": "https://in-toto.io/Statement/v1"}`)
			e := &f.Doc.Entries[f.EntryPos(f.IngestEntry)]
			e.Entry = base64.StdEncoding.EncodeToString(tb.Envelope(payload, f.Ingest))
			return nil
		}, line: func(f *tb.Fixture) string { return fmt.Sprintf("NOT PROVEN: entry at entry %d: ", f.IngestEntry) }},
		{name: "inclusion hash", change: func(t *testing.T, f *tb.Fixture) []string {
			e := &f.Doc.Entries[f.EntryPos(f.IngestEntry)]
			e.Inclusion[1] = flipB64(e.Inclusion[1])
			return nil
		}, line: func(f *tb.Fixture) string { return fmt.Sprintf("NOT PROVEN: inclusion at entry %d: ", f.IngestEntry) }},
		{name: "inclusion too long", change: func(t *testing.T, f *tb.Fixture) []string {
			e := &f.Doc.Entries[0]
			for len(e.Inclusion) <= 64 {
				e.Inclusion = append(e.Inclusion, e.Inclusion[0])
			}
			return nil
		}, line: at("NOT PROVEN: inclusion at entry 0: ")},
		{name: "steps lack the step", scenario: tb.Scenario{IngestSteps: []string{"other"}},
			line: func(f *tb.Fixture) string {
				return fmt.Sprintf("NOT PROVEN: authorisation at entry %d: ", f.IngestEntry)
			}},
		{name: "valid from after the time", scenario: tb.Scenario{IngestValidFrom: "2024-03-01T00:00:00Z"},
			line: func(f *tb.Fixture) string {
				return fmt.Sprintf("NOT PROVEN: authorisation at entry %d: ", f.IngestEntry)
			}},
		{name: "valid until the time", scenario: tb.Scenario{IngestValidUntil: "2024-02-01T00:00:00Z"},
			line: func(f *tb.Fixture) string {
				return fmt.Sprintf("NOT PROVEN: authorisation at entry %d: ", f.IngestEntry)
			}},
		{name: "revoked", scenario: tb.Scenario{RevokeIngestAt: "2024-01-20T00:00:00Z"},
			line: func(f *tb.Fixture) string {
				return fmt.Sprintf("NOT PROVEN: authorisation at entry %d: ", f.IngestEntry)
			}},
		{name: "revocation kept over a later registration", scenario: tb.Scenario{RevokeIngestAt: "2024-01-20T00:00:00Z", RevokeBeforeReg: true},
			line: func(f *tb.Fixture) string {
				return fmt.Sprintf("NOT PROVEN: authorisation at entry %d: ", f.IngestEntry)
			}},
		{name: "registration left out", change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Entries = append(f.Doc.Entries[:1], f.Doc.Entries[2:]...) // entry 1 registers the ingest key
			return nil
		}, line: func(f *tb.Fixture) string {
			return fmt.Sprintf("NOT PROVEN: authorisation at entry %d: ", f.IngestEntry)
		}},
		{name: "entry 0 not the admin key", change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Entries[0].Entry = restate(f.Doc.Entries[0].Entry, func(st map[string]any) {
				p := st["predicate"].(map[string]any)
				p["keyid"], p["publicKey"] = f.Ingest.ID, f.Ingest.B64()
			})
			return nil
		}, line: at("NOT PROVEN: authorisation at entry 0: ")},
		{name: "entry 0 registers another key", change: func(t *testing.T, f *tb.Fixture) []string {
			st := tb.Registration(f.Ingest, []string{tb.AdminStep}, "0001-01-01T00:00:00Z", "", "2024-01-01T00:00:00Z")
			f.Doc.Entries[0].Entry = base64.StdEncoding.EncodeToString(tb.Sign(st, f.Ingest))
			return nil
		}, line: at("NOT PROVEN: authorisation at entry 0: entry 0 registers key")},
		{name: "entry 0 not a registration", change: func(t *testing.T, f *tb.Fixture) []string {
			st := tb.Statement(tb.LineageV2, tb.AdminStep, "2024-01-01T00:00:00Z", f.IngestBatch.Predicate())
			f.Doc.Entries[0].Entry = base64.StdEncoding.EncodeToString(tb.Sign(st, f.Admin))
			return nil
		}, line: at("NOT PROVEN: authorisation at entry 0: ")},
		{name: "key statement of another step", change: func(t *testing.T, f *tb.Fixture) []string {
			e := &f.Doc.Entries[1]
			st := tb.Registration(f.Ingest, []string{"ingest"}, "2024-01-01T00:00:00Z", "", "2024-01-01T00:00:01Z")
			st["predicate"].(map[string]any)["step"] = map[string]any{"name": "ingest"}
			e.Entry = base64.StdEncoding.EncodeToString(tb.Sign(st, f.Ingest))
			return nil
		}, line: at("NOT PROVEN: authorisation at entry 1: a key statement is for step")},
		{name: "entry 0 missing", change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Entries = f.Doc.Entries[1:]
			return nil
		}, line: at("NOT PROVEN: entry at entry 0: ")},
		{name: "entries out of order", change: func(t *testing.T, f *tb.Fixture) []string {
			e := f.Doc.Entries
			e[1], e[2] = e[2], e[1]
			return nil
		}, line: at("NOT PROVEN: entry at entry 1: ")},
		{name: "item text changed", change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Items[1].Item = `["DERIVED_FROM","record:1","post:2"]`
			return nil
		}, line: at("NOT PROVEN: batch-path at item 1: ")},
		{name: "item not canonical", change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Items[1].Item = `["DERIVED_FROM", "record:1", "post:1"]`
			return nil
		}, line: at("NOT PROVEN: item at item 1: ")},
		{name: "item with escaped text", change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Items[1].Item = `["DERIVED_FROM","record:\u0031","post:1"]`
			return nil
		}, line: at("NOT PROVEN: item at item 1: ")},
		{name: "item with duplicate keys", change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Items[0].Item = `["Post","post:1",{"likes":3,"likes":4}]`
			return nil
		}, line: at("NOT PROVEN: item at item 0: ")},
		{name: "edge at a node position", change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Items[1].Position = 1
			return nil
		}, line: at("NOT PROVEN: item at item 1: ")},
		{name: "position out of range", change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Items[2].Position = 7
			return nil
		}, line: at("NOT PROVEN: item at item 2: ")},
		{name: "item of an entry not in the bundle", change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Items[3].Entry = 3
			return nil
		}, line: at("NOT PROVEN: item at item 3: ")},
		{name: "item of a key statement", change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Items[0].Entry = 1
			return nil
		}, line: at("NOT PROVEN: item at item 0: ")},
		{name: "batch path hash", change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Items[2].Path[0] = flipB64(f.Doc.Items[2].Path[0])
			return nil
		}, line: at("NOT PROVEN: batch-path at item 2: ")},
		{name: "claim artifact", change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["artifact"] = "model:2"
			return nil
		}, line: at("NOT PROVEN: claim at claim: ")},
		{name: "claim against the flow", change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["post"], f.Doc.Claim["artifact"] = "model:1", "post:1"
			return nil
		}, line: at("NOT PROVEN: claim at claim: ")},
		{name: "claim kind unknown", change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["kind"] = "lineage"
			return nil
		}, line: at("NOT PROVEN: claim at claim: ")},
		{name: "claim without artifact", change: func(t *testing.T, f *tb.Fixture) []string {
			delete(f.Doc.Claim, "artifact")
			return nil
		}, line: at("NOT PROVEN: claim at claim: ")},
		{name: "consistency hash", change: func(t *testing.T, f *tb.Fixture) []string {
			f.AddConsistency()
			f.Doc.Consistency.Hashes[0] = flipB64(f.Doc.Consistency.Hashes[0])
			return nil
		}, line: at("NOT PROVEN: consistency at log: ")},
		{name: "since another checkpoint", change: func(t *testing.T, f *tb.Fixture) []string {
			f.AddConsistency()
			return []string{"--since", writeFile(t, f.Log.Checkpoint(2))}
		}, line: at("NOT PROVEN: consistency at log: ")},
		{name: "since without a consistency proof", change: func(t *testing.T, f *tb.Fixture) []string {
			return []string{"--since", writeFile(t, f.Log.Checkpoint(f.OldSize))}
		}, line: at("NOT PROVEN: consistency at log: ")},
		{name: "since of another key", change: func(t *testing.T, f *tb.Fixture) []string {
			f.AddConsistency()
			signer, _ := tb.NewKey("other").NoteKeys(f.Log.Origin)
			return []string{"--since", writeFile(t, tb.SignCheckpoint(signer, f.Log.Origin, f.OldSize, make([]byte, 32)))}
		}, line: at("NOT PROVEN: consistency at log: ")},
		{name: "since good", change: func(t *testing.T, f *tb.Fixture) []string {
			f.AddConsistency()
			return []string{"--since", writeFile(t, f.Log.Checkpoint(f.OldSize))}
		}, code: 0, line: at("PROVEN: ")},
		{name: "consistency good without since", change: func(t *testing.T, f *tb.Fixture) []string {
			f.AddConsistency()
			return nil
		}, code: 0, line: at("PROVEN: ")},
		{name: "since the bundle's checkpoint", change: func(t *testing.T, f *tb.Fixture) []string {
			return []string{"--since", writeFile(t, f.Doc.Log.Checkpoint)}
		}, code: 0, line: at("PROVEN: ")},
	}
	runCases(t, cases)
}

// runCases builds each case's fixture, changes it, runs the command and checks the
// exit status and the start of the first line.
func runCases(t *testing.T, cases []testCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			build := c.build
			if build == nil {
				build = tb.Build
			}
			f := build(c.scenario)
			var args []string
			if c.change != nil {
				args = c.change(t, f)
			}
			want := c.code
			if want == 0 && !strings.HasPrefix(c.line(f), "PROVEN") {
				want = 1
			}
			code, out, errOut := verify(t, f.Doc.JSON(), args...)
			first, _, _ := strings.Cut(out, "\n")
			if code != want || !strings.HasPrefix(first, c.line(f)) {
				t.Fatalf("exit %d, first line %q; want exit %d, %q (stderr %q)", code, first, want, c.line(f), errOut)
			}
			if testing.Verbose() {
				t.Log(first)
			}
			for _, line := range c.output {
				if line = expand(f, line); !strings.Contains(out, line) {
					t.Errorf("output lacks %q:\n%s", line, out)
				}
			}
			if want == 0 && strings.Contains(c.name, "since good") && !strings.Contains(out, fmt.Sprintf("consistency: proven from the checkpoint of size %d", f.OldSize)) {
				t.Errorf("no consistency line:\n%s", out)
			}
		})
	}
}

func TestUnreadable(t *testing.T) {
	good := string(tb.Build(tb.Scenario{}).Doc.JSON())
	cases := map[string]string{
		"not JSON":                        "{",
		"not an object":                   "[]",
		"two documents":                   good + "{}",
		"media type":                      strings.Replace(good, "application/vnd.lineage.bundle+json", "application/json", 1),
		"version":                         strings.Replace(good, `"version": 1`, `"version": 2`, 1),
		"version as string":               strings.Replace(good, `"version": 1`, `"version": "1"`, 1),
		"version true":                    strings.Replace(good, `"version": 1`, `"version": true`, 1),
		"version 1.0":                     strings.Replace(good, `"version": 1`, `"version": 1.0`, 1),
		"version 1e0":                     strings.Replace(good, `"version": 1`, `"version": 1e0`, 1),
		"version null":                    strings.Replace(good, `"version": 1`, `"version": null`, 1),
		"byte-order mark":                 "\ufeff" + good,
		"two byte-order marks":            "\ufeff\ufeff" + good,
		"a space, then a byte-order mark": " \ufeff" + good,
		"unknown member":                  strings.Replace(good, `"version": 1`, `"version": 1, "extra": true`, 1),
		"duplicate member":                strings.Replace(good, `"version": 1`, `"version": 1, "version": 1`, 1),
		"missing entries":                 strings.Replace(good, `"entries"`, `"entries_"`, 1),
		"missing items":                   strings.Replace(good, `"items"`, `"Items"`, 1),
		"index as string":                 strings.Replace(good, `"index": 0`, `"index": "0"`, 1),
		"negative index":                  strings.Replace(good, `"index": 0`, `"index": -1`, 1),
		"fractional index":                strings.Replace(good, `"index": 0`, `"index": 0.5`, 1),
		"null checkpoint":                 strings.Replace(good, `"checkpoint": "`, `"checkpoint": null, "x": "`, 1),
		"claim without kind":              strings.Replace(good, `"kind": "path"`, `"kind_": "path"`, 1),
		"path of numbers":                 strings.Replace(good, `"path": [`, `"path": [1, `, 1),
		"not UTF-8":                       strings.Replace(good, "post:1 reaches", "post:1 \xff reaches", 1),
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			if doc == good {
				t.Fatal("the change did not apply")
			}
			code, out, errOut := verify(t, []byte(doc))
			if code != 2 || out != "" || !strings.HasPrefix(errOut, "lineage-verify-bundle: ") || strings.Count(errOut, "\n") != 1 {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
			if strings.HasPrefix(name, "byte-order mark") && !strings.Contains(errOut, "byte-order mark") {
				t.Errorf("stderr does not name the byte-order mark: %q", errOut)
			}
			if strings.HasPrefix(name, "version ") && !strings.Contains(errOut, "version is not a non-negative integer") {
				t.Errorf("stderr: %q", errOut)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	for _, args := range [][]string{nil, {"a", "b"}, {"--nope", "x"}, {filepath.Join(t.TempDir(), "missing.json")}} {
		stdout.Reset()
		stderr.Reset()
		if code := run(args, &stdout, &stderr); code != 2 || stderr.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr.String())
		}
	}
	f := tb.Build(tb.Scenario{})
	if code, _, _ := verify(t, f.Doc.JSON(), "--since", filepath.Join(t.TempDir(), "missing")); code != 2 {
		t.Errorf("--since of a missing file: exit %d", code)
	}
}

func TestReadFileLimit(t *testing.T) {
	path := writeFile(t, "12345")
	if _, err := readFile(path, 4); err == nil {
		t.Error("a file over the limit was read")
	}
	if data, err := readFile(path, 5); err != nil || string(data) != "12345" {
		t.Errorf("readFile: %q, %v", data, err)
	}
}
