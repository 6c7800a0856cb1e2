package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/shadowscan/shadowscan/evtx"
	"github.com/shadowscan/shadowscan/mapping"
)

const eventsAbout = `Prints every decoded record of the event logs under PATH (.evtx files,
folders searched recursively, zip archives read in place) as one JSON object
per line, in file order then record order.

Keys: path (evidence file; "archive.zip!member" inside a zip), chunk, offset
(file offset of the record), record_id (System/EventRecordID, the number
Event Viewer shows), header_record_id (the record header's number; exported
logs renumber it), timestamp (System/TimeCreated, RFC 3339 UTC, omitted when
absent), provider, provider_guid, channel, event_id, qualifiers, version,
level, task, opcode, keywords, activity_id, process_id, thread_id, computer,
user_id (absent fields are omitted), event_data (Data name -> string; unnamed
Data are param1..N) and user_data (leaf elements of UserData, when present).
Values are strings as Event Viewer's XML view shows them (hex as 0x..,
GUIDs {...}, SIDs S-1-..., times RFC 3339 UTC).

--ecs prints the Elastic Common Schema document of each record instead (the
fields winlogbeat / Elastic Agent would index). --bulk INDEX prints the ECS
documents in Elasticsearch _bulk format, each preceded by the action line
{"create":{"_index":"INDEX"}}: "create" is the only action data streams
(e.g. logs-windows.sysmon_operational-default) accept, and it works for
plain indices too. Load with:
  curl -H 'Content-Type: application/x-ndjson' --data-binary @events.ndjson URL/_bulk

Records that cannot be decoded are not printed; 'shadowscan inventory' lists
them. Unreadable inputs are reported on stderr, one line each.

exit status: 0 the run completed (damaged input is reported, not fatal),
1 nothing could be read (no EVTX found or none readable), 2 usage error.`

func runEvents(ctx context.Context, e *env, args []string) int {
	fs := newFlagSet(e, "events", "PATH...", eventsAbout)
	format := fs.String("format", "jsonl", "output format: jsonl (one JSON object per line)")
	ecs := fs.Bool("ecs", false, "print Elastic Common Schema documents")
	bulk := fs.String("bulk", "", "print ECS documents in Elasticsearch _bulk format for index or data stream `INDEX` (implies --ecs)")
	workers := fs.Int("workers", 0, "decoding workers (default: number of CPUs)")
	noProgress := fs.Bool("no-progress", false, "no progress bar on stderr")
	paths, code, ok := parseFlags(fs, e, args)
	if !ok {
		return code
	}
	if *format != "jsonl" {
		return usageError(e, "events", "unknown --format %q (want jsonl)", *format)
	}
	if len(paths) == 0 {
		return usageError(e, "events", "no PATH given")
	}
	if *workers < 0 {
		return usageError(e, "events", "--workers must be 0 or more")
	}
	var action []byte
	if *bulk != "" {
		*ecs = true
		var err error
		action, err = json.Marshal(map[string]any{"create": map[string]string{"_index": *bulk}})
		if err != nil {
			fmt.Fprintf(e.stderr, "shadowscan events: --bulk: %v\n", err)
			return exitUsage
		}
		action = append(action, '\n')
	}

	out := bufio.NewWriterSize(e.stdout, 64<<10)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	mapper := mapping.NewMapper() // emit runs on one goroutine
	emit := func(r *evtx.Record) error {
		if !*ecs {
			return enc.Encode(eventLine(r))
		}
		if action != nil {
			if _, err := out.Write(action); err != nil {
				return err
			}
		}
		return enc.Encode(mapper.Map(r).Nested())
	}
	res, err := readEvidence(ctx, e, paths, *workers, *noProgress, evtx.Options{}, emit)
	if ferr := out.Flush(); ferr != nil && err == nil {
		err = ferr
	}
	return evidenceStatus(e, "events", res, err)
}

// eventJSON is one line of 'events': the record with its evidence location.
// Field order is the output's key order.
type eventJSON struct {
	Path           string            `json:"path"`
	Chunk          int               `json:"chunk"`
	Offset         int64             `json:"offset"`
	RecordID       uint64            `json:"record_id"`
	HeaderRecordID uint64            `json:"header_record_id"`
	Timestamp      string            `json:"timestamp,omitempty"`
	Provider       string            `json:"provider,omitempty"`
	ProviderGUID   string            `json:"provider_guid,omitempty"`
	Channel        string            `json:"channel"`
	EventID        int               `json:"event_id"`
	Qualifiers     *int              `json:"qualifiers,omitempty"`
	Version        *int              `json:"version,omitempty"`
	Level          *int              `json:"level,omitempty"`
	Task           *int              `json:"task,omitempty"`
	Opcode         *int              `json:"opcode,omitempty"`
	Keywords       string            `json:"keywords,omitempty"`
	ActivityID     string            `json:"activity_id,omitempty"`
	ProcessID      *uint32           `json:"process_id,omitempty"`
	ThreadID       *uint32           `json:"thread_id,omitempty"`
	Computer       string            `json:"computer"`
	UserID         string            `json:"user_id,omitempty"`
	EventData      map[string]string `json:"event_data"`
	UserData       map[string]string `json:"user_data,omitempty"`
}

func eventLine(r *evtx.Record) eventJSON {
	r = r.Full()
	ev := eventJSON{
		Path: r.Path, Chunk: r.Chunk, Offset: r.Offset,
		RecordID: r.RecordID, HeaderRecordID: r.HeaderRecordID,
		Provider: r.Provider, ProviderGUID: r.ProviderGUID,
		Channel: r.Channel, EventID: r.EventID, Qualifiers: r.Qualifiers,
		Version: r.Version, Level: r.Level, Task: r.Task, Opcode: r.Opcode,
		Keywords: r.Keywords, ActivityID: r.ActivityID,
		ProcessID: r.ProcessID, ThreadID: r.ThreadID,
		Computer: r.Computer, UserID: r.UserID,
		EventData: r.EventData, UserData: r.UserData,
	}
	if !r.TimeCreated.IsZero() {
		ev.Timestamp = r.TimeCreated.UTC().Format(time.RFC3339Nano)
	}
	if ev.EventData == nil {
		ev.EventData = map[string]string{}
	}
	return ev
}
