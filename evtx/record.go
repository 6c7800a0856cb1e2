package evtx

import (
	"encoding/json"
	"time"
)

// Record is one decoded event record: the plain value that later stages
// (mapping, audit) consume. It carries its evidence location so every
// finding can be traced back to a file and a record.
type Record struct {
	// Path is the evidence path. For a member of a zip archive it is
	// "archive.zip!member/path.evtx".
	Path string
	// Chunk is the zero-based chunk index in the file; Offset is the file
	// offset of the record header.
	Chunk  int
	Offset int64
	// RecordID is System/EventRecordID, the number Event Viewer shows.
	// HeaderRecordID is the record header's own number; exported logs may
	// renumber it, so reports show RecordID.
	RecordID       uint64
	HeaderRecordID uint64

	// System section.
	TimeCreated  time.Time // System/TimeCreated/@SystemTime, UTC
	Provider     string    // System/Provider/@Name
	ProviderGUID string    // System/Provider/@Guid, as written ("{...}")
	EventID      int       // System/EventID
	Qualifiers   *int      // System/EventID/@Qualifiers, when present
	Version      *int      // System/Version, when present
	Level        *int      // System/Level, when present
	Task         *int      // System/Task, when present
	Opcode       *int      // System/Opcode, when present
	Keywords     string    // System/Keywords as hex, e.g. "0x8020000000000000"
	ActivityID   string    // System/Correlation/@ActivityID
	ProcessID    *uint32   // System/Execution/@ProcessID
	ThreadID     *uint32   // System/Execution/@ThreadID
	Channel      string    // System/Channel
	Computer     string    // System/Computer
	UserID       string    // System/Security/@UserID (SID string)

	// EventData holds EventData/Data values by @Name, rendered as strings
	// (numbers in decimal, GUIDs braced, hex ints as 0x..., SIDs as S-1-...).
	// Unnamed Data elements are named param1, param2, ... as winlogbeat does.
	// Values are kept as found; dropping "-" or "" is mapping's job.
	// A record decoded with only some of its event data (Partial) has
	// none here: Value reads it.
	EventData map[string]string
	// UserData holds the leaf elements of the UserData section (e.g. the
	// LogFileCleared element of event 1102) by element name, when present.
	UserData map[string]string

	// partial is set on a record decoded with only some of its event data
	// (Options.EventData): Value and Full reach the rest.
	partial *partialData
}

// Value returns the event data value of name, as EventData holds it. On a
// record decoded with only some of its event data (Options.EventData) it
// answers from the values kept, and for the other names from Full.
func (r *Record) Value(name string) (string, bool) {
	if p := r.partial; p != nil {
		v, held, kept := p.value(name)
		if !kept {
			return r.Full().Value(name)
		}
		return v, held
	}
	v, ok := r.EventData[name]
	return v, ok
}

// Partial reports whether the record was decoded with only some of its
// event data (Options.EventData): Value reads it, Full returns the whole
// record.
func (r *Record) Partial() bool { return r.partial != nil }

// Full returns the record with all its event data: r itself unless it was
// decoded with only some of it, else the record decoded again from its
// chunk, which the partial record keeps for that.
func (r *Record) Full() *Record {
	if r.partial == nil {
		return r
	}
	return r.partial.full(r)
}

// Failure names one record or chunk that could not be decoded, so that
// nothing is dropped silently.
type Failure struct {
	Chunk    int    `json:"chunk"`
	Offset   int64  `json:"offset"`
	RecordID uint64 `json:"record_id,omitempty"` // header record id, when readable
	Reason   string `json:"reason"`
}

// Source is the per-file accounting of one scan: what the file held and
// what could not be read. It is the "inventory" entry of the CLI.
type Source struct {
	Path           string    `json:"path"`
	Size           int64     `json:"size"`
	Channels       []string  `json:"channels"`
	Computers      []string  `json:"computers"`
	First          time.Time `json:"first"`
	Last           time.Time `json:"last"`
	RecordsDecoded int       `json:"records_decoded"`
	RecordsFailed  int       `json:"records_failed"`
	Failures       []Failure `json:"failures"`
	Chunks         int       `json:"chunks"`
	ChunksDamaged  int       `json:"chunks_damaged"`
	Dirty          bool      `json:"dirty"`
	// HeaderChunks is the chunk count the file header claims; a dirty file
	// may hold more, which are read all the same.
	HeaderChunks int `json:"header_chunks"`
	// HeaderDamage names what is wrong with the file header (bad magic,
	// bad checksum, truncated); the chunks are read regardless.
	HeaderDamage string `json:"header_damage,omitempty"`
	// DamagedChunks names each damaged chunk and why (bad magic, bad
	// checksum, unreadable header, truncated).
	DamagedChunks []Failure `json:"damaged_chunks,omitempty"`
	// Error is set when the file could not be read at all (one line,
	// naming the problem).
	Error string `json:"error,omitempty"`
}

// MarshalJSON renders First and Last as RFC 3339 UTC strings, null when the
// file held no dated record, and empty lists as [] rather than null.
func (s Source) MarshalJSON() ([]byte, error) {
	type plain Source // without this method
	out := struct {
		plain
		First *string `json:"first"`
		Last  *string `json:"last"`
	}{plain: plain(s)}
	if !s.First.IsZero() {
		f := s.First.UTC().Format(time.RFC3339Nano)
		out.First = &f
	}
	if !s.Last.IsZero() {
		l := s.Last.UTC().Format(time.RFC3339Nano)
		out.Last = &l
	}
	if out.Channels == nil {
		out.Channels = []string{}
	}
	if out.Computers == nil {
		out.Computers = []string{}
	}
	if out.Failures == nil {
		out.Failures = []Failure{}
	}
	return json.Marshal(out)
}

// AnythingRead reports whether any of the file was read: a file whose read
// failed partway through (a zip member with a bad checksum, an I/O error)
// still counts when chunks or records came out of it, so commands do not
// call a partly read file "nothing could be read".
func (s Source) AnythingRead() bool {
	return s.Error == "" || s.Chunks > 0 || s.RecordsDecoded > 0
}
