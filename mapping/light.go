package mapping

import (
	"strconv"
	"strings"
	"time"

	"github.com/shadowscan/shadowscan/evtx"
)

// This file answers questions about Map(r) without building the document:
// which fields it can hold at all, and the few values every record is
// counted by (where it comes from, when, its outcome and kind). The scan
// uses them to map only the records that need a document (those a rule
// could match, the audit's policy events, corroboration candidates), which
// is most of its speed. Map itself calls the same functions for the values
// they compute, and the differential tests (light_test.go) hold the rest
// to Map over the corpus, the fixtures and fuzzed records.

// commonField reports whether mapCommon or mapSysmonTime may set field on
// any record. (A switch, not a map: MayHave runs for several fields of
// every record the scan does not map.)
func commonField(field string) bool {
	switch field {
	case "@timestamp", "ecs.version", "event.code", "event.kind",
		"event.provider", "event.created", "event.outcome",
		"host.name", "host.os.type", "log.file.path", "log.level",
		"winlog.channel", "winlog.computer_name", "winlog.event_id",
		"winlog.record_id", "winlog.provider_name", "winlog.provider_guid",
		"winlog.task", "winlog.opcode", "winlog.version", "winlog.keywords",
		"winlog.activity_id", "winlog.process.pid", "winlog.process.thread.id",
		"winlog.user.identifier", "winlog.time_created":
		return true
	}
	return false
}

// describedEventData reports whether describeAccess writes the event
// data field name for Security records, whether or not they have it.
func describedEventData(name string) bool {
	switch name {
	case "AccessList", "AccessListDescription", "AccessMask", "AccessMaskDescription":
		return true
	}
	return false
}

// MayHave reports whether Map(r) can hold field. It is false only when the
// mapping of r's kind of event never sets field (a Security 4688 has no
// process.pe.original_file_name, a Sysmon network connection no
// process.args), or sets it only from event data r does not carry; true
// says nothing about the value, which may still be absent or blank.
func MayHave(r *evtx.Record, field string) bool {
	if r == nil {
		return false
	}
	if commonField(field) {
		return true
	}
	if name, ok := strings.CutPrefix(field, "winlog.event_data."); ok {
		if _, ok := r.Value(name); ok {
			return true
		}
		return r.Provider == securityProvider && describedEventData(name)
	}
	if name, ok := strings.CutPrefix(field, "winlog.user_data."); ok {
		_, ok := r.UserData[name]
		return ok
	}
	switch {
	case r.Provider == sysmonProvider && r.EventID == 1:
		return sysmonProcessField(field)
	case r.Provider == securityProvider && r.EventID == 4688:
		return security4688Field(field)
	case r.Provider == securityProvider && r.EventID == 4656:
		switch field {
		case "winlog.logon.id", "process.pid", "process.executable", "process.name", "file.path", "registry.path":
			return true
		}
	case r.Provider == securityProvider:
		return field == "winlog.logon.id"
	}
	return false
}

// sysmonProcessField reports whether field is one mapSysmonProcessCreate
// (or, for the shared ones, mapSecurity's 4688) can set.
func sysmonProcessField(field string) bool {
	switch field {
	case "event.category", "event.type", "event.action", "rule.name", "related.user", "related.hash":
		return true
	}
	return strings.HasPrefix(field, "process.") || strings.HasPrefix(field, "user.")
}

// security4688Field reports whether field is one mapSecurity can set on
// a 4688.
func security4688Field(field string) bool {
	switch field {
	case "event.category", "event.type", "event.action", "related.user", "winlog.logon.id",
		"error.message", "tags",
		"process.pid", "process.executable", "process.name", "process.args", "process.command_line",
		"process.parent.pid", "process.parent.executable", "process.parent.name",
		"user.id", "user.name", "user.domain":
		return true
	}
	return strings.HasPrefix(field, "user.effective.")
}

// EventCategories returns event.category as Map sets it, nil when unset.
func EventCategories(r *evtx.Record) []string {
	if r != nil && (r.Provider == sysmonProvider && r.EventID == 1 || r.Provider == securityProvider && r.EventID == 4688) {
		return []string{"process"}
	}
	return nil
}

// Outcome returns event.outcome as Map sets it from the audit keywords:
// "success", "failure" or "" (neither keyword).
func Outcome(r *evtx.Record) string {
	keywords, _ := strconv.ParseUint(r.Keywords, 0, 64)
	switch {
	case keywords&keywordAuditFailure != 0:
		return "failure"
	case keywords&keywordAuditSuccess != 0:
		return "success"
	}
	return ""
}

// TaskName returns winlog.task as Map sets it; ok is false when Map sets
// none.
func TaskName(r *evtx.Record) (name string, ok bool) { return taskName(r) }

// Timestamp returns the instant Map's @timestamp names, as a reader of
// the document parses it back (RFC 3339, milliseconds): for Sysmon the
// event's own UtcTime when it parses, else System/TimeCreated. It is the
// zero time when the record has none, and when the year is beyond what
// RFC 3339 writes.
func Timestamp(r *evtx.Record) time.Time {
	t := r.TimeCreated
	if r.Provider == sysmonProvider {
		if utc, ok := cleanEventData(dataValue(r, "UtcTime")); ok {
			if parsed, ok := parseUtcTime(utc); ok {
				t = parsed
			}
		}
	}
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return time.Time{}
	}
	return t.Add(-time.Duration(t.Nanosecond() % int(time.Millisecond)))
}

// Kept returns s as Map stores a plain string System field of r (computer,
// channel, provider, evidence path): "" when the document drops it, which
// the Security data stream does with blank strings.
func Kept(r *evtx.Record, s string) string {
	if securityDocument(r) && javaBlank(s) {
		return ""
	}
	return s
}

// EventDataString returns what Map stores under "winlog.event_data."+name
// for the event data fields it copies unchanged: the record's value,
// cleaned as winlogbeat and the pipelines clean it, "" when the document
// has none. A field the mapping of r's kind always moves elsewhere (a
// Sysmon process start's CommandLine becomes process.command_line) is
// known to be absent; known is false for those it rewrites (a Security
// AccessList becomes a list of codes).
func EventDataString(r *evtx.Record, name string) (value string, known bool) {
	if movedEventData(r, name) {
		return "", true
	}
	if rewrittenEventData(r, name) {
		return "", false
	}
	v, ok := cleanEventData(dataValue(r, name))
	if !ok || securityDocument(r) && javaBlank(v) {
		return "", true
	}
	return v, true
}

// FieldValues returns the values of field in Map(r) for the fields the
// scan reads without mapping (a rule's literals, detect.LiteralSet.Admits;
// the fields the audit tracks): none when r's kind never has the field;
// event.category and event.type; for a Sysmon process start the
// executable, command line, its arguments, the process name and the
// original file name, as mapSysmonProcessCreate derives them; for a
// Security 4688 the same but the original file name, which it lacks.
// known is false for any other field or kind.
func FieldValues(r *evtx.Record, field string) (values []string, known bool) {
	if !MayHave(r, field) {
		return nil, true
	}
	switch field {
	case "event.category":
		return EventCategories(r), true
	case "event.type":
		return []string{"start"}, true // MayHave: a Sysmon or Security process start
	}
	if r.Provider == securityProvider && r.EventID == 4688 {
		return security4688Values(r, field)
	}
	if r.Provider != sysmonProvider || r.EventID != 1 || securityDocument(r) {
		return nil, false
	}
	one := func(name string) ([]string, bool) {
		if v, ok := cleanEventData(dataValue(r, name)); ok {
			return []string{v}, true
		}
		return nil, true
	}
	switch field {
	case "process.pe.original_file_name":
		return one("OriginalFileName")
	case "process.command_line":
		return one("CommandLine")
	case "process.executable":
		return one("Image")
	case "process.args":
		if cmd, ok := cleanEventData(dataValue(r, "CommandLine")); ok {
			return SplitCommandLineWindows(cmd), true
		}
		return nil, true
	case "process.name":
		if exe, ok := cleanEventData(dataValue(r, "Image")); ok {
			if name := sysmonProcessName(exe); name != "" {
				return []string{name}, true
			}
		}
		return nil, true
	}
	return nil, false
}

// EventDataNames returns the event data names FieldValues reads to answer
// field for a record of r's kind (its provider and event ID): what a
// decoder must keep of such records for FieldValues to answer without
// the rest. Nil when it reads none.
func EventDataNames(r *evtx.Record, field string) []string {
	switch {
	case r == nil:
		return nil
	case r.Provider == securityProvider && r.EventID == 4688:
		switch field {
		case "process.command_line", "process.args":
			return []string{"CommandLine", "NewProcessId", "ProcessId"}
		case "process.executable", "process.name":
			return []string{"NewProcessId", "NewProcessName"}
		}
	case r.Provider == sysmonProvider && r.EventID == 1:
		switch field {
		case "process.pe.original_file_name":
			return []string{"OriginalFileName"}
		case "process.command_line", "process.args":
			return []string{"CommandLine"}
		case "process.executable", "process.name":
			return []string{"Image"}
		}
	}
	return nil
}

// ProcessStartKinds returns a record of each kind whose values FieldValues
// reads from the event data (a Sysmon process start, a Security 4688),
// without values: for MayHave and EventDataNames, which answer by kind.
func ProcessStartKinds() []*evtx.Record {
	return []*evtx.Record{
		{Provider: sysmonProvider, EventID: 1, Channel: "Microsoft-Windows-Sysmon/Operational"},
		{Provider: securityProvider, EventID: 4688, Channel: "Security"},
	}
}

// dataValue is the record's event data value of name, "" if none (Record.Value
// reaches every name, also on a partially decoded record).
func dataValue(r *evtx.Record, name string) string {
	v, _ := r.Value(name)
	return v
}

// security4688Values is FieldValues for a Security 4688's command line
// and arguments, which mapProcessCreated sets unless the pipeline stops
// first on a pid Long.decode refuses (and which the Security data
// stream's blank removal then thins).
func security4688Values(r *evtx.Record, field string) ([]string, bool) {
	switch field {
	case "process.command_line", "process.args", "process.executable", "process.name":
	default:
		return nil, false
	}
	// mapProcessCreated decodes NewProcessId, sets the executable and its
	// name, decodes ProcessId, then sets the command line: a pid it
	// refuses stops it there. Without a command line there is nothing
	// to stop, so the pids (which the scan's decoder may not have kept)
	// are read only for one.
	pids := []string{"NewProcessId", "ProcessId"}
	var cmd string
	if field == "process.executable" || field == "process.name" {
		pids = pids[:1]
	} else {
		var ok bool
		if cmd, ok = cleanEventData(dataValue(r, "CommandLine")); !ok {
			return nil, true
		}
	}
	for _, pid := range pids {
		if v, ok := cleanEventData(dataValue(r, pid)); ok {
			if _, err := javaLongDecode(v); err != nil {
				return nil, true // the pipeline error comes first
			}
		}
	}
	if field == "process.executable" || field == "process.name" {
		exe, ok := cleanEventData(dataValue(r, "NewProcessName"))
		if field == "process.name" {
			exe = lastPathElement(exe)
		}
		if !ok || javaBlank(exe) {
			return nil, true
		}
		return []string{exe}, true
	}
	if field == "process.args" {
		return SplitCommandLineSecurity(cmd), true
	}
	if javaBlank(cmd) {
		return nil, true
	}
	return []string{cmd}, true
}

// cleanEventData is eventData's treatment of one value: ok is false when
// the value is dropped.
func cleanEventData(v string) (string, bool) {
	v = removeWindowsLineEndings(v)
	if v == "" || v == "-" || v == zeroGUID {
		return "", false
	}
	return v, true
}

// movedEventData reports whether the mapping of r's kind always takes the
// event data field name out of winlog.event_data (Sysmon's UtcTime, and
// what a Sysmon process start moves to process.*).
func movedEventData(r *evtx.Record, name string) bool {
	if r.Provider != sysmonProvider {
		return false
	}
	if name == "UtcTime" {
		return true
	}
	if r.EventID == 1 {
		switch name {
		case "RuleName", "Hash", "Hashes", "ProcessGuid", "ProcessId", "Image", "CommandLine",
			"CurrentDirectory", "ParentProcessGuid", "ParentProcessId", "ParentImage",
			"ParentCommandLine", "OriginalFileName", "User":
			return true
		}
	}
	return false
}

// rewrittenEventData reports whether the mapping of r's kind may rewrite
// the event data field name, or take it out of winlog.event_data only on
// some records (a 4688's NewProcessId stays when it does not parse).
func rewrittenEventData(r *evtx.Record, name string) bool {
	if r.Provider != securityProvider {
		return false
	}
	if describedEventData(name) {
		return true
	}
	if r.EventID == 4688 {
		switch name {
		case "NewProcessId", "NewProcessName", "ParentProcessName":
			return true
		}
	}
	return false
}

// securityDocument reports whether Map(r) ends with the Security data
// stream's removal of blank values.
func securityDocument(r *evtx.Record) bool {
	return r.Channel == "Security" || r.Provider == securityProvider
}
