// Package scan runs the whole pipeline of shadowscan scan: read the evidence
// (evtx), map every record to ECS (mapping), run the rules on it (detect),
// corroborate alerts with Security 4656 handle requests on shadow copies,
// and collect the per-host audit-policy findings (audit). It owns the
// wiring and the accounting, not the decisions of any stage.
//
// Memory does not grow with the evidence: documents are mapped, matched and
// dropped one by one. What is kept is the alerts (one per matching event),
// the audit collector's counters, and the Security 4656 handle requests on
// shadow-copy objects, the only documents that can corroborate an alert,
// up to Options.MaxCorroborationCandidates (the excess is counted in the
// summary and warned about, never silently dropped).
package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/shadowscan/shadowscan/audit"
	"github.com/shadowscan/shadowscan/detect"
	"github.com/shadowscan/shadowscan/evtx"
	"github.com/shadowscan/shadowscan/mapping"
	"github.com/shadowscan/shadowscan/report"
)

// Options tune a scan. The zero value scans everything with the defaults.
type Options struct {
	// Workers is the number of decoding workers (0: one per CPU).
	Workers int
	// From and To keep only the events whose @timestamp (System/TimeCreated)
	// is within [From, To] for detection; a zero bound is open. The audit
	// section and the 4656 corroboration look at every record regardless:
	// the audit describes what the logs could show, and a handle request
	// just after To still corroborates an alert just before it.
	From, To time.Time
	// Progress, when set, is called with byte deltas as the input is read,
	// from any goroutine.
	Progress func(bytes int64)
	// Warn, when set, receives one-line errors about input that could not be
	// read, and about rules that cannot run.
	Warn func(err error)
	// CorroborationWindow is how long after an alert a 4656 handle request
	// on a shadow-copy object is listed with it: 0 means
	// DefaultCorroborationWindow, a negative value turns corroboration off.
	CorroborationWindow time.Duration
	// MaxCorroborationCandidates bounds the 4656 requests kept in memory
	// (0: DefaultMaxCorroborationCandidates).
	MaxCorroborationCandidates int
	// Decoder decodes the chunks; nil: evtx's default (see evtx.Options).
	Decoder evtx.Decoder
	// AuditOnly reads, maps and audits but matches no rule: no alert, no
	// corroboration (the audit command). The rules still decide the
	// audit's verdicts.
	AuditOnly bool
	// MaxAlerts bounds the alerts kept in memory and listed in the report
	// (0: DefaultMaxAlerts): hostile evidence can make any number of
	// events match. Alerts beyond it are counted (Summary.Alerts, per
	// rule) and reported as not listed, never silently dropped; the first
	// ones in scan order are kept.
	MaxAlerts int
	// MapAll maps every record to its ECS document. By default a record
	// is mapped only when something needs its document: a rule that could
	// match it (detect's CouldMatch over the fields its kind of event can
	// have, mapping.MayHave), a shadow-copy 4656 that may corroborate an
	// alert, or the audit (audit.NeedsDocument). The result is the same
	// either way; MapAll is for the differential tests and benchmarks
	// that prove it.
	MapAll bool
}

// DefaultMaxAlerts is the default of Options.MaxAlerts: an alert takes
// about a kilobyte, so the list stays around 100 MB at most.
const DefaultMaxAlerts = 100_000

// prepared is what the decoding workers work out for one record: its
// document when something needs it (nil otherwise) and, when it is within
// From/To, the indices of the rules it matches.
type prepared struct {
	audit   audit.Prepared
	doc     mapping.Doc
	inRange bool
	matched []int
}

// Result is what a scan found. Alerts are in report order (see
// report.SortAlerts); Sources has one entry per EVTX file found, in scan
// order.
type Result struct {
	Alerts  []report.Alert
	Sources []evtx.Source
	Audit   []audit.Host
	Summary report.Summary
	// Policies counts the auditpol files found among the inputs.
	Policies int
}

// Report returns the result in the shape the report writers take.
func (r *Result) Report() *report.Report {
	return &report.Report{
		Alerts:  r.Alerts,
		Sources: r.Sources,
		Audit:   auditSection(r.Audit),
		Summary: r.Summary,
	}
}

// auditSection lets the report writers render the audit findings without
// importing the audit package.
type auditSection []audit.Host

func (s auditSection) WriteTable(w io.Writer) error { return audit.WriteTable(w, s) }

// Run scans paths (files, folders, zip archives) with rules. Rules without
// a compiled query are reported through Warn and skipped.
//
// When ctx is cancelled (Ctrl-C), reading stops and Run returns what was
// found so far with Summary.Partial set and a nil error: a partial report is
// still a report. Any other failure of the reader is returned with the
// partial result, also marked Partial.
func Run(ctx context.Context, paths []string, rules []*detect.Rule, opts Options) (*Result, error) {
	start := time.Now()
	warn := opts.Warn
	if warn == nil {
		warn = func(error) {}
	}
	window := opts.CorroborationWindow
	if window == 0 {
		window = DefaultCorroborationWindow
	}
	if opts.AuditOnly {
		window = -1
	}
	maxCand := opts.MaxCorroborationCandidates
	if maxCand <= 0 {
		maxCand = DefaultMaxCorroborationCandidates
	}
	maxAlerts := opts.MaxAlerts
	if maxAlerts <= 0 {
		maxAlerts = DefaultMaxAlerts
	}
	notListed := 0

	var runnable []*detect.Rule
	for _, r := range rules {
		if r == nil {
			continue
		}
		if r.Compiled == nil {
			warn(fmt.Errorf("rule %q (%s): no compiled query, not run", r.Name, r.ID))
			continue
		}
		runnable = append(runnable, r)
	}

	collector := audit.NewCollector()
	// The audit's verdicts only ask about the rules' fields: tracking just
	// those keeps the per-record audit cheap (same findings).
	collector.TrackFields(audit.RuleFields(runnable))
	// auditpol output found among the inputs is direct evidence of a host's
	// configured policy (issue 6, item 4).
	policies, perrs := audit.FindPolicies(paths)
	for _, err := range perrs {
		warn(err)
	}
	for _, p := range policies {
		collector.AddPolicy(p)
	}
	corr := newCorroborator(maxCand)
	counts := make([]int, len(runnable))
	var alerts []report.Alert
	inRange := 0

	// Mapping and rule matching are pure: they run on the decoding workers
	// (prepare); the audit, the corroboration candidates and the alerts are
	// kept in record order by emit.
	// Each worker borrows a Mapper (it reuses scratch space and key
	// strings between records, and is not safe for concurrent use), a
	// gate, which remembers per kind of event which rules could match, and
	// an audit Preparer, which remembers what the audit makes of a kind.
	workers := sync.Pool{New: func() any {
		return &worker{mapper: mapping.NewMapper(), gate: newRuleGate(runnable)}
	}}
	prepare := func(rec *evtx.Record) prepared {
		w := workers.Get().(*worker)
		p := prepared{audit: w.audit.Prepare(rec)}
		need := opts.MapAll || p.audit.NeedsDocument() || window > 0 && mayCorroborate(rec)
		if !opts.AuditOnly && inTimeRange(rec.TimeCreated, opts.From, opts.To) {
			p.inRange = true
			need = need || w.gate.anyCouldMatch(rec)
		}
		if need {
			p.doc = w.mapper.Map(rec)
			if p.inRange {
				for i, rule := range runnable {
					if rule.Compiled.Match(p.doc) {
						p.matched = append(p.matched, i)
					}
				}
			}
		}
		workers.Put(w)
		return p
	}
	// emit's own Mapper, for the documents the audit asks for late (a rule
	// field a source has not shown yet).
	emitMapper := mapping.NewMapper()
	emit := func(rec *evtx.Record, p *prepared) error {
		doc := p.doc
		if doc != nil {
			collector.AddRecord(rec, doc)
		} else {
			collector.AddPrepared(rec, &p.audit, func() mapping.Doc {
				doc = emitMapper.Map(rec)
				return doc
			})
		}
		if rec.Channel == "Security" {
			corr.sawSecurityLog(rec.Computer)
		}
		if window > 0 && rec.EventID == 4656 && p.doc != nil {
			if h, ok := report.NewHandleRequest(p.doc); ok {
				corr.offer(h)
			}
		}
		if !p.inRange {
			return nil
		}
		inRange++
		for _, i := range p.matched {
			counts[i]++
			if len(alerts) < maxAlerts {
				alerts = append(alerts, report.NewAlert(runnable[i], doc))
			} else {
				notListed++
			}
		}
		return nil
	}

	res, scanErr := evtx.ScanPrepared(ctx, paths, evtx.Options{
		Workers:   opts.Workers,
		Progress:  opts.Progress,
		Warn:      opts.Warn,
		Decoder:   opts.Decoder,
		EventData: lightEventData(runnable, opts.MapAll),
		// prepare and emit keep documents, never records.
		Transient: true,
	}, prepare, emit)
	if res == nil {
		res = &evtx.Result{}
	}

	if window > 0 {
		corr.attach(alerts, window)
	} else {
		for i := range alerts {
			alerts[i].CorroborationStatus = report.CorroborationOff
		}
	}
	report.SortAlerts(alerts)

	out := &Result{
		Alerts:   alerts,
		Sources:  res.Sources,
		Audit:    collector.Report(res.Sources, runnable),
		Policies: len(policies),
	}
	if out.Alerts == nil {
		out.Alerts = []report.Alert{}
	}
	if out.Audit == nil {
		out.Audit = []audit.Host{}
	}
	s := &out.Summary
	s.Files = len(res.Sources)
	for _, src := range res.Sources {
		s.RecordsDecoded += src.RecordsDecoded
		s.RecordsFailed += src.RecordsFailed
		s.ChunksDamaged += src.ChunksDamaged
		if src.ChunksDamaged > 0 || src.RecordsFailed > 0 {
			s.FilesDamaged++
		}
		if !src.AnythingRead() {
			s.FilesUnread++
		}
	}
	s.Skipped = res.Skipped
	s.Errors = append([]string{}, res.Errors...)
	s.RecordsInRange = inRange
	s.Rules = len(runnable)
	s.Alerts = len(alerts) + notListed
	s.AlertsNotListed = notListed
	if notListed > 0 {
		warn(fmt.Errorf("%d further alerts over the bound of %d were counted but not listed (--max-alerts)", notListed, maxAlerts))
	}
	s.AlertsPerRule = make([]report.RuleCount, len(runnable))
	for i, r := range runnable {
		s.AlertsPerRule[i] = report.RuleCount{ID: r.ID, Name: r.Name, Version: r.Version, Alerts: counts[i]}
	}
	if !opts.From.IsZero() {
		from := opts.From.UTC()
		s.From = &from
	}
	if !opts.To.IsZero() {
		to := opts.To.UTC()
		s.To = &to
	}
	if window > 0 {
		s.CorroborationWindowSeconds = window.Seconds()
	}
	s.CorroborationCandidates = corr.kept
	s.CorroborationDropped = corr.dropped
	if corr.dropped > 0 {
		warn(fmt.Errorf("corroboration: %d shadow-copy 4656 events over the bound of %d were not compared with alerts", corr.dropped, maxCand))
	}
	s.ElapsedSeconds = time.Since(start).Seconds()

	switch {
	case scanErr == nil:
		return out, nil
	case ctx.Err() != nil && errors.Is(scanErr, ctx.Err()):
		s.Partial = true
		s.PartialReason = "interrupted"
		if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
			s.PartialReason = "interrupted: " + oneLine(cause.Error())
		}
		return out, nil
	default:
		s.Partial = true
		s.PartialReason = oneLine(scanErr.Error())
		return out, fmt.Errorf("scan: %w", scanErr)
	}
}

// inTimeRange reports whether t is within [from, to]; zero bounds are open.
func inTimeRange(t, from, to time.Time) bool {
	if !from.IsZero() && t.Before(from) {
		return false
	}
	if !to.IsZero() && t.After(to) {
		return false
	}
	return true
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
