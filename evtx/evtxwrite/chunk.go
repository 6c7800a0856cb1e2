package evtxwrite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"unicode/utf16"
)

// Layout constants of the EVTX format (libevtx's "Windows XML Event Log
// (EVTX) format" documentation; MS-EVEN6 for the BinXML).
const (
	// FileHeaderSize is the size of the file header block; the first chunk
	// starts there.
	FileHeaderSize = 4096
	// ChunkSize is the size of every chunk.
	ChunkSize = 65536
	// ChunkHeaderSize is the chunk header including its string and
	// template tables; the first record starts there.
	ChunkHeaderSize = 512
	// RecordHeaderSize is the fixed part before a record's BinXML.
	RecordHeaderSize = 24

	headerSizeField = 128 // value of the "header size" fields
	stringBuckets   = 64
	templateBuckets = 32
	stringTableOff  = 128
	templateTblOff  = stringTableOff + 4*stringBuckets
	recordAlignment = 8 // Windows pads records to 8 bytes
)

// errChunkFull means the record does not fit in the current chunk.
var errChunkFull = errors.New("evtxwrite: chunk full")

// chunk builds one 64 KiB chunk in memory. Names and template definitions
// are written inline on first use in the chunk and referenced by offset
// afterwards, exactly as Windows does; the chunk header's string and
// template tables point at them.
type chunk struct {
	buf        []byte // the chunk so far; len(buf) is the next write offset
	names      map[string]uint32
	nameHeads  [stringBuckets]uint32
	templates  map[*template]uint32
	tmplHeads  [templateBuckets]uint32
	records    int
	firstNum   uint64 // record number (header record id) of the first record
	lastNum    uint64
	lastRecOff uint32
	err        error // a value that could not be encoded

	// undo log of the record being added, so a record that does not fit
	// leaves the chunk exactly as it was.
	newNames     []string
	newTemplates []*template
}

func newChunk() *chunk {
	c := &chunk{
		buf:       make([]byte, ChunkHeaderSize, ChunkSize),
		names:     make(map[string]uint32),
		templates: make(map[*template]uint32),
	}
	return c
}

// reset empties c for reuse as the next chunk, keeping its memory.
func (c *chunk) reset() {
	clear(c.buf[:ChunkHeaderSize])
	c.buf = c.buf[:ChunkHeaderSize]
	clear(c.names)
	clear(c.templates)
	c.nameHeads, c.tmplHeads = [stringBuckets]uint32{}, [templateBuckets]uint32{}
	c.records, c.firstNum, c.lastNum, c.lastRecOff, c.err = 0, 0, 0, 0, nil
}

// addRecord appends one record (header, BinXML fragment, padding, size
// copy). It returns errChunkFull, leaving the chunk unchanged, when the
// record does not fit.
func (c *chunk) addRecord(num uint64, written uint64, in *instance) error {
	start := len(c.buf)
	nameHeads, tmplHeads := c.nameHeads, c.tmplHeads
	c.newNames, c.newTemplates, c.err = c.newNames[:0], c.newTemplates[:0], nil

	c.buf = append(c.buf, '*', '*', 0, 0)
	c.buf = binary.LittleEndian.AppendUint32(c.buf, 0) // size, patched below
	c.buf = binary.LittleEndian.AppendUint64(c.buf, num)
	c.buf = binary.LittleEndian.AppendUint64(c.buf, written)
	c.writeFragment(in)
	for (len(c.buf)-start+4)%recordAlignment != 0 {
		c.buf = append(c.buf, 0)
	}
	size := uint32(len(c.buf) - start + 4)
	c.buf = binary.LittleEndian.AppendUint32(c.buf, size)
	binary.LittleEndian.PutUint32(c.buf[start+4:], size)

	if c.err != nil || len(c.buf) > ChunkSize {
		for _, n := range c.newNames {
			delete(c.names, n)
		}
		for _, t := range c.newTemplates {
			delete(c.templates, t)
		}
		c.nameHeads, c.tmplHeads = nameHeads, tmplHeads
		c.buf = c.buf[:start]
		if c.err != nil {
			return c.err
		}
		return errChunkFull
	}
	if c.records == 0 {
		c.firstNum = num
	}
	c.records++
	c.lastNum = num
	c.lastRecOff = uint32(start)
	return nil
}

func (c *chunk) u8(b byte)    { c.buf = append(c.buf, b) }
func (c *chunk) u16(n uint16) { c.buf = binary.LittleEndian.AppendUint16(c.buf, n) }
func (c *chunk) u32(n uint32) { c.buf = binary.LittleEndian.AppendUint32(c.buf, n) }

// reserve32 appends a placeholder and returns its offset for patch32.
func (c *chunk) reserve32() int {
	c.u32(0)
	return len(c.buf) - 4
}

func (c *chunk) patch32(at int, n uint32) { binary.LittleEndian.PutUint32(c.buf[at:], n) }

// writeName writes a name reference; the first use in the chunk is
// followed by the name itself (next-in-bucket offset, hash, length,
// UTF-16 characters, terminator) and becomes the head of its bucket.
func (c *chunk) writeName(name string) {
	if off, ok := c.names[name]; ok {
		c.u32(off)
		return
	}
	off := uint32(len(c.buf) + 4)
	c.u32(off)
	units := utf16.Encode([]rune(name))
	h := nameHash(units)
	bucket := h % stringBuckets
	c.u32(c.nameHeads[bucket])
	c.u16(h)
	c.u16(uint16(len(units)))
	for _, u := range units {
		c.u16(u)
	}
	c.u16(0)
	c.names[name] = off
	c.nameHeads[bucket] = off
	c.newNames = append(c.newNames, name)
}

func (c *chunk) writeFragment(in *instance) {
	c.buf = append(c.buf, tokFragmentHeader, fragmentMajor, fragmentMinor, 0)
	c.writeInstance(in)
	c.u8(tokEOF)
}

// writeInstance writes a template instance: the definition inline when the
// template is new to this chunk, else its offset; then the value
// descriptors and the values.
func (c *chunk) writeInstance(in *instance) {
	t := in.t
	c.u8(tokTemplate)
	c.u8(0x01)
	c.u32(t.id())
	if off, ok := c.templates[t]; ok {
		c.u32(off)
	} else {
		off := uint32(len(c.buf) + 4)
		c.u32(off)
		bucket := t.id() % templateBuckets
		c.u32(c.tmplHeads[bucket])
		c.buf = append(c.buf, t.guid[:]...)
		sizeAt := c.reserve32()
		start := len(c.buf)
		c.buf = append(c.buf, tokFragmentHeader, fragmentMajor, fragmentMinor, 0)
		c.writeElement(t.root)
		c.u8(tokEOF)
		c.patch32(sizeAt, uint32(len(c.buf)-start))
		c.templates[t] = off
		c.tmplHeads[bucket] = off
		c.newTemplates = append(c.newTemplates, t)
	}

	c.u32(uint32(len(in.values)))
	descAt := len(c.buf)
	c.buf = append(c.buf, make([]byte, 4*len(in.values))...)
	for i, v := range in.values {
		if v.err != nil && c.err == nil {
			c.err = v.err
		}
		start := len(c.buf)
		if v.typ == TypeBinXML {
			c.writeFragment(v.frag)
		} else {
			c.buf = append(c.buf, v.data...)
		}
		size := len(c.buf) - start
		if size > 0xffff && c.err == nil {
			what := fmt.Sprintf("value %d", i)
			if v.typ == TypeBinXML {
				what = "the event data"
			}
			c.err = fmt.Errorf("evtxwrite: %s is %d bytes, over the 65535 a value descriptor can hold", what, size)
		}
		d := c.buf[descAt+4*i:]
		binary.LittleEndian.PutUint16(d, uint16(size))
		d[2] = byte(v.typ)
		d[3] = 0
	}
}

// writeElement writes an element of a template definition. Elements in
// templates always carry a dependency identifier; the data size counts
// from the name offset to the end of the element.
func (c *chunk) writeElement(e *element) {
	if len(e.attrs) > 0 {
		c.u8(tokOpenStartAttrs)
	} else {
		c.u8(tokOpenStart)
	}
	c.u16(e.dep)
	sizeAt := c.reserve32()
	start := len(c.buf)
	c.writeName(e.name)
	if len(e.attrs) > 0 {
		listAt := c.reserve32()
		listStart := len(c.buf)
		for i, a := range e.attrs {
			if i == len(e.attrs)-1 {
				c.u8(tokAttributeLast)
			} else {
				c.u8(tokAttributeMore)
			}
			c.writeName(a.name)
			c.writeContent(a.value)
		}
		c.patch32(listAt, uint32(len(c.buf)-listStart))
	}
	if len(e.content) == 0 {
		c.u8(tokCloseEmpty)
	} else {
		c.u8(tokCloseStart)
		for _, n := range e.content {
			c.writeContent(n)
		}
		c.u8(tokEndElement)
	}
	c.patch32(sizeAt, uint32(len(c.buf)-start))
}

func (c *chunk) writeContent(n node) {
	switch n := n.(type) {
	case *element:
		c.writeElement(n)
	case text:
		c.u8(tokValue)
		c.u8(byte(TypeString))
		sizeAt := len(c.buf)
		c.u16(0)
		var count int
		c.buf, count = appendUTF16(c.buf, string(n))
		binary.LittleEndian.PutUint16(c.buf[sizeAt:], uint16(count))
	case subst:
		if n.optional {
			c.u8(tokOptionalSubst)
		} else {
			c.u8(tokNormalSubst)
		}
		c.u16(n.index)
		c.u8(byte(n.typ))
	}
}

// finish returns the complete 64 KiB chunk: header with record numbers,
// offsets, tables and both CRC32s, the records, zeros after them.
func (c *chunk) finish() []byte {
	free := len(c.buf)
	b := c.buf[:ChunkSize]
	clear(b[free:])
	copy(b[0:8], "ElfChnk\x00")
	le := binary.LittleEndian
	le.PutUint64(b[8:], c.firstNum)  // first event record number
	le.PutUint64(b[16:], c.lastNum)  // last event record number
	le.PutUint64(b[24:], c.firstNum) // first event record identifier
	le.PutUint64(b[32:], c.lastNum)  // last event record identifier
	le.PutUint32(b[40:], headerSizeField)
	le.PutUint32(b[44:], c.lastRecOff)
	le.PutUint32(b[48:], uint32(free))
	le.PutUint32(b[52:], crc32.ChecksumIEEE(b[ChunkHeaderSize:free]))
	for i, off := range c.nameHeads {
		le.PutUint32(b[stringTableOff+4*i:], off)
	}
	for i, off := range c.tmplHeads {
		le.PutUint32(b[templateTblOff+4*i:], off)
	}
	// The header checksum covers bytes 0-120 and 128-512: everything but
	// the flags and the checksum itself.
	h := crc32.NewIEEE()
	h.Write(b[:120])
	h.Write(b[128:ChunkHeaderSize])
	le.PutUint32(b[124:], h.Sum32())
	return b
}
