package audit

import (
	"strings"
	"testing"
)

// FuzzParseAuditpol: auditpol files come from evidence; no input may panic
// or hang the parser, and whatever it accepts has subcategory rows.
func FuzzParseAuditpol(f *testing.F) {
	f.Add(auditpolBackup)
	f.Add("Machine Name,Policy Target,Subcategory,Subcategory GUID,Inclusion Setting,Exclusion Setting\r\nWS1,System,File System,{0CCE921D-69AE-11D9-BED3-505054503030},Failure,\r\n")
	f.Add("\xff\xfeM\x00a\x00")
	f.Add("a,\"b\nc\",{0CCE921D-69AE-11D9-BED3-505054503030},,9")
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParseAuditpol(strings.NewReader(in))
		if err == nil && len(p.Settings) == 0 {
			t.Fatal("accepted without subcategory rows")
		}
	})
}

// FuzzParseSetup: rule notes are text from rule files; parsing them must
// not panic.
func FuzzParseSetup(f *testing.F) {
	f.Add("## Setup\nAudit File System (Success,Failure)\nEvent ID 4656\n")
	f.Add("# Setup\n- [Sysmon Event ID 1](x)\n## Other\nAudit Process Creation (Success)")
	f.Fuzz(func(t *testing.T, note string) {
		_ = parseSetup(setupSection(note, note))
	})
}
