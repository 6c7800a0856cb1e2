package audit

// The report types. JSON keys are part of shadowscan's interface (the
// "audit" array of scan --format json and audit --format json): keep them.

// Verdict values of a rule on a host.
const (
	// CanFire: some event source on the host carries every field the query
	// needs.
	CanFire = "can_fire"
	// CanFirePartially: the rule can fire on one source, but another source
	// present on the host that could match it lacks fields because of its
	// configuration (e.g. 4688 without command lines).
	CanFirePartially = "can_fire_partially"
	// CannotFire: sources the query could run on are present, but none
	// carries the fields it needs.
	CannotFire = "cannot_fire"
	// NoData: no event source the query could match is in the evidence for
	// this host.
	NoData = "no_data"
)

// Status values of an event source for a rule (SourceVerdict.Status).
const (
	SourceMatches      = "matches"        // present and carries every needed field
	SourceMissesFields = "missing_fields" // present, lacks fields a configuration change would add
	SourceCannotCarry  = "cannot_carry"   // this kind of event never carries a needed field
	SourceNotPresent   = "not_present"    // no such events for this host
)

// Status values of a prerequisite (Prerequisite.Status and its per-outcome
// statuses).
const (
	Present      = "present"       // evidence shows it in effect
	Missing      = "missing"       // evidence shows it off (auditpol, or a 4719 that removed it)
	Unknown      = "unknown"       // the log that would show it was collected, but nothing decides
	NotCollected = "not_collected" // the log that would show it is not in the evidence
)

// Host is the audit of one machine.
type Host struct {
	// Host is the most frequent spelling of the machine's name; Names lists
	// every variant found in System/Computer (or auditpol's Machine Name)
	// with its record count. Variants are grouped by their first DNS label,
	// case-insensitively (DC01, dc01 and DC01.corp.local are one host).
	Host      string        `json:"host"`
	Names     []NameCount   `json:"names"`
	Records   int           `json:"records"`
	First     string        `json:"first"`
	Last      string        `json:"last"`
	Files     []string      `json:"files"`
	Logs      Logs          `json:"logs"`
	Policy    PolicyEvents  `json:"policy"`
	Gaps      []Gap         `json:"gaps"`
	Rules     []RuleVerdict `json:"rules"`
	Remedies  []Remedy      `json:"remedies"`
	Truncated []string      `json:"truncated"` // bounds reached while collecting
}

// NameCount is one spelling of a host name.
type NameCount struct {
	Name    string `json:"name"`
	Records int    `json:"records"`
}

// FileCount is the evidence for a count: how many records of one file, and
// the range of their EventRecordIDs (the number Event Viewer shows).
type FileCount struct {
	Path          string `json:"path"`
	Records       int    `json:"records"`
	FirstRecordID uint64 `json:"first_record_id"`
	LastRecordID  uint64 `json:"last_record_id"`
}

// Logs says which logs of the host are in the evidence and what they hold.
type Logs struct {
	Sysmon   SysmonLog    `json:"sysmon"`
	Security SecurityLog  `json:"security"`
	System   ChannelLog   `json:"system"`
	Channels []ChannelLog `json:"channels"` // every channel found, by name
}

// ChannelLog is one channel of one host. Collected is false when no record
// of the channel is in the evidence: the log was not collected (or was
// empty), which says nothing about the machine's configuration.
type ChannelLog struct {
	Channel   string      `json:"channel"`
	Collected bool        `json:"collected"`
	Records   int         `json:"records"`
	First     string      `json:"first"`
	Last      string      `json:"last"`
	Files     []FileCount `json:"files"`
	// UnlistedFileRecords counts the records (within Records) of files
	// beyond the first ones listed (Files stops at a bound).
	UnlistedFileRecords int `json:"records_in_unlisted_files,omitempty"`
}

// EventCount counts one event id of a channel, with its evidence.
type EventCount struct {
	Count int         `json:"count"`
	First string      `json:"first"`
	Last  string      `json:"last"`
	Files []FileCount `json:"files"`
	// UnlistedFileRecords counts the records (within Count) of files
	// beyond the first ones listed (Files stops at a bound).
	UnlistedFileRecords int `json:"records_in_unlisted_files,omitempty"`
}

// SysmonLog is Microsoft-Windows-Sysmon/Operational.
type SysmonLog struct {
	ChannelLog
	// ProcessCreate counts EID 1; WithOriginalFileName those carrying
	// OriginalFileName, which Sysmon writes from version 10.0 on.
	ProcessCreate        EventCount `json:"process_create"`
	WithOriginalFileName int        `json:"process_create_with_original_file_name"`
	// Version10 is "yes", "no" or "unknown", VersionEvidence says why.
	Version10       string  `json:"version_10_or_later"`
	VersionEvidence string  `json:"version_evidence"`
	ServiceChanges  []Event `json:"service_state_changes"` // EID 4
	ConfigChanges   []Event `json:"config_changes"`        // EID 16
}

// SecurityLog is the Security channel.
type SecurityLog struct {
	ChannelLog
	// ProcessCreate counts 4688; WithCommandLine those with a CommandLine,
	// i.e. "Include command line in process creation events" was on.
	ProcessCreate   EventCount `json:"process_create"`
	WithCommandLine int        `json:"process_create_with_command_line"`
	// HandleRequests counts 4656 (Object Access: a handle to an object was
	// requested); OnFiles those with ObjectType File (Audit File System).
	HandleRequests        EventCount `json:"handle_requests"`
	HandleRequestsOnFiles int        `json:"handle_requests_on_files"`
	HandleRequestsSuccess int        `json:"handle_requests_on_files_success"`
	HandleRequestsFailure int        `json:"handle_requests_on_files_failure"`
	// Subcategories lists the audit subcategories that logged events here,
	// which shows them enabled for that outcome.
	Subcategories []SubcategorySeen `json:"subcategories"`
}

// SubcategorySeen is an audit subcategory shown active by its own events.
type SubcategorySeen struct {
	Category string  `json:"category"`
	Name     string  `json:"name"`
	GUID     string  `json:"guid"`
	Success  int     `json:"success"`
	Failure  int     `json:"failure"`
	Other    int     `json:"other"` // events without an audit outcome
	EventIDs []int64 `json:"event_ids"`
	First    string  `json:"first"`
	Last     string  `json:"last"`
}

// Event is one record kept as evidence.
type Event struct {
	EventID  int64  `json:"event_id"`
	Channel  string `json:"channel"`
	Time     string `json:"time"`
	Path     string `json:"path"`
	RecordID uint64 `json:"record_id"`
	Detail   string `json:"detail"`
}

// PolicyEvents is the evidence about the audit policy itself.
type PolicyEvents struct {
	// Auditpol holds the auditpol outputs given for this host.
	Auditpol []Policy `json:"auditpol"`
	// Changes are the 4719 events (System audit policy was changed).
	Changes []PolicyChange `json:"changes"`
	// Cleared are 1102 (Security log cleared) and System 104 (a log cleared).
	Cleared []Event `json:"cleared"`
	// LogService are 1100 (event logging shut down), 1104 (Security log
	// full), 1105 (log archived).
	LogService []Event `json:"log_service"`
	// Totals count every such event, including any beyond the lists' bound.
	ChangesTotal    int `json:"changes_total"`
	ClearedTotal    int `json:"cleared_total"`
	LogServiceTotal int `json:"log_service_total"`
}

// PolicyChange is one 4719 event.
type PolicyChange struct {
	Time          string   `json:"time"`
	Path          string   `json:"path"`
	RecordID      uint64   `json:"record_id"`
	Category      string   `json:"category"`
	Subcategory   string   `json:"subcategory"`
	GUID          string   `json:"guid"`
	SubcategoryID string   `json:"subcategory_id"` // as written, e.g. %%12800
	Changes       []string `json:"changes"`        // "success added", "failure removed", ...
	Raw           string   `json:"raw"`            // AuditPolicyChanges as written
	By            string   `json:"by"`
}

// Gap is what one file suggests about lost or deleted records.
type Gap struct {
	Path          string   `json:"path"`
	Channels      []string `json:"channels"`
	Records       int      `json:"records"`
	FirstRecordID uint64   `json:"first_record_id"`
	LastRecordID  uint64   `json:"last_record_id"`
	MissingIDs    uint64   `json:"missing_record_ids"`
	Holes         []Hole   `json:"holes"`
	HolesTotal    int      `json:"holes_total"`
	RecordsFailed int      `json:"records_failed"`
	ChunksDamaged int      `json:"chunks_damaged"`
	Dirty         bool     `json:"dirty"`
	// Export: record headers are renumbered, so the file was exported
	// (e.g. a filtered "Save As"); its missing ids are expected.
	Export  bool     `json:"export"`
	Silence *Silence `json:"silence"`
	Notes   []string `json:"notes"`
}

// Hole is a range of EventRecordIDs absent from a file, between two records
// that are present.
type Hole struct {
	From    uint64 `json:"from"`
	To      uint64 `json:"to"`
	Missing uint64 `json:"missing"`
	After   string `json:"after"`  // time of the record just before the hole
	Before  string `json:"before"` // time of the record just after it
}

// Silence is the longest time between two consecutive records of a file,
// reported when it is far longer than the file's usual spacing.
type Silence struct {
	From          string  `json:"from"`
	To            string  `json:"to"`
	Hours         float64 `json:"hours"`
	AfterRecordID uint64  `json:"after_record_id"`
}

// RuleVerdict says whether one rule could fire on the host's evidence.
type RuleVerdict struct {
	RuleID  string `json:"rule_id"`
	Name    string `json:"name"`
	Version int    `json:"version"`
	Verdict string `json:"verdict"`
	Reason  string `json:"reason"`
	// What the query needs, from its AST.
	Categories []string `json:"categories"`
	Required   []string `json:"required_fields"`
	Optional   []string `json:"optional_fields"`
	// Sources are the event sources the query could run on.
	Sources []SourceVerdict `json:"sources"`
	// Setup are the prerequisites the rule's documentation asks for,
	// kept apart from what the query needs.
	Setup    []Prerequisite `json:"setup"`
	Remedies []string       `json:"remedies"` // ids into Host.Remedies
}

// SourceVerdict is one event source judged against one rule.
type SourceVerdict struct {
	Source  string   `json:"source"` // e.g. "sysmon:1", "security:4688"
	Label   string   `json:"label"`  // e.g. "Sysmon EID 1"
	Events  int      `json:"events"`
	Status  string   `json:"status"`
	Missing []string `json:"missing"`
	Detail  string   `json:"detail"`
}

// Prerequisite is one setup step from a rule's documentation.
type Prerequisite struct {
	Text        string   `json:"text"` // as documented
	Kind        string   `json:"kind"` // audit_subcategory, event, sysmon, process_creation
	Subcategory string   `json:"subcategory"`
	GUID        string   `json:"guid"`
	Success     string   `json:"success"` // status of the success half, when asked for
	Failure     string   `json:"failure"` // status of the failure half, when asked for
	Status      string   `json:"status"`
	Evidence    []string `json:"evidence"`
	Remedy      string   `json:"remedy"`
}

// Remedy is what an administrator can do about one gap.
type Remedy struct {
	ID    string   `json:"id"`
	Gap   string   `json:"gap"`
	Steps []string `json:"steps"`
	Rules []string `json:"rules"` // ids of the rules that need it
}
