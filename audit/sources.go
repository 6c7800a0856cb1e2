package audit

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shadowscan/shadowscan/evtx"
	"github.com/shadowscan/shadowscan/mapping"
)

// knownSource is an event source whose fields this package knows even when
// the host has none of its events, so that a verdict can say "no Sysmon 10+
// process events are present" or "Security 4688 does not carry
// process.pe.original_file_name" and name the remedy.
type knownSource struct {
	key      sourceKey
	label    string
	category string
	// prototype is a fully populated record of this kind; mapping it gives
	// the fields such an event yields when everything is configured.
	prototype evtx.Record
	// conditions name the fields that depend on configuration.
	conditions []condition
}

// condition is a group of fields a source carries only when something is
// configured.
type condition struct {
	fields []string
	cause  string // why they are absent, e.g. "Sysmon older than 10.0"
	remedy string // Remedy id
}

func knownSources() []knownSource {
	ts := time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC)
	return []knownSource{
		{
			key:      sourceKey{channelSysmon, 1},
			label:    "Sysmon EID 1",
			category: "process",
			prototype: evtx.Record{
				Path: "prototype.evtx", RecordID: 1, TimeCreated: ts, EventID: 1,
				Provider: "Microsoft-Windows-Sysmon", ProviderGUID: "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}",
				Channel: "Microsoft-Windows-Sysmon/Operational", Computer: "HOST", UserID: "S-1-5-18",
				EventData: map[string]string{
					"RuleName": "-", "UtcTime": "2023-01-02 03:04:05.000",
					"ProcessGuid": "{11111111-2222-3333-4444-555555555555}", "ProcessId": "4242",
					"Image": `C:\Windows\System32\cmd.exe`, "FileVersion": "10.0.19041.1 (WinBuild.160101.0800)",
					"Description": "Windows Command Processor", "Product": "Microsoft Windows Operating System",
					"Company": "Microsoft Corporation", "OriginalFileName": "Cmd.Exe",
					"CommandLine":      `cmd.exe /c mklink /d C:\sc \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`,
					"CurrentDirectory": `C:\Windows\system32\`, "User": `CORP\admin`,
					"LogonGuid": "{11111111-2222-3333-4444-666666666666}", "LogonId": "0x3e7",
					"TerminalSessionId": "1", "IntegrityLevel": "High",
					"Hashes":            "SHA1=0000000000000000000000000000000000000001,MD5=00000000000000000000000000000001,SHA256=0000000000000000000000000000000000000000000000000000000000000001,IMPHASH=00000000000000000000000000000001",
					"ParentProcessGuid": "{11111111-2222-3333-4444-777777777777}", "ParentProcessId": "4000",
					"ParentImage": `C:\Windows\explorer.exe`, "ParentCommandLine": `C:\Windows\Explorer.EXE`,
					"ParentUser": `CORP\admin`,
				},
			},
			conditions: []condition{
				{
					fields: []string{"process.pe.original_file_name", "winlog.event_data.OriginalFileName"},
					cause:  "Sysmon older than 10.0 writes no OriginalFileName",
					remedy: "sysmon_10",
				},
				{
					fields: []string{"process.hash.md5", "process.hash.sha1", "process.hash.sha256",
						"process.pe.imphash", "related.hash", "winlog.event_data.Hashes"},
					cause:  "the Sysmon configuration's HashAlgorithms leaves these hashes out",
					remedy: "sysmon_hashes",
				},
			},
		},
		{
			key:      sourceKey{channelSecurity, 4688},
			label:    "Security 4688",
			category: "process",
			prototype: evtx.Record{
				Path: "prototype.evtx", RecordID: 1, TimeCreated: ts, EventID: 4688,
				Provider: "Microsoft-Windows-Security-Auditing", ProviderGUID: "{54849625-5478-4994-A5BA-3E3B0328C30D}",
				Channel: "Security", Computer: "HOST", Keywords: "0x8020000000000000",
				EventData: map[string]string{
					"SubjectUserSid": "S-1-5-21-1-2-3-1001", "SubjectUserName": "admin",
					"SubjectDomainName": "CORP", "SubjectLogonId": "0x3e7", "NewProcessId": "0x1092",
					"NewProcessName": `C:\Windows\System32\cmd.exe`, "TokenElevationType": "%%1936",
					"ProcessId":     "0xfa0",
					"CommandLine":   `cmd.exe /c mklink /d C:\sc \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\`,
					"TargetUserSid": "S-1-0-0", "TargetUserName": "-", "TargetDomainName": "-",
					"TargetLogonId": "0x0", "ParentProcessName": `C:\Windows\explorer.exe`,
					"MandatoryLabel": "S-1-16-12288",
				},
			},
			conditions: []condition{
				{
					fields: []string{"process.command_line", "process.args", "process.args_count",
						"winlog.event_data.CommandLine"},
					cause:  "no command lines were recorded in 4688",
					remedy: "process_command_line",
				},
				{
					fields: []string{"process.parent.executable", "process.parent.name",
						"winlog.event_data.ParentProcessName"},
					cause:  "4688 names its parent process only from Windows 10 / Server 2016 on",
					remedy: "",
				},
			},
		},
	}
}

// potentialFields returns the fields an event of this kind yields when fully
// configured: the mapping stage's document for the prototype.
func (k knownSource) potentialFields() map[string]bool {
	rec := k.prototype
	fields := map[string]bool{}
	for f, v := range mapping.Map(&rec) {
		if present(v) {
			fields[f] = true
		}
	}
	return fields
}

func (k knownSource) conditionOf(field string) (condition, bool) {
	for _, c := range k.conditions {
		for _, f := range c.fields {
			if f == field {
				return c, true
			}
		}
	}
	return condition{}, false
}

// sourceLabel names a source for people: "Sysmon EID 11", "Security 4656",
// "System 7045", or the channel name.
func sourceLabel(channel string, eventID int64) string {
	name := channel
	switch strings.ToLower(channel) {
	case channelSysmon:
		return "Sysmon EID " + itoa(eventID)
	case "":
		name = "(no channel)"
	}
	return name + " " + itoa(eventID)
}

func sourceID(channel string, eventID int64) string {
	c := strings.ToLower(channel)
	switch c {
	case channelSysmon:
		c = "sysmon"
	}
	return c + ":" + itoa(eventID)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// remedies is the catalogue of fixes an administrator can apply, by id.
func remedyCatalog(id string) (Remedy, bool) {
	switch id {
	case "process_command_line":
		return Remedy{
			ID:  id,
			Gap: "4688 events carry no command line (\"Include command line in process creation events\" is off)",
			Steps: []string{
				`reg add "HKLM\Software\Microsoft\Windows\CurrentVersion\Policies\System\Audit" /v ProcessCreationIncludeCmdLine_Enabled /t REG_DWORD /d 1 /f`,
				`registry value: HKLM\Software\Microsoft\Windows\CurrentVersion\Policies\System\Audit\ProcessCreationIncludeCmdLine_Enabled = 1 (REG_DWORD)`,
				"Group Policy: Computer Configuration > Policies > Administrative Templates > System > Audit Process Creation > Include command line in process creation events: Enabled",
				"needs Windows 8.1 / Server 2012 R2 or later (Windows 7 / 2008 R2 with KB3004375)",
			},
		}, true
	case "sysmon_10":
		return Remedy{
			ID:  id,
			Gap: "Sysmon process events carry no OriginalFileName",
			Steps: []string{
				"install or upgrade to Sysmon 10.0 or later (OriginalFileName in EID 1 since 10.0): sysmon64.exe -accepteula -i CONFIG.xml (upgrade: sysmon64.exe -u, then -i)",
				"keep ProcessCreate (EID 1) events for cmd.exe and powershell.exe in the configuration (no <ProcessCreate onmatch=\"exclude\"> that drops them)",
			},
		}, true
	case "sysmon_process_create":
		return Remedy{
			ID:  id,
			Gap: "the Sysmon log holds no process creation (EID 1)",
			Steps: []string{
				"log ProcessCreate in the Sysmon configuration (e.g. <ProcessCreate onmatch=\"exclude\"> with only narrow exclusions, never cmd.exe or powershell.exe) and apply it: sysmon64.exe -c CONFIG.xml",
				"use Sysmon 10.0 or later, so that EID 1 carries OriginalFileName",
			},
		}, true
	case "sysmon_hashes":
		return Remedy{
			ID:    id,
			Gap:   "Sysmon process events carry no hashes",
			Steps: []string{"set <HashAlgorithms>md5,sha1,sha256,IMPHASH</HashAlgorithms> in the Sysmon configuration and apply it: sysmon64.exe -c CONFIG.xml"},
		}, true
	case "collect_sysmon":
		return Remedy{
			ID:  id,
			Gap: "no Sysmon log in the evidence for this host",
			Steps: []string{
				`collect C:\Windows\System32\winevt\Logs\Microsoft-Windows-Sysmon%4Operational.evtx if Sysmon runs there`,
				"if it does not, install Sysmon 10.0 or later with a configuration that logs ProcessCreate (EID 1)",
			},
		}, true
	case "collect_security":
		return Remedy{
			ID:    id,
			Gap:   "no Security log in the evidence for this host",
			Steps: []string{`collect C:\Windows\System32\winevt\Logs\Security.evtx before drawing conclusions about its audit policy`},
		}, true
	}
	if strings.HasPrefix(id, "auditpol:") {
		// auditpol:<GUID>:<s|f|sf>
		parts := strings.Split(id, ":")
		if len(parts) != 3 {
			return Remedy{}, false
		}
		sub, ok := SubcategoryByGUID(parts[1])
		if !ok {
			return Remedy{}, false
		}
		want := parts[2]
		flags, words := "", []string{}
		if strings.Contains(want, "s") {
			flags += " /success:enable"
			words = append(words, "Success")
		}
		if strings.Contains(want, "f") {
			flags += " /failure:enable"
			words = append(words, "Failure")
		}
		r := Remedy{
			ID:  id,
			Gap: "Audit " + sub.Name + " (" + strings.Join(words, ", ") + ") not shown to be enabled",
			Steps: []string{
				`auditpol /set /subcategory:"` + sub.Name + `"` + flags,
				`auditpol /set /subcategory:` + sub.GUID + flags,
				"(the GUID form works whatever the display language of Windows)",
				"Group Policy: " + groupPolicyPath(sub) + ": " + strings.Join(words, ", "),
				`and "Audit: Force audit policy subcategory settings (Windows Vista or later) to override audit policy category settings" (Security Options) = Enabled, so a legacy category policy does not override it`,
			},
		}
		switch sub.Name {
		case "File System", "Registry", "Kernel Object", "Removable Storage":
			r.Steps = append(r.Steps, "events are only logged for objects whose SACL asks for them: add an auditing entry on the files to watch (e.g. %SystemRoot%\\NTDS, %SystemRoot%\\System32\\config), or Group Policy > Advanced Audit Policy Configuration > Audit Policies > Global Object Access Auditing > File system")
		case "Process Creation":
			r.Steps = append(r.Steps, "and turn on command lines: see process_command_line")
		}
		return r, true
	}
	return Remedy{}, false
}

func auditpolRemedyID(sub Subcategory, success, failure bool) string {
	w := ""
	if success {
		w += "s"
	}
	if failure {
		w += "f"
	}
	return "auditpol:" + sub.GUID + ":" + w
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
