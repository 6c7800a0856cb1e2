// Command tilechunks writes a large .evtx file out of the chunks of real
// ones, for `make bench`: the writer's benchmark logs have the shapes the
// fixture writer makes, these have the templates, value types and record
// sizes Windows writes. It copies the sound chunks of its inputs (right
// magic, both checksums) round after round until the output reaches the
// size asked, behind a file header of its own (clean, with the chunk
// count). Records repeat from round to round; the bytes of every chunk
// are the original's. Chunks less than -min-fill full are left out: a
// small attack sample's one mostly empty chunk is not what a host's log
// looks like.
//
//	go run ./evtx/evtxwrite/cmd/tilechunks -o bin/bench/REAL01/Security.evtx -size 512MiB a.evtx b.evtx
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"

	"github.com/shadowscan/shadowscan/evtx/evtxwrite/internal/testsets"
)

const (
	fileHeaderSize = 4096
	chunkSize      = 65536
	maxChunks      = 0xffff // the file header counts chunks in 16 bits
)

func main() {
	out := flag.String("o", "", "output file")
	size := flag.String("size", "512MiB", "output size (KiB, MiB, GiB suffixes)")
	minFill := flag.Float64("min-fill", 0.5, "leave out chunks whose records fill less than this share of them")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: tilechunks -o OUT [-size N] FILE...")
		os.Exit(2)
	}
	if err := run(*out, *size, *minFill, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "tilechunks:", err)
		os.Exit(1)
	}
}

func run(out, sizeText string, minFill float64, inputs []string) error {
	size, err := testsets.ParseSize(sizeText)
	if err != nil {
		return err
	}
	var chunks [][]byte
	for _, in := range inputs {
		b, err := os.ReadFile(in)
		if err != nil {
			return err
		}
		for off := fileHeaderSize; off+chunkSize <= len(b); off += chunkSize {
			if c := b[off : off+chunkSize]; sound(c) && fill(c) >= minFill {
				chunks = append(chunks, c)
			}
		}
	}
	if len(chunks) == 0 {
		return errors.New("no sound chunk in the inputs")
	}
	n := int((size - fileHeaderSize) / chunkSize)
	n = max(1, min(n, maxChunks))
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if _, err := f.Write(fileHeader(n)); err != nil {
		f.Close()
		return err
	}
	for i := 0; i < n; i++ {
		if _, err := f.Write(chunks[i%len(chunks)]); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Printf("%s: %d chunks (%d distinct, from %d files)\n", out, n, len(chunks), len(inputs))
	return nil
}

// sound reports whether c is a chunk whose magic and checksums are right.
func sound(c []byte) bool {
	if !bytes.HasPrefix(c, []byte("ElfChnk\x00")) {
		return false
	}
	le := binary.LittleEndian
	free := int(le.Uint32(c[48:]))
	if free < 512 || free > len(c) {
		return false
	}
	header := crc32.NewIEEE()
	header.Write(c[:120])
	header.Write(c[128:512])
	return header.Sum32() == le.Uint32(c[124:]) && crc32.ChecksumIEEE(c[512:free]) == le.Uint32(c[52:])
}

// fill is the share of a sound chunk its records take.
func fill(c []byte) float64 {
	return float64(binary.LittleEndian.Uint32(c[48:])-512) / float64(chunkSize-512)
}

// fileHeader is a clean EVTX file header for n chunks.
func fileHeader(n int) []byte {
	h := make([]byte, fileHeaderSize)
	le := binary.LittleEndian
	copy(h, "ElfFile\x00")
	le.PutUint64(h[16:], uint64(n-1)) // last chunk number
	le.PutUint64(h[24:], 1)           // next record id (unused by readers of a clean file)
	le.PutUint32(h[32:], 128)         // header size
	le.PutUint16(h[36:], 1)           // minor version
	le.PutUint16(h[38:], 3)           // major version
	le.PutUint16(h[40:], fileHeaderSize)
	le.PutUint16(h[42:], uint16(n))
	le.PutUint32(h[124:], crc32.ChecksumIEEE(h[:120]))
	return h
}
