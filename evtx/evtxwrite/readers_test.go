package evtxwrite_test

// Independent readers of the files the writer produces: golang-evtx (chunk
// and record API), libevtx (evtxexport/evtxinfo) and python-evtx
// (evtx_dump.py). Each turns a file into one flat map per record, keyed by
// the paths expectedFields uses, holding the reader's own rendering.

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	goevtx "github.com/0xrawsec/golang-evtx/evtx"

	"github.com/shadowscan/shadowscan/evtx/evtxwrite"
)

type flatRecord map[string]string

// stringTableOffset is where a chunk's common string table starts, right
// after the 128-byte chunk header fields.
const stringTableOffset = 128

// readGolangEvtx decodes data chunk by chunk with golang-evtx's chunk and
// record API, failing on any error or panic.
func readGolangEvtx(t *testing.T, data []byte) (records []flatRecord) {
	t.Helper()
	for off := evtxwrite.FileHeaderSize; off+evtxwrite.ChunkSize <= len(data); off += evtxwrite.ChunkSize {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("golang-evtx panicked on chunk at %#x: %v", off, r)
				}
			}()
			c := goevtx.NewChunk()
			c.Offset = int64(off)
			c.Data = data[off : off+evtxwrite.ChunkSize]
			r := bytes.NewReader(c.Data)
			c.ParseChunkHeader(r)
			if err := c.Header.Validate(); err != nil {
				t.Fatalf("golang-evtx: chunk at %#x: %v", off, err)
			}
			if _, err := r.Seek(stringTableOffset, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			c.ParseStringTable(r)
			if err := c.ParseTemplateTable(r); err != nil {
				t.Fatalf("golang-evtx: template table of chunk at %#x: %v", off, err)
			}
			if err := c.ParseEventOffsets(r); err != nil {
				t.Fatalf("golang-evtx: event offsets of chunk at %#x: %v", off, err)
			}
			for _, eo := range c.EventOffsets {
				if int64(eo) > int64(c.Header.OffsetLastRec) {
					continue // ParseEventOffsets lists the end of the last record too
				}
				ev := c.ParseEvent(int64(eo))
				gem, err := ev.GoEvtxMap(&c)
				if err != nil {
					t.Fatalf("golang-evtx: record at chunk %#x offset %#x: %v", off, eo, err)
				}
				records = append(records, flattenGoEvtx(*gem))
			}
		}()
	}
	return records
}

func flattenGoEvtx(m goevtx.GoEvtxMap) flatRecord {
	out := flatRecord{}
	event, _ := m["Event"].(goevtx.GoEvtxMap)
	sys, _ := event["System"].(goevtx.GoEvtxMap)
	get := func(m goevtx.GoEvtxMap, keys ...string) string {
		var v any = m
		for _, k := range keys {
			mm, ok := v.(goevtx.GoEvtxMap)
			if !ok {
				return ""
			}
			v = mm[k]
		}
		return goevtxString(v)
	}
	put := func(path string, v string) {
		if v != "" {
			out[path] = v
		}
	}
	put("System/Provider@Name", get(sys, "Provider", "Name"))
	if _, ok := sys["Provider"]; !ok {
		// golang-evtx quirk: an element whose only attribute is Name is
		// taken for <Data Name="...">, so <Provider Name="X"/> without a
		// Guid becomes the key "X" with an empty value.
		for k, v := range sys {
			if v == "" && !systemElements[k] {
				put("System/Provider@Name", k)
			}
		}
	}
	put("System/Provider@Guid", get(sys, "Provider", "Guid"))
	if q, ok := sys["EventID"].(goevtx.GoEvtxMap); ok {
		put("System/EventID", get(q, "Value"))
		put("System/EventID@Qualifiers", get(q, "Qualifiers"))
	} else {
		put("System/EventID", get(sys, "EventID"))
	}
	for _, k := range []string{"Version", "Level", "Task", "Opcode", "Keywords", "EventRecordID", "Channel", "Computer"} {
		put("System/"+k, get(sys, k))
	}
	put("System/TimeCreated@SystemTime", get(sys, "TimeCreated", "SystemTime"))
	put("System/Correlation@ActivityID", get(sys, "Correlation", "ActivityID"))
	put("System/Correlation@RelatedActivityID", get(sys, "Correlation", "RelatedActivityID"))
	put("System/Execution@ProcessID", get(sys, "Execution", "ProcessID"))
	put("System/Execution@ThreadID", get(sys, "Execution", "ThreadID"))
	put("System/Security@UserID", get(sys, "Security", "UserID"))
	if ed, ok := event["EventData"].(goevtx.GoEvtxMap); ok {
		for k, v := range ed {
			put("EventData/"+k, goevtxString(v))
		}
	}
	if ud, ok := event["UserData"].(goevtx.GoEvtxMap); ok {
		for elem, v := range ud {
			if fields, ok := v.(goevtx.GoEvtxMap); ok {
				for k, fv := range fields {
					if strings.HasPrefix(k, "xmlns") {
						continue // the element's namespace attributes, not fields
					}
					put("UserData/"+elem+"/"+k, goevtxString(fv))
				}
			}
		}
	}
	return out
}

// systemElements are the children of System golang-evtx reports by name.
var systemElements = map[string]bool{"EventID": true, "Version": true, "Level": true, "Task": true, "Opcode": true,
	"Keywords": true, "TimeCreated": true, "EventRecordID": true, "Correlation": true, "Execution": true,
	"Channel": true, "Computer": true, "Security": true}

func goevtxString(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case goevtx.UTCTime:
		return time.Time(v).UTC().Format(time.RFC3339Nano)
	case goevtx.GoEvtxMap:
		return "" // an element without a value (e.g. empty Correlation)
	default:
		return fmt.Sprint(v)
	}
}

// The XML both libevtx and python-evtx print.
type xmlEvent struct {
	System struct {
		Provider struct {
			Name string `xml:"Name,attr"`
			Guid string `xml:"Guid,attr"`
		}
		EventID struct {
			Qualifiers string `xml:"Qualifiers,attr"`
			Value      string `xml:",chardata"`
		}
		Version, Level, Task, Opcode, Keywords, EventRecordID, Channel, Computer string
		TimeCreated                                                              struct {
			SystemTime string `xml:"SystemTime,attr"`
		}
		Correlation struct {
			ActivityID        string `xml:"ActivityID,attr"`
			RelatedActivityID string `xml:"RelatedActivityID,attr"`
		}
		Execution struct {
			ProcessID string `xml:"ProcessID,attr"`
			ThreadID  string `xml:"ThreadID,attr"`
		}
		Security struct {
			UserID string `xml:"UserID,attr"`
		}
	}
	EventData struct {
		Data []struct {
			Name  string `xml:"Name,attr"`
			Value string `xml:",chardata"`
		}
	}
	UserData struct {
		Elements []xmlAny `xml:",any"`
	}
}

type xmlAny struct {
	XMLName  xml.Name
	Children []xmlAny `xml:",any"`
	Text     string   `xml:",chardata"`
}

func (x *xmlEvent) flat() flatRecord {
	out := flatRecord{}
	put := func(path, v string) {
		if v = strings.TrimSpace(v); v != "" {
			out[path] = v
		}
	}
	s := &x.System
	put("System/Provider@Name", s.Provider.Name)
	put("System/Provider@Guid", s.Provider.Guid)
	put("System/EventID", s.EventID.Value)
	put("System/EventID@Qualifiers", s.EventID.Qualifiers)
	put("System/Version", s.Version)
	put("System/Level", s.Level)
	put("System/Task", s.Task)
	put("System/Opcode", s.Opcode)
	put("System/Keywords", s.Keywords)
	put("System/EventRecordID", s.EventRecordID)
	put("System/Channel", s.Channel)
	put("System/Computer", s.Computer)
	put("System/TimeCreated@SystemTime", s.TimeCreated.SystemTime)
	put("System/Correlation@ActivityID", s.Correlation.ActivityID)
	put("System/Correlation@RelatedActivityID", s.Correlation.RelatedActivityID)
	put("System/Execution@ProcessID", s.Execution.ProcessID)
	put("System/Execution@ThreadID", s.Execution.ThreadID)
	put("System/Security@UserID", s.Security.UserID)
	for _, d := range x.EventData.Data {
		out["EventData/"+d.Name] = d.Value // kept untrimmed: strings must survive intact
	}
	for _, e := range x.UserData.Elements {
		for _, c := range e.Children {
			out["UserData/"+e.XMLName.Local+"/"+c.XMLName.Local] = c.Text
		}
	}
	return out
}

// parseEventsXML parses a sequence of <Event> elements.
func parseEventsXML(t *testing.T, tool string, doc []byte) []flatRecord {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var out []flatRecord
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "Event" {
			var ev xmlEvent
			if err := dec.DecodeElement(&ev, &se); err != nil {
				t.Fatalf("%s: XML of record %d: %v", tool, len(out)+1, err)
			}
			out = append(out, ev.flat())
		}
	}
	return out
}

// requireTool skips the test when an external reader is not installed.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not installed (apt-get install libevtx-utils python3-evtx; CI installs it): skipping the cross-check", name)
	}
	return p
}

func runTool(t *testing.T, name string, args ...string) (stdout, stderr []byte) {
	t.Helper()
	var o, e bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, e.Bytes())
	}
	return o.Bytes(), e.Bytes()
}

// readLibevtx exports every record as XML with evtxexport and checks
// evtxinfo's record counts.
func readLibevtx(t *testing.T, path string, wantRecords int) []flatRecord {
	t.Helper()
	requireTool(t, "evtxexport")
	requireTool(t, "evtxinfo")
	info, _ := runTool(t, "evtxinfo", path)
	count := regexp.MustCompile(`Number of records\s*:\s*(\d+)`).FindSubmatch(info)
	recovered := regexp.MustCompile(`Number of recovered records\s*:\s*(\d+)`).FindSubmatch(info)
	if count == nil || recovered == nil {
		t.Fatalf("evtxinfo output not understood:\n%s", info)
	}
	if n, _ := strconv.Atoi(string(count[1])); n != wantRecords {
		t.Fatalf("evtxinfo: %d records, want %d", n, wantRecords)
	}
	if string(recovered[1]) != "0" {
		t.Fatalf("evtxinfo: %s recovered records, want 0", recovered[1])
	}
	out, errOut := runTool(t, "evtxexport", "-f", "xml", path)
	if len(bytes.TrimSpace(errOut)) > 0 {
		t.Fatalf("evtxexport complained:\n%s", errOut)
	}
	return parseEventsXML(t, "evtxexport", out)
}

// readPythonEvtx renders the file with python-evtx's evtx_dump.py.
func readPythonEvtx(t *testing.T, path string) []flatRecord {
	t.Helper()
	requireTool(t, "evtx_dump.py")
	out, errOut := runTool(t, "evtx_dump.py", path)
	if len(bytes.TrimSpace(errOut)) > 0 {
		t.Fatalf("evtx_dump.py complained:\n%s", errOut)
	}
	// python-evtx declares XML 1.1, which encoding/xml refuses; the
	// content is 1.0-compatible.
	if i := bytes.Index(out, []byte("?>")); bytes.HasPrefix(bytes.TrimSpace(out), []byte("<?xml")) && i >= 0 {
		out = out[i+2:]
	}
	return parseEventsXML(t, "evtx_dump.py", out)
}
