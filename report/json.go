package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"

	"github.com/shadowscan/shadowscan/evtx"
)

// WriteJSON writes r as one indented JSON object:
// {"alerts": [...], "sources": [...], "audit": [...], "summary": {...}}.
// Empty lists are written as [], never null, so consumers need no special
// case. Strings are escaped by encoding/json (control characters as \u
// escapes, invalid UTF-8 as U+FFFD); HTML characters are kept as they are,
// since the evidence is read, not embedded in a page.
func WriteJSON(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(jsonReport(r)); err != nil {
		return fmt.Errorf("writing JSON report: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing JSON report: %w", err)
	}
	return nil
}

// WriteJSONL writes one alert per line (JSON Lines), in report order.
func WriteJSONL(w io.Writer, alerts []Alert) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range alerts {
		if err := enc.Encode(jsonAlert(alerts[i])); err != nil {
			return fmt.Errorf("writing JSON lines: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing JSON lines: %w", err)
	}
	return nil
}

// jsonReport returns r with every nil list replaced by an empty one.
func jsonReport(r *Report) any {
	out := struct {
		Alerts  []Alert       `json:"alerts"`
		Sources []evtx.Source `json:"sources"`
		Audit   any           `json:"audit"`
		Summary Summary       `json:"summary"`
	}{
		Alerts:  make([]Alert, 0, len(r.Alerts)),
		Sources: make([]evtx.Source, 0, len(r.Sources)),
		Audit:   r.Audit,
		Summary: r.Summary,
	}
	for _, a := range r.Alerts {
		out.Alerts = append(out.Alerts, jsonAlert(a))
	}
	for _, s := range r.Sources {
		s.Channels = nonNil(s.Channels)
		s.Computers = nonNil(s.Computers)
		s.Failures = nonNil(s.Failures)
		out.Sources = append(out.Sources, s)
	}
	if out.Audit == nil {
		out.Audit = []struct{}{}
	}
	out.Summary.Errors = nonNil(out.Summary.Errors)
	out.Summary.AlertsPerRule = nonNil(out.Summary.AlertsPerRule)
	return out
}

func jsonAlert(a Alert) Alert {
	a.Rule.Techniques = nonNil(a.Rule.Techniques)
	a.Rule.Tactics = nonNil(a.Rule.Tactics)
	a.Process.Args = nonNil(a.Process.Args)
	a.Corroboration = nonNil(a.Corroboration)
	return a
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
