package evtxwrite

import (
	"strings"
	"time"
)

// Event is one event record as Event Viewer shows it: the System section
// and either EventData or UserData.
type Event struct {
	Provider     string  // System/Provider/@Name
	ProviderGUID string  // System/Provider/@Guid, "{...}"; "" omits the attribute
	EventID      uint16  // System/EventID
	Qualifiers   *uint16 // System/EventID/@Qualifiers; nil omits it (the usual case)
	Version      uint8
	Level        uint8
	Task         uint16
	Opcode       uint8
	Keywords     uint64
	TimeCreated  time.Time // System/TimeCreated/@SystemTime; also the record header's timestamp
	// RecordID is System/EventRecordID. Zero means "the record header's
	// number", which the writer assigns sequentially (see FirstRecordID).
	RecordID          uint64
	ActivityID        string // System/Correlation/@ActivityID, "" omits it
	RelatedActivityID string // System/Correlation/@RelatedActivityID, "" omits it
	ProcessID         uint32 // System/Execution/@ProcessID
	ThreadID          uint32 // System/Execution/@ThreadID
	Channel           string
	Computer          string
	UserID            string // System/Security/@UserID (a SID), "" omits it

	// EventData holds the <Data Name="..."> elements, in order. An empty
	// Name writes an unnamed <Data>.
	EventData []Data
	// UserData, when set, replaces EventData (e.g. Security 1102
	// LogFileCleared).
	UserData *UserData
}

// Data is one named value of EventData, or one child element of UserData.
type Data struct {
	Name  string
	Value Value
}

// UserData is the provider-defined element inside <UserData>: an element
// with literal attributes (typically xmlns) and one child element per
// field, each holding a substitution value.
type UserData struct {
	Element string
	Attrs   []Attr
	Fields  []Data
}

// Attr is a literal attribute of a UserData element.
type Attr struct {
	Name, Value string
}

// D is shorthand for Data{Name: name, Value: v}.
func D(name string, v Value) Data { return Data{Name: name, Value: v} }

// Indices of the System substitutions, in the order Windows' own
// rendering template uses them (observed in real logs).
const (
	subLevel = iota
	subOpcode
	subTask
	subEventID
	subQualifiers
	subKeywords
	subTimeCreated
	subActivityID
	subProcessID
	subThreadID
	subRecordID
	subVersion
	subUserID
	subRelatedActivityID
	subProviderName
	subProviderGUID
	subChannel
	subBody // the EventData or UserData fragment
	systemValues
)

const eventNamespace = "http://schemas.microsoft.com/win/2004/08/events/event"

// templates caches template definitions by shape for one writer, so every
// record of a shape shares one definition per chunk.
type templates map[string]*template

// instance converts e to the outer (System) template instance whose last
// value is the nested EventData/UserData fragment, as Windows writes them.
func (ts templates) instance(e *Event, recordID uint64) *instance {
	userData := e.UserData != nil
	key := "system\x00" + e.Computer
	if userData {
		key = "system-userdata\x00" + e.Computer
	}
	outer := ts[key]
	if outer == nil {
		outer = newTemplate(key, systemTemplate(e.Computer, userData))
		ts[key] = outer
	}

	vals := make([]Value, systemValues)
	vals[subLevel] = UInt8(e.Level)
	vals[subOpcode] = UInt8(e.Opcode)
	vals[subTask] = UInt16(e.Task)
	vals[subEventID] = UInt16(e.EventID)
	vals[subQualifiers] = Null()
	if e.Qualifiers != nil {
		vals[subQualifiers] = UInt16(*e.Qualifiers)
	}
	vals[subKeywords] = HexInt64(e.Keywords)
	vals[subTimeCreated] = FileTime(e.TimeCreated)
	vals[subActivityID] = optionalGUID(e.ActivityID)
	vals[subProcessID] = UInt32(e.ProcessID)
	vals[subThreadID] = UInt32(e.ThreadID)
	vals[subRecordID] = UInt64(recordID)
	vals[subVersion] = UInt8(e.Version)
	vals[subUserID] = Null()
	if e.UserID != "" {
		vals[subUserID] = SID(e.UserID)
	}
	vals[subRelatedActivityID] = optionalGUID(e.RelatedActivityID)
	vals[subProviderName] = String(e.Provider)
	vals[subProviderGUID] = optionalGUID(e.ProviderGUID)
	vals[subChannel] = String(e.Channel)
	vals[subBody] = Value{typ: TypeBinXML, decl: TypeBinXML, frag: ts.body(e)}
	return &instance{t: outer, values: vals}
}

func optionalGUID(s string) Value {
	if s == "" {
		return Null()
	}
	return GUID(s)
}

// body builds the nested EventData or UserData instance.
func (ts templates) body(e *Event) *instance {
	fields := e.EventData
	var b strings.Builder
	if e.UserData != nil {
		u := e.UserData
		fields = u.Fields
		b.WriteString("userdata\x00" + u.Element)
		for _, a := range u.Attrs {
			b.WriteString("\x00@" + a.Name + "\x00" + a.Value)
		}
	} else {
		b.WriteString("eventdata")
	}
	for _, d := range fields {
		b.WriteString("\x00" + d.Name + "\x00")
		b.WriteByte(byte(d.Value.decl))
		if d.Value.IsNull() {
			b.WriteByte('?') // written as an optional substitution
		}
	}
	key := b.String()
	t := ts[key]
	if t == nil {
		if e.UserData != nil {
			t = newTemplate(key, userDataTemplate(e.UserData))
		} else {
			t = newTemplate(key, eventDataTemplate(fields))
		}
		ts[key] = t
	}
	vals := make([]Value, len(fields))
	for i, d := range fields {
		vals[i] = d.Value
	}
	return &instance{t: t, values: vals}
}

// systemTemplate is Windows' rendering template: every System value is an
// optional substitution, except Computer which is literal text.
func systemTemplate(computer string, userData bool) *element {
	opt := func(i int, t Type) subst { return subst{index: uint16(i), typ: t, optional: true} }
	// leaf is <name>%i</name>, which depends on substitution i.
	leaf := func(name string, i int, t Type) *element {
		return &element{name: name, dep: uint16(i), content: []node{opt(i, t)}}
	}
	withAttrs := func(name string, attrs ...attribute) *element {
		return &element{name: name, dep: noDependency, attrs: attrs}
	}
	system := &element{name: "System", dep: noDependency, content: []node{
		withAttrs("Provider",
			attribute{"Name", opt(subProviderName, TypeString)},
			attribute{"Guid", opt(subProviderGUID, TypeGUID)}),
		&element{name: "EventID", dep: subEventID,
			attrs:   []attribute{{"Qualifiers", opt(subQualifiers, TypeUInt16)}},
			content: []node{opt(subEventID, TypeUInt16)}},
		leaf("Version", subVersion, TypeUInt8),
		leaf("Level", subLevel, TypeUInt8),
		leaf("Task", subTask, TypeUInt16),
		leaf("Opcode", subOpcode, TypeUInt8),
		leaf("Keywords", subKeywords, TypeHexInt64),
		withAttrs("TimeCreated", attribute{"SystemTime", opt(subTimeCreated, TypeFileTime)}),
		leaf("EventRecordID", subRecordID, TypeUInt64),
		withAttrs("Correlation",
			attribute{"ActivityID", opt(subActivityID, TypeGUID)},
			attribute{"RelatedActivityID", opt(subRelatedActivityID, TypeGUID)}),
		withAttrs("Execution",
			attribute{"ProcessID", opt(subProcessID, TypeUInt32)},
			attribute{"ThreadID", opt(subThreadID, TypeUInt32)}),
		leaf("Channel", subChannel, TypeString),
		&element{name: "Computer", dep: noDependency, content: []node{text(computer)}},
		withAttrs("Security", attribute{"UserID", opt(subUserID, TypeSID)}),
	}}
	var body node = opt(subBody, TypeBinXML)
	if userData {
		body = &element{name: "UserData", dep: subBody, content: []node{body}}
	}
	return &element{
		name:    "Event",
		dep:     subBody,
		attrs:   []attribute{{"xmlns", text(eventNamespace)}},
		content: []node{system, body},
	}
}

// dataSubst is the substitution of an EventData/UserData field: normal, as
// providers' manifests compile to, except for a null value, which only an
// optional substitution may carry (libevtx rejects a null normal one).
func dataSubst(i int, v Value) subst {
	return subst{index: uint16(i), typ: v.decl, optional: v.IsNull()}
}

// eventDataTemplate is <EventData><Data Name="...">%i</Data>...</EventData>.
func eventDataTemplate(fields []Data) *element {
	ed := &element{name: "EventData", dep: noDependency}
	for i, d := range fields {
		el := &element{name: "Data", dep: noDependency, content: []node{dataSubst(i, d.Value)}}
		if d.Name != "" {
			el.attrs = []attribute{{"Name", text(d.Name)}}
		}
		ed.content = append(ed.content, el)
	}
	return ed
}

func userDataTemplate(u *UserData) *element {
	root := &element{name: u.Element, dep: noDependency}
	for _, a := range u.Attrs {
		root.attrs = append(root.attrs, attribute{a.Name, text(a.Value)})
	}
	for i, d := range u.Fields {
		root.content = append(root.content, &element{name: d.Name, dep: noDependency,
			content: []node{dataSubst(i, d.Value)}})
	}
	return root
}
