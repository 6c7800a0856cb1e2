package evtxwrite

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// Type is a BinXML value type, as stored in a substitution's value
// descriptor and in the template's substitution token.
type Type uint8

// The value types the writer can produce (MS-EVEN6 / libevtx numbering).
const (
	TypeNull       Type = 0x00
	TypeString     Type = 0x01 // UTF-16LE, no terminator
	TypeInt8       Type = 0x03
	TypeUInt8      Type = 0x04
	TypeInt16      Type = 0x05
	TypeUInt16     Type = 0x06
	TypeInt32      Type = 0x07
	TypeUInt32     Type = 0x08
	TypeInt64      Type = 0x09
	TypeUInt64     Type = 0x0a
	TypeBool       Type = 0x0d // 32-bit, 0 or 1
	TypeBinary     Type = 0x0e
	TypeGUID       Type = 0x0f
	TypeSizeT      Type = 0x10 // declared in templates for pointer-sized fields; values are HexInt32/64
	TypeFileTime   Type = 0x11
	TypeSystemTime Type = 0x12
	TypeSID        Type = 0x13
	TypeHexInt32   Type = 0x14
	TypeHexInt64   Type = 0x15
	TypeBinXML     Type = 0x21
)

// Value is one typed substitution value. Build it with the constructors
// (String, UInt32, HexInt64, GUID, SID, ...). A constructor given a
// malformed GUID or SID returns a Value that carries the error; the writer
// reports it when the event is written, like encoding/csv surfaces errors.
type Value struct {
	typ  Type   // type in the value descriptor
	decl Type   // type declared by the template's substitution token
	data []byte // encoded value
	err  error
	frag *instance // nested fragment of a BinXML value (EventData, UserData)
}

// Type reports the value type stored in the substitution array.
func (v Value) Type() Type { return v.typ }

// Declared reports the type the template declares for this value. It
// differs from Type only for pointer-sized values (declared SizeT,
// stored HexInt64) and null values (declared String).
func (v Value) Declared() Type { return v.decl }

// Err reports why the value could not be built, if it could not.
func (v Value) Err() error { return v.err }

// IsNull reports whether v is the null value (rendered as absent/empty).
func (v Value) IsNull() bool { return v.typ == TypeNull }

// String renders v as Windows' event viewer XML shows it: decimal
// numbers, 0x-prefixed hex (16 digits for HexInt64, 8 for HexInt32),
// braced upper-case GUIDs, S-1-... SIDs, RFC 3339 UTC times with 100 ns
// precision (milliseconds for SYSTEMTIME), upper-case hex for binary,
// "true"/"false". It is computed on demand: writing never needs it.
func (v Value) String() string {
	le := binary.LittleEndian
	d := v.data
	switch v.typ {
	case TypeString:
		u := make([]uint16, len(d)/2)
		for i := range u {
			u[i] = le.Uint16(d[2*i:])
		}
		return string(utf16.Decode(u))
	case TypeInt8:
		return strconv.Itoa(int(int8(d[0])))
	case TypeUInt8:
		return strconv.Itoa(int(d[0]))
	case TypeInt16:
		return strconv.Itoa(int(int16(le.Uint16(d))))
	case TypeUInt16:
		return strconv.Itoa(int(le.Uint16(d)))
	case TypeInt32:
		return strconv.Itoa(int(int32(le.Uint32(d))))
	case TypeUInt32:
		return strconv.FormatUint(uint64(le.Uint32(d)), 10)
	case TypeInt64:
		return strconv.FormatInt(int64(le.Uint64(d)), 10)
	case TypeUInt64:
		return strconv.FormatUint(le.Uint64(d), 10)
	case TypeHexInt32:
		return fmt.Sprintf("0x%08x", le.Uint32(d))
	case TypeHexInt64:
		return fmt.Sprintf("0x%016x", le.Uint64(d))
	case TypeBool:
		return strconv.FormatBool(le.Uint32(d) != 0)
	case TypeBinary:
		return strings.ToUpper(hex.EncodeToString(d))
	case TypeGUID:
		if len(d) == 16 {
			return formatGUID([16]byte(d))
		}
	case TypeSID:
		return formatSID(d)
	case TypeFileTime:
		return formatFileTime(le.Uint64(d))
	case TypeSystemTime:
		n := func(i int) int { return int(le.Uint16(d[2*i:])) }
		return time.Date(n(0), time.Month(n(1)), n(3), n(4), n(5), n(6), n(7)*1e6, time.UTC).Format("2006-01-02T15:04:05.000Z")
	}
	return ""
}

func newValue(t Type, data []byte) Value {
	return Value{typ: t, decl: t, data: data}
}

func formatSID(b []byte) string {
	if len(b) < 8 {
		return ""
	}
	var auth uint64
	for _, c := range b[2:8] {
		auth = auth<<8 | uint64(c)
	}
	s := "S-" + strconv.Itoa(int(b[0])) + "-" + strconv.FormatUint(auth, 10)
	for i := 8; i+4 <= len(b); i += 4 {
		s += "-" + strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b[i:])), 10)
	}
	return s
}

// Null is the absent value: an optional System attribute is dropped, a
// Data element is rendered empty. (Windows itself writes an empty String
// for an empty Data; Null exercises readers' handling of absent values.)
func Null() Value { return Value{typ: TypeNull, decl: TypeString} }

// String is a UTF-16 string value.
func String(s string) Value {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return newValue(TypeString, b)
}

// Int8 is a signed 8-bit value.
func Int8(n int8) Value { return newValue(TypeInt8, []byte{byte(n)}) }

// UInt8 is an unsigned 8-bit value.
func UInt8(n uint8) Value { return newValue(TypeUInt8, []byte{n}) }

// Int16 is a signed 16-bit value.
func Int16(n int16) Value {
	return newValue(TypeInt16, binary.LittleEndian.AppendUint16(nil, uint16(n)))
}

// UInt16 is an unsigned 16-bit value.
func UInt16(n uint16) Value {
	return newValue(TypeUInt16, binary.LittleEndian.AppendUint16(nil, n))
}

// Int32 is a signed 32-bit value.
func Int32(n int32) Value {
	return newValue(TypeInt32, binary.LittleEndian.AppendUint32(nil, uint32(n)))
}

// UInt32 is an unsigned 32-bit value.
func UInt32(n uint32) Value {
	return newValue(TypeUInt32, binary.LittleEndian.AppendUint32(nil, n))
}

// Int64 is a signed 64-bit value.
func Int64(n int64) Value {
	return newValue(TypeInt64, binary.LittleEndian.AppendUint64(nil, uint64(n)))
}

// UInt64 is an unsigned 64-bit value.
func UInt64(n uint64) Value {
	return newValue(TypeUInt64, binary.LittleEndian.AppendUint64(nil, n))
}

// HexInt32 is a 32-bit value rendered in hex (e.g. AccessMask 0x00100000).
func HexInt32(n uint32) Value {
	return newValue(TypeHexInt32, binary.LittleEndian.AppendUint32(nil, n))
}

// HexInt64 is a 64-bit value rendered in hex (e.g. LogonId 0x00000000000003e7).
func HexInt64(n uint64) Value {
	return newValue(TypeHexInt64, binary.LittleEndian.AppendUint64(nil, n))
}

// Pointer is a pointer-sized value as a 64-bit Windows writes it: the
// template declares SizeT and the value is stored as HexInt64 (Security
// 4688 NewProcessId/ProcessId, 4656 HandleId/ProcessId).
func Pointer(n uint64) Value {
	v := HexInt64(n)
	v.decl = TypeSizeT
	return v
}

// Bool is a 32-bit boolean.
func Bool(b bool) Value {
	n := uint32(0)
	if b {
		n = 1
	}
	return newValue(TypeBool, binary.LittleEndian.AppendUint32(nil, n))
}

// Binary is an opaque byte string, rendered as upper-case hex.
func Binary(b []byte) Value {
	return newValue(TypeBinary, append([]byte(nil), b...))
}

// GUID is a GUID given as text, with or without braces:
// "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}".
func GUID(s string) Value {
	b, err := parseGUID(s)
	if err != nil {
		return Value{typ: TypeGUID, decl: TypeGUID, err: err}
	}
	return newValue(TypeGUID, b[:])
}

// parseGUID encodes a textual GUID in its on-disk mixed-endian layout:
// Data1..Data3 little-endian, Data4 as written.
func parseGUID(s string) ([16]byte, error) {
	var g [16]byte
	t := strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	parts := strings.Split(t, "-")
	if len(parts) != 5 || len(parts[0]) != 8 || len(parts[1]) != 4 || len(parts[2]) != 4 ||
		len(parts[3]) != 4 || len(parts[4]) != 12 {
		return g, fmt.Errorf("evtxwrite: malformed GUID %q", s)
	}
	d1, err1 := strconv.ParseUint(parts[0], 16, 32)
	d2, err2 := strconv.ParseUint(parts[1], 16, 16)
	d3, err3 := strconv.ParseUint(parts[2], 16, 16)
	d4, err4 := strconv.ParseUint(parts[3]+parts[4], 16, 64)
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			return g, fmt.Errorf("evtxwrite: malformed GUID %q: %w", s, err)
		}
	}
	binary.LittleEndian.PutUint32(g[0:], uint32(d1))
	binary.LittleEndian.PutUint16(g[4:], uint16(d2))
	binary.LittleEndian.PutUint16(g[6:], uint16(d3))
	binary.BigEndian.PutUint64(g[8:], d4)
	return g, nil
}

func formatGUID(g [16]byte) string {
	return fmt.Sprintf("{%08X-%04X-%04X-%04X-%012X}",
		binary.LittleEndian.Uint32(g[0:]), binary.LittleEndian.Uint16(g[4:]),
		binary.LittleEndian.Uint16(g[6:]), binary.BigEndian.Uint16(g[8:]),
		binary.BigEndian.Uint64(g[8:])&0xffffffffffff)
}

// SID is a security identifier given as text: "S-1-5-21-...-1001".
func SID(s string) Value {
	b, err := parseSID(s)
	if err != nil {
		return Value{typ: TypeSID, decl: TypeSID, err: err}
	}
	return newValue(TypeSID, b)
}

func parseSID(s string) ([]byte, error) {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || !strings.EqualFold(parts[0], "S") {
		return nil, fmt.Errorf("evtxwrite: malformed SID %q", s)
	}
	rev, err := strconv.ParseUint(parts[1], 10, 8)
	if err != nil {
		return nil, fmt.Errorf("evtxwrite: malformed SID %q: %w", s, err)
	}
	auth, err := strconv.ParseUint(parts[2], 10, 48)
	if err != nil {
		return nil, fmt.Errorf("evtxwrite: malformed SID %q: %w", s, err)
	}
	subs := parts[3:]
	if len(subs) > 15 {
		return nil, fmt.Errorf("evtxwrite: SID %q has more than 15 sub-authorities", s)
	}
	b := make([]byte, 8, 8+4*len(subs))
	b[0] = byte(rev)
	b[1] = byte(len(subs))
	for i := 0; i < 6; i++ { // identifier authority is big-endian
		b[2+i] = byte(auth >> (8 * (5 - i)))
	}
	for _, p := range subs {
		n, err := strconv.ParseUint(p, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("evtxwrite: malformed SID %q: %w", s, err)
		}
		b = binary.LittleEndian.AppendUint32(b, uint32(n))
	}
	return b, nil
}

// fileTimeEpochOffset is the number of seconds from 1601-01-01, the
// origin of Windows FILETIME, to the Unix epoch.
const fileTimeEpochOffset = 11644473600

// toFileTime converts t to 100 ns intervals since 1601 (t is truncated to
// 100 ns; times before 1601 become 0).
func toFileTime(t time.Time) uint64 {
	secs := t.Unix() + fileTimeEpochOffset
	if secs < 0 {
		return 0
	}
	return uint64(secs)*10_000_000 + uint64(t.Nanosecond()/100)
}

// FileTime is a FILETIME value (100 ns resolution, UTC).
func FileTime(t time.Time) Value {
	ft := toFileTime(t)
	return newValue(TypeFileTime, binary.LittleEndian.AppendUint64(nil, ft))
}

func formatFileTime(ft uint64) string {
	t := time.Unix(int64(ft/10_000_000)-fileTimeEpochOffset, int64(ft%10_000_000)*100).UTC()
	return t.Format("2006-01-02T15:04:05.0000000Z")
}

// SystemTime is a SYSTEMTIME value (millisecond resolution, UTC).
func SystemTime(t time.Time) Value {
	t = t.UTC()
	b := make([]byte, 0, 16)
	for _, n := range []int{t.Year(), int(t.Month()), int(t.Weekday()), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond() / 1e6} {
		b = binary.LittleEndian.AppendUint16(b, uint16(n))
	}
	return newValue(TypeSystemTime, b)
}
