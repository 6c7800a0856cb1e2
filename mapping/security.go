package mapping

import (
	"fmt"
	"strings"

	"github.com/shadowscan/shadowscan/evtx"
)

// mapSecurity applies the parts of the system integration's security
// pipeline that concern 4688 and 4656 (and the message-table descriptions
// any Security-Auditing event gets), in the order of elastic/integrations
// packages/system/data_stream/security/elasticsearch/ingest_pipeline/
// standard.yml. system_security_default.yml's first step (dropping "-" and
// friends) already happened in eventData; its last one (dropBlank) runs in
// Map after the event data is written back.
func mapSecurity(d Doc, r *evtx.Record, data map[string]string) {
	if r.EventID == 4688 {
		d["event.category"] = EventCategories(r)
		d["event.type"] = []string{"start"}
		d["event.action"] = "created-process"
	}
	describeAccess(d, data)
	if r.EventID == 4688 {
		copySubjectUser(d, data)
		copyTargetUserToEffective(d, data)
	}
	// set winlog.logon.id copy_from SubjectLogonId (every event).
	putString(d, "winlog.logon.id", data["SubjectLogonId"])
	switch r.EventID {
	case 4688:
		if err := mapProcessCreated(d, data); err != nil {
			// The standard pipeline's on_failure: error.message, and the
			// rest of that pipeline is skipped; system_security_default.yml
			// then marks the event.
			d["error.message"] = err.Error()
			d["event.kind"] = "pipeline_error"
			d["tags"] = []string{"preserve_original_event"}
			return
		}
		if u := data["TargetUserName"]; u != "" {
			appendUnique(d, "related.user", u)
		}
	case 4656:
		mapHandleRequestExtension(d, data)
	}
}

// copySubjectUser is the "Copy Subject User from Event Data" script:
// user.id, user.name (+ related.user) and user.domain from Subject*.
func copySubjectUser(d Doc, data map[string]string) {
	if v, ok := data["SubjectUserSid"]; ok {
		d["user.id"] = v
	}
	if v, ok := data["SubjectUserName"]; ok {
		d["user.name"] = v
		appendUnique(d, "related.user", v)
	}
	if v, ok := data["SubjectDomainName"]; ok {
		d["user.domain"] = v
	}
}

// copyTargetUserToEffective is the "Copy Target User to Effective" script
// (4648, 4688): user.effective.* from Target*, the name cut at "@".
func copyTargetUserToEffective(d Doc, data map[string]string) {
	putString(d, "user.effective.id", data["TargetUserSid"])
	if name := data["TargetUserName"]; name != "" {
		if i := strings.Index(name, "@"); i >= 0 {
			name = name[:i]
		}
		d["user.effective.name"] = name
		appendUnique(d, "related.user", name)
	}
	putString(d, "user.effective.domain", data["TargetDomainName"])
}

// mapProcessCreated is the "Process Event 4688" script. Process ids are
// decoded with Long.decode, so "0x11cc" is stored as 4556; NewProcessId,
// NewProcessName and ParentProcessName leave the event data, ProcessId and
// CommandLine stay. process.args uses SplitCommandLineSecurity; there is no
// args_count for 4688. An id Long.decode rejects fails the script where it
// stands, as in Elasticsearch.
func mapProcessCreated(d Doc, data map[string]string) error {
	if v, ok := data["NewProcessId"]; ok {
		pid, err := javaLongDecode(v)
		if err != nil {
			return scriptError("Process Event 4688", v)
		}
		d["process.pid"] = pid
		delete(data, "NewProcessId")
	}
	if v, ok := data["NewProcessName"]; ok {
		d["process.executable"] = v
		delete(data, "NewProcessName")
	}
	if v, ok := data["ParentProcessName"]; ok {
		d["process.parent.executable"] = v
		delete(data, "ParentProcessName")
	}
	if exe, ok := d["process.executable"].(string); ok {
		d["process.name"] = lastPathElement(exe)
	}
	if exe, ok := d["process.parent.executable"].(string); ok {
		d["process.parent.name"] = lastPathElement(exe)
	}
	if v, ok := data["ProcessId"]; ok {
		pid, err := javaLongDecode(v)
		if err != nil {
			return scriptError("Process Event 4688", v)
		}
		d["process.parent.pid"] = pid
	}
	if cmd, ok := data["CommandLine"]; ok {
		if args := SplitCommandLineSecurity(cmd); args != nil {
			d["process.args"] = args
		}
		d["process.command_line"] = cmd
	}
	return nil
}

func scriptError(tag, input string) error {
	return fmt.Errorf("Processor \"script\" with tag %q failed with message \"java.lang.NumberFormatException: For input string: %q\"", tag, input)
}

// describeAccess is the AccessList/AccessMask part of the "Decode message
// table" script, in the shape of the newest golden files
// (test-4663.json-expected.json, test-4659.json-expected.json): AccessList
// becomes the list of message ids without "%%", AccessListDescription their
// texts (unknown ids skipped, repeats kept); AccessMask becomes the list of
// masks, AccessMaskDescription the names of the flags each mask fully
// contains, without repeats, in Elasticsearch's iteration order. A mask
// Long.decode rejects gets no description here; Elasticsearch would fail
// the script (a pipeline_error document), which no real 4656 triggers.
func describeAccess(d Doc, data map[string]string) {
	if list, ok := data["AccessList"]; ok {
		var codes, descriptions []string
		for _, piece := range javaSplitWhitespace(list) {
			code := javaTrim(removePercents(piece))
			if code == "" {
				continue
			}
			codes = append(codes, code)
			if text, ok := messageDescription(code); ok {
				descriptions = append(descriptions, text)
			}
		}
		delete(data, "AccessList")
		if codes != nil {
			d["winlog.event_data.AccessList"] = codes
		}
		if descriptions != nil {
			d["winlog.event_data.AccessListDescription"] = descriptions
		}
	}
	if mask, ok := data["AccessMask"]; ok {
		var masks []string
		for _, piece := range javaSplitWhitespace(mask) {
			m := javaTrim(removePercents(piece))
			if m == "" {
				continue
			}
			masks = append(masks, m)
			v, err := javaLongDecode(m)
			if err != nil {
				continue
			}
			for _, i := range accessMaskIterationOrder {
				f := accessMaskFlags[i]
				if v&f.mask == f.mask {
					appendUnique(d, "winlog.event_data.AccessMaskDescription", f.name)
				}
			}
		}
		delete(data, "AccessMask")
		if masks != nil {
			d["winlog.event_data.AccessMask"] = masks
		}
	}
}

// removePercents is strings.ReplaceAll(s, "%%", "") without a copy for the
// usual "%%1537": a leading "%%" and no other is a substring.
func removePercents(s string) string {
	rest := strings.TrimPrefix(s, "%%")
	if !strings.Contains(rest, "%%") {
		return rest
	}
	return strings.ReplaceAll(s, "%%", "")
}

// mapHandleRequestExtension adds the documented 4656 extension (see the
// package comment): process.pid/executable/name from ProcessId/ProcessName
// and file.path or registry.path from ObjectName. Raw fields stay.
func mapHandleRequestExtension(d Doc, data map[string]string) {
	if v, ok := data["ProcessId"]; ok {
		if pid, err := javaLongDecode(v); err == nil {
			d["process.pid"] = pid
		}
	}
	if exe, ok := data["ProcessName"]; ok {
		d["process.executable"] = exe
		d["process.name"] = lastPathElement(exe)
	}
	if name, ok := data["ObjectName"]; ok {
		switch data["ObjectType"] {
		case "File":
			d["file.path"] = name
		case "Key":
			d["registry.path"] = name
		}
	}
}
