package evtxwrite_test

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	w "github.com/shadowscan/shadowscan/evtx/evtxwrite"
)

// FuzzRoundTrip: any valid string as a Data value, a Data name and the
// Computer (a literal in the template), and any numbers, come back intact
// through golang-evtx, and the file passes the structural checks.
func FuzzRoundTrip(f *testing.F) {
	f.Add("plain", "Name", "HOST", uint64(0), uint32(0))
	f.Add(`a & b <c> "d" 'e' é 日本 🙂`, "CommandLine", "DC01.corp.local", uint64(1<<63), uint32(0xffffffff))
	f.Add("", "X", "", uint64(42), uint32(7))
	f.Fuzz(func(t *testing.T, value, name, computer string, n64 uint64, n32 uint32) {
		for _, s := range []string{value, name, computer} {
			// golang-evtx trims trailing NULs; XML names cannot be empty.
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) || len(s) > 300 {
				t.Skip()
			}
		}
		if name == "" || strings.ContainsAny(name, " /") {
			t.Skip()
		}
		e := w.Event{Provider: "P", ProviderGUID: "{01234567-89AB-CDEF-0123-456789ABCDEF}", Channel: "C", Computer: computer,
			EventData: []w.Data{w.D(name, w.String(value)), w.D("N64", w.HexInt64(n64)), w.D("N32", w.UInt32(n32))}}
		if name == "N64" || name == "N32" {
			t.Skip()
		}
		var buf bytes.Buffer
		if err := w.Write(&buf, []w.Event{e, e}); err != nil {
			t.Fatal(err)
		}
		checkStructure(t, buf.Bytes(), 2)
		recs := readGolangEvtx(t, buf.Bytes())
		for _, r := range recs {
			for _, f := range expectedFields(e, 1) {
				if f.path == "System/EventRecordID" {
					continue
				}
				if err := sameValue(f.typ, f.want, r[f.path], 0); err != nil {
					t.Fatalf("%s: %v", f.path, err)
				}
			}
		}
	})
}
