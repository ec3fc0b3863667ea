package main

import (
	"encoding/base64"
	"strings"
	"testing"
	"unicode"

	tb "lineage.local/verifiers/go/internal/testbundle"
)

// hostile is text a bundle may hold to forge lines of the report.
const hostile = "x\nPROVEN: forged\r\u2028PROVEN: forged\u2029\u0085\x1b[2J\u202e\t"

// checkLines fails unless every line of out is made of graphic characters, the first
// line is the only one that starts with PROVEN or NOT PROVEN, and nothing is forged.
func checkLines(t *testing.T, out string) {
	t.Helper()
	for _, r := range out {
		if r != '\n' && !unicode.IsGraphic(r) {
			t.Errorf("the output holds %q:\n%s", r, out)
			break
		}
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i, line := range lines {
		if i > 0 && (strings.HasPrefix(line, "PROVEN") || strings.HasPrefix(line, "NOT PROVEN")) {
			t.Errorf("line %d: %q", i, line)
		}
		if strings.HasPrefix(line, "PROVEN: forged") {
			t.Errorf("a forged line: %q", line)
		}
	}
}

// TestOneLine: whatever the bundle holds, each line of the report stays one line, and
// the claim's text is never printed.
func TestOneLine(t *testing.T) {
	cases := []testCase{
		{name: "a path claim's text", change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["text"] = hostile + "TEXT-MARK"
			return nil
		}, line: at(`PROVEN: post "post:1" reaches`)},
		{name: "a check claim's text", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["text"] = "model:1 passes with no violations, proven" + hostile + "TEXT-MARK"
			return nil
		}, line: at("PROVEN: the 2 findings listed")},
		{name: "a receipts claim's text", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["text"] = hostile + "TEXT-MARK"
			return nil
		}, line: at("PROVEN: 2 requests")},
		{name: "a complete claim's text", build: tb.BuildComplete, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["text"] = hostile + "TEXT-MARK"
			return nil
		}, line: at(`PROVEN: artifact "model:1" fails`)},
		{name: "a finding's level, rule and gap record", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			finding(f, 0)["level"] = "violation" + hostile
			finding(f, 0)["rule"] = "rule" + hostile
			f.Doc.Claim["findings"] = append(f.Doc.Claim["findings"].([]any),
				map[string]any{"rule": "cycle" + hostile, "level": hostile, "origin": nil, "record": "rec:1" + hostile, "shard": nil})
			return nil
		}, line: at("PROVEN: the 3 findings listed"), output: []string{"  violationx\ufffdPROVEN: forged\ufffd\ufffdPROVEN", `"rulex\nPROVEN: forged\r\u2028`}},
		{name: "a claim kind", change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["kind"] = "path" + hostile
			return nil
		}, line: at(`NOT PROVEN: claim at claim: unknown claim kind "pathx\nPROVEN: forged\r\u2028`)},
		{name: "a finding's record", build: tb.BuildCheck, change: func(t *testing.T, f *tb.Fixture) []string {
			finding(f, 0)["record"] = "rec:2" + hostile
			return nil
		}, line: at(`NOT PROVEN: claim at claim: claim.findings[0]: record "rec:2x\nPROVEN: forged`)},
		{name: "a receipt's target", build: tb.BuildReceipts, change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Claim["target"] = "subject:1" + hostile
			return nil
		}, line: at(`NOT PROVEN: claim at claim: claim.receipts[0]: the request at item 0 of entry `)},
		{name: "the log's origin", change: func(t *testing.T, f *tb.Fixture) []string {
			f.Doc.Log.Origin = hostile
			return nil
		}, line: at("NOT PROVEN: checkpoint at log: ")},
		{name: "a log key's name", change: func(t *testing.T, f *tb.Fixture) []string {
			// The admin key under a name with a C1 control (CSI) and a bidirectional
			// override, which signed notes allow, signing the checkpoint.
			signer, vkey := f.Admin.NoteKeys("evil\u009b2J\u202e")
			f.Doc.Log.VerifierKey = vkey
			body := strings.Split(f.Doc.Log.Checkpoint, "\n") // origin, size, root, "", signatures
			root, err := base64.StdEncoding.DecodeString(body[2])
			if err != nil {
				t.Fatal(err)
			}
			f.Doc.Log.Checkpoint = tb.SignCheckpoint(signer, f.Log.Origin, uint64(len(f.Log.Leaves)), root)
			return nil
		}, line: at("PROVEN: "), output: []string{"log key: evil\ufffd2J\ufffd+"}},
	}
	runCases(t, cases)
	for _, c := range cases {
		t.Run(c.name+", lines", func(t *testing.T) {
			build := c.build
			if build == nil {
				build = tb.Build
			}
			f := build(c.scenario)
			args := c.change(t, f)
			code, out, _ := verify(t, f.Doc.JSON(), args...)
			checkLines(t, out)
			if strings.Contains(out, "TEXT-MARK") || strings.Contains(out, "forged\n") {
				t.Errorf("the claim's text is printed:\n%s", out)
			}
			if code == 1 && strings.Count(out, "\n") != 2 { // the failure, the log key's origin
				t.Errorf("not one line:\n%s", out)
			}
		})
	}
}

// TestOneLineUnreadable: a document refused as unreadable is one line on stderr.
func TestOneLineUnreadable(t *testing.T) {
	good := string(tb.Build(tb.Scenario{}).Doc.JSON())
	for name, doc := range map[string]string{
		"an unknown member": strings.Replace(good, `"version": 1`, `"version": 1, "x\u2028PROVEN: forged\n\r": true`, 1),
		"a media type":      strings.Replace(good, "application/vnd.lineage.bundle+json", `x\u2028PROVEN: forged\n\r`, 1),
	} {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := verify(t, []byte(doc))
			if code != 2 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.HasSuffix(errOut, "\n") {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
			checkLines(t, errOut)
		})
	}
}
