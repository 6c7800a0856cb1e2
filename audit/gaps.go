package audit

import (
	"fmt"
	"sort"
	"time"

	"github.com/shadowscan/shadowscan/evtx"
)

// fileAcc follows the EventRecordIDs of one evidence file as runs of
// consecutive ids. An .evtx file is a ring of chunks, so file order is not
// id order once the log has wrapped; sorting the runs at the end tells a
// wrap (runs that join up) from a hole (ids that never appear), which is
// what deleted records (e.g. tools that unlink records from a chunk) or
// undecodable records leave behind.
type fileAcc struct {
	path    string
	hosts   map[string]bool
	records int
	noRID   int
	runs    []ridRun
	runsCut bool
	minRID  uint64
	maxRID  uint64
	first   time.Time
	last    time.Time
	lastT   time.Time
	silence silence
	// renumbered counts records whose header number differs from their
	// EventRecordID: Event Viewer's "Save As" (and filtered saves) renumber
	// record headers, so the file is an export.
	renumbered int
	headers    int
}

type ridRun struct {
	start, end uint64
	startT     time.Time
	endT       time.Time
}

type silence struct {
	from, to      time.Time
	afterRecordID uint64
	afterSet      bool
	lastRID       uint64
}

func (c *Collector) file(path, hostKey string) *fileAcc {
	f := c.files[path]
	if f == nil {
		f = &fileAcc{path: path, hosts: map[string]bool{}}
		c.files[path] = f
	}
	if len(f.hosts) < maxNames {
		f.hosts[hostKey] = true
	}
	return f
}

func (f *fileAcc) add(rid uint64, hasRID bool, t time.Time) {
	f.records++
	widen(&f.first, &f.last, t)
	if !t.IsZero() {
		if !f.lastT.IsZero() && t.Sub(f.lastT) > f.silence.to.Sub(f.silence.from) {
			f.silence.from, f.silence.to = f.lastT, t
			f.silence.afterRecordID, f.silence.afterSet = f.silence.lastRID, hasRID
		}
		f.lastT = t
	}
	if !hasRID {
		f.noRID++
		return
	}
	f.silence.lastRID = rid
	if f.minRID == 0 || rid < f.minRID {
		f.minRID = rid
	}
	if rid > f.maxRID {
		f.maxRID = rid
	}
	if n := len(f.runs); n > 0 && f.runs[n-1].end+1 == rid {
		f.runs[n-1].end = rid
		if !t.IsZero() {
			f.runs[n-1].endT = t
		}
		return
	}
	if len(f.runs) >= maxRuns {
		f.runsCut = true
		return
	}
	f.runs = append(f.runs, ridRun{start: rid, end: rid, startT: t, endT: t})
}

// holes returns the id ranges missing between the file's lowest and highest
// record id, and how many ids they hold in all. Duplicated ids (overlapping
// runs) are merged.
func (f *fileAcc) holes() (holes []Hole, missing uint64) {
	runs := append([]ridRun(nil), f.runs...)
	sort.Slice(runs, func(i, j int) bool { return runs[i].start < runs[j].start })
	var merged []ridRun
	for _, r := range runs {
		if n := len(merged); n > 0 && r.start <= merged[n-1].end+1 {
			if r.end > merged[n-1].end {
				merged[n-1].end, merged[n-1].endT = r.end, r.endT
			}
			continue
		}
		merged = append(merged, r)
	}
	for i := 1; i < len(merged); i++ {
		a, b := merged[i-1], merged[i]
		n := b.start - a.end - 1
		missing += n
		holes = append(holes, Hole{
			From:    a.end + 1,
			To:      b.start - 1,
			Missing: n,
			After:   formatTime(a.endT),
			Before:  formatTime(b.startT),
		})
	}
	return holes, missing
}

const (
	maxHolesListed = 20
	// A silence is worth a line when it lasts an hour or more and is far
	// longer than the file's average spacing of records.
	minSilence    = time.Hour
	silenceFactor = 50
)

// gapReport describes a file's record-id holes, time silences and the
// reader's own trouble with it (failures, damaged chunks, dirty header),
// or returns false when there is nothing to say.
func (f *fileAcc) gapReport(src *evtx.Source) (Gap, bool) {
	g := Gap{Path: f.path, Records: f.records, FirstRecordID: f.minRID, LastRecordID: f.maxRID,
		Export: f.renumbered > 0}
	holes, missing := f.holes()
	g.MissingIDs = missing
	g.HolesTotal = len(holes)
	if len(holes) > maxHolesListed {
		holes = holes[:maxHolesListed]
	}
	g.Holes = holes
	if f.runsCut {
		g.Notes = append(g.Notes, fmt.Sprintf("record ids jump more than %d times: only the first %d runs were followed", maxRuns, maxRuns))
	}
	if src != nil {
		g.RecordsFailed = src.RecordsFailed
		g.ChunksDamaged = src.ChunksDamaged
		g.Dirty = src.Dirty
		g.Channels = src.Channels
		if src.RecordsFailed > 0 {
			g.Notes = append(g.Notes, fmt.Sprintf("%d records could not be decoded: they may account for up to %d of the missing ids", src.RecordsFailed, src.RecordsFailed))
		}
		if src.ChunksDamaged > 0 {
			g.Notes = append(g.Notes, fmt.Sprintf("%d damaged chunks", src.ChunksDamaged))
		}
		if src.Dirty {
			g.Notes = append(g.Notes, "file header is dirty (copied while in use, or not closed cleanly): the newest records may be missing")
		}
		switch {
		case len(src.Channels) > 1:
			g.Notes = append(g.Notes, "file holds several channels: an export or merge, where record-id gaps are expected")
		case len(src.Computers) > 1:
			g.Notes = append(g.Notes, fmt.Sprintf("file holds %d computer names: a renamed machine, or a merge", len(src.Computers)))
		}
	}
	if g.Export && missing > 0 {
		g.Notes = append(g.Notes, fmt.Sprintf("an exported log (%d of %d record headers renumbered, as Event Viewer's \"Save As\" does): the missing EventRecordIDs are records the export left out, not evidence of deletion", f.renumbered, f.headers))
	} else if missing > 0 && missing > 10*uint64(f.records) {
		g.Notes = append(g.Notes, "far more ids missing than present: looks like a filtered export (Event Viewer \"Save Filtered Log File As\"), not deletion")
	}
	if f.noRID > 0 {
		g.Notes = append(g.Notes, fmt.Sprintf("%d records carry no record id", f.noRID))
	}
	if d := f.silence.to.Sub(f.silence.from); d >= minSilence && f.records > 2 {
		span := f.last.Sub(f.first)
		avg := span / time.Duration(f.records-1)
		if d > silenceFactor*avg {
			s := &Silence{From: formatTime(f.silence.from), To: formatTime(f.silence.to), Hours: d.Hours()}
			if f.silence.afterSet {
				s.AfterRecordID = f.silence.afterRecordID
			}
			g.Silence = s
		}
	}
	if missing == 0 && g.RecordsFailed == 0 && g.ChunksDamaged == 0 && !g.Dirty && g.Silence == nil && !f.runsCut {
		return g, false
	}
	return g, true
}
