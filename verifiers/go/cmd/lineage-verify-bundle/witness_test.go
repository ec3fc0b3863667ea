package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	tb "lineage.local/verifiers/go/internal/testbundle"
)

// testWitness is a cosigner made by hand (c2sp.org/tlog-cosignature, Ed25519).
type testWitness struct {
	name string
	key  tb.Key
}

func newWitness(name string) testWitness {
	return testWitness{name: name, key: tb.NewKey("witness " + name)}
}

func (w testWitness) typedKey() []byte { return append([]byte{0x04}, w.key.Public...) }

func (w testWitness) keyID() []byte {
	sum := sha256.Sum256(append([]byte(w.name+"\n"), w.typedKey()...))
	return sum[:4]
}

// vkey is name+hash+base64(0x04 || key).
func (w testWitness) vkey() string {
	return fmt.Sprintf("%s+%x+%s", w.name, w.keyID(), base64.StdEncoding.EncodeToString(w.typedKey()))
}

// line is the note signature line of a cosignature/v1 of body at time ts.
func (w testWitness) line(body string, ts uint64) string {
	msg := fmt.Sprintf("cosignature/v1\ntime %d\n%s", ts, body)
	blob := append(w.keyID(), binary.BigEndian.AppendUint64(nil, ts)...)
	blob = append(blob, ed25519.Sign(w.key.Private, []byte(msg))...)
	return "— " + w.name + " " + base64.StdEncoding.EncodeToString(blob) + "\n"
}

// body is the text of a signed note, up to and including the newline before the
// blank line.
func body(signed string) string { return signed[:strings.LastIndex(signed, "\n\n")+1] }

// flipLine changes a byte of the signature in a signature line.
func flipLine(line string) string {
	i := strings.LastIndex(line, " ")
	blob, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(line[i+1:], "\n"))
	if err != nil {
		panic(err)
	}
	blob[len(blob)-5] ^= 0x01
	return line[:i+1] + base64.StdEncoding.EncodeToString(blob) + "\n"
}

func TestWitness(t *testing.T) {
	w1, w2, w3 := newWitness("witness.example/w1"), newWitness("witness.example/w2"), newWitness("witness.example/w3")
	const ts = 1700000000
	// cosigned adds lines, made from the bundle's checkpoint by each function.
	cosigned := func(lines ...func(f *tb.Fixture) string) func(t *testing.T, f *tb.Fixture) {
		return func(t *testing.T, f *tb.Fixture) {
			cp := f.Doc.Log.Checkpoint
			for _, line := range lines {
				cp += line(f)
			}
			f.Doc.Log.Checkpoint = cp
		}
	}
	by := func(w testWitness) func(f *tb.Fixture) string {
		return func(f *tb.Fixture) string { return w.line(body(f.Doc.Log.Checkpoint), ts) }
	}
	badBy := func(w testWitness) func(f *tb.Fixture) string {
		return func(f *tb.Fixture) string { return flipLine(w.line(body(f.Doc.Log.Checkpoint), ts)) }
	}
	ofOlder := func(w testWitness) func(f *tb.Fixture) string {
		return func(f *tb.Fixture) string { return w.line(body(f.Log.Checkpoint(f.OldSize)), ts) }
	}
	timeChanged := func(w testWitness) func(f *tb.Fixture) string {
		return func(f *tb.Fixture) string {
			line := w.line(body(f.Doc.Log.Checkpoint), ts)
			i := strings.LastIndex(line, " ")
			blob, _ := base64.StdEncoding.DecodeString(strings.TrimSuffix(line[i+1:], "\n"))
			binary.BigEndian.PutUint64(blob[4:12], ts+1)
			return line[:i+1] + base64.StdEncoding.EncodeToString(blob) + "\n"
		}
	}
	witnesses := func(quorum string, ws ...testWitness) []string {
		var args []string
		for _, w := range ws {
			args = append(args, "--witness", w.vkey())
		}
		if quorum != "" {
			args = append(args, "--quorum", quorum)
		}
		return args
	}
	type witnessCase struct {
		name  string
		lines []func(f *tb.Fixture) string
		args  []string
		line  string   // the start of the first line
		more  []string // the output also holds these
	}
	proven := "PROVEN: "
	failed := "NOT PROVEN: witness at log: "
	cases := []witnessCase{
		{name: "cosigned, no --witness: other signatures ignored", lines: []func(*tb.Fixture) string{by(w1), by(w2)},
			line: proven},
		{name: "cosigned, --log-key, no --witness", lines: []func(*tb.Fixture) string{by(w1)},
			line: proven},
		{name: "quorum 0 of 2, none cosigned", args: witnesses("0", w1, w2), line: proven,
			more: []string{"witnesses: 0 of the 2 given cosigned the checkpoint (quorum 0)"}},
		{name: "quorum 1 of 2, none cosigned", args: witnesses("1", w1, w2), line: failed + "0 of 1 required cosignatures by the 2 witnesses given"},
		{name: "quorum 1 of 2, w2 cosigned", lines: []func(*tb.Fixture) string{by(w2)}, args: witnesses("1", w1, w2), line: proven,
			more: []string{`witnesses: 1 of the 2 given cosigned the checkpoint (quorum 1): "witness.example/w2"`}},
		{name: "quorum 2 by default, w1 cosigned", lines: []func(*tb.Fixture) string{by(w1)}, args: witnesses("", w1, w2),
			line: failed + `1 of 2 required cosignatures by the 2 witnesses given (valid: "witness.example/w1")`},
		{name: "quorum 2 by default, both cosigned", lines: []func(*tb.Fixture) string{by(w2), by(w1)}, args: witnesses("", w1, w2), line: proven,
			more: []string{`witnesses: 2 of the 2 given cosigned the checkpoint (quorum 2): "witness.example/w1", "witness.example/w2"`}},
		{name: "quorum 1 by default of one witness", lines: []func(*tb.Fixture) string{by(w1), by(w3)}, args: witnesses("", w1), line: proven},
		{name: "a bad cosignature is not counted", lines: []func(*tb.Fixture) string{by(w1), badBy(w2)}, args: witnesses("2", w1, w2),
			line: failed + `1 of 2 required cosignatures by the 2 witnesses given (valid: "witness.example/w1"); not counted, not verifying: "witness.example/w2"`},
		{name: "a bad cosignature, quorum 1 met by another", lines: []func(*tb.Fixture) string{badBy(w2), by(w1)}, args: witnesses("1", w1, w2), line: proven},
		{name: "a cosignature of another checkpoint body", lines: []func(*tb.Fixture) string{by(w1), ofOlder(w2)}, args: witnesses("2", w1, w2),
			line: failed + `1 of 2 required cosignatures by the 2 witnesses given (valid: "witness.example/w1"); not counted, not verifying: "witness.example/w2"`},
		{name: "a cosignature whose time was changed", lines: []func(*tb.Fixture) string{timeChanged(w1)}, args: witnesses("1", w1),
			line: failed + `0 of 1 required cosignatures by the 1 witnesses given; not counted, not verifying: "witness.example/w1"`},
		{name: "one witness twice counts once", lines: []func(*tb.Fixture) string{by(w1), func(f *tb.Fixture) string {
			return w1.line(body(f.Doc.Log.Checkpoint), ts+60)
		}}, args: witnesses("2", w1, w2), line: failed + "1 of 2 required"},
		{name: "a witness not given is not counted", lines: []func(*tb.Fixture) string{by(w3)}, args: witnesses("1", w1, w2), line: failed + "0 of 1 required"},
		{name: "a cosignature by the log key's name is not a witness's", lines: []func(*tb.Fixture) string{func(f *tb.Fixture) string {
			return newWitness(f.Log.Origin).line(body(f.Doc.Log.Checkpoint), ts)
		}}, args: witnesses("1", w1), line: failed + "0 of 1 required"},
	}
	var tcs []testCase
	for _, c := range cases {
		tcs = append(tcs, testCase{name: c.name, change: func(t *testing.T, f *tb.Fixture) []string {
			cosigned(c.lines...)(t, f)
			if strings.Contains(c.name, "--log-key") {
				return append([]string{"--log-key", f.Log.VKey}, c.args...)
			}
			return c.args
		}, line: at(c.line), output: c.more})
	}
	// The log's signature is checked first, and a consistency failure comes after.
	tcs = append(tcs,
		testCase{name: "checkpoint before witness", change: func(t *testing.T, f *tb.Fixture) []string {
			cp := f.Doc.Log.Checkpoint
			sigs := cp[len(body(cp))+1:]
			f.Doc.Log.Checkpoint = body(cp) + "\n" + flipLine(strings.TrimSuffix(sigs, "\n")+"\n") + w1.line(body(cp), ts)
			return witnesses("1", w1)
		}, line: at("NOT PROVEN: checkpoint at log: ")},
		testCase{name: "witness before consistency", change: func(t *testing.T, f *tb.Fixture) []string {
			return append(witnesses("1", w1), "--since", writeFile(t, f.Log.Checkpoint(1)))
		}, line: at(failed)},
		testCase{name: "witness and since good", change: func(t *testing.T, f *tb.Fixture) []string {
			f.AddConsistency()
			cosigned(by(w1))(t, f)
			return append(witnesses("1", w1), "--since", writeFile(t, f.Log.Checkpoint(f.OldSize)))
		}, line: at(proven), output: []string{`witnesses: 1 of the 1 given cosigned the checkpoint (quorum 1): "witness.example/w1"`}},
	)
	runCases(t, tcs)
}

func TestWitnessUsage(t *testing.T) {
	f := tb.Build(tb.Scenario{})
	w1 := newWitness("witness.example/w1")
	other := newWitness("witness.example/w1")
	other.key = tb.NewKey("another")
	for _, args := range [][]string{
		{"--witness", "nonsense"},
		{"--witness", f.Log.VKey}, // an Ed25519 log key (type 0x01) is not a cosignature key
		{"--witness", fmt.Sprintf("%s+%x+%s", w1.name, other.keyID(), base64.StdEncoding.EncodeToString(w1.typedKey()))}, // wrong key ID
		{"--witness", w1.vkey(), "--witness", other.vkey()},
		{"--witness", w1.vkey(), "--quorum", "2"},
		{"--quorum", "1"},
		{"--quorum", "x"},
	} {
		code, out, errOut := verify(t, f.Doc.JSON(), args...)
		if code != 2 || out != "" || !strings.HasPrefix(errOut, "lineage-verify-bundle: ") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}
