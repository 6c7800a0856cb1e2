package mapping

import (
	"math/bits"
	"slices"
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

// allDefaultKeywords is the union of the defaultKeywords masks.
const allDefaultKeywords = 0x1000000000000 | 0x4000000000000 | 0x8000000000000 |
	keywordAuditFailure | keywordAuditSuccess | 0x40000000000000 | 0x80000000000000

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
func (m *Mapper) mapCommon(d Doc, r *evtx.Record) {
	// The record's rendered times and numbers share one allocation.
	var buf [96]byte
	b := r.TimeCreated.UTC().AppendFormat(buf[:0], timestampLayout)
	timestampEnd := len(b)
	b = strconv.AppendInt(b, int64(r.EventID), 10)
	eventIDEnd := len(b)
	b = strconv.AppendUint(b, r.RecordID, 10)
	recordIDEnd := len(b)
	// Sysmon's pipeline removes winlog.time_created (mapSysmonTime), so
	// it is not made for Sysmon records.
	timeCreated := !r.TimeCreated.IsZero() && r.Provider != sysmonProvider
	if timeCreated {
		b = r.TimeCreated.UTC().AppendFormat(b, time.RFC3339Nano)
	}
	rendered := string(b)
	// Values stored under two keys are boxed into an interface once.
	var eventID any = rendered[timestampEnd:eventIDEnd]
	provider := boxNonEmpty(r.Provider)
	computer := boxNonEmpty(r.Computer)

	d["@timestamp"] = rendered[:timestampEnd]
	d["ecs.version"] = securityECSVersion
	d["event.code"] = eventID
	d["event.kind"] = "event"
	putBoxed(d, "event.provider", provider)
	putBoxed(d, "host.name", computer)
	d["host.os.type"] = "windows"
	putString(d, "log.file.path", r.Path)

	keywords, _ := strconv.ParseUint(r.Keywords, 0, 64)
	putString(d, "event.outcome", Outcome(r))
	level := 0
	if r.Level != nil {
		level = *r.Level
	}
	if level >= 0 && level < len(defaultLevels) {
		d["log.level"] = defaultLevels[level]
	}

	putString(d, "winlog.channel", r.Channel)
	putBoxed(d, "winlog.computer_name", computer)
	d["winlog.event_id"] = eventID
	// Both pipelines convert record_id to a string. It is the evidence
	// anchor, so it is kept even when zero.
	d["winlog.record_id"] = rendered[eventIDEnd:recordIDEnd]
	putBoxed(d, "winlog.provider_name", provider)
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
	if known := keywords & allDefaultKeywords; known != 0 {
		names := make([]string, 0, bits.OnesCount64(known))
		for _, k := range defaultKeywords {
			if keywords&k.mask != 0 {
				names = append(names, k.name)
			}
		}
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
	if timeCreated {
		d["winlog.time_created"] = rendered[recordIDEnd:]
	}
	for k, v := range r.UserData {
		if v = removeWindowsLineEndings(v); v != "" {
			d[cachedKey(m.userKeys, "winlog.user_data.", k)] = v
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
func (m *Mapper) eventData(in map[string]string) map[string]string {
	out := m.data
	if out == nil {
		out = make(map[string]string, len(in))
	} else {
		clear(out)
	}
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
	if strings.IndexByte(s, '\r') >= 0 && strings.Contains(s, "\r\n") {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	for len(s) > 0 && s[len(s)-1] == '\n' {
		s = s[:len(s)-1]
	}
	return s
}

// putEventData writes what is left of the event data after the mappers
// moved fields out of it.
func (m *Mapper) putEventData(d Doc, data map[string]string) {
	for k, v := range data {
		d[cachedKey(m.dataKeys, "winlog.event_data.", k)] = v
	}
}

// cachedKey returns prefix+name, from cache when it holds it; a nil cache
// caches nothing, and a full one keeps what it has.
func cachedKey(cache map[string]string, prefix, name string) string {
	if key, ok := cache[name]; ok {
		return key
	}
	key := prefix + name
	if cache != nil && len(cache) < maxCachedKeys {
		cache[name] = key
	}
	return key
}

// boxNonEmpty returns s as an interface value, nil when s is empty.
func boxNonEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// putBoxed is putString for a value from boxNonEmpty.
func putBoxed(d Doc, key string, v any) {
	if v != nil {
		d[key] = v
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
			// Copy only a list that holds a blank string: the others stay
			// as they are, without allocating.
			first := slices.IndexFunc(v, javaBlank)
			if first < 0 {
				continue
			}
			kept := slices.Clone(v[:first])
			for _, s := range v[first+1:] {
				if !javaBlank(s) {
					kept = append(kept, s)
				}
			}
			if len(kept) == 0 {
				delete(d, k)
			} else {
				d[k] = kept
			}
		}
	}
}
