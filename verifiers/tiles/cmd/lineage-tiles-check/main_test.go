package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// fixture is a log of 700 entries (tiles at levels 0 and 1, partial tiles at both)
// and its signed checkpoints at sizes 300 and 700.
type fixture struct {
	log    *testLog
	signer note.Signer
	vkey   string
	cp300  string
	cp700  string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{log: newTestLog(700, 1)}
	f.signer, f.vkey = logSigner(t, testOrigin, "log")
	f.cp300 = f.checkpoint(t, f.log, 300)
	f.cp700 = f.checkpoint(t, f.log, 700)
	return f
}

func (f *fixture) checkpoint(t *testing.T, l *testLog, size int64) string {
	return sign(t, checkpointText(testOrigin, size, l.root(size)), f.signer)
}

// serve serves the log's first size entries with a checkpoint.
func (f *fixture) serve(t *testing.T, l *testLog, size int64, checkpoint string) string {
	return serve(t, &server{log: l, size: size, checkpoint: checkpoint})
}

func runCheck(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "checkpoint")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// jsonSummary runs the command with -json, expects success and reads the summary.
func jsonSummary(t *testing.T, args ...string) summary {
	t.Helper()
	code, out, errOut := runCheck(t, append(args, "-json")...)
	if code != 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	var s summary
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("not JSON: %q: %v", out, err)
	}
	if !s.OK {
		t.Fatalf("ok is false: %s", out)
	}
	return s
}

// expectFailure runs the command and expects exit 1 with stderr starting with prefix.
func expectFailure(t *testing.T, prefix string, args ...string) string {
	t.Helper()
	code, out, errOut := runCheck(t, args...)
	if code != 1 || !strings.HasPrefix(errOut, prefix) || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("want exit 1 and one line starting %q; got exit %d, stdout %q, stderr %q", prefix, code, out, errOut)
	}
	t.Log(strings.TrimSuffix(errOut, "\n"))
	return errOut
}

func TestRandomAndEdgeIndices(t *testing.T) {
	f := newFixture(t)
	url := f.serve(t, f.log, 700, f.cp700)
	s := jsonSummary(t, "-url", url, "-vkey", f.vkey, "-seed", "7",
		"-index", "0", "-index", "255", "-index", "256", "-index", "511", "-index", "512", "-index", "699")
	if s.Origin != testOrigin || s.Size != 700 || s.ConsistentWith != nil || s.Entries != nil || s.Cosignatures != 0 {
		t.Errorf("summary %+v", s)
	}
	root := f.log.root(700)
	if s.Root != strings.Split(checkpointText(testOrigin, 700, root), "\n")[2] {
		t.Errorf("root %s", s.Root)
	}
	for _, i := range []int64{0, 255, 256, 511, 512, 699} {
		if !slices.Contains(s.Checked, i) {
			t.Errorf("index %d not checked: %v", i, s.Checked)
		}
	}
	if len(s.Checked) < 20 || len(s.Checked) > 26 || !slices.IsSorted(s.Checked) {
		t.Errorf("checked %v: want 20 random and the 6 given, sorted", s.Checked)
	}
	again := jsonSummary(t, "-url", url, "-vkey", f.vkey, "-seed", "7",
		"-index", "0", "-index", "255", "-index", "256", "-index", "511", "-index", "512", "-index", "699")
	if !slices.Equal(s.Checked, again.Checked) {
		t.Errorf("-seed 7 chose %v, then %v", s.Checked, again.Checked)
	}

	// -n at least the size checks every entry; the text report ends with OK.
	url300 := f.serve(t, f.log, 300, f.cp300)
	if s := jsonSummary(t, "-url", url300, "-vkey", f.vkey, "-n", "1000"); len(s.Checked) != 300 || s.Checked[299] != 299 {
		t.Errorf("-n 1000 of 300 checked %d entries", len(s.Checked))
	}
	code, out, errOut := runCheck(t, "-url", url, "-vkey", f.vkey, "-n", "3")
	if code != 0 || !strings.HasSuffix(out, "\nOK\n") || !strings.Contains(out, "inclusion: 3 entries verified") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	expectFailure(t, "inclusion: entry 700: not below the tree size 700", "-url", url, "-vkey", f.vkey, "-index", "700")
}

func TestConsistencyAndAll(t *testing.T) {
	f := newFixture(t)
	url := f.serve(t, f.log, 700, f.cp700)
	s := jsonSummary(t, "-url", url, "-vkey", f.vkey, "-n", "0", "-all", "-old", writeFile(t, f.cp300))
	if s.ConsistentWith == nil || *s.ConsistentWith != 300 || s.Entries == nil || *s.Entries != 700 || len(s.Checked) != 0 {
		t.Errorf("summary %+v", s)
	}
	for _, size := range []int64{1, 255, 256, 257, 512, 699, 700} {
		old := writeFile(t, f.checkpoint(t, f.log, size))
		if s := jsonSummary(t, "-url", url, "-vkey", f.vkey, "-n", "0", "-old", old); *s.ConsistentWith != size {
			t.Errorf("old size %d: %+v", size, s)
		}
	}
	empty := writeFile(t, f.checkpoint(t, f.log, 0))
	if s := jsonSummary(t, "-url", url, "-vkey", f.vkey, "-n", "0", "-old", empty); *s.ConsistentWith != 0 {
		t.Errorf("old size 0: %+v", s)
	}

	// A larger old checkpoint, or the same size with another root, fails.
	url300 := f.serve(t, f.log, 300, f.cp300)
	expectFailure(t, "consistency: ", "-url", url300, "-vkey", f.vkey, "-n", "0", "-old", writeFile(t, f.cp700))
	other := sign(t, checkpointText(testOrigin, 700, f.log.root(699)), f.signer)
	expectFailure(t, "consistency: ", "-url", url, "-vkey", f.vkey, "-n", "0", "-old", writeFile(t, other))
	// An old checkpoint under another key fails.
	otherSigner, _ := logSigner(t, testOrigin, "another log")
	expectFailure(t, "consistency: ", "-url", url, "-vkey", f.vkey, "-n", "0",
		"-old", writeFile(t, sign(t, checkpointText(testOrigin, 300, f.log.root(300)), otherSigner)))
	// -all reads the partial entry bundle of a small log too.
	if s := jsonSummary(t, "-url", url300, "-vkey", f.vkey, "-n", "0", "-all"); *s.Entries != 300 {
		t.Errorf("-all of 300: %+v", s)
	}
}

func TestForkedHistory(t *testing.T) {
	f := newFixture(t)
	fork := f.log.withEntry(5, []byte("another entry 5"))
	url := f.serve(t, fork, 700, f.checkpoint(t, fork, 700))
	// The fork is a valid log by itself.
	jsonSummary(t, "-url", url, "-vkey", f.vkey, "-index", "5", "-all")
	// but it does not extend the checkpoint of size 300 of the original log.
	msg := expectFailure(t, "consistency: ", "-url", url, "-vkey", f.vkey, "-n", "0", "-old", writeFile(t, f.cp300))
	if !strings.Contains(msg, "does not extend") {
		t.Errorf("message %q", msg)
	}
}

// entryOffset is the offset of entry i's first byte in its entry bundle.
func entryOffset(l *testLog, i int) int {
	off := 0
	for k := i / 256 * 256; k < i; k++ {
		off += 2 + len(l.entries[k])
	}
	return off + 2
}

// tilePath is the tlog-tiles path of a tile ("tile/entries/000", "tile/1/000.p/2").
func tilePath(level int, n int64, w int) string {
	return torchwood.TilePath(tlog.Tile{H: torchwood.TileHeight, L: level, N: n, W: w})
}

func TestTampered(t *testing.T) {
	f := newFixture(t)
	flip := func(path string, at int) func(string, []byte) []byte {
		return func(p string, data []byte) []byte {
			if p == path {
				data = bytes.Clone(data)
				data[at] ^= 0x01
			}
			return data
		}
	}
	cases := []struct {
		name   string
		tamper func(string, []byte) []byte
		args   []string
		prefix string
	}{
		{"entry 17", flip(tilePath(-1, 0, 256), entryOffset(f.log, 17)), []string{"-index", "17"}, "inclusion: entry 17: "},
		{"entry 650 in a partial bundle", flip(tilePath(-1, 2, 188), entryOffset(f.log, 650)), []string{"-index", "650"}, "inclusion: entry 650: "},
		{"entry 17 found by -all", flip(tilePath(-1, 0, 256), entryOffset(f.log, 17)), []string{"-all"}, "entries: "},
		{"a level 0 hash tile", flip(tilePath(0, 1, 256), 5), []string{"-index", "300"}, "inclusion: entry 300: "},
		{"a level 1 hash tile", flip(tilePath(1, 0, 2), 40), []string{"-index", "3"}, "inclusion: entry 3: "},
		{"the checkpoint", func(p string, data []byte) []byte {
			if p == "checkpoint" {
				return bytes.Replace(data, []byte("\n700\n"), []byte("\n699\n"), 1)
			}
			return data
		}, nil, "checkpoint: "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url := serve(t, &server{log: f.log, size: 700, checkpoint: f.cp700, tamper: c.tamper})
			expectFailure(t, c.prefix, append([]string{"-url", url, "-vkey", f.vkey, "-n", "0"}, c.args...)...)
		})
	}
}

func TestCheckpoint(t *testing.T) {
	f := newFixture(t)
	otherSigner, otherVKey := logSigner(t, testOrigin, "another log")
	wrongName, wrongNameVKey := logSigner(t, "lineage.local/elsewhere", "log")
	cases := []struct {
		name       string
		checkpoint string
		vkey       string
	}{
		{"another key", sign(t, checkpointText(testOrigin, 700, f.log.root(700)), otherSigner), f.vkey},
		{"origin is not the key name", sign(t, checkpointText(testOrigin, 700, f.log.root(700)), wrongName), wrongNameVKey},
		{"not a checkpoint", sign(t, "hello\n", f.signer), f.vkey},
		{"pinned another key", f.cp700, otherVKey},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url := f.serve(t, f.log, 700, c.checkpoint)
			expectFailure(t, "checkpoint: ", "-url", url, "-vkey", c.vkey)
		})
	}
	// Other signatures, cosignatures included, are ignored without -witness.
	w, _ := cosigner(t, "witness.example/unknown")
	other := sign(t, f.cp700[:strings.LastIndex(f.cp700, "\n\n")+1], otherSigner)
	cp := cosign(t, f.cp700, w, "") + lastSigLine(other)
	jsonSummary(t, "-url", f.serve(t, f.log, 700, cp), "-vkey", f.vkey, "-n", "2")
}

// flipLastSig changes a byte of the signature of a signature line.
func flipLastSig(line string) string {
	i := strings.LastIndex(line, " ")
	blob, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(line[i+1:], "\n"))
	if err != nil {
		panic(err)
	}
	blob[len(blob)-10] ^= 0x01
	return line[:i+1] + base64.StdEncoding.EncodeToString(blob) + "\n"
}

func TestWitnessQuorum(t *testing.T) {
	f := newFixture(t)
	w1, v1 := cosigner(t, "witness.example/w1")
	w2, v2 := cosigner(t, "witness.example/w2")
	w3, _ := cosigner(t, "witness.example/w3")
	body300 := checkpointText(testOrigin, 300, f.log.root(300))
	checkpoints := map[string]string{
		"none":          f.cp700,
		"w1":            cosign(t, f.cp700, w1, ""),
		"w1 w2":         cosign(t, cosign(t, f.cp700, w1, ""), w2, ""),
		"w1 twice":      cosign(t, cosign(t, f.cp700, w1, ""), w1, body300),
		"w1, w2 of 300": cosign(t, cosign(t, f.cp700, w1, ""), w2, body300),
		"w3 only":       cosign(t, f.cp700, w3, ""),
		// A cosignature whose signature bytes are changed.
		"w2 bad, w1": cosign(t, f.cp700+flipLastSig(lastSigLine(sign(t, f.cp700[:strings.LastIndex(f.cp700, "\n\n")+1], w2))), w1, ""),
	}

	cases := []struct {
		checkpoint string
		quorum     string // "" is the default
		valid      int    // -1 fails
		message    string
	}{
		{"none", "1", -1, "witness: 0 of 1 required cosignatures"},
		{"none", "", -1, "witness: 0 of 2 required cosignatures"},
		{"none", "0", 0, ""},
		{"w1", "1", 1, ""},
		{"w1", "2", -1, "witness: 1 of 2 required cosignatures"},
		{"w1 w2", "1", 2, ""},
		{"w1 w2", "2", 2, ""},
		{"w1 w2", "", 2, ""},
		{"w1 twice", "2", -1, "witness: 1 of 2 required cosignatures"},
		{"w1, w2 of 300", "2", -1, "witness: 1 of 2 required cosignatures"},
		{"w1, w2 of 300", "1", 1, ""},
		{"w3 only", "1", -1, "witness: 0 of 1 required cosignatures"},
		{"w2 bad, w1", "2", -1, "witness: 1 of 2 required cosignatures"},
		{"w2 bad, w1", "1", 1, ""},
	}
	for _, c := range cases {
		t.Run(c.checkpoint+" quorum "+c.quorum, func(t *testing.T) {
			url := f.serve(t, f.log, 700, checkpoints[c.checkpoint])
			args := []string{"-url", url, "-vkey", f.vkey, "-n", "1", "-witness", v1, "-witness", v2}
			if c.quorum != "" {
				args = append(args, "-quorum", c.quorum)
			}
			if c.valid < 0 {
				msg := expectFailure(t, c.message, args...)
				if strings.Contains(c.checkpoint, "w2") && !strings.Contains(msg, `not counted, not verifying: "witness.example/w2"`) {
					t.Errorf("message %q does not name the cosignature not counted", msg)
				}
				return
			}
			if s := jsonSummary(t, args...); s.Cosignatures != c.valid {
				t.Errorf("cosignatures %d, want %d", s.Cosignatures, c.valid)
			}
		})
	}
	// One witness given: the default quorum is 1.
	url := f.serve(t, f.log, 700, checkpoints["w1"])
	if s := jsonSummary(t, "-url", url, "-vkey", f.vkey, "-witness", v1); s.Cosignatures != 1 {
		t.Errorf("cosignatures %d", s.Cosignatures)
	}
	expectFailure(t, "witness: 0 of 1 required", "-url", url, "-vkey", f.vkey, "-witness", v2)
}

func TestUsage(t *testing.T) {
	f := newFixture(t)
	url := f.serve(t, f.log, 700, f.cp700)
	_, v1 := cosigner(t, "witness.example/w1")
	for _, args := range [][]string{
		{},
		{"-url", url},
		{"-vkey", f.vkey},
		{"-url", "ftp://x/", "-vkey", f.vkey},
		{"-url", url, "-vkey", "not a key"},
		{"-url", url, "-vkey", v1}, // a cosignature key is not a log key
		{"-url", url, "-vkey", f.vkey, "-index", "-1"},
		{"-url", url, "-vkey", f.vkey, "-n", "-1"},
		{"-url", url, "-vkey", f.vkey, "-seed", "x"},
		{"-url", url, "-vkey", f.vkey, "-witness", f.vkey}, // a log key is not a cosignature key
		{"-url", url, "-vkey", f.vkey, "-witness", v1, "-witness", v1},
		{"-url", url, "-vkey", f.vkey, "-witness", v1, "-quorum", "2"},
		{"-url", url, "-vkey", f.vkey, "-old", filepath.Join(t.TempDir(), "missing")},
		{"-url", url, "-vkey", f.vkey, "extra"},
	} {
		code, out, errOut := runCheck(t, args...)
		if code != 2 || out != "" || !strings.Contains(errOut, "usage: lineage-tiles-check") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}
