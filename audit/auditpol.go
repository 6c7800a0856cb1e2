package audit

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Policy is an audit policy as auditpol reported it for one machine: the
// output of "auditpol /backup /file:X" (columns Machine Name, Policy Target,
// Subcategory, Subcategory GUID, Inclusion Setting, Exclusion Setting,
// Setting Value; also the audit.csv of a Group Policy object) or of
// "auditpol /get /category:* /r" (the same without Setting Value). It is
// direct evidence of the configured policy at the time it was taken.
type Policy struct {
	Machine  string          `json:"machine"`
	Path     string          `json:"path"`
	Settings []PolicySetting `json:"settings"`
	// Options holds the rows without a subcategory GUID: audit options
	// (Option:CrashOnAuditFail ...) and global object access SACLs
	// (FileGlobalSacl, RegistryGlobalSacl), by name.
	Options map[string]string `json:"options"`
}

// PolicySetting is one subcategory row.
type PolicySetting struct {
	Subcategory string `json:"subcategory"` // canonical name when the GUID is known, else as written
	GUID        string `json:"guid"`
	Category    string `json:"category"`
	// Setting is "success_and_failure", "success", "failure", "none" or
	// "unknown" (an Inclusion Setting this parser cannot read, e.g. a
	// localized one, and no Setting Value column).
	Setting   string `json:"setting"`
	Inclusion string `json:"inclusion"` // as written
}

// Success reports whether success auditing is on; known is false when the
// row could not be interpreted.
func (s PolicySetting) Success() (on, known bool) {
	switch s.Setting {
	case "success", "success_and_failure":
		return true, true
	case "failure", "none":
		return false, true
	}
	return false, false
}

// Failure reports whether failure auditing is on; known is false when the
// row could not be interpreted.
func (s PolicySetting) Failure() (on, known bool) {
	switch s.Setting {
	case "failure", "success_and_failure":
		return true, true
	case "success", "none":
		return false, true
	}
	return false, false
}

// ErrNotAuditpol is returned by ParseAuditpol for input that is not auditpol
// CSV.
var ErrNotAuditpol = errors.New("not auditpol CSV output")

const maxAuditpolSize = 4 << 20 // auditpol output is a few KiB; refuse anything absurd

// ParseAuditpol reads auditpol CSV output (UTF-8, UTF-8 with BOM, or UTF-16
// with BOM as PowerShell's ">" writes it). Rows are recognised by their
// subcategory GUID, so localized headers and names are understood as long as
// the GUID column is there; the setting is read from the numeric Setting
// Value column when present (0 none, 1 success, 2 failure, 3 both), else
// from the English Inclusion Setting.
func ParseAuditpol(r io.Reader) (Policy, error) {
	raw, err := io.ReadAll(io.LimitReader(r, maxAuditpolSize+1))
	if err != nil {
		return Policy{}, fmt.Errorf("reading auditpol output: %w", err)
	}
	if len(raw) > maxAuditpolSize {
		return Policy{}, fmt.Errorf("%w: larger than %d bytes", ErrNotAuditpol, maxAuditpolSize)
	}
	text := decodeText(raw)
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.TrimLeadingSpace = true
	var p Policy
	cols := columns{machine: 0, target: 1, subcategory: 2, guid: 3, inclusion: 4, exclusion: 5, value: 6}
	first := true
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Policy{}, fmt.Errorf("%w: %w", ErrNotAuditpol, err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if first {
			first = false
			if isAuditpolHeader(rec) {
				cols = headerColumns(rec, cols)
				continue
			}
		}
		if isAuditpolHeader(rec) { // repeated header (concatenated outputs)
			continue
		}
		get := func(i int) string {
			if i >= 0 && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if p.Machine == "" {
			p.Machine = get(cols.machine)
		}
		guid := get(cols.guid)
		name := get(cols.subcategory)
		if guid == "" {
			if name != "" {
				if p.Options == nil {
					p.Options = map[string]string{}
				}
				v := get(cols.inclusion)
				if val := get(cols.value); val != "" {
					v = val
				}
				p.Options[name] = v
			}
			continue
		}
		if !looksLikeGUID(guid) {
			return Policy{}, fmt.Errorf("%w: column %d is %q, not a subcategory GUID", ErrNotAuditpol, cols.guid+1, guid)
		}
		s := PolicySetting{Subcategory: name, GUID: normalizeGUID(guid), Inclusion: get(cols.inclusion)}
		if sc, ok := SubcategoryByGUID(guid); ok {
			s.Subcategory, s.Category = sc.Name, sc.Category
		}
		s.Setting = readSetting(get(cols.value), s.Inclusion)
		p.Settings = append(p.Settings, s)
	}
	if len(p.Settings) == 0 {
		return Policy{}, fmt.Errorf("%w: no subcategory rows", ErrNotAuditpol)
	}
	sort.SliceStable(p.Settings, func(i, j int) bool { return p.Settings[i].GUID < p.Settings[j].GUID })
	return p, nil
}

type columns struct{ machine, target, subcategory, guid, inclusion, exclusion, value int }

func isAuditpolHeader(rec []string) bool {
	return len(rec) > 3 && strings.EqualFold(strings.TrimSpace(rec[0]), "Machine Name")
}

// headerColumns maps English header names to positions, keeping the
// documented positions for names it does not know.
func headerColumns(rec []string, c columns) columns {
	for i, h := range rec {
		switch strings.ToLower(strings.TrimSpace(h)) {
		case "machine name":
			c.machine = i
		case "policy target":
			c.target = i
		case "subcategory":
			c.subcategory = i
		case "subcategory guid":
			c.guid = i
		case "inclusion setting":
			c.inclusion = i
		case "exclusion setting":
			c.exclusion = i
		case "setting value":
			c.value = i
		}
	}
	return c
}

func readSetting(value, inclusion string) string {
	if value != "" {
		if n, err := strconv.Atoi(value); err == nil {
			switch n {
			case 0:
				return "none"
			case 1:
				return "success"
			case 2:
				return "failure"
			case 3:
				return "success_and_failure"
			}
		}
	}
	switch strings.ToLower(strings.Join(strings.Fields(inclusion), " ")) {
	case "no auditing", "":
		if inclusion == "" && value == "" {
			return "unknown"
		}
		return "none"
	case "success":
		return "success"
	case "failure":
		return "failure"
	case "success and failure":
		return "success_and_failure"
	}
	return "unknown"
}

func looksLikeGUID(s string) bool {
	g := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s), "{"), "}")
	if len(g) != 36 {
		return false
	}
	for i, r := range g {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
				return false
			}
		}
	}
	return true
}

// decodeText turns auditpol output bytes into a string: UTF-16 (with a BOM,
// or detected by its NUL bytes) or UTF-8 with an optional BOM.
func decodeText(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xef, 0xbb, 0xbf}):
		return string(b[3:])
	case bytes.HasPrefix(b, []byte{0xff, 0xfe}):
		return utf16String(b[2:], false)
	case bytes.HasPrefix(b, []byte{0xfe, 0xff}):
		return utf16String(b[2:], true)
	case len(b) >= 4 && b[0] != 0 && b[1] == 0 && b[2] != 0 && b[3] == 0:
		return utf16String(b, false)
	}
	return string(b)
}

func utf16String(b []byte, bigEndian bool) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		if bigEndian {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			u[i] = uint16(b[2*i+1])<<8 | uint16(b[2*i])
		}
	}
	return string(utf16.Decode(u))
}

// sniffAuditpol reports whether the first bytes of a file look like auditpol
// CSV: the "Machine Name," header, or a subcategory GUID in the first lines.
func sniffAuditpol(head []byte) bool {
	text := decodeText(head)
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(text)), "machine name,") {
		return true
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	for i := 0; i < 5 && sc.Scan(); i++ {
		if strings.Contains(strings.ToUpper(sc.Text()), "-69AE-11D9-BED3-505054503030") {
			return true
		}
	}
	return false
}

// FindPolicies looks through paths (files, folders recursively, and zip
// archives, the same inputs the scan reads) for auditpol CSV files: files
// that are not EVTX, at most 4 MiB, whose start looks like auditpol output
// (see ParseAuditpol). It returns the policies parsed, with Path set
// ("archive.zip!member" inside archives), in path order, and one error per
// candidate that looked like auditpol output but could not be read.
// Everything else is left to the EVTX reader.
func FindPolicies(paths []string) ([]Policy, []error) {
	var out []Policy
	var errs []error
	try := func(path string, open func() (io.ReadCloser, error)) {
		rc, err := open()
		if err != nil {
			errs = append(errs, fmt.Errorf("auditpol candidate %s: %w", path, err))
			return
		}
		defer rc.Close()
		br := bufio.NewReader(rc)
		head, _ := br.Peek(4096)
		if !sniffAuditpol(head) {
			return
		}
		p, err := ParseAuditpol(br)
		if err != nil {
			errs = append(errs, fmt.Errorf("auditpol file %s: %w", path, err))
			return
		}
		p.Path = path
		out = append(out, p)
	}
	var visit func(path string)
	visitFile := func(path string, size int64) {
		if size <= 0 {
			return
		}
		head, err := readHead(path, 4)
		if err != nil {
			return // unreadable files are the EVTX reader's to report
		}
		if string(head) == "PK\x03\x04" {
			zipPolicies(path, try, &errs)
			return
		}
		if size > maxAuditpolSize || string(head) == "ElfF" {
			return
		}
		try(path, func() (io.ReadCloser, error) { return os.Open(path) })
	}
	visit = func(path string) {
		fi, err := os.Stat(path)
		if err != nil {
			return
		}
		if !fi.IsDir() {
			visitFile(path, fi.Size())
			return
		}
		var files []string
		_ = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.Type().IsRegular() {
				files = append(files, p)
			}
			return nil
		})
		sort.Strings(files)
		for _, f := range files {
			if fi, err := os.Stat(f); err == nil {
				visitFile(f, fi.Size())
			}
		}
	}
	for _, p := range paths {
		visit(p)
	}
	return out, errs
}

func readHead(path string, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, n)
	m, err := io.ReadFull(f, b)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
	}
	return b[:m], nil
}

func zipPolicies(path string, try func(string, func() (io.ReadCloser, error)), errs *[]error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return // not a readable zip: the EVTX reader reports it
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || f.UncompressedSize64 == 0 || f.UncompressedSize64 > maxAuditpolSize {
			continue
		}
		ext := strings.ToLower(filepath.Ext(f.Name))
		if ext != ".csv" && ext != ".txt" {
			continue // only text exports; EVTX members are the reader's
		}
		f := f
		try(path+"!"+f.Name, func() (io.ReadCloser, error) {
			rc, err := f.Open()
			if err != nil {
				return nil, err
			}
			return struct {
				io.Reader
				io.Closer
			}{io.LimitReader(rc, maxAuditpolSize+1), rc}, nil
		})
	}
}
