package detect

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	seedRuleID = "d117cbb4-7d56-41b4-b999-bdf8c25648a0"
	ntdsRuleID = "3bc6deaa-fbd4-433a-ae21-3e892f95624f"
	seedRules  = "../../shared/seed/rules"
)

func skipWithoutSeed(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(seedRules); err != nil {
		t.Skipf("seed rules not available at %s (the shared folder next to the repository): %v", seedRules, err)
	}
}

func TestEverySeedRuleFileLoads(t *testing.T) {
	skipWithoutSeed(t)
	var files []string
	require.NoError(t, filepath.WalkDir(seedRules, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".toml") {
			files = append(files, p)
		}
		return err
	}))
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			rules, err := LoadRules(f)
			require.NoError(t, err)
			require.Len(t, rules, 1)
			r := rules[0]
			require.Equal(t, f, r.Source)
			require.NotEmpty(t, r.ID)
			require.Equal(t, "eql", r.Language)
			require.NotNil(t, r.Compiled)
			require.Equal(t, "process", r.Compiled.Category)
			require.NotEmpty(t, r.Threat)
			require.Equal(t, "TA0006", r.Threat[0].Tactic.ID)
			require.Equal(t, "T1003", r.Threat[0].Techniques[0].ID)
		})
	}
}

func TestDefaultRules(t *testing.T) {
	rules, err := DefaultRules()
	require.NoError(t, err)
	require.Len(t, rules, 2)
	byID := map[string]*Rule{}
	for _, r := range rules {
		byID[r.ID] = r
		require.True(t, strings.HasPrefix(r.Source, "embedded:rules/v8.6/"), r.Source)
		require.Equal(t, "Elastic License v2", r.License)
	}
	seed := byID[seedRuleID]
	require.NotNil(t, seed)
	require.Equal(t, "Symbolic Link to Shadow Copy Created", seed.Name)
	require.Equal(t, 102, seed.Version)
	require.Equal(t, "medium", seed.Severity)
	require.Equal(t, 47, seed.RiskScore)
	require.Equal(t, "now-9m", seed.From)
	require.Equal(t, []string{"winlogbeat-*", "logs-endpoint.events.*", "logs-windows.*", "endgame-*"}, seed.Index)
	require.Contains(t, seed.Note, "Event ID 4656")
	require.Equal(t, []string{"Legitimate administrative activity related to shadow copies."}, seed.FalsePositives)
	require.Equal(t, "OS Credential Dumping", seed.Threat[0].Techniques[0].Name)
	ntds := byID[ntdsRuleID]
	require.NotNil(t, ntds)
	require.Equal(t, 33, ntds.MaxSignals)
	require.Equal(t, "T1003.002", ntds.Threat[0].Techniques[0].Subtechniques[0].ID)

	// The embedded files are the seed files, unchanged.
	if _, err := os.Stat(seedRules); err == nil {
		for _, r := range rules {
			name := strings.TrimPrefix(r.Source, "embedded:rules/")
			want, err := os.ReadFile(filepath.Join(seedRules, name))
			require.NoError(t, err)
			got, err := embeddedRules.ReadFile(strings.TrimPrefix(r.Source, "embedded:"))
			require.NoError(t, err)
			require.Equal(t, string(want), string(got), "embedded %s differs from the seed", name)
		}
	}
	notice, err := embeddedRules.ReadFile("rules/NOTICE")
	require.NoError(t, err)
	require.Contains(t, string(notice), "Elastic License 2.0")
}

func writeRule(t *testing.T, dir, name, id, title, lang, query string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	body := "[metadata]\nmaturity = \"production\"\n\n[rule]\nrule_id = \"" + id + "\"\nname = \"" + title +
		"\"\nlanguage = \"" + lang + "\"\ntype = \"eql\"\nseverity = \"low\"\nrisk_score = 21\nversion = 7\nquery = '''\n" + query + "\n'''\n"
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	return p
}

func TestLoadRulesRefusals(t *testing.T) {
	dir := t.TempDir()
	writeRule(t, dir, "b/ok.toml", "id-ok", "Fine", "eql", `process where process.name : "x"`)
	writeRule(t, dir, "a/kql.toml", "id-kql", "KQL rule", "kuery", `process.name: x`)
	writeRule(t, dir, "c/seq.toml", "id-seq", "Sequence rule", "eql", "sequence by host.id\n [process where true]\n [file where true]")
	writeRule(t, dir, "d/pipe.toml", "id-pipe", "Pipe rule", "eql", "process where true | head 1")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "e.toml"), []byte("not = [valid"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "readme.md"), []byte("# not a rule"), 0o644))

	rules, err := LoadRules(dir)
	require.Len(t, rules, 1)
	require.Equal(t, "id-ok", rules[0].ID)
	require.Equal(t, 7, rules[0].Version)
	require.Error(t, err)
	msg := err.Error()
	require.Contains(t, msg, filepath.Join(dir, "a/kql.toml")+`: rule "KQL rule" (id-kql): language "kuery" is not supported`)
	require.Contains(t, msg, filepath.Join(dir, "c/seq.toml")+`: rule "Sequence rule" (id-seq): query: line 1:1: sequence is not supported`)
	require.Contains(t, msg, `rule "Pipe rule" (id-pipe): query: line 1:20: pipe '|' is not supported`)
	require.Contains(t, msg, filepath.Join(dir, "e.toml")+": invalid TOML")
	var ue *UnsupportedError
	require.True(t, errors.As(err, &ue))

	_, err = LoadRules(filepath.Join(dir, "nope"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestLoadRuleSet(t *testing.T) {
	dir := t.TempDir()
	override := writeRule(t, dir, "override/seed.toml", seedRuleID, "Seed, newer", "eql", `process where process.name : "cmd.exe"`)
	extra := writeRule(t, dir, "extra/x.toml", "id-x", "Extra", "eql", `any where true`)

	defaults, err := LoadRuleSet(nil, true)
	require.NoError(t, err)
	require.Len(t, defaults, 2)

	set, err := LoadRuleSet([]string{override, extra}, true)
	require.NoError(t, err)
	require.Len(t, set, 3)
	seed, err := FindRule(set, seedRuleID)
	require.NoError(t, err)
	require.Equal(t, "Seed, newer", seed.Name, "a later source replaces the default with the same rule_id")
	require.Equal(t, override, seed.Source)

	only, err := LoadRuleSet([]string{extra}, false)
	require.NoError(t, err)
	require.Len(t, only, 1)

	// Same rule_id twice inside one path: the second is refused, naming both.
	writeRule(t, dir, "dups/1.toml", "id-d", "First", "eql", `any where true`)
	writeRule(t, dir, "dups/2.toml", "id-d", "Second", "eql", `any where true`)
	set, err = LoadRuleSet([]string{filepath.Join(dir, "dups")}, false)
	require.Len(t, set, 1)
	require.Equal(t, "First", set[0].Name)
	require.ErrorContains(t, err, `2.toml: rule "Second" (id-d): duplicate rule_id, already loaded from `+filepath.Join(dir, "dups/1.toml"))

	_, err = LoadRuleSet(nil, false)
	require.ErrorContains(t, err, "no rules loaded")
}

func TestFindRule(t *testing.T) {
	rules, err := DefaultRules()
	require.NoError(t, err)
	for _, key := range []string{seedRuleID, "symbolic link to shadow copy created", "d117cbb4"} {
		r, err := FindRule(rules, key)
		require.NoError(t, err, key)
		require.Equal(t, seedRuleID, r.ID)
	}
	_, err = FindRule(rules, "nothing")
	require.Error(t, err)
	_, err = FindRule(rules, "")
	require.Error(t, err)
}

// seedDoc is a Sysmon 1 process start as winlogbeat maps it: mklink of a
// shadow copy through cmd.exe.
func seedDoc() map[string]any {
	return map[string]any{
		"event.category":                []string{"process"},
		"event.type":                    []string{"start"},
		"event.code":                    "1",
		"host.os.type":                  "windows",
		"process.name":                  "cmd.exe",
		"process.pe.original_file_name": "Cmd.Exe",
		"process.command_line":          `"C:\Windows\system32\cmd.exe" /c mklink /d C:\shadow \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`,
		"process.args":                  []string{`C:\Windows\system32\cmd.exe`, "/c", "mklink", "/d", `C:\shadow`, `\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`},
	}
}

func with(doc map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range doc {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func TestSeedRuleMatches(t *testing.T) {
	rules, err := DefaultRules()
	require.NoError(t, err)
	v102, err := FindRule(rules, seedRuleID)
	require.NoError(t, err)
	base := seedDoc()
	for _, tc := range []struct {
		name string
		doc  map[string]any
		want bool
	}{
		{"sysmon cmd mklink", base, true},
		{"powershell New-Item SymbolicLink", with(base,
			"process.name", "powershell.exe", "process.pe.original_file_name", "PowerShell.EXE",
			"process.args", []string{"powershell.exe", "New-Item", "-ItemType", "SymbolicLink", "-Path", "C:\\s", "-Target", `\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy2\`},
			"process.command_line", `powershell.exe New-Item -ItemType SymbolicLink -Path C:\s -Target \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy2\`), true},
		{"endgame process_created", with(base, "event.type", "process_created"), true},
		{"case variants of args and command line", with(base,
			"process.args", []string{"CMD.EXE", "/C", "MkLiNk"},
			"process.command_line", `cmd /c MKLINK /d x \\?\globalroot\device\harddiskvolumeshadowcopy3\`), true},
		{"original file name is case-sensitive (in)", with(base, "process.pe.original_file_name", "cmd.exe"), false},
		{"no original file name (Security 4688)", with(base, "process.pe.original_file_name", nil), false},
		{"not a start event", with(base, "event.type", []string{"end"}), false},
		{"not a process event", with(base, "event.category", []string{"file"}), false},
		{"no mklink", with(base, "process.args", []string{"cmd.exe", "/c", "dir"}), false},
		{"mklink without shadow copy", with(base, "process.command_line", `cmd.exe /c mklink /d C:\a C:\b`), false},
		{"shadow copy near miss", with(base, "process.command_line", `cmd.exe /c mklink /d x \\?\GLOBALROOT\Device\HarddiskVolumeShadowCop1\`), false},
		{"other binary", with(base, "process.pe.original_file_name", "bash.exe"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, v102.Compiled.Match(tc.doc))
		})
	}
}

func TestCurrentSeedRuleMatches(t *testing.T) {
	skipWithoutSeed(t)
	rules, err := LoadRules(filepath.Join(seedRules, "current/credential_access_symbolic_link_to_shadow_copy_created.toml"))
	require.NoError(t, err)
	cur := rules[0].Compiled
	base := seedDoc()
	require.True(t, cur.Match(base))
	// 4688 has no OriginalFileName: the current version falls back on process.name.
	require.True(t, cur.Match(with(base, "process.pe.original_file_name", nil)))
	require.True(t, cur.Match(with(base, "process.pe.original_file_name", nil, "process.name", "CMD.EXE")))
	require.False(t, cur.Match(with(base, "process.pe.original_file_name", nil, "process.name", "bash.exe")))
	require.False(t, cur.Match(with(base, "host.os.type", nil)))
	require.False(t, cur.Match(with(base, "host.os.type", "linux")))
}

func TestSeedRuleAnalysisAndFeasibility(t *testing.T) {
	rules, err := DefaultRules()
	require.NoError(t, err)
	v102, err := FindRule(rules, seedRuleID)
	require.NoError(t, err)
	a := v102.Compiled.Analysis()
	require.Equal(t, []string{"process"}, a.Categories)
	require.Equal(t, []FieldUse{
		{Name: "event.category", Required: true},
		{Name: "event.type", Required: true},
		{Name: "process.pe.original_file_name", Required: true},
		{Name: "process.args", Required: true},
		{Name: "process.command_line", Required: true},
	}, a.Fields)
	require.Equal(t, []string{"HarddiskVolumeShadowCopy"}, a.Literals)
	require.Contains(t, a.MustContain, LiteralGroup{Fields: []string{"process.args"}, AnyOf: []string{"mklink", "SymbolicLink"}})

	sysmon := func(f string) bool { return true }
	security4688 := func(f string) bool { return f != "process.pe.original_file_name" }
	ok, missing := v102.Compiled.Feasible(sysmon)
	require.True(t, ok)
	require.Empty(t, missing)
	ok, missing = v102.Compiled.Feasible(security4688)
	require.False(t, ok, "version 102 cannot fire on 4688 events")
	require.Equal(t, []string{"process.pe.original_file_name"}, missing)
	// The scan's mapping gate: fields that may be present (or not).
	require.True(t, v102.Compiled.CouldMatch(sysmon))
	require.False(t, v102.Compiled.CouldMatch(security4688), "the scan need not map 4688 events for version 102")

	skipWithoutSeed(t)
	cur, err := LoadRules(filepath.Join(seedRules, "current/credential_access_symbolic_link_to_shadow_copy_created.toml"))
	require.NoError(t, err)
	q := cur[0].Compiled
	ok, _ = q.Feasible(security4688)
	require.True(t, ok, "the current version falls back on process.name")
	ok, missing = q.Feasible(func(f string) bool { return f != "process.pe.original_file_name" && f != "process.name" })
	require.False(t, ok)
	require.Equal(t, []string{"process.name", "process.pe.original_file_name"}, missing, "either field would do")
	ca := q.Analysis()
	for _, f := range ca.Fields {
		switch f.Name {
		case "process.pe.original_file_name":
			require.True(t, f.Optional)
			require.False(t, f.Required)
		case "process.name":
			require.False(t, f.Required, "a or b requires neither")
		case "host.os.type", "process.args", "process.command_line", "event.type":
			require.True(t, f.Required, f.Name)
		}
	}
}

func TestAnalysisByAbstractEvaluation(t *testing.T) {
	for _, tc := range []struct {
		query    string
		required []string
		literals []string
		groups   int
	}{
		{`any where a == "x" or b == "y"`, nil, nil, 1},
		{`any where a == "x" and b == "yy"`, []string{"a", "b"}, []string{"x", "yy"}, 2},
		{`any where not a : "x"`, nil, nil, 0},
		{`any where a != "x"`, nil, nil, 0},
		{`any where a == null`, nil, nil, 0},
		{`any where a != null`, []string{"a"}, nil, 0},
		{`any where a : "*" and (b : "*abc*" or c like "de?fgh")`, []string{"a"}, nil, 1},
		{`any where length(a) > 3 and startsWith(b, "pre")`, []string{"a", "b"}, []string{"pre"}, 1},
		{`any where null == (a > 1)`, nil, nil, 0},
		{`any where (a == "x" or a == "y") and a in ("z")`, []string{"a"}, []string{"z"}, 2},
		{`process where x : ("*mklink*","*SymbolicLink*") and y : "*HarddiskVolumeShadowCopy*"`, []string{"event.category", "x", "y"}, []string{"HarddiskVolumeShadowCopy"}, 2},
	} {
		t.Run(tc.query, func(t *testing.T) {
			q, err := Parse(tc.query)
			require.NoError(t, err)
			a := q.Analysis()
			var req []string
			for _, f := range a.Fields {
				if f.Required {
					req = append(req, f.Name)
				}
			}
			require.Equal(t, tc.required, req)
			require.Equal(t, tc.literals, a.Literals)
			require.Len(t, a.MustContain, tc.groups)
		})
	}
}

func TestNTDSRuleMatches(t *testing.T) {
	rules, err := DefaultRules()
	require.NoError(t, err)
	r, err := FindRule(rules, ntdsRuleID)
	require.NoError(t, err)
	shadow := `\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit`
	base := map[string]any{
		"event.category":                []string{"process"},
		"event.type":                    []string{"start"},
		"process.name":                  "cmd.exe",
		"process.pe.original_file_name": "Cmd.Exe",
		"process.args":                  []string{"cmd.exe", "/c", "copy", shadow, `C:\temp\ntds.dit`},
	}
	for _, tc := range []struct {
		name string
		doc  map[string]any
		want bool
	}{
		{"cmd copy from a shadow copy", base, true},
		{"COPY in capitals", with(base, "process.args", []string{"cmd.exe", "/c", "COPY", shadow, `C:\t`}), true},
		{"esentutl /y /vss", with(base, "process.name", "esentutl.exe", "process.pe.original_file_name", "esentutl.exe",
			"process.args", []string{"esentutl.exe", "/y", "/vss", `C:\Windows\NTDS\ntds.dit`, "/d", `C:\t\n.dit`}), true},
		{"xcopy of SAM", with(base, "process.pe.original_file_name", "XCOPY.EXE",
			"process.args", []string{"xcopy", `C:\Windows\System32\config\SAM`, `C:\t`}), true},
		{"copy of something else", with(base, "process.args", []string{"cmd.exe", "/c", "copy", `C:\a.txt`, `C:\b.txt`}), false},
		{"copy word inside a longer argument only", with(base, "process.args", []string{"cmd.exe", "/c", "copyit", shadow}), false},
		{"original file name case differs (in is case-sensitive)", with(base, "process.pe.original_file_name", "cmd.exe"), false},
		{"no original file name", with(base, "process.pe.original_file_name", nil), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, r.Compiled.Match(tc.doc))
		})
	}
}

func TestLiteralSetAdmits(t *testing.T) {
	set := LiteralSet{
		{Fields: []string{"process.command_line"}, AnyOf: []string{"HarddiskVolumeShadowCopy"}},
		{Fields: []string{"process.args", "process.name"}, AnyOf: []string{"mklink", "SymbolicLink"}},
	}
	values := func(m map[string][]string) func(string) ([]string, bool) {
		return func(f string) ([]string, bool) {
			v, ok := m[f]
			return v, ok
		}
	}
	for _, tc := range []struct {
		name   string
		fields map[string][]string
		want   bool
	}{
		{"both groups", map[string][]string{"process.command_line": {`x \\?\GLOBALROOT\Device\harddiskvolumeshadowcopy1\ y`}, "process.args": {"cmd", "MKLINK"}, "process.name": nil}, true},
		{"no shadow copy", map[string][]string{"process.command_line": {"cmd /c mklink a b"}, "process.args": {"mklink"}, "process.name": nil}, false},
		{"second group on the other field", map[string][]string{"process.command_line": {"HarddiskVolumeShadowCopy"}, "process.args": {}, "process.name": {"SymbolicLink.exe"}}, true},
		{"second group missing", map[string][]string{"process.command_line": {"HarddiskVolumeShadowCopy"}, "process.args": {"copy"}, "process.name": {"cmd.exe"}}, false},
		{"unknown fields admit", map[string][]string{}, true},
		{"one unknown field of a group admits", map[string][]string{"process.command_line": {"HarddiskVolumeShadowCopy"}, "process.args": {"copy"}}, true},
		{"Kelvin sign folds to k (simple folding)", map[string][]string{"process.command_line": {"HarddiskVolumeShadowCopy"}, "process.args": {"mklin\u212a"}, "process.name": nil}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, set.Admits(values(tc.fields)))
		})
	}
	// strings.ToLower turns U+0130 into "i", which simple folding does
	// not: the "~" string functions compare that way, so Admits must too.
	require.False(t, foldEq('\u0130', 'i'))
	require.True(t, containsFold("x\u0130y", "iy"))
	require.False(t, containsFold("shadow", "shadowcopy"))
}

// TestContainsFoldASCII holds the ASCII byte loop to the rune-by-rune
// search under simple folding and to strings.ToLower's, on the edges of
// its loop.
func TestContainsFoldASCII(t *testing.T) {
	for _, tc := range []struct {
		s, sub string
		want   bool
	}{
		{`\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`, "harddiskvolumeshadowcopy", true},
		{"xMKLINK", "mklink", true},
		{"mklin", "mklink", false},
		{"mklink", "MKLINK", true},
		{"a", "a", true},
		{"", "a", false},
		{"ab", "b", true},
		{"ab[", "B{", false}, // '[' and '{' differ by the case bit but are not letters
		{"@", "`", false},
		{"x mklinj mklink", "mklink", true},
		{"mk link", "mklink", false},
	} {
		require.Equal(t, tc.want, containsFold(tc.s, tc.sub), "%q in %q", tc.sub, tc.s)
		slow := false
		for i := 0; i <= len(tc.s); i++ {
			if hasPrefixFold(tc.s[i:], tc.sub) {
				slow = true
			}
		}
		require.Equal(t, slow, containsFold(tc.s, tc.sub), "%q in %q", tc.sub, tc.s)
		require.Equal(t, strings.Contains(strings.ToLower(tc.s), strings.ToLower(tc.sub)), containsFold(tc.s, tc.sub), "%q in %q", tc.sub, tc.s)
	}
}
