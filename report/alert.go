package report

import (
	"cmp"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shadowscan/shadowscan/detect"
	"github.com/shadowscan/shadowscan/mapping"
)

// Alert is one event that matched one rule: what a responder needs to judge
// it without opening the evidence, and where the evidence is. It is a plain
// value; its JSON field names are part of shadowscan's stable interface.
type Alert struct {
	Rule      RuleRef   `json:"rule"`
	Timestamp time.Time `json:"@timestamp"`
	Host      string    `json:"host"`
	// User is "DOMAIN\name" (or just the name when the event carries no
	// domain), from ECS user.domain and user.name.
	User     string   `json:"user"`
	Process  Process  `json:"process"`
	Parent   Parent   `json:"parent"`
	Evidence Evidence `json:"evidence"`
	// Corroboration lists the Security 4656 handle requests on shadow-copy
	// objects that the same host logged within the corroboration window
	// after the alert (see scan.Options.CorroborationWindow). Never nil in
	// JSON output: an empty list says "looked, found none".
	Corroboration []HandleRequest `json:"corroboration"`
	// CorroborationOmitted counts the requests in the window that were not
	// listed because the list is capped (see scan.MaxCorroborationPerAlert);
	// a backup reading a whole shadow copy would otherwise bury the
	// credential stores.
	CorroborationOmitted int `json:"corroboration_omitted"`
	// CorroborationStatus says what an empty Corroboration means: one of
	// the Corroboration* constants. "none_in_window" is evidence (the
	// host's Security log was read and shows no such access);
	// "no_security_log" is not (nothing could have shown it).
	CorroborationStatus string `json:"corroboration_status"`
}

// Values of Alert.CorroborationStatus.
const (
	CorroborationListed        = "listed"          // handle requests are listed
	CorroborationNoneInWindow  = "none_in_window"  // Security log read, none in the window
	CorroborationNoSecurityLog = "no_security_log" // no Security record of this host was read
	CorroborationOff           = "off"             // --corroborate-window 0
	CorroborationNoTime        = "no_time"         // the event has no time to place a window
)

// RuleRef identifies the rule that raised an alert.
type RuleRef struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Version   int    `json:"version"`
	Severity  string `json:"severity"`
	RiskScore int    `json:"risk_score"`
	// Techniques are MITRE ATT&CK technique and sub-technique ids
	// ("T1003", "T1003.002"); Tactics are tactic ids ("TA0006"). Both in
	// the order the rule lists them, without duplicates.
	Techniques []string `json:"techniques"`
	Tactics    []string `json:"tactics"`
}

// Process is the process an alert is about (ECS process.*).
type Process struct {
	Name             string   `json:"name"`
	PID              int64    `json:"pid"`
	Executable       string   `json:"executable"`
	CommandLine      string   `json:"command_line"`
	Args             []string `json:"args"`
	OriginalFileName string   `json:"original_file_name"` // process.pe.original_file_name
}

// Parent is the parent of the alert's process (ECS process.parent.*).
type Parent struct {
	Name        string `json:"name"`
	PID         int64  `json:"pid"`
	Executable  string `json:"executable"`
	CommandLine string `json:"command_line"`
}

// Evidence locates the event in the input: the file (for zip members
// "archive.zip!member") and System/EventRecordID, the number Event Viewer
// shows (not the record header's number, which exported logs renumber).
type Evidence struct {
	Path     string `json:"path"`
	RecordID uint64 `json:"record_id"`
	Channel  string `json:"channel"`
	EventID  int    `json:"event_id"`
}

// HandleRequest is one Security 4656 event ("A handle to an object was
// requested") on an object under a volume shadow copy: the investigation
// guide's "verify if the ntds.dit file was copied" step, found for the
// analyst.
type HandleRequest struct {
	Timestamp  time.Time `json:"@timestamp"`
	Host       string    `json:"host"`
	User       string    `json:"user"`
	ObjectName string    `json:"object_name"`
	ObjectType string    `json:"object_type"`
	// ProcessName and ProcessPID name the process that asked for the handle.
	ProcessName       string `json:"process_name"`
	ProcessPID        int64  `json:"process_pid"`
	ProcessExecutable string `json:"process_executable"`
	// Access is the requested access as logged (AccessList, rendered by the
	// mapping when it knows the %%codes), falling back to the AccessMask.
	Access string `json:"access"`
	// Outcome is ECS event.outcome: "success" (handle granted, audit
	// success) or "failure" (denied, audit failure).
	Outcome  string   `json:"outcome"`
	Evidence Evidence `json:"evidence"`
}

// RuleOf returns the identification of r that alerts carry.
func RuleOf(r *detect.Rule) RuleRef {
	ref := RuleRef{
		ID:         r.ID,
		Name:       r.Name,
		Version:    r.Version,
		Severity:   r.Severity,
		RiskScore:  r.RiskScore,
		Techniques: []string{},
		Tactics:    []string{},
	}
	for _, th := range r.Threat {
		if th.Tactic.ID != "" && !slices.Contains(ref.Tactics, th.Tactic.ID) {
			ref.Tactics = append(ref.Tactics, th.Tactic.ID)
		}
		for _, te := range th.Techniques {
			if te.ID != "" && !slices.Contains(ref.Techniques, te.ID) {
				ref.Techniques = append(ref.Techniques, te.ID)
			}
			for _, sub := range te.Subtechniques {
				if sub.ID != "" && !slices.Contains(ref.Techniques, sub.ID) {
					ref.Techniques = append(ref.Techniques, sub.ID)
				}
			}
		}
	}
	return ref
}

// NewAlert builds the alert for a document that matched rule, reading the
// ECS fields the mapping sets. Missing fields stay zero; the constructor
// never fails, since a partial alert is worth more than none.
func NewAlert(rule *detect.Rule, doc mapping.Doc) Alert {
	return Alert{
		Rule:      RuleOf(rule),
		Timestamp: DocTime(doc),
		Host:      docHost(doc),
		User:      docUser(doc, "user"),
		Process: Process{
			Name:             docString(doc, "process.name"),
			PID:              docInt(doc, "process.pid"),
			Executable:       docString(doc, "process.executable"),
			CommandLine:      docString(doc, "process.command_line"),
			Args:             docStrings(doc, "process.args"),
			OriginalFileName: docString(doc, "process.pe.original_file_name"),
		},
		Parent: Parent{
			Name:        docString(doc, "process.parent.name"),
			PID:         docInt(doc, "process.parent.pid"),
			Executable:  docString(doc, "process.parent.executable"),
			CommandLine: docString(doc, "process.parent.command_line"),
		},
		Evidence:      docEvidence(doc),
		Corroboration: []HandleRequest{},
	}
}

// shadowCopyMarker is what every object path reached through a volume
// shadow copy contains (\Device\HarddiskVolumeShadowCopyN\...), whichever
// way it was opened (\\?\GLOBALROOT\Device\..., a symbolic link resolved by
// the object manager, ...).
const shadowCopyMarker = "harddiskvolumeshadowcopy"

// IsShadowCopyObject reports whether an object name points inside a volume
// shadow copy (case-insensitive).
func IsShadowCopyObject(name string) bool {
	return containsLower(name, shadowCopyMarker)
}

// containsLower is strings.Contains(strings.ToLower(s), lower) for an
// ASCII lower, without ToLower's copy when s is ASCII too: the scan asks
// it of every 4656's object name.
func containsLower(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return strings.Contains(strings.ToLower(s), lower)
		}
	}
	for i := 0; i+len(lower) <= len(s); i++ {
		if s[i]|0x20 == lower[0]|0x20 && strings.EqualFold(s[i:i+len(lower)], lower) {
			return true
		}
	}
	return false
}

// IsCredentialStore reports whether an object name is one of the files an
// attacker copies out of a shadow copy for credentials: the AD database
// (\Windows\NTDS\ntds.dit) or the SAM, SYSTEM and SECURITY registry hives
// (\Windows\System32\config\...), case-insensitively.
func IsCredentialStore(name string) bool {
	n := strings.ToLower(name)
	if strings.HasSuffix(n, `\windows\ntds\ntds.dit`) {
		return true
	}
	for _, hive := range []string{`\system32\config\sam`, `\system32\config\system`, `\system32\config\security`} {
		if strings.HasSuffix(n, hive) {
			return true
		}
	}
	return false
}

// NewHandleRequest reads a Security 4656 document. ok is false when doc is
// not a 4656 from the Security channel or its object is not under a volume
// shadow copy: only those can corroborate an alert.
func NewHandleRequest(doc mapping.Doc) (HandleRequest, bool) {
	ev := docEvidence(doc)
	if ev.EventID != 4656 || !strings.EqualFold(ev.Channel, "Security") {
		return HandleRequest{}, false
	}
	object := docString(doc, "winlog.event_data.ObjectName")
	if object == "" {
		object = docString(doc, "file.path")
	}
	if !IsShadowCopyObject(object) {
		return HandleRequest{}, false
	}
	exe := docString(doc, "process.executable")
	if exe == "" {
		exe = docString(doc, "winlog.event_data.ProcessName")
	}
	name := docString(doc, "process.name")
	if name == "" && exe != "" {
		name = path.Base(strings.ReplaceAll(exe, `\`, "/"))
	}
	pid := docInt(doc, "process.pid")
	if pid == 0 {
		pid = docInt(doc, "winlog.event_data.ProcessId")
	}
	// The security pipeline turns AccessList into a list of codes and adds
	// their msobjs.dll names as AccessListDescription; older data keeps the
	// raw "%%4416 %%4417" text.
	access := docJoined(doc, "winlog.event_data.AccessListDescription")
	if access == "" {
		access = docJoined(doc, "winlog.event_data.AccessList")
	}
	if access == "" {
		access = docJoined(doc, "winlog.event_data.AccessMask")
	}
	user := docUser(doc, "user")
	if user == "" {
		user = joinUser(docString(doc, "winlog.event_data.SubjectDomainName"),
			docString(doc, "winlog.event_data.SubjectUserName"))
	}
	return HandleRequest{
		Timestamp:         DocTime(doc),
		Host:              docHost(doc),
		User:              user,
		ObjectName:        object,
		ObjectType:        docString(doc, "winlog.event_data.ObjectType"),
		ProcessName:       name,
		ProcessPID:        pid,
		ProcessExecutable: exe,
		Access:            access,
		Outcome:           docString(doc, "event.outcome"),
		Evidence:          ev,
	}, true
}

// SortAlerts puts alerts in the report order: by @timestamp, then evidence
// path, then record id, then rule id, then rule version. The order depends
// only on the alerts, never on how many workers read the input.
func SortAlerts(alerts []Alert) {
	slices.SortStableFunc(alerts, compareAlerts)
}

func compareAlerts(a, b Alert) int {
	return cmp.Or(
		a.Timestamp.Compare(b.Timestamp),
		cmp.Compare(a.Evidence.Path, b.Evidence.Path),
		cmp.Compare(a.Evidence.RecordID, b.Evidence.RecordID),
		cmp.Compare(a.Rule.ID, b.Rule.ID),
		cmp.Compare(a.Rule.Version, b.Rule.Version),
	)
}

// SortHandleRequests orders handle requests by @timestamp, evidence path
// and record id.
func SortHandleRequests(reqs []HandleRequest) {
	slices.SortStableFunc(reqs, func(a, b HandleRequest) int {
		return cmp.Or(
			a.Timestamp.Compare(b.Timestamp),
			cmp.Compare(a.Evidence.Path, b.Evidence.Path),
			cmp.Compare(a.Evidence.RecordID, b.Evidence.RecordID),
		)
	})
}

// DocTime returns a document's @timestamp (zero when absent or unreadable).
func DocTime(doc mapping.Doc) time.Time {
	switch v := doc["@timestamp"].(type) {
	case time.Time:
		return v.UTC()
	case string:
		t, err := time.Parse(time.RFC3339Nano, v)
		if err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

func docHost(doc mapping.Doc) string {
	if h := docString(doc, "host.name"); h != "" {
		return h
	}
	return docString(doc, "winlog.computer_name")
}

func docUser(doc mapping.Doc, prefix string) string {
	return joinUser(docString(doc, prefix+".domain"), docString(doc, prefix+".name"))
}

func joinUser(domain, name string) string {
	switch {
	case name == "":
		return ""
	case domain == "":
		return name
	}
	return domain + `\` + name
}

func docEvidence(doc mapping.Doc) Evidence {
	return Evidence{
		Path:     docString(doc, "log.file.path"),
		RecordID: uint64(max(docInt(doc, "winlog.record_id"), 0)),
		Channel:  docString(doc, "winlog.channel"),
		EventID:  int(docInt(doc, "winlog.event_id")),
	}
}

// docString returns a string field; a list yields its first element, as an
// analyst reading the single-valued ECS field would expect.
func docString(doc mapping.Doc, key string) string {
	switch v := doc[key].(type) {
	case string:
		return v
	case []string:
		if len(v) > 0 {
			return v[0]
		}
	case []any:
		if len(v) > 0 {
			if s, ok := v[0].(string); ok {
				return s
			}
		}
	case int64:
		return strconv.FormatInt(v, 10)
	case int:
		return strconv.Itoa(v)
	}
	return ""
}

// docJoined returns a string or list field as one line: list elements
// joined by ", ", runs of white space (AccessList is logged with tabs and
// newlines) collapsed.
func docJoined(doc mapping.Doc, key string) string {
	if _, ok := doc[key]; !ok {
		return ""
	}
	parts := docStrings(doc, key)
	for i, p := range parts {
		parts[i] = strings.Join(strings.Fields(p), " ")
	}
	return strings.Join(slices.DeleteFunc(parts, func(p string) bool { return p == "" }), ", ")
}

func docStrings(doc mapping.Doc, key string) []string {
	switch v := doc[key].(type) {
	case []string:
		return slices.Clone(v)
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case string:
		return []string{v}
	}
	return []string{}
}

// docInt reads an integer field stored as a number or as a decimal or
// 0x-hex string (Security events log process ids as hex).
func docInt(doc mapping.Doc, key string) int64 {
	switch v := doc[key].(type) {
	case int64:
		return v
	case int:
		return int64(v)
	case uint64:
		if v > 1<<63-1 {
			return 0
		}
		return int64(v)
	case float64:
		return int64(v)
	case string:
		if h, ok := strings.CutPrefix(strings.ToLower(v), "0x"); ok {
			n, err := strconv.ParseInt(h, 16, 64)
			if err == nil {
				return n
			}
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err == nil {
			return n
		}
	}
	return 0
}
