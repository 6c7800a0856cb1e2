package testsets

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shadowscan/shadowscan/evtx/evtxwrite"
)

// Rules the sample is annotated against: the embedded defaults (seed
// v102 and the NTDS rule as of Elastic 8.6) and today's versions of both
// (shared/seed/rules/current).
const (
	SeedV102    = "Symbolic Link to Shadow Copy Created v102"
	SeedCurrent = "Symbolic Link to Shadow Copy Created (current)"
	NTDSV86     = "NTDS or SAM Database File Copied (8.6)"
	NTDSCurrent = "NTDS or SAM Database File Copied (current)"
)

// Rule ids, for the machine-readable expectation list.
const (
	SeedRuleID = "d117cbb4-7d56-41b4-b999-bdf8c25648a0"
	NTDSRuleID = "3bc6deaa-fbd4-433a-ae21-3e892f95624f"
)

// Expect lists the rules that must alert on a planted record; every rule
// not listed must stay silent on it.
type Expect struct {
	SeedV102, SeedCurrent, NTDSV86, NTDSCurrent bool
}

func (e Expect) none() bool { return !e.SeedV102 && !e.SeedCurrent && !e.NTDSV86 && !e.NTDSCurrent }

// Planted is one record of the sample worth knowing about: a true
// positive, a near miss, corroborating 4656 access or an audit event.
type Planted struct {
	Host     string
	File     string // path relative to the package root
	RecordID uint64 // EventRecordID
	Time     time.Time
	EventID  uint16
	Kind     string // "true positive", "near miss", "corroboration", "audit", "context"
	What     string // the event, e.g. "Sysmon 1" or "4656 by cmd.exe"
	Detail   string // the command line or object name
	Expect   Expect
	Why      string
}

// File is one .evtx file of a generated set.
type File struct {
	Path          string // slash-separated, relative to the output folder
	About         string // one line for a README
	Events        []evtxwrite.Event
	FirstRecordID uint64 // 0 means 1
}

// Options are the writer options File needs.
func (f File) Options() []evtxwrite.Option {
	if f.FirstRecordID == 0 {
		return nil
	}
	return []evtxwrite.Option{evtxwrite.FirstRecordID(f.FirstRecordID)}
}

type entry struct {
	ev    evtxwrite.Event
	plant *Planted
}

// logFile collects a file's events; finish sorts them by time and numbers
// them, filling in the planted records' ids.
type logFile struct {
	path    string
	first   uint64
	entries []entry
}

func (f *logFile) add(ev evtxwrite.Event, p *Planted) {
	if p != nil {
		p.File, p.EventID = f.path, ev.EventID
		p.Time = ev.TimeCreated
	}
	f.entries = append(f.entries, entry{ev, p})
}

func (f *logFile) finish() File {
	sort.SliceStable(f.entries, func(i, j int) bool {
		return f.entries[i].ev.TimeCreated.Before(f.entries[j].ev.TimeCreated)
	})
	out := File{Path: f.path, FirstRecordID: f.first}
	for i, e := range f.entries {
		if e.plant != nil {
			e.plant.RecordID = f.first + uint64(i)
		}
		out.Events = append(out.Events, e.ev)
	}
	return out
}

const (
	sysmonFile   = "Microsoft-Windows-Sysmon%4Operational.evtx"
	securityFile = "Security.evtx"
)

// readAccess is the access list of a file opened for copying:
// READ_CONTROL, SYNCHRONIZE, ReadData, ReadEA, ReadAttributes (mask 0x120089).
func readAccess() []string { return []string{"%%1538", "%%1541", "%%4416", "%%4419", "%%4423"} }

// Sample returns the sample triage package: files per host and the
// planted records, in file then record order.
func Sample() ([]File, []*Planted) {
	day := time.Date(2024, 5, 14, 0, 0, 0, 0, time.UTC)
	var files []File
	var planted []*Planted
	plant := func(host, kind, what, detail, why string, e Expect) *Planted {
		p := &Planted{Host: host, Kind: kind, What: what, Detail: detail, Why: why, Expect: e}
		planted = append(planted, p)
		return p
	}
	const (
		mklinkD   = `cmd.exe /c mklink /d C:\shadowcopy \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`
		copyNTDS  = `cmd.exe /c copy \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit C:\Windows\Temp\ntds.dit`
		copySys   = `cmd.exe /c copy \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\Windows\System32\config\SYSTEM C:\Windows\Temp\SYSTEM`
		shadowDir = `cmd.exe /c dir \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\`
	)

	// DC01: Sysmon 10+ (OriginalFileName) and Security with command-line
	// auditing and Object Access (File System) auditing on.
	{
		h := newHost("DC01.corp.local", 0x8A3C21F0, 2348)
		admin := h.user("adm-jsmith", 1107, 0x1d2f5c3, true)
		sysmon := &logFile{path: "DC01.corp.local/" + sysmonFile, first: 48211}
		security := &logFile{path: "DC01.corp.local/" + securityFile, first: 1893402}
		both := func(p *process, ps, pe *Planted) {
			sysmon.add(h.sysmon(p, evtxwrite.SysmonOriginalFileName), ps)
			security.add(h.security(p, true), pe)
		}
		for _, p := range h.noise(day.Add(8*time.Hour), 30, admin, dcNoise()) {
			both(p, nil, nil)
		}
		lsass := h.start(process{At: day.Add(8 * time.Hour), User: h.System, Image: `C:\Windows\System32\lsass.exe`,
			CommandLine: `C:\Windows\system32\lsass.exe`})
		security.add(h.handle(lsass, day.Add(9*time.Hour+5*time.Minute), `\Device\HarddiskVolume2\Windows\NTDS\ntds.dit`,
			readAccess(), 0x120089, 0x6c4), plant(h.Name, "near miss", "4656 by lsass.exe, the live database (not a shadow copy)", `\Device\HarddiskVolume2\Windows\NTDS\ntds.dit`,
			"normal DC activity; corroboration lists only objects under HarddiskVolumeShadowCopy", Expect{}))

		t := day.Add(9*time.Hour + 12*time.Minute)
		shell := h.start(process{At: t, User: admin, Image: `C:\Windows\System32\cmd.exe`, CommandLine: `"C:\Windows\system32\cmd.exe" `})
		both(shell, nil, nil)
		vss := h.start(process{At: t.Add(5 * time.Second), User: admin, Image: `C:\Windows\System32\vssadmin.exe`,
			CommandLine: `vssadmin create shadow /for=C:`, Parent: shell})
		both(vss, plant(h.Name, "context", "Sysmon 1", "vssadmin create shadow /for=C:", "shadow copy creation; no rule here covers it", Expect{}),
			nil)

		link := h.start(process{At: t.Add(70 * time.Second), User: admin, Image: `C:\Windows\System32\cmd.exe`, CommandLine: mklinkD, Parent: shell})
		both(link,
			plant(h.Name, "true positive", "Sysmon 1", mklinkD, "OriginalFileName Cmd.Exe, mklink, HarddiskVolumeShadowCopy",
				Expect{SeedV102: true, SeedCurrent: true}),
			plant(h.Name, "true positive", "4688", mklinkD,
				"4688 has no OriginalFileName: v102 cannot fire; the current rule falls back to process.name cmd.exe",
				Expect{SeedCurrent: true}))

		ntds := h.start(process{At: t.Add(115 * time.Second), User: admin, Image: `C:\Windows\System32\cmd.exe`, CommandLine: copyNTDS, Parent: shell})
		both(ntds,
			plant(h.Name, "true positive", "Sysmon 1", copyNTDS, "Cmd.Exe with a copy of ntds.dit out of a shadow copy",
				Expect{NTDSV86: true, NTDSCurrent: true}),
			plant(h.Name, "true positive", "4688", copyNTDS, "no OriginalFileName: only the current NTDS rule (process.name fallback) fires",
				Expect{NTDSCurrent: true}))
		security.add(h.handle(ntds, ntds.At.Add(400*time.Millisecond),
			`\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit`, readAccess(), 0x120089, 0x2a8),
			plant(h.Name, "corroboration", "4656 by cmd.exe", `\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit`,
				"the investigation guide's 'verify if ntds.dit was copied' step", Expect{}))

		sysCopy := h.start(process{At: t.Add(150 * time.Second), User: admin, Image: `C:\Windows\System32\cmd.exe`, CommandLine: copySys, Parent: shell})
		both(sysCopy,
			plant(h.Name, "true positive", "Sysmon 1", copySys, "copy of the SYSTEM hive out of a shadow copy",
				Expect{NTDSV86: true, NTDSCurrent: true}),
			plant(h.Name, "true positive", "4688", copySys, "no OriginalFileName: only the current NTDS rule fires",
				Expect{NTDSCurrent: true}))
		security.add(h.handle(sysCopy, sysCopy.At.Add(300*time.Millisecond),
			`\Device\HarddiskVolumeShadowCopy1\Windows\System32\config\SYSTEM`, readAccess(), 0x120089, 0x2b0),
			plant(h.Name, "corroboration", "4656 by cmd.exe", `\Device\HarddiskVolumeShadowCopy1\Windows\System32\config\SYSTEM`,
				"hive read through the shadow copy", Expect{}))

		dir := h.start(process{At: t.Add(200 * time.Second), User: admin, Image: `C:\Windows\System32\cmd.exe`, CommandLine: shadowDir, Parent: shell})
		both(dir, plant(h.Name, "near miss", "Sysmon 1", shadowDir, "shadow copy path but neither mklink nor a copy", Expect{}),
			plant(h.Name, "near miss", "4688", shadowDir, "the same in Security: neither mklink nor a copy", Expect{}))
		rm := h.start(process{At: t.Add(230 * time.Second), User: admin, Image: `C:\Windows\System32\cmd.exe`,
			CommandLine: `cmd.exe /c rmdir C:\shadowcopy`, Parent: shell})
		both(rm, nil, nil)

		for _, p := range h.noise(day.Add(9*time.Hour+30*time.Minute), 12, admin, dcNoise()) {
			both(p, nil, nil)
		}
		files = append(files, sysmon.finish(), security.finish())
	}

	// WS01: Sysmon 13.30+ (ParentUser); Security 4688 without command
	// lines (the default policy), the log cleared before the attack and
	// File System auditing switched off after it.
	{
		h := newHost("WS01.corp.local", 0x4F1B77A2, 3016)
		alice := h.user("alice", 1116, 0x2f1a9b, true)
		sysmon := &logFile{path: "WS01.corp.local/" + sysmonFile, first: 120577}
		security := &logFile{path: "WS01.corp.local/" + securityFile, first: 20418}
		both := func(p *process, ps *Planted, pe *Planted) {
			sysmon.add(h.sysmon(p, evtxwrite.SysmonParentUser), ps)
			security.add(h.security(p, false), pe)
		}
		t := day.Add(9*time.Hour + 50*time.Minute)
		security.add(evtxwrite.LogCleared{Common: evtxwrite.Common{Computer: h.Name, TimeCreated: t, ExecutionProcessID: 1288, ExecutionThreadID: 5528},
			Subject: alice.subject()}.Event(),
			plant(h.Name, "audit", "1102 log cleared", `by CORP\alice`, "earlier Security records are gone", Expect{}))
		for _, p := range h.noise(t.Add(time.Minute), 30, alice, wsNoise()) {
			both(p, nil, nil)
		}
		t = day.Add(10 * time.Hour)
		shell := h.start(process{At: t, User: alice, Image: `C:\Windows\System32\cmd.exe`, CommandLine: `"C:\Windows\system32\cmd.exe" `})
		both(shell, nil, nil)

		near := `cmd.exe /c mklink /d C:\Users\alice\Desktop\Projects \\fileserver\projects`
		both(h.start(process{At: t.Add(60 * time.Second), User: alice, Image: `C:\Windows\System32\cmd.exe`, CommandLine: near, Parent: shell}),
			plant(h.Name, "near miss", "Sysmon 1", near, "mklink without a shadow copy path", Expect{}), nil)

		ps := `powershell.exe -NoProfile -Command New-Item -ItemType SymbolicLink -Path C:\sc -Target \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy2\`
		psProc := h.start(process{At: t.Add(131 * time.Second), User: alice, Image: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
			CommandLine: ps, Parent: shell})
		both(psProc,
			plant(h.Name, "true positive", "Sysmon 1", ps, "OriginalFileName PowerShell.EXE, SymbolicLink, HarddiskVolumeShadowCopy",
				Expect{SeedV102: true, SeedCurrent: true}),
			plant(h.Name, "near miss", "4688 of the same PowerShell start", "CommandLine empty (command-line auditing off)",
				"no command line: no rule can see the symlink", Expect{}))
		security.add(h.handle(psProc, psProc.At.Add(38*time.Second), `\Device\HarddiskVolumeShadowCopy2\Windows\System32\config\SAM`,
			readAccess(), 0x120089, 0x9c4),
			plant(h.Name, "corroboration", "4656 by powershell.exe", `\Device\HarddiskVolumeShadowCopy2\Windows\System32\config\SAM`,
				"SAM hive read through the shadow copy", Expect{}))
		security.add(h.handle(psProc, psProc.At.Add(39*time.Second), `\Device\HarddiskVolumeShadowCopy2\Windows\System32\config\SYSTEM`,
			readAccess(), 0x120089, 0x9c8),
			plant(h.Name, "corroboration", "4656 by powershell.exe", `\Device\HarddiskVolumeShadowCopy2\Windows\System32\config\SYSTEM`,
				"SYSTEM hive read through the shadow copy", Expect{}))

		docCopy := `cmd.exe /c copy \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy2\Users\alice\Documents\budget.xlsx C:\Users\alice\Desktop\`
		both(h.start(process{At: t.Add(180 * time.Second), User: alice, Image: `C:\Windows\System32\cmd.exe`, CommandLine: docCopy, Parent: shell}),
			plant(h.Name, "seed near miss, NTDS true positive", "Sysmon 1", docCopy,
				"a copy out of a shadow copy without mklink: the seed rule must not alert; the NTDS rule does, because its query accepts any file copied out of a shadow copy",
				Expect{NTDSV86: true, NTDSCurrent: true}), nil)

		upper := `CMD.EXE /C MKLINK /J C:\SC2 \\?\GLOBALROOT\Device\harddiskvolumeshadowcopy2\`
		both(h.start(process{At: t.Add(340 * time.Second), User: alice, Image: `C:\Windows\System32\cmd.exe`, CommandLine: upper, Parent: shell}),
			plant(h.Name, "true positive", "Sysmon 1", upper, "case variants: `:` matches case-insensitively",
				Expect{SeedV102: true, SeedCurrent: true}), nil)

		other := `lnk.exe mklink /d C:\vss \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy2\`
		both(h.start(process{At: t.Add(360 * time.Second), User: alice, Image: `C:\Tools\lnk.exe`, CommandLine: other, Parent: shell}),
			plant(h.Name, "near miss", "Sysmon 1", other, "another binary (OriginalFileName lnk.exe, name lnk.exe)", Expect{}), nil)

		renamed := `svch0st.exe /c mklink /d C:\Users\Public\vss \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy2\`
		both(h.start(process{At: t.Add(420 * time.Second), User: alice, Image: `C:\Users\Public\svch0st.exe`, CommandLine: renamed,
			OriginalFileName: "Cmd.Exe", Parent: shell}),
			plant(h.Name, "true positive", "Sysmon 1", renamed, "a renamed cmd.exe: OriginalFileName is still Cmd.Exe",
				Expect{SeedV102: true, SeedCurrent: true}), nil)

		security.add(evtxwrite.SecurityAuditPolicyChange{
			Common:  evtxwrite.Common{Computer: h.Name, TimeCreated: t.Add(20 * time.Minute), ExecutionThreadID: 6120},
			Subject: alice.subject(), CategoryId: "%%8274", SubcategoryId: "%%12800",
			SubcategoryGuid: "{0CCE921D-69AE-11D9-BED3-505054503030}", AuditPolicyChanges: "%%8448, %%8450",
		}.Event(), plant(h.Name, "audit", "4719 audit policy change", "File System (%%12800): success and failure removed (%%8448, %%8450)",
			"no 4656 for file access after this point", Expect{}))
		for _, p := range h.noise(t.Add(25*time.Minute), 14, alice, wsNoise()) {
			both(p, nil, nil)
		}
		files = append(files, sysmon.finish(), security.finish())
	}

	// WS02: Sysmon 9 (no OriginalFileName), no Security log collected.
	{
		h := newHost("WS02.corp.local", 0x19D0E4C8, 2876)
		bob := h.user("bob", 1121, 0x51e4c2, true)
		sysmon := &logFile{path: "WS02.corp.local/" + sysmonFile, first: 9120}
		add := func(p *process, pl *Planted) { sysmon.add(h.sysmon(p, evtxwrite.SysmonNoOriginalFileName), pl) }
		for _, p := range h.noise(day.Add(11*time.Hour), 24, bob, wsNoise()) {
			add(p, nil)
		}
		t := day.Add(11*time.Hour + 30*time.Minute)
		shell := h.start(process{At: t, User: bob, Image: `C:\Windows\System32\cmd.exe`, CommandLine: `"C:\Windows\system32\cmd.exe" `})
		add(shell, nil)
		link := `cmd.exe /c mklink /d C:\ProgramData\sc1 \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy3\`
		add(h.start(process{At: t.Add(40 * time.Second), User: bob, Image: `C:\Windows\System32\cmd.exe`, CommandLine: link, Parent: shell}),
			plant(h.Name, "true positive", "Sysmon 1 (Sysmon 9, no OriginalFileName)", link,
				"v102 needs OriginalFileName and must not alert; the current rule falls back to process.name",
				Expect{SeedCurrent: true}))
		sam := `cmd.exe /c copy \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy3\Windows\System32\config\SAM C:\ProgramData\s.hiv`
		add(h.start(process{At: t.Add(75 * time.Second), User: bob, Image: `C:\Windows\System32\cmd.exe`, CommandLine: sam, Parent: shell}),
			plant(h.Name, "true positive", "Sysmon 1 (Sysmon 9, no OriginalFileName)", sam,
				"the 8.6 NTDS rule needs OriginalFileName; the current one falls back to process.name",
				Expect{NTDSCurrent: true}))
		for _, p := range h.noise(t.Add(10*time.Minute), 10, bob, wsNoise()) {
			add(p, nil)
		}
		files = append(files, sysmon.finish())
	}

	// Report planted records in file order, then record order.
	order := map[string]int{}
	for i, f := range files {
		order[f.Path] = i
	}
	sort.SliceStable(planted, func(i, j int) bool {
		a, b := planted[i], planted[j]
		if a.File != b.File {
			return order[a.File] < order[b.File]
		}
		return a.RecordID < b.RecordID
	})
	return files, planted
}

// noiseSpec is an ordinary process start: image, command line, and
// whether it runs as SYSTEM.
type noiseSpec struct {
	image, cmd string
	system     bool
}

func dcNoise() []noiseSpec {
	return []noiseSpec{
		{`C:\Windows\System32\svchost.exe`, `C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule`, true},
		{`C:\Windows\System32\taskhostw.exe`, `taskhostw.exe -RegisterDevice -ProtectionStateChanged -FreeNetworkOnly`, true},
		{`C:\Windows\System32\gpupdate.exe`, `gpupdate.exe /target:computer`, true},
		{`C:\Windows\System32\repadmin.exe`, `repadmin /replsummary`, false},
		{`C:\Windows\System32\dsquery.exe`, `dsquery user -limit 20`, false},
		{`C:\Windows\System32\conhost.exe`, `\??\C:\Windows\system32\conhost.exe 0xffffffff -ForceV1`, false},
		{`C:\Windows\System32\wbem\WmiPrvSE.exe`, `C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding`, true},
		{`C:\Windows\System32\ipconfig.exe`, `ipconfig /all`, false},
		{`C:\Windows\System32\net.exe`, `net group "Domain Admins" /domain`, false},
		{`C:\Windows\System32\mmc.exe`, `"C:\Windows\system32\mmc.exe" "C:\Windows\system32\dsa.msc"`, false},
		{`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, `powershell.exe -NoProfile -Command Get-ADReplicationFailure -Target DC01`, false},
		{`C:\Windows\System32\cmd.exe`, `cmd.exe /c echo %LOGONSERVER%`, false},
		{`C:\Windows\System32\vssadmin.exe`, `vssadmin list shadows`, false},
		{`C:\Windows\System32\tasklist.exe`, `tasklist /svc`, false},
	}
}

func wsNoise() []noiseSpec {
	return []noiseSpec{
		{`C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe`, `"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe" --type=renderer --lang=en-US`, false},
		{`C:\Windows\System32\svchost.exe`, `C:\Windows\system32\svchost.exe -k UnistackSvcGroup -s WpnUserService`, true},
		{`C:\Windows\System32\notepad.exe`, `"C:\Windows\system32\NOTEPAD.EXE" C:\Users\Public\todo.txt`, false},
		{`C:\Users\Public\OneDrive\OneDrive.exe`, `"C:\Users\Public\OneDrive\OneDrive.exe" /background`, false},
		{`C:\Windows\System32\conhost.exe`, `\??\C:\Windows\system32\conhost.exe 0xffffffff -ForceV1`, false},
		{`C:\Windows\System32\rundll32.exe`, `C:\Windows\system32\rundll32.exe C:\Windows\system32\shell32.dll,SHCreateLocalServerRunDll {9aa46009-3ce0-458a-a354-715610a075e6} -Embedding`, false},
		{`C:\Windows\System32\whoami.exe`, `whoami /groups`, false},
		{`C:\Windows\System32\ipconfig.exe`, `ipconfig /flushdns`, false},
		{`C:\Windows\System32\cmd.exe`, `cmd.exe /c dir C:\Users\Public\Documents`, false},
		{`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, `powershell.exe -NoProfile -Command Get-Service -Name Spooler`, false},
		{`C:\Windows\System32\taskhostw.exe`, `taskhostw.exe Install $(Arg0)`, true},
		{`C:\Windows\System32\net.exe`, `net use Z: \\fileserver\share`, false},
	}
}

// noise starts n ordinary processes from at onwards, 50 to 140 s apart.
func (h *host) noise(at time.Time, n int, user account, specs []noiseSpec) []*process {
	var out []*process
	for i := 0; i < n; i++ {
		s := specs[(i*5+int(h.guidBase%7))%len(specs)]
		u := user
		if s.system {
			u = h.System
		}
		at = at.Add(time.Duration(50+(i*37)%90)*time.Second + time.Duration(i*113%1000)*time.Millisecond)
		out = append(out, h.start(process{At: at, User: u, Image: s.image, CommandLine: s.cmd}))
	}
	return out
}

// README renders the package's README: what each host holds and every
// planted record with the alerts it must (or must not) raise.
func README(files []File, planted []*Planted) string {
	var b strings.Builder
	b.WriteString(`# Sample triage package

Generated by ` + "`go run ./evtx/evtxwrite/cmd/mksample -o testdata/triage`" + ` (` + "`make sample`" + `);
deterministic: fixed clocks and GUIDs, so regenerating gives the same bytes. Do not edit by hand.

Three hosts of the CORP domain, collected KAPE-style (one folder per host):

- **DC01.corp.local** — Sysmon 10+ (with OriginalFileName) and Security with command-line
  auditing and Object Access > File System auditing on. An admin creates a shadow copy, links it
  with ` + "`mklink /d`" + `, copies ntds.dit and the SYSTEM hive out of it; Security 4656 shows the reads.
- **WS01.corp.local** — Sysmon 13.30+ (with OriginalFileName and ParentUser) and Security without
  command-line auditing (4688 CommandLine empty). The Security log was cleared (1102) before the
  attack and File System auditing switched off (4719) after it.
- **WS02.corp.local** — Sysmon 9 (no OriginalFileName); no Security log collected.

Every file also holds benign noise: ordinary process starts.

Rules: *seed v102* is "Symbolic Link to Shadow Copy Created" version 102 and *NTDS 8.6* is
"NTDS or SAM Database File Copied" as of Elastic 8.6 (the embedded defaults); *current* are
today's versions of both (` + "`../shared/seed/rules/current`" + `), which fall back to process.name
when OriginalFileName is missing. ` + "`expected-alerts.tsv`" + ` lists the same expectations for tests.

## Files

| file | records | first record id |
|---|---:|---:|
`)
	for _, f := range files {
		fmt.Fprintf(&b, "| `%s` | %d | %d |\n", f.Path, len(f.Events), f.FirstRecordID)
	}
	b.WriteString(`
## Planted records

EventRecordID is the number Event Viewer shows. ✔ = must alert, · = must not.

| host | file | record | time (UTC) | kind | event | command line / object | seed v102 | seed current | NTDS 8.6 | NTDS current | why |
|---|---|---:|---|---|---|---|:-:|:-:|:-:|:-:|---|
`)
	mark := func(v bool) string {
		if v {
			return "✔"
		}
		return "·"
	}
	for _, p := range planted {
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			p.Host, fileBase(p.File), p.RecordID, p.Time.Format("15:04:05"), p.Kind, mdEscape(p.What), mdCode(p.Detail),
			mark(p.Expect.SeedV102), mark(p.Expect.SeedCurrent), mark(p.Expect.NTDSV86), mark(p.Expect.NTDSCurrent), mdEscape(p.Why))
	}
	b.WriteString(`
Only the records above may alert; every other record is noise and must not.
`)
	return b.String()
}

// ExpectedAlerts renders expected-alerts.tsv: one line per (record, rule
// version) that must alert.
func ExpectedAlerts(planted []*Planted) string {
	var b strings.Builder
	b.WriteString("path\trecord_id\trule_id\trule_version\trule_name\n")
	for _, p := range planted {
		for _, r := range []struct {
			on          bool
			id, version string
			name        string
		}{
			{p.Expect.SeedV102, SeedRuleID, "102", "Symbolic Link to Shadow Copy Created"},
			{p.Expect.SeedCurrent, SeedRuleID, "current", "Symbolic Link to Shadow Copy Created"},
			{p.Expect.NTDSV86, NTDSRuleID, "8.6", "NTDS or SAM Database File Copied"},
			{p.Expect.NTDSCurrent, NTDSRuleID, "current", "NTDS or SAM Database File Copied"},
		} {
			if r.on {
				fmt.Fprintf(&b, "%s\t%d\t%s\t%s\t%s\n", p.File, p.RecordID, r.id, r.version, r.name)
			}
		}
	}
	return b.String()
}

func fileBase(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[i+1:]
	}
	return p
}

// mdEscape makes s safe in a Markdown table cell.
func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// mdCode renders s as a code span, where backslashes are literal.
func mdCode(s string) string { return "`" + mdEscape(s) + "`" }
