package mapping

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/shadowscan/shadowscan/evtx"
)

func validDocUTF8(v any) bool {
	switch v := v.(type) {
	case string:
		return utf8.ValidString(v)
	case []string:
		for _, s := range v {
			if !utf8.ValidString(s) {
				return false
			}
		}
	}
	return true
}

// FuzzMap feeds hostile event data to the three mapped event types: Map
// must not panic, every value must have a Doc type, and the document must
// survive Nested -> JSON -> Flatten unchanged.
func FuzzMap(f *testing.F) {
	f.Add(uint8(0), "0x1a4", `"C:\a b\x.exe" /y`, `C:\x\y.exe`, "%%4416 %%1537", "0x10081", "SHA1=AA,MD5=00", `CORP\u`, "2024-01-01 00:00:00.000")
	f.Add(uint8(1), "zz", "\x00\"\\", `\`, "%%", "0xZZ", "=,=", `\\`, "")
	f.Add(uint8(2), "-0x8000000000000000", "  ", "", "%%4583\r\n\t", " 0x1 0x2", ",", "a@b", "junk")
	f.Fuzz(func(t *testing.T, kind uint8, pid, cmd, exe, accessList, accessMask, hashes, user, utc string) {
		var r *evtx.Record
		switch kind % 3 {
		case 0:
			r = sysmonRecord(map[string]string{"ProcessId": pid, "ParentProcessId": pid, "CommandLine": cmd, "ParentCommandLine": cmd,
				"Image": exe, "ParentImage": exe, "Hashes": hashes, "User": user, "UtcTime": utc, "OriginalFileName": exe})
		case 1:
			r = securityRecord(4688, map[string]string{"NewProcessId": pid, "ProcessId": pid, "CommandLine": cmd,
				"NewProcessName": exe, "ParentProcessName": exe, "TargetUserName": user, "SubjectUserName": user})
		default:
			r = securityRecord(4656, map[string]string{"ProcessId": pid, "ProcessName": exe, "ObjectType": "File",
				"ObjectName": cmd, "AccessList": accessList, "AccessMask": accessMask})
		}
		d := Map(r)
		for k, v := range d {
			switch v.(type) {
			case string, int64, float64, bool, []string, []any:
			default:
				t.Fatalf("%s has type %T", k, v)
			}
		}
		b, err := json.Marshal(d.Nested())
		require.NoError(t, err)
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var back map[string]any
		require.NoError(t, dec.Decode(&back))
		flat := Flatten(back)
		// encoding/json replaces invalid UTF-8, so such values cannot come
		// back byte for byte; compare everything else.
		for k, v := range d {
			if !validDocUTF8(v) {
				delete(d, k)
				delete(flat, k)
			}
		}
		require.Equal(t, d, flat)
	})
}
