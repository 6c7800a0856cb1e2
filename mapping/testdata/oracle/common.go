package oracle

import (
	"strconv"
	"strings"
	"time"

	"github.com/shadowscan/shadowscan/evtx"
)

const (
	securityECSVersion = "8.11.0" // system_security_default.yml
	sysmonECSVersion   = "8.0.0"  // sysmon_operational default.yml
	zeroGUID           = "{00000000-0000-0000-0000-000000000000}"

	// Keyword bits winlogbeat turns into event.outcome
	// (elastic/beats winlogbeat/sys/winevent/event.go).
	keywordAuditFailure = 0x10000000000000
	keywordAuditSuccess = 0x20000000000000
)

// defaultKeywords, defaultOpcodes and defaultLevels are winlogbeat's
// defaultWinMeta (elastic/beats winlogbeat/sys/winevent/winmeta.go): the
// names used when the event carries no rendering info. Keywords are listed
// by ascending bit so the output is deterministic.
var defaultKeywords = [...]struct {
	mask uint64
	name string
}{
	{0x1000000000000, "Response Time"},
	{0x4000000000000, "WDI Diag"},
	{0x8000000000000, "SQM"},
	{0x10000000000000, "Audit Failure"},
	{0x20000000000000, "Audit Success"},
	{0x40000000000000, "Correlation Hint"},
	{0x80000000000000, "Classic"},
}

var defaultOpcodes = [...]string{"Info", "Start", "Stop", "DCStart", "DCStop", "Extension", "Reply", "Resume", "Suspend", "Send"}

// Level 0 ("Log Always") is shown as Information by Event Viewer and
// winlogbeat; the pipelines lowercase the name into log.level.
var defaultLevels = [...]string{"information", "critical", "error", "warning", "information", "verbose"}

// timestampLayout is how Elasticsearch's date processor (and libbeat for
// @timestamp) writes a date: milliseconds, always three digits, UTC.
const timestampLayout = "2006-01-02T15:04:05.000Z"

func formatTimestamp(t time.Time) string {
	return t.UTC().Format(timestampLayout)
}

// mapCommon sets the fields every record gets: winlogbeat's read-time
// fields (Event.Fields and the record-to-event step that moves outcome and
// level to event.outcome and log.level) and the evidence location.
func mapCommon(d Doc, r *evtx.Record) {
	d["@timestamp"] = formatTimestamp(r.TimeCreated)
	d["ecs.version"] = securityECSVersion
	d["event.code"] = strconv.Itoa(r.EventID)
	d["event.kind"] = "event"
	putString(d, "event.provider", r.Provider)
	putString(d, "host.name", r.Computer)
	d["host.os.type"] = "windows"
	putString(d, "log.file.path", r.Path)

	keywords, _ := strconv.ParseUint(r.Keywords, 0, 64)
	switch {
	case keywords&keywordAuditFailure != 0:
		d["event.outcome"] = "failure"
	case keywords&keywordAuditSuccess != 0:
		d["event.outcome"] = "success"
	}
	level := 0
	if r.Level != nil {
		level = *r.Level
	}
	if level >= 0 && level < len(defaultLevels) {
		d["log.level"] = defaultLevels[level]
	}

	putString(d, "winlog.channel", r.Channel)
	putString(d, "winlog.computer_name", r.Computer)
	d["winlog.event_id"] = strconv.Itoa(r.EventID)
	// Both pipelines convert record_id to a string. It is the evidence
	// anchor, so it is kept even when zero.
	d["winlog.record_id"] = strconv.FormatUint(r.RecordID, 10)
	putString(d, "winlog.provider_name", r.Provider)
	putString(d, "winlog.provider_guid", r.ProviderGUID)
	if task, ok := taskName(r); ok {
		d["winlog.task"] = task
	}
	if r.Opcode != nil && *r.Opcode >= 0 && *r.Opcode < len(defaultOpcodes) {
		d["winlog.opcode"] = defaultOpcodes[*r.Opcode]
	}
	// winlogbeat's AddOptional drops zero values: version 0, pid 0.
	if r.Version != nil && *r.Version != 0 {
		d["winlog.version"] = int64(*r.Version)
	}
	var names []string
	for _, k := range defaultKeywords {
		if keywords&k.mask != 0 {
			names = append(names, k.name)
		}
	}
	if names != nil {
		d["winlog.keywords"] = names
	}
	putString(d, "winlog.activity_id", r.ActivityID)
	if r.ProcessID != nil && *r.ProcessID != 0 {
		d["winlog.process.pid"] = int64(*r.ProcessID)
	}
	if r.ThreadID != nil && *r.ThreadID != 0 {
		d["winlog.process.thread.id"] = int64(*r.ThreadID)
	}
	putString(d, "winlog.user.identifier", r.UserID)
	if !r.TimeCreated.IsZero() {
		d["winlog.time_created"] = r.TimeCreated.UTC().Format(time.RFC3339Nano)
	}
	for k, v := range r.UserData {
		if v = removeWindowsLineEndings(v); v != "" {
			d["winlog.user_data."+k] = v
		}
	}
}

// taskName renders System/Task the way winlogbeat does without the
// original host's publisher metadata; see the package comment.
func taskName(r *evtx.Record) (string, bool) {
	task := 0
	if r.Task != nil {
		task = *r.Task
	}
	switch {
	case task == 0:
		return "None", true
	case r.Provider == securityProvider:
		if name, ok := lookupBlocks(subcategoryBlocks, task); ok {
			return name, true
		}
	case r.Provider == sysmonProvider:
		if name, ok := sysmonTasks[task]; ok {
			return name, true
		}
	}
	return "", false
}

// sysmonTasks are the Sysmon task names seen in Elastic's golden files
// (elastic/beats x-pack/winlogbeat/module/sysmon/test/testdata/ingest/
// sysmon-12-processcreate.golden.json, sysmon-12-loadimage.golden.json and
// sysmon-9.01.golden.json); other Sysmon tasks get no winlog.task.
var sysmonTasks = map[int]string{
	1:  "Process Create (rule: ProcessCreate)",
	4:  "Sysmon service state changed",
	5:  "Process terminated (rule: ProcessTerminate)",
	7:  "Image loaded (rule: ImageLoad)",
	16: "Sysmon config state changed",
}

// eventData returns a working copy of the record's event data as winlogbeat
// stores it (AddPairs: empty values skipped, CRLF made LF, trailing LF
// trimmed) after the pipelines' first step, which drops null, "", "-" and
// the zero GUID (both sysmon_operational default.yml and
// system_security_default.yml).
func eventData(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		v = removeWindowsLineEndings(v)
		if v == "" || v == "-" || v == zeroGUID {
			continue
		}
		out[k] = v
	}
	return out
}

// removeWindowsLineEndings is winlogbeat's sys.RemoveWindowsLineEndings:
// CRLF becomes LF and trailing LFs go; other trailing space stays.
func removeWindowsLineEndings(s string) string {
	if strings.Contains(s, "\r\n") {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	return strings.TrimRight(s, "\n")
}

// putEventData writes what is left of the event data after the mappers
// moved fields out of it.
func putEventData(d Doc, data map[string]string) {
	for k, v := range data {
		d["winlog.event_data."+k] = v
	}
}

func putString(d Doc, key, value string) {
	if value != "" {
		d[key] = value
	}
}

// appendUnique appends v to the []string at key unless it is already there
// (the ingest append processor with allow_duplicates: false, and the
// scripts' "if (!list.contains(x)) list.add(x)").
func appendUnique(d Doc, key, v string) {
	list, _ := d[key].([]string)
	for _, have := range list {
		if have == v {
			return
		}
	}
	d[key] = append(list, v)
}

// lastPathElement is what both pipelines use for process.name: the text
// after the last backslash, the whole string if there is none (security's
// splitOnToken("\\")[-1]). The Sysmon pipeline differs for paths without a
// backslash; see sysmonProcessName.
func lastPathElement(path string) string {
	return path[strings.LastIndexByte(path, '\\')+1:]
}

// dropBlank is system_security_default.yml's final "drop null values"
// script over the flat document: strings whose Java trim() is empty go,
// blank strings inside lists go, and lists left empty go.
func dropBlank(d Doc) {
	for k, v := range d {
		switch v := v.(type) {
		case string:
			if javaBlank(v) {
				delete(d, k)
			}
		case []string:
			kept := v[:0:0]
			for _, s := range v {
				if !javaBlank(s) {
					kept = append(kept, s)
				}
			}
			if len(kept) == 0 {
				delete(d, k)
			} else if len(kept) != len(v) {
				d[k] = kept
			}
		}
	}
}
