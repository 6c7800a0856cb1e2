package evtx

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

var errNoEvent = errors.New("record holds no Event element")

// recordFromXML fills a Record from a rendered record: the System fields,
// EventData by @Name (unnamed Data as param1..N, as winlogbeat names them)
// and the leaf elements of UserData.
func recordFromXML(root *xmlNode) (*Record, error) {
	ev := root.child("Event")
	if ev == nil {
		return nil, errNoEvent
	}
	sys := ev.child("System")
	if sys == nil {
		return nil, errors.New("record has no System element")
	}
	r := &Record{}
	text := func(name string) (string, bool) {
		if n := sys.child(name); n != nil {
			return strings.TrimSpace(n.text.String()), true
		}
		return "", false
	}
	attr := func(elem, name string) string {
		if n := sys.child(elem); n != nil {
			v, _ := n.attr(name)
			return v
		}
		return ""
	}
	r.Provider = attr("Provider", "Name")
	if r.Provider == "" {
		r.Provider = attr("Provider", "EventSourceName")
	}
	r.ProviderGUID = attr("Provider", "Guid")
	if s, ok := text("EventID"); ok {
		id, err := strconv.ParseUint(s, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("EventID %q: %w", s, err)
		}
		r.EventID = int(id)
		if q, err := strconv.Atoi(attr("EventID", "Qualifiers")); err == nil {
			r.Qualifiers = &q
		}
	}
	r.Version = optInt(text("Version"))
	r.Level = optInt(text("Level"))
	r.Task = optInt(text("Task"))
	r.Opcode = optInt(text("Opcode"))
	r.Keywords, _ = text("Keywords")
	if st := attr("TimeCreated", "SystemTime"); st != "" {
		t, err := time.Parse(time.RFC3339Nano, st)
		if err != nil {
			return nil, fmt.Errorf("TimeCreated %q: %w", st, err)
		}
		r.TimeCreated = t.UTC()
	}
	if s, ok := text("EventRecordID"); ok {
		id, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("EventRecordID %q: %w", s, err)
		}
		r.RecordID = id
	}
	r.ActivityID = attr("Correlation", "ActivityID")
	r.ProcessID = optUint32(attr("Execution", "ProcessID"))
	r.ThreadID = optUint32(attr("Execution", "ThreadID"))
	r.Channel, _ = text("Channel")
	r.Computer, _ = text("Computer")
	r.UserID = attr("Security", "UserID")

	if ed := ev.child("EventData"); ed != nil {
		r.EventData = eventData(ed)
	}
	if ud := ev.child("UserData"); ud != nil {
		r.UserData = map[string]string{}
		for _, c := range ud.children {
			leaves(c, r.UserData)
		}
	}
	return r, nil
}

// eventData maps EventData's children: Data by @Name, unnamed Data as
// param1..N, other elements (Binary) by their element name.
func eventData(ed *xmlNode) map[string]string {
	m := make(map[string]string, len(ed.children))
	unnamed := 0
	for _, d := range ed.children {
		key := d.name
		if d.name == "Data" {
			if name, ok := d.attr("Name"); ok && name != "" {
				key = name
			} else {
				unnamed++
				key = "param" + strconv.Itoa(unnamed)
			}
		}
		put(m, key, d.text.String())
	}
	return m
}

// leaves adds the leaf elements under n, by element name.
func leaves(n *xmlNode, m map[string]string) {
	if len(n.children) == 0 {
		put(m, n.name, n.text.String())
		return
	}
	for _, c := range n.children {
		leaves(c, m)
	}
}

// put stores v under key; a repeated key gets a numeric suffix (key_2,
// key_3...) so no value is dropped.
func put(m map[string]string, key, v string) {
	if _, dup := m[key]; !dup {
		m[key] = v
		return
	}
	for i := 2; ; i++ {
		k := key + "_" + strconv.Itoa(i)
		if _, dup := m[k]; !dup {
			m[k] = v
			return
		}
	}
}

func optInt(s string, ok bool) *int {
	if !ok {
		return nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return nil
	}
	return &v
}

func optUint32(s string) *uint32 {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return nil
	}
	u := uint32(v)
	return &u
}
