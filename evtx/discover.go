package evtx

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Limits on zip members, against decompression bombs: a member larger than
// maxMemberSize, or larger than ratioFloor with a compression ratio above
// maxRatio, is refused. Small members are exempt from the ratio: a
// preallocated, mostly empty .evtx compresses very well and is harmless.
const (
	maxMemberSize = 4 << 30
	maxRatio      = 200
	ratioFloor    = 1 << 20
)

// Input is one EVTX file found by Discover: a file on disk or a member of a
// zip archive, which is read in place (streamed, never extracted).
type Input struct {
	// Path is the evidence path; "archive.zip!dir/file.evtx" for a zip
	// member.
	Path string
	// Size is the file size (for a zip member, its declared uncompressed
	// size).
	Size int64

	file   string // path on disk (the archive, for a zip member)
	member int    // index in the archive's file list, for a zip member
	zipped bool
}

// Discover lists the EVTX inputs under paths without decoding them: files,
// folders (recursively, in lexical order) and zip archives (members in
// archive order). EVTX files are recognised by their magic bytes. Inputs
// that cannot be read, and refused zip members, are returned joined in err,
// one line each; the inputs that were found are returned all the same.
func Discover(paths []string) ([]Input, error) {
	d := discoverer{}
	d.run(paths)
	return d.inputs, errors.Join(d.errs...)
}

type discoverer struct {
	inputs  []Input
	skipped int
	errs    []error
}

func (d *discoverer) run(paths []string) {
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			d.errs = append(d.errs, fmt.Errorf("%s: %w", p, unwrapPathError(err)))
			continue
		}
		if !info.IsDir() {
			if !info.Mode().IsRegular() {
				// A named pipe or device would block the open or the read
				// forever, or never end; evidence is a regular file.
				d.errs = append(d.errs, fmt.Errorf("%s: not a regular file (%s)", p, info.Mode().Type()))
				continue
			}
			d.file(p, info.Size())
			continue
		}
		err = filepath.WalkDir(p, func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				d.errs = append(d.errs, fmt.Errorf("%s: %w", path, unwrapPathError(err)))
				return nil
			}
			if e.IsDir() {
				return nil
			}
			if !e.Type().IsRegular() {
				d.skipped++ // symlinks, devices, pipes: not followed, counted
				return nil
			}
			info, err := e.Info()
			if err != nil {
				d.errs = append(d.errs, fmt.Errorf("%s: %w", path, unwrapPathError(err)))
				return nil
			}
			d.file(path, info.Size())
			return nil
		})
		if err != nil {
			d.errs = append(d.errs, fmt.Errorf("%s: %w", p, err))
		}
	}
}

// sniffSize is how much of a file classify needs: the file header block and
// the first chunk's magic.
const sniffSize = fileHeaderSize + 8

type kind int

const (
	kindOther kind = iota
	kindEVTX
	kindDamagedEVTX // no file magic, but a chunk where the first one belongs
	kindZip
)

func classify(head []byte) kind {
	switch {
	case bytes.HasPrefix(head, fileMagic):
		return kindEVTX
	case len(head) >= sniffSize && bytes.Equal(head[fileHeaderSize:sniffSize], chunkMagic):
		return kindDamagedEVTX
	case bytes.HasPrefix(head, []byte("PK\x03\x04")), bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return kindZip
	}
	return kindOther
}

func (d *discoverer) file(path string, size int64) {
	f, err := os.Open(path)
	if err != nil {
		d.errs = append(d.errs, fmt.Errorf("%s: %w", path, unwrapPathError(err)))
		return
	}
	defer f.Close()
	head := make([]byte, sniffSize)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		d.errs = append(d.errs, fmt.Errorf("%s: %w", path, unwrapPathError(err)))
		return
	}
	switch classify(head[:n]) {
	case kindEVTX, kindDamagedEVTX:
		d.inputs = append(d.inputs, Input{Path: path, Size: size, file: path})
	case kindZip:
		d.zip(path, f, size)
	default:
		d.skipped++
	}
}

func (d *discoverer) zip(path string, f *os.File, size int64) {
	zr, err := zip.NewReader(f, size)
	if err != nil {
		d.errs = append(d.errs, fmt.Errorf("%s: reading zip archive: %w", path, err))
		return
	}
	for i, m := range zr.File {
		if m.FileInfo().IsDir() {
			continue
		}
		name := path + "!" + m.Name
		if err := checkMember(m); err != nil {
			d.errs = append(d.errs, fmt.Errorf("%s: refused: %w", name, err))
			continue
		}
		head, err := sniffMember(m)
		if err != nil {
			d.errs = append(d.errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		switch classify(head) {
		case kindEVTX, kindDamagedEVTX:
			d.inputs = append(d.inputs, Input{Path: name, Size: int64(m.UncompressedSize64), file: path, member: i, zipped: true})
		default:
			// Nested archives are not opened: counted as skipped.
			d.skipped++
		}
	}
}

// checkMember refuses zip members whose declared expansion is absurd.
func checkMember(m *zip.File) error {
	u, c := m.UncompressedSize64, m.CompressedSize64
	if u > maxMemberSize {
		return fmt.Errorf("declared size %d bytes exceeds the %d-byte limit", u, uint64(maxMemberSize))
	}
	if u > ratioFloor && (c == 0 || u/c > maxRatio) {
		return fmt.Errorf("compression ratio %d:1 (%d of %d bytes) exceeds %d:1", ratio(u, c), u, c, maxRatio)
	}
	return nil
}

func ratio(u, c uint64) uint64 {
	if c == 0 {
		return u
	}
	return u / c
}

func sniffMember(m *zip.File) ([]byte, error) {
	rc, err := m.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	head := make([]byte, sniffSize)
	n, err := io.ReadFull(rc, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return head[:n], nil
}

// boundedReader stops a zip member that inflates beyond its declared size.
type boundedReader struct {
	r        io.Reader
	left     int64
	name     string
	exceeded bool
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a member that lies about its size from one
		// that ends where it said. archive/zip itself answers ErrFormat
		// when it notices the overrun first.
		var one [1]byte
		n, err := b.r.Read(one[:])
		switch {
		case n > 0 || errors.Is(err, zip.ErrFormat):
			b.exceeded = true
			return 0, fmt.Errorf("zip entry %s inflates beyond its declared size; reading stopped", b.name)
		case err != nil && err != io.EOF:
			return 0, err
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}

// unwrapPathError drops the *PathError wrapper whose path the caller
// already prints.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
