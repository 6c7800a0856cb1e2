package evtxwrite

import "time"

// Providers and channels of the helpers below, as Windows names them.
const (
	SysmonProvider     = "Microsoft-Windows-Sysmon"
	SysmonProviderGUID = "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"
	SysmonChannel      = "Microsoft-Windows-Sysmon/Operational"

	SecurityProvider     = "Microsoft-Windows-Security-Auditing"
	SecurityProviderGUID = "{54849625-5478-4994-A5BA-3E3B0328C30D}"
	SecurityChannel      = "Security"

	EventlogProvider     = "Microsoft-Windows-Eventlog"
	EventlogProviderGUID = "{FC65DDD8-D6EF-4962-83D5-6E5CFE9CE148}"

	// KeywordAuditSuccess / KeywordAuditFailure are the Security log's
	// Keywords for success and failure audits.
	KeywordAuditSuccess uint64 = 0x8020000000000000
	KeywordAuditFailure uint64 = 0x8010000000000000
	keywordSysmon       uint64 = 0x8000000000000000
	keywordEventlog     uint64 = 0x4020000000000000
)

// Common is the part of the System section the helpers let callers set;
// the rest (provider, channel, level, task, keywords) is fixed per event
// type as Windows writes it.
type Common struct {
	Computer           string
	TimeCreated        time.Time
	RecordID           uint64 // EventRecordID; 0 = the record number the writer assigns
	ExecutionProcessID uint32 // System/Execution/@ProcessID (the logging process)
	ExecutionThreadID  uint32 // System/Execution/@ThreadID
}

func (c Common) event() Event {
	return Event{Computer: c.Computer, TimeCreated: c.TimeCreated, RecordID: c.RecordID,
		ProcessID: c.ExecutionProcessID, ThreadID: c.ExecutionThreadID}
}

// SysmonSchema selects which fields a Sysmon process-creation event has.
// Every Sysmon release since 6 writes event 1 as version 5 (observed in
// real logs); the field list is what changed.
type SysmonSchema int

const (
	// SysmonOriginalFileName is Sysmon 10 to 13.2x: OriginalFileName present.
	SysmonOriginalFileName SysmonSchema = iota
	// SysmonParentUser is Sysmon 13.30 and later: adds ParentUser.
	SysmonParentUser
	// SysmonNoOriginalFileName is Sysmon 8 and 9: RuleName and the file
	// version fields, no OriginalFileName.
	SysmonNoOriginalFileName
	// SysmonLegacy is Sysmon 6 and 7: no RuleName, no file version fields.
	SysmonLegacy
)

// SysmonProcessCreate is Sysmon event 1, "Process Create".
type SysmonProcessCreate struct {
	Common
	Schema  SysmonSchema
	Version uint8 // System/Version; 0 means 5

	RuleName string
	// UtcTime is the Data field "UtcTime" ("2006-01-02 15:04:05.000");
	// empty means TimeCreated formatted that way.
	UtcTime                                    string
	ProcessGuid                                string // "{...}"
	ProcessId                                  uint32
	Image                                      string
	FileVersion, Description, Product, Company string
	OriginalFileName                           string
	CommandLine, CurrentDirectory, User        string
	LogonGuid                                  string
	LogonId                                    uint64
	TerminalSessionId                          uint32
	IntegrityLevel, Hashes                     string
	ParentProcessGuid                          string
	ParentProcessId                            uint32
	ParentImage, ParentCommandLine             string
	ParentUser                                 string
}

// SysmonUtcTime formats t as Sysmon's UtcTime field.
func SysmonUtcTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000") }

// Event lays p out as Sysmon writes it, with Sysmon's value types
// (GUIDs as GUID, ProcessId as UInt32, LogonId as HexInt64).
func (p SysmonProcessCreate) Event() Event {
	version := p.Version
	if version == 0 {
		version = 5
	}
	e := sysmonEvent(p.Common, 1, version)
	utc := sysmonTime(p.UtcTime, p.TimeCreated)
	var d []Data
	if p.Schema != SysmonLegacy {
		d = append(d, D("RuleName", String(p.RuleName)))
	}
	d = append(d,
		D("UtcTime", String(utc)),
		D("ProcessGuid", GUID(p.ProcessGuid)),
		D("ProcessId", UInt32(p.ProcessId)),
		D("Image", String(p.Image)))
	if p.Schema != SysmonLegacy {
		d = append(d,
			D("FileVersion", String(p.FileVersion)),
			D("Description", String(p.Description)),
			D("Product", String(p.Product)),
			D("Company", String(p.Company)))
	}
	if p.Schema == SysmonOriginalFileName || p.Schema == SysmonParentUser {
		d = append(d, D("OriginalFileName", String(p.OriginalFileName)))
	}
	d = append(d,
		D("CommandLine", String(p.CommandLine)),
		D("CurrentDirectory", String(p.CurrentDirectory)),
		D("User", String(p.User)),
		D("LogonGuid", GUID(p.LogonGuid)),
		D("LogonId", HexInt64(p.LogonId)),
		D("TerminalSessionId", UInt32(p.TerminalSessionId)),
		D("IntegrityLevel", String(p.IntegrityLevel)),
		D("Hashes", String(p.Hashes)),
		D("ParentProcessGuid", GUID(p.ParentProcessGuid)),
		D("ParentProcessId", UInt32(p.ParentProcessId)),
		D("ParentImage", String(p.ParentImage)),
		D("ParentCommandLine", String(p.ParentCommandLine)))
	if p.Schema == SysmonParentUser {
		d = append(d, D("ParentUser", String(p.ParentUser)))
	}
	e.EventData = d
	return e
}

// Subject is the account that caused a Security audit event.
type Subject struct {
	UserSid, UserName, DomainName string
	LogonId                       uint64
}

func (s Subject) data() []Data {
	return []Data{
		D("SubjectUserSid", SID(s.UserSid)),
		D("SubjectUserName", String(s.UserName)),
		D("SubjectDomainName", String(s.DomainName)),
		D("SubjectLogonId", HexInt64(s.LogonId)),
	}
}

func securityEvent(c Common, id uint16, version uint8, task uint16) Event {
	e := c.event()
	e.Provider, e.ProviderGUID, e.Channel = SecurityProvider, SecurityProviderGUID, SecurityChannel
	e.EventID, e.Version, e.Task, e.Keywords = id, version, task, KeywordAuditSuccess
	if e.ProcessID == 0 {
		e.ProcessID = 4 // audit events come from the System process's threads
	}
	return e
}

// SecurityProcessCreate is Security event 4688, "A new process has been
// created".
type SecurityProcessCreate struct {
	Common
	// Version is 2 (Windows 10 / Server 2016: Target*, ParentProcessName,
	// MandatoryLabel), 1 (8.1 / 2012 R2: CommandLine) or 0 (no
	// CommandLine). With the command-line policy off, version 1 and 2
	// still carry CommandLine, empty.
	Version uint8
	Subject
	NewProcessId   uint64 // pointer-sized, written as Windows does (SizeT/HexInt64)
	NewProcessName string
	// TokenElevationType is "%%1936" (full token), "%%1937" (elevated) or
	// "%%1938" (limited); empty means "%%1936".
	TokenElevationType string
	ProcessId          uint64 // the creator process, pointer-sized
	CommandLine        string
	// Version 2 fields.
	TargetUserSid, TargetUserName, TargetDomainName string
	TargetLogonId                                   uint64
	ParentProcessName                               string
	MandatoryLabel                                  string // a SID, e.g. S-1-16-12288 (high)
}

// Event lays p out as Windows writes 4688 of p.Version.
func (p SecurityProcessCreate) Event() Event {
	e := securityEvent(p.Common, 4688, p.Version, 13312)
	elevation := p.TokenElevationType
	if elevation == "" {
		elevation = "%%1936"
	}
	d := append(p.Subject.data(),
		D("NewProcessId", Pointer(p.NewProcessId)),
		D("NewProcessName", String(p.NewProcessName)),
		D("TokenElevationType", String(elevation)),
		D("ProcessId", Pointer(p.ProcessId)))
	if p.Version >= 1 {
		d = append(d, D("CommandLine", String(p.CommandLine)))
	}
	if p.Version >= 2 {
		targetSid, label := p.TargetUserSid, p.MandatoryLabel
		if targetSid == "" {
			targetSid = "S-1-0-0"
		}
		if label == "" {
			label = "S-1-16-12288"
		}
		d = append(d,
			D("TargetUserSid", SID(targetSid)),
			D("TargetUserName", String(p.TargetUserName)),
			D("TargetDomainName", String(p.TargetDomainName)),
			D("TargetLogonId", HexInt64(p.TargetLogonId)),
			D("ParentProcessName", String(p.ParentProcessName)),
			D("MandatoryLabel", SID(label)))
	}
	e.EventData = d
	return e
}

// SecurityHandleRequest is Security event 4656, "A handle to an object was
// requested" (version 1, Windows 7 and later).
type SecurityHandleRequest struct {
	Common
	Subject
	Failure       bool   // audit failure (access denied) instead of success
	ObjectServer  string // "" means "Security"
	ObjectType    string // "File", "Key", "Process", ...
	ObjectName    string // e.g. \Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit
	HandleId      uint64 // pointer-sized; 0 for failures
	TransactionId string // GUID; "" means the null GUID
	// AccessList is the "%%4416 ..." list Windows writes; entries are
	// joined with "\r\n\t\t\t\t" as in real logs.
	AccessList         []string
	AccessReason       string // "" means "-"
	AccessMask         uint32
	PrivilegeList      string // "" means "-"
	RestrictedSidCount uint32
	ProcessId          uint64 // pointer-sized
	ProcessName        string
	ResourceAttributes string // "" means "-"
	Task               uint16 // 0 means 12800 (File System); 12801 Registry, 12802 Kernel Object
}

// Event lays p out as Windows writes 4656.
func (p SecurityHandleRequest) Event() Event {
	task := p.Task
	if task == 0 {
		task = 12800
	}
	e := securityEvent(p.Common, 4656, 1, task)
	if p.Failure {
		e.Keywords = KeywordAuditFailure
	}
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	server := p.ObjectServer
	if server == "" {
		server = "Security"
	}
	tx := p.TransactionId
	if tx == "" {
		tx = "{00000000-0000-0000-0000-000000000000}"
	}
	access := ""
	for _, a := range p.AccessList {
		access += a + "\r\n\t\t\t\t"
	}
	e.EventData = append(p.Subject.data(),
		D("ObjectServer", String(server)),
		D("ObjectType", String(p.ObjectType)),
		D("ObjectName", String(p.ObjectName)),
		D("HandleId", Pointer(p.HandleId)),
		D("TransactionId", GUID(tx)),
		D("AccessList", String(dash(access))),
		D("AccessReason", String(dash(p.AccessReason))),
		D("AccessMask", HexInt32(p.AccessMask)),
		D("PrivilegeList", String(dash(p.PrivilegeList))),
		D("RestrictedSidCount", UInt32(p.RestrictedSidCount)),
		D("ProcessId", Pointer(p.ProcessId)),
		D("ProcessName", String(p.ProcessName)),
		D("ResourceAttributes", String(dash(p.ResourceAttributes))))
	return e
}

// SecurityAuditPolicyChange is Security event 4719, "System audit policy
// was changed".
type SecurityAuditPolicyChange struct {
	Common
	Subject
	CategoryId         string // e.g. "%%8274" (Object Access)
	SubcategoryId      string // e.g. "%%12800" (File System)
	SubcategoryGuid    string // e.g. "{0CCE921D-69AE-11D9-BED3-505054503030}"
	AuditPolicyChanges string // e.g. "%%8448, %%8450" (success and failure removed)
}

// Event lays p out as Windows writes 4719.
func (p SecurityAuditPolicyChange) Event() Event {
	e := securityEvent(p.Common, 4719, 0, 13568)
	e.EventData = append(p.Subject.data(),
		D("CategoryId", String(p.CategoryId)),
		D("SubcategoryId", String(p.SubcategoryId)),
		D("SubcategoryGuid", GUID(p.SubcategoryGuid)),
		D("AuditPolicyChanges", String(p.AuditPolicyChanges)))
	return e
}

// LogCleared is event 1102, "The audit log was cleared", written by the
// Eventlog provider into the Security channel with UserData.
type LogCleared struct {
	Common
	Subject
}

// Event lays p out as Windows writes 1102 (UserData/LogFileCleared).
func (p LogCleared) Event() Event {
	e := p.Common.event()
	e.Provider, e.ProviderGUID, e.Channel = EventlogProvider, EventlogProviderGUID, SecurityChannel
	e.EventID, e.Level, e.Task, e.Keywords = 1102, 4, 104, keywordEventlog
	e.UserData = &UserData{
		Element: "LogFileCleared",
		Attrs: []Attr{
			{"xmlns:auto-ns3", "http://schemas.microsoft.com/win/2004/08/events"},
			{"xmlns", "http://manifests.microsoft.com/win/2004/08/windows/eventlog"},
		},
		Fields: p.Subject.data(),
	}
	return e
}

// SysmonServiceStateChange is Sysmon event 4, "Sysmon service state
// changed" (State "Started" or "Stopped").
type SysmonServiceStateChange struct {
	Common
	UtcTime                string // empty means TimeCreated
	State                  string
	Version, SchemaVersion string // e.g. "13.34", "4.83"
}

// Event lays p out as Sysmon writes event 4 (all values strings).
func (p SysmonServiceStateChange) Event() Event {
	e := sysmonEvent(p.Common, 4, 3)
	e.EventData = []Data{
		D("UtcTime", String(sysmonTime(p.UtcTime, p.TimeCreated))),
		D("State", String(p.State)),
		D("Version", String(p.Version)),
		D("SchemaVersion", String(p.SchemaVersion)),
	}
	return e
}

// SysmonConfigChange is Sysmon event 16, "Sysmon config state changed".
type SysmonConfigChange struct {
	Common
	UtcTime               string // empty means TimeCreated
	Configuration         string // path of the configuration file
	ConfigurationFileHash string // e.g. "SHA256=..."
}

// Event lays p out as Sysmon writes event 16 (all values strings).
func (p SysmonConfigChange) Event() Event {
	e := sysmonEvent(p.Common, 16, 3)
	e.EventData = []Data{
		D("UtcTime", String(sysmonTime(p.UtcTime, p.TimeCreated))),
		D("Configuration", String(p.Configuration)),
		D("ConfigurationFileHash", String(p.ConfigurationFileHash)),
	}
	return e
}

// sysmonEvent is the System part Sysmon writes: its provider, channel,
// level 4, task = event id, SYSTEM as the user.
func sysmonEvent(c Common, id uint16, version uint8) Event {
	e := c.event()
	e.Provider, e.ProviderGUID, e.Channel = SysmonProvider, SysmonProviderGUID, SysmonChannel
	e.EventID, e.Version, e.Level, e.Task, e.Keywords = id, version, 4, id, keywordSysmon
	e.UserID = "S-1-5-18"
	return e
}

func sysmonTime(utc string, t time.Time) string {
	if utc == "" {
		return SysmonUtcTime(t)
	}
	return utc
}
