package mapping

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shadowscan/shadowscan/evtx"
)

// mapSysmonTime applies the Sysmon pipeline's time handling, which every
// Sysmon event goes through: TimeCreated moves to event.created (the
// winlog.time_created field is removed) and @timestamp becomes UtcTime, the
// time Sysmon saw the activity, when it parses (format yyyy-MM-dd
// HH:mm:ss.SSS, UTC; ignore_failure). UtcTime is then removed.
func mapSysmonTime(d Doc, r *evtx.Record, data map[string]string) {
	d["ecs.version"] = sysmonECSVersion
	if !r.TimeCreated.IsZero() {
		// mapCommon set @timestamp from TimeCreated.
		d["event.created"] = d["@timestamp"]
	}
	// winlog.time_created: mapCommon does not set it for Sysmon records.
	if utc, ok := data["UtcTime"]; ok {
		if t, ok := parseUtcTime(utc); ok {
			d["@timestamp"] = formatTimestamp(t)
		}
		delete(data, "UtcTime")
	}
}

// utcTimeLayout is Sysmon's UtcTime, yyyy-MM-dd HH:mm:ss.SSS.
const utcTimeLayout = "2006-01-02 15:04:05.000"

// parseUtcTime is time.Parse(utcTimeLayout, s), with the strict form
// Sysmon writes read digit by digit (it is parsed for every Sysmon
// record); anything else is time.Parse's to judge.
func parseUtcTime(s string) (time.Time, bool) {
	if len(s) == len(utcTimeLayout) && s[4] == '-' && s[7] == '-' && s[10] == ' ' && s[13] == ':' && s[16] == ':' && s[19] == '.' {
		num := func(from, to int) int {
			n := 0
			for i := from; i < to; i++ {
				c := s[i]
				if c < '0' || c > '9' {
					return -1
				}
				n = n*10 + int(c-'0')
			}
			return n
		}
		y, mo, d := num(0, 4), num(5, 7), num(8, 10)
		h, mi, sec, ms := num(11, 13), num(14, 16), num(17, 19), num(20, 23)
		if y >= 0 && mo >= 1 && mo <= 12 && d >= 1 && h >= 0 && h < 24 && mi >= 0 && mi < 60 && sec >= 0 && sec < 60 && ms >= 0 {
			t := time.Date(y, time.Month(mo), d, h, mi, sec, ms*int(time.Millisecond), time.UTC)
			if t.Day() == d { // else the day is past the month's end: Parse refuses it
				return t, true
			}
		}
	}
	t, err := time.Parse(utcTimeLayout, s)
	return t, err == nil
}

// mapSysmonProcessCreate applies the Sysmon pipeline to event 1 (Process
// creation), processor by processor in the pipeline's order:
// elastic/integrations packages/windows/data_stream/sysmon_operational/
// elasticsearch/ingest_pipeline/default.yml. Fields set:
//
//	event.category [process], event.type [start],
//	event.action "Process creation", rule.name,
//	process.{entity_id, pid, executable, name, command_line, args,
//	args_count, working_directory},
//	process.parent.{entity_id, pid, executable, name, command_line, args,
//	args_count},
//	process.pe.{original_file_name, company, description, file_version,
//	product, imphash}, process.hash.*, related.hash,
//	user.{id, domain, name}, related.user.
//
// Moved event data fields leave winlog.event_data (the pipeline renames or
// removes them); Company, Description, FileVersion and Product are copied
// and stay.
func mapSysmonProcessCreate(d Doc, r *evtx.Record, data map[string]string) {
	d["event.category"] = EventCategories(r)
	d["event.type"] = []string{"start"}
	d["event.action"] = "Process creation"

	moveString(d, data, "RuleName", "rule.name")

	// Hash is renamed to Hashes, then kv-split on "," and "=".
	if h, ok := data["Hash"]; ok {
		data["Hashes"] = h
		delete(data, "Hash")
	}
	if hashes, ok := data["Hashes"]; ok {
		mapSysmonHashes(d, hashes)
	}

	moveString(d, data, "ProcessGuid", "process.entity_id")
	convertLong(d, data, "ProcessId", "process.pid")
	moveString(d, data, "Image", "process.executable")
	moveString(d, data, "CommandLine", "process.command_line")
	moveString(d, data, "CurrentDirectory", "process.working_directory")
	moveString(d, data, "ParentProcessGuid", "process.parent.entity_id")
	convertLong(d, data, "ParentProcessId", "process.parent.pid")
	moveString(d, data, "ParentImage", "process.parent.executable")
	moveString(d, data, "ParentCommandLine", "process.parent.command_line")
	// Sysmon before 10.0 has no OriginalFileName: then no field at all.
	moveString(d, data, "OriginalFileName", "process.pe.original_file_name")
	copyString(d, data, "Company", "process.pe.company")
	copyString(d, data, "Description", "process.pe.description")
	copyString(d, data, "FileVersion", "process.pe.file_version")
	copyString(d, data, "Product", "process.pe.product")

	for _, f := range [...]struct{ commandLine, args, argsCount, executable, name string }{
		{"process.command_line", "process.args", "process.args_count", "process.executable", "process.name"},
		{"process.parent.command_line", "process.parent.args", "process.parent.args_count", "process.parent.executable", "process.parent.name"},
	} {
		if cmd, ok := d[f.commandLine].(string); ok && cmd != "" {
			args := SplitCommandLineWindows(cmd)
			d[f.args] = args
			d[f.argsCount] = int64(len(args))
		}
		if exe, ok := d[f.executable].(string); ok {
			if name := sysmonProcessName(exe); name != "" {
				d[f.name] = name
			}
		}
	}

	// user.id is copied from winlog.user.identifier; User (DOMAIN\name) is
	// split on the backslash by the split processor (Java String.split, so
	// trailing empty parts vanish) and used only when it has two parts.
	putString(d, "user.id", r.UserID)
	if user, ok := data["User"]; ok {
		parts := strings.Split(user, `\`)
		for len(parts) > 0 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1]
		}
		if len(parts) == 2 {
			putString(d, "user.domain", parts[0])
			putString(d, "user.name", parts[1])
		}
	}
	if name, ok := d["user.name"].(string); ok && name != "" {
		appendUnique(d, "related.user", name)
	}

	// Cleanup: fields the pipeline removes after using them.
	for _, k := range [...]string{"ProcessId", "ParentProcessId", "RuleName", "User", "Hash", "Hashes"} {
		delete(data, k)
	}
}

// sysmonProcessName is the Sysmon pipeline's getProcessName: the text after
// the last backslash, and nothing when there is no backslash (unlike the
// security pipeline, which takes the whole string).
func sysmonProcessName(path string) string {
	i := strings.LastIndexByte(path, '\\')
	if i < 0 {
		return ""
	}
	return path[i+1:]
}

// mapSysmonHashes reproduces the kv processor and the hash script: pairs
// split on "," and "=", keys and values lowercased, empty and all-zero
// hashes skipped; process.hash.<alg>, process.pe.imphash and related.hash.
// related.hash follows the iteration order of the kv target, a Java
// HashMap keyed by the upper-case names. A pair without "=" makes the kv
// processor fail (ignore_failure), which leaves no hash fields at all.
func mapSysmonHashes(d Doc, hashes string) {
	pairs := strings.Split(hashes, ",")
	// Java's String.split drops trailing empty strings ("MD5=x," is one pair).
	for len(pairs) > 0 && pairs[len(pairs)-1] == "" {
		pairs = pairs[:len(pairs)-1]
	}
	keys := make([]string, 0, len(pairs))
	values := make([]string, 0, len(pairs))
	// Sysmon writes at most four pairs: a linear search finds repeats;
	// hostile input with many pairs gets a set, so it stays linear.
	var seen map[string]bool
	if len(pairs) > 8 {
		seen = make(map[string]bool, len(pairs))
	}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return
		}
		if seen != nil && seen[k] || seen == nil && slices.Contains(keys, k) {
			continue // a repeated algorithm: the first value is kept
		}
		if seen != nil {
			seen[k] = true
		}
		keys = append(keys, k)
		values = append(values, v)
	}
	var related []string
	for _, i := range javaHashMapOrder(keys) {
		v := strings.ToLower(values[i])
		if strings.Trim(v, "0") == "" {
			continue
		}
		d[hashField(keys[i])] = v
		related = append(related, v)
	}
	if related != nil {
		d["related.hash"] = related
	}
}

// hashField names the field of one Sysmon hash algorithm: the algorithm
// lower-cased under process.hash, except IMPHASH; the names Sysmon writes
// are constants, so only unusual spellings build a string.
func hashField(alg string) string {
	switch alg {
	case "MD5":
		return "process.hash.md5"
	case "SHA1":
		return "process.hash.sha1"
	case "SHA256":
		return "process.hash.sha256"
	case "IMPHASH":
		return "process.pe.imphash"
	}
	alg = strings.ToLower(alg)
	if alg == "imphash" {
		return "process.pe.imphash"
	}
	return "process.hash." + alg
}

// moveString is the pipelines' rename of a non-empty event data field.
func moveString(d Doc, data map[string]string, from, to string) {
	if v, ok := data[from]; ok {
		delete(data, from)
		if v != "" {
			d[to] = v
		}
	}
}

// copyString is "set copy_from ... ignore_empty_value": the source stays.
func copyString(d Doc, data map[string]string, from, to string) {
	if v := data[from]; v != "" {
		d[to] = v
	}
}

// convertLong is the convert processor (type long, ignore_failure): the
// source stays in event data (the cleanup step removes it) and the target
// is set only when the value parses.
func convertLong(d Doc, data map[string]string, from, to string) {
	v, ok := data[from]
	if !ok {
		return
	}
	if n, ok := parseConvertLong(v); ok {
		d[to] = n
	}
}

// parseConvertLong is Elasticsearch's ConvertProcessor LONG (elastic/
// elasticsearch modules/ingest-common/src/main/java/org/elasticsearch/
// ingest/common/ConvertProcessor.java): Long.decode for values starting
// "0x" or "-0x", Long.parseLong (decimal) otherwise.
func parseConvertLong(s string) (int64, bool) {
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "-0x") {
		n, err := javaLongDecode(s)
		return n, err == nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
