// Package mapping turns decoded event records into ECS documents the way
// Elastic's ingest (winlogbeat modules, Elastic Agent windows/system
// integrations) does. It owns one question: what would Elastic make of this
// record? Pure functions, no I/O.
package mapping

import "github.com/shadowscan/shadowscan/evtx"

// Doc is a flat ECS document: dotted field names ("process.args") to values.
// Values are string, int64, float64, bool, []string or []any, never nested
// maps; Nested turns a Doc into the JSON shape Elasticsearch stores.
type Doc map[string]any

// Map returns the ECS document for one record. Every record gets the common
// fields; Sysmon 1, Security 4688 and 4656 get their specific ones.
func Map(r *evtx.Record) Doc {
	return Doc{}
}
