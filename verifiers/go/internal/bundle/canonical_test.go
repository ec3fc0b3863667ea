package bundle

import (
	"encoding/json"
	"testing"
)

func TestCanonicalAccepts(t *testing.T) {
	for _, text := range []string{
		`["Post","post:1",{"created_at":"2024-01-10T00:00:00Z","likes":3,"platform":"forum"}]`,
		`["DERIVED_FROM","record:1","post:1"]`,
		`["Post","p",{}]`,
		`["Post","\u001f\b\f\n\r\t\"\\","é😀` + "\x7f" + `"]`,
		`["Post","p",{"n":-12,"z":0}]`,
		`{"😀":1,"` + "\ue000" + `":2}`, // UTF-16 order: D83D DE00 before E000
		`{"a":1,"aa":2,"b":3}`,
	} {
		if _, err := parseCanonical([]byte(text)); err != nil {
			t.Errorf("%s: %v", text, err)
		}
	}
}

func TestCanonicalRefuses(t *testing.T) {
	for _, text := range []string{
		`["Post", "p", {}]`,
		` ["Post","p",{}]`,
		`["Post","p",{}]` + "\n",
		`["Post","p",{"b":1,"a":2}]`,
		`{"` + "\ue000" + `":2,"😀":1}`, // code point order, not UTF-16 order
		`["Post","p",{"a":1,"a":1}]`,
		`["Post","\u00e9",{}]`,
		`["Post","\/",{}]`,
		`["Post","\u000a",{}]`,
		`["Post","\u001F",{}]`,
		`["Post","\ud800",{}]`,
		"[\"Post\",\"\x01\",{}]",
		"[\"Post\",\"\xff\",{}]",
		`["Post","p",{"n":1.0}]`,
		`["Post","p",{"n":1e2}]`,
		`["Post","p",{"n":-0}]`,
		`["Post","p",{"n":01}]`,
		`["Post","p",{"n":9007199254740993}]`,
		`["Post","p"`,
		`["Post","p",{}]x`,
	} {
		if _, err := parseCanonical([]byte(text)); err == nil {
			t.Errorf("%q was taken for canonical", text)
		}
	}
}

func TestCanonicalIntegers(t *testing.T) {
	v, err := parseCanonical([]byte(`["Post","p",{"n":12}]`))
	if err != nil {
		t.Fatal(err)
	}
	n, err := nodeItem(v)
	if err != nil {
		t.Fatal(err)
	}
	if n.attributes["n"] != json.Number("12") {
		t.Errorf("attribute read as %#v", n.attributes["n"])
	}
	for _, text := range []string{`["Post","p",{"n":1.5}]`, `["Post","p",{"n":true}]`, `["Post","p",{"n":null}]`, `["Post","p",{"n":[]}]`, `["Nope","p",{}]`, `["Post","p"]`} {
		v, err := parseCanonical([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := nodeItem(v); err == nil {
			t.Errorf("%s was taken for a node", text)
		}
	}
	for _, text := range []string{`["NOPE","a","b"]`, `["PART_OF","a",1]`, `["PART_OF","a","b","c"]`} {
		v, _ := parseCanonical([]byte(text))
		if _, err := edgeItem(v); err == nil {
			t.Errorf("%s was taken for an edge", text)
		}
	}
}

func TestPAE(t *testing.T) {
	// The example of the DSSE v1 protocol.
	got := string(pae("http://example.com/HelloWorld", []byte("hello world")))
	if want := "DSSEv1 29 http://example.com/HelloWorld 11 hello world"; got != want {
		t.Errorf("PAE %q, want %q", got, want)
	}
	if len(ItemTag) != 28 {
		t.Errorf("the item tag has %d bytes", len(ItemTag))
	}
}

func TestDecodeBase64(t *testing.T) {
	for _, s := range []string{"AAAA\nAAAA", "AAA", "AB==", "AA=A", "A_A="} {
		if _, err := decodeBase64(s); err == nil {
			t.Errorf("%q decoded", s)
		}
	}
	if b, err := decodeBase64("AAE="); err != nil || len(b) != 2 {
		t.Errorf("AAE=: %v %v", b, err)
	}
}
