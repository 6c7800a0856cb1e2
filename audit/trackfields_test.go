package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shadowscan/shadowscan/detect"
	"github.com/shadowscan/shadowscan/evtx"
	"github.com/shadowscan/shadowscan/evtx/evtxwrite"
	"github.com/shadowscan/shadowscan/mapping"
)

// trackRules are the rules the TrackFields tests judge with: the embedded
// defaults and, when present, the seed rule folders.
func trackRules(t *testing.T) []*detect.Rule {
	t.Helper()
	rules, err := detect.DefaultRules()
	require.NoError(t, err)
	for _, dir := range []string{"../../shared/seed/rules/current", "../../shared/seed/rules/v8.6"} {
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		more, err := detect.LoadRules(dir)
		require.NoError(t, err)
		rules = append(rules, more...)
	}
	return rules
}

// TestRuleFieldsCoverFeasible: Report's verdicts ask Feasible about fields,
// and TrackFields keeps only RuleFields; every field Feasible asks about
// must be among them, whatever the answers.
func TestRuleFieldsCoverFeasible(t *testing.T) {
	rules := trackRules(t)
	fields := RuleFields(rules)
	require.NotEmpty(t, fields)
	for _, r := range rules {
		for _, answer := range []func(string) bool{
			func(string) bool { return true },
			func(string) bool { return false },
			func(f string) bool { return len(f)%2 == 0 },
			func(f string) bool { return len(f)%2 == 1 },
		} {
			r.Compiled.Feasible(func(f string) bool {
				require.True(t, slices.Contains(fields, f), "rule %s asks about %s", r.Name, f)
				return answer(f)
			})
		}
	}
}

// TestTrackFieldsSameReport: a Collector told the rules' fields reports
// exactly what one recording every field reports, on the committed triage
// fixtures and the shared corpus.
func TestTrackFieldsSameReport(t *testing.T) {
	rules := trackRules(t)
	paths := []string{"../testdata"}
	if _, err := os.Stat(filepath.Join(corpusDir, "MANIFEST.tsv")); err == nil && !testing.Short() {
		paths = append(paths, corpusDir)
	}
	all, tracked := NewCollector(), NewCollector()
	tracked.TrackFields(RuleFields(rules))
	m := mapping.NewMapper()
	records := 0
	res, err := evtx.Scan(context.Background(), paths, evtx.Options{}, func(r *evtx.Record) error {
		d := m.Map(r)
		all.AddRecord(r, d)
		tracked.AddRecord(r, d)
		records++
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, records, 20)
	want := all.Report(res.Sources, rules)
	require.NotEmpty(t, want)
	require.Equal(t, want, tracked.Report(res.Sources, rules))
}

func TestTrackFieldsDeduplicates(t *testing.T) {
	c := NewCollector()
	c.TrackFields([]string{"a", "b", "a"})
	require.Equal(t, []string{"a", "b"}, c.tracked)
	c.TrackFields(nil)
	require.NotNil(t, c.tracked, "TrackFields(nil) tracks nothing, not everything")
}

// BenchmarkCollectorAddTracked is BenchmarkCollectorAdd as scan runs it:
// the collector told the default rules' fields.
func BenchmarkCollectorAddTracked(b *testing.B) {
	docs := benchDocs(b)
	rules, err := detect.DefaultRules()
	require.NoError(b, err)
	c := NewCollector()
	c.TrackFields(RuleFields(rules))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Add(docs[i%len(docs)])
	}
}

// BenchmarkPrepared measures the audit's cost per record as the scan
// pays it for the records it does not map: Prepare on the decoding
// workers, AddPrepared on the collector's goroutine (a Security log of
// process starts and handle requests, one host, records in order).
func BenchmarkPrepared(b *testing.B) {
	var events []evtxwrite.Event
	for i := range 4096 {
		if i%4 == 3 {
			events = append(events, sec4656("DC01.corp.local", i, i%8 == 7))
		} else {
			events = append(events, sec4688("DC01.corp.local", i, fmt.Sprintf("cmd.exe /c echo %d", i)))
		}
	}
	p := filepath.Join(b.TempDir(), "Security.evtx")
	require.NoError(b, evtxwrite.WriteFile(p, events))
	var recs []*evtx.Record
	_, err := evtx.Scan(context.Background(), []string{p}, evtx.Options{Workers: 1}, func(r *evtx.Record) error {
		recs = append(recs, r)
		return nil
	})
	require.NoError(b, err)
	rules, err := detect.DefaultRules()
	require.NoError(b, err)
	prepared := make([]Prepared, len(recs))
	for i, r := range recs {
		prepared[i] = Prepare(r)
	}
	mapDoc := func(r *evtx.Record) func() mapping.Doc { return func() mapping.Doc { return mapping.Map(r) } }
	b.Run("prepare", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			prepared[i%len(recs)] = Prepare(recs[i%len(recs)])
			i++
		}
	})
	b.Run("add", func(b *testing.B) {
		c := NewCollector()
		c.TrackFields(RuleFields(rules))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			r := recs[i%len(recs)]
			c.AddPrepared(r, &prepared[i%len(recs)], mapDoc(r))
			i++
		}
	})
}

// lazyPaths are the inputs of the AddLazy differential tests: the
// committed fixtures, the shared corpus when present (its Sysmon 4/16,
// 4719, 1102 and damaged logs) and the benchmark logs when built.
func lazyPaths(t *testing.T) []string {
	paths := []string{"../testdata"}
	if _, err := os.Stat(filepath.Join(corpusDir, "MANIFEST.tsv")); err == nil && !testing.Short() {
		paths = append(paths, corpusDir)
	} else {
		t.Logf("shared corpus %s absent or -short: compared on ../testdata only", corpusDir)
	}
	return paths
}

// TestEventFromRecordSameAsDoc: for every record AddLazy takes without a
// document, the event it works out from the record is the event the
// document gives.
func TestEventFromRecordSameAsDoc(t *testing.T) {
	c := NewCollector()
	light, heavy := 0, 0
	_, err := evtx.Scan(context.Background(), lazyPaths(t), evtx.Options{}, func(r *evtx.Record) error {
		if NeedsDocument(r) {
			heavy++
			return nil
		}
		light++
		require.Equal(t, c.eventFromDoc(mapping.Map(r)), eventFromRecord(r), "%s record %d", r.Path, r.RecordID)
		return nil
	})
	require.NoError(t, err)
	t.Logf("%d records compared, %d need their document", light, heavy)
	require.Greater(t, light, 20)
	require.Greater(t, heavy, 0)
}

// TestAddLazySameReport: a Collector fed with AddLazy, which maps only the
// records it needs, reports exactly what one fed every mapped document
// reports, and maps fewer records.
func TestAddLazySameReport(t *testing.T) {
	rules := trackRules(t)
	full, lazy := NewCollector(), NewCollector()
	full.TrackFields(RuleFields(rules))
	lazy.TrackFields(RuleFields(rules))
	records, mapped := 0, 0
	res, err := evtx.Scan(context.Background(), lazyPaths(t), evtx.Options{}, func(r *evtx.Record) error {
		full.AddRecord(r, mapping.Map(r))
		lazy.AddLazy(r, func() mapping.Doc { mapped++; return mapping.Map(r) })
		records++
		return nil
	})
	require.NoError(t, err)
	want := full.Report(res.Sources, rules)
	require.NotEmpty(t, want)
	require.Equal(t, want, lazy.Report(res.Sources, rules))
	t.Logf("%d records, %d mapped", records, mapped)
	require.Less(t, mapped, records, "AddLazy mapped every record")
}

// TestAddLazyBoundsSameReport drives records without documents past the
// collector's bounds (files per list, sources per host, name variants),
// interleaved so that AddPrepared's memo of the last places meets cut
// ones: the report must be the one of mapped documents.
func TestAddLazyBoundsSameReport(t *testing.T) {
	rules := trackRules(t)
	full, lazy := NewCollector(), NewCollector()
	full.TrackFields(RuleFields(rules))
	lazy.TrackFields(RuleFields(rules))
	base := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	task := 12544 // Logon
	for i := range 3000 {
		r := &evtx.Record{
			Path:           fmt.Sprintf("host%d/Security-%d.evtx", i%3, i%(maxFilesPerList+40)),
			RecordID:       uint64(i/2 + 1),
			HeaderRecordID: uint64(i + 1),
			TimeCreated:    base.Add(time.Duration(i%500) * time.Minute),
			Provider:       "Microsoft-Windows-Security-Auditing",
			EventID:        4624 + i%(maxSourcesPerHost+50),
			Task:           &task,
			Keywords:       []string{"0x8020000000000000", "0x8010000000000000"}[i%2],
			Channel:        []string{"Security", "security", "Application"}[i%7%3],
			Computer:       fmt.Sprintf("DC%d.corp%d.local", i%3, i%(maxNames+10)),
			EventData:      map[string]string{"TargetUserName": "u", "ObjectType": []string{"File", "Key"}[i%2]},
		}
		if i%5 == 0 { // process starts, without command lines at first, some the pipeline refuses
			r.EventID = 4688
			r.EventData = map[string]string{"NewProcessName": `C:\x.exe`, "NewProcessId": []string{"0x10", "zz"}[i%3%2]}
			if i > 1500 {
				r.EventData["CommandLine"] = []string{"x.exe /y", " ", "-"}[i%3]
			}
		}
		for range 1 + i%3 { // runs of the same origin, for the memo
			full.AddRecord(r, mapping.Map(r))
			lazy.AddLazy(r, func() mapping.Doc { return mapping.Map(r) })
		}
	}
	want := full.Report(nil, rules)
	require.NotEmpty(t, want)
	require.Equal(t, want, lazy.Report(nil, rules))
	var truncated int
	for _, h := range want {
		truncated += len(h.Truncated)
	}
	require.Positive(t, truncated, "the bounds were not reached")
}

// TestUnlistedFilesCounted: past the bound on files listed per channel and
// per event id, records are still counted, and the report says how many
// sit in files it does not list, so that the listed files' counts and
// that number add up to the total.
func TestUnlistedFilesCounted(t *testing.T) {
	c := NewCollector()
	base := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	extra := 7
	for i := range 2 * (maxFilesPerList + extra) {
		r := &evtx.Record{
			Path:        fmt.Sprintf("triage/Security-%03d.evtx", i/2),
			RecordID:    uint64(i%2 + 1),
			TimeCreated: base.Add(time.Duration(i) * time.Minute),
			Provider:    "Microsoft-Windows-Security-Auditing",
			EventID:     4688,
			Keywords:    "0x8020000000000000",
			Channel:     "Security",
			Computer:    "DC01.corp.local",
			EventData:   map[string]string{"NewProcessName": `C:\x.exe`, "NewProcessId": "0x10", "CommandLine": "x.exe"},
		}
		c.AddRecord(r, mapping.Map(r))
	}
	hosts := c.Report(nil, nil)
	require.Len(t, hosts, 1)
	sec := hosts[0].Logs.Security
	for _, counted := range []struct {
		total, unlisted int
		files           []FileCount
	}{
		{sec.Records, sec.UnlistedFileRecords, sec.Files},
		{sec.ProcessCreate.Count, sec.ProcessCreate.UnlistedFileRecords, sec.ProcessCreate.Files},
	} {
		require.Equal(t, 2*(maxFilesPerList+extra), counted.total)
		require.Len(t, counted.files, maxFilesPerList)
		require.Equal(t, 2*extra, counted.unlisted)
		listed := 0
		for _, f := range counted.files {
			listed += f.Records
		}
		require.Equal(t, counted.total, listed+counted.unlisted)
	}
	require.Contains(t, hosts[0].Truncated, fmt.Sprintf("%d records are counted in files beyond the first %d listed per channel or event id (records_in_unlisted_files)", 2*extra, maxFilesPerList))
}

// TestPreparerSameAsPrepare: a Preparer, which remembers the facts of the
// kinds of records it saw, prepares every record as Prepare does: each
// field of the kind it is keyed by changes the answer when changed alone,
// after the unchanged record was prepared; and over the fixtures and the
// corpus, record by record.
func TestPreparerSameAsPrepare(t *testing.T) {
	task, registry := 12800, 12801
	base := func() *evtx.Record {
		return &evtx.Record{
			Path: "DC01/Security.evtx", RecordID: 7, TimeCreated: t0,
			Provider: "Microsoft-Windows-Security-Auditing", EventID: 4656, Task: &task,
			Keywords: "0x8020000000000000", Channel: "Security", Computer: "DC01.corp.local",
			EventData: map[string]string{"ObjectType": "Key", "ObjectName": `\REGISTRY\MACHINE\SAM`, "CommandLine": "x.exe /y"},
		}
	}
	for _, tc := range []struct {
		name   string
		change func(*evtx.Record)
	}{
		{"provider", func(r *evtx.Record) { r.Provider = "Microsoft-Windows-Eventlog" }},
		{"channel", func(r *evtx.Record) { r.Channel = "Application" }},
		{"computer", func(r *evtx.Record) { r.Computer = "DC02.corp.local" }},
		{"keywords", func(r *evtx.Record) { r.Keywords = "0x8010000000000000" }},
		{"event id", func(r *evtx.Record) { r.EventID = 4688 }},
		{"task", func(r *evtx.Record) { r.Task = &registry }},
		{"no task", func(r *evtx.Record) { r.Task = nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p Preparer
			changed := base()
			tc.change(changed)
			require.Equal(t, Prepare(base()), p.Prepare(base()))
			require.NotEqual(t, Prepare(base()), Prepare(changed), "the change must matter")
			require.Equal(t, Prepare(changed), p.Prepare(changed))
			require.Equal(t, Prepare(base()), p.Prepare(base()), "remembered")
		})
	}

	// More kinds than it looks through first, and more than it keeps:
	// every answer still Prepare's, and what it keeps stays bounded.
	var many Preparer
	for round := range 2 {
		for i := range maxPreparerMore + 100 {
			r := base()
			r.Computer = fmt.Sprintf("WS%05d.corp.local", i%(20+round*maxPreparerMore))
			require.Equal(t, Prepare(r), many.Prepare(r), "kind %d", i)
			require.LessOrEqual(t, len(many.more), maxPreparerMore)
		}
	}
	require.NotEmpty(t, many.more)

	var p Preparer
	records := 0
	_, err := evtx.Scan(context.Background(), lazyPaths(t), evtx.Options{}, func(r *evtx.Record) error {
		require.Equal(t, Prepare(r), p.Prepare(r), "%s record %d", r.Path, r.RecordID)
		records++
		return nil
	})
	require.NoError(t, err)
	t.Logf("%d records prepared both ways", records)
	require.Greater(t, records, 20)
}

// TestPrepareNil: a nil record is one the audit cannot judge without its
// document, whichever way it is prepared.
func TestPrepareNil(t *testing.T) {
	require.True(t, Prepare(nil).NeedsDocument())
	var p Preparer
	require.True(t, p.Prepare(nil).NeedsDocument())
	require.True(t, NeedsDocument(nil))
}
