// Package mapping turns decoded event records into ECS documents the way
// Elastic's ingest does. It owns one question: what would Elastic make of
// this record? No I/O; a document depends only on its record (a Mapper's
// caches save work, never change the result).
//
// # Sources
//
// The specification is Elastic's own code and test vectors, read as facts
// (nothing copied):
//
//   - winlogbeat's read-time fields: elastic/beats winlogbeat/sys/winevent
//     (event.go Fields, maputil.go AddOptional/AddPairs, winmeta.go
//     defaultWinMeta).
//   - Sysmon: elastic/integrations packages/windows/data_stream/
//     sysmon_operational/elasticsearch/ingest_pipeline/default.yml and its
//     _dev/test/pipeline golden files; elastic/beats x-pack/winlogbeat/module/
//     sysmon (ingest/sysmon.yml, test/testdata/ingest/*.golden.json).
//   - Security: elastic/integrations packages/windows/_dev/shared/
//     ingest_pipeline/system_security_default.yml and security_common.yml
//     (what packages/system/data_stream/security's default.yml links to),
//     packages/system/data_stream/security/elasticsearch/ingest_pipeline/
//     standard.yml, and the security _dev/test/pipeline golden files;
//     elastic/beats x-pack/winlogbeat/module/security test goldens.
//
// # What a document holds
//
// Every record gets the fields winlogbeat sets when it reads a record
// (winlog.channel, computer_name, event_id (string), record_id (string),
// provider_name, provider_guid, task, opcode, version, keywords,
// activity_id, process.pid, process.thread.id, user.identifier,
// time_created, event_data.*, user_data.*; event.code (string), event.kind,
// event.provider, event.outcome; log.level; host.name from Computer), plus
// "log.file.path" (the evidence path, as winlogbeat sets it for .evtx
// files), "ecs.version" and "host.os.type": "windows". Event data values
// null, "", "-" and the zero GUID are dropped, as both pipelines do first.
//
// Every Sysmon event also gets the Sysmon pipeline's time handling
// (@timestamp from UtcTime, event.created from TimeCreated). Sysmon event 1
// and Security 4688 then get exactly the fields their pipelines add (see
// sysmon.go and security.go for the field lists and the rules, each citing
// its source). Security-Auditing events get the AccessList/AccessMask
// descriptions and winlog.logon.id every security event gets; 4656 also
// gets the extension described below. Other events get only the common
// fields. "%%NNNN" insertion strings stay raw everywhere except AccessList,
// as in the pipeline (winlogbeat expands them only when it renders on the
// original host).
//
// # Choices where Elastic's versions differ, or where Elastic is silent
//
//   - @timestamp is written as Elasticsearch's date processor writes it:
//     RFC 3339, UTC, exactly three fractional digits. The full-precision
//     TimeCreated stays in winlog.time_created (RFC 3339 with up to nine
//     digits), as the newest security pipeline keeps it; Sysmon events move
//     it to event.created, as the Sysmon pipeline does.
//   - 4688 process.pid and process.parent.pid are numbers: the pipeline
//     runs Long.decode on the hex NewProcessId/ProcessId ("0x11cc" ->
//     4556), as its golden files show. The hex text stays in
//     winlog.event_data.ProcessId (NewProcessId is removed).
//   - Event data values "-" are dropped for Security too: the newest
//     system_security_default.yml does this first; older 8.x pipelines kept
//     TargetUserName "-" (test-security-windows2019-4688-process-created
//     golden at 8.11.0).
//   - AccessList and AccessMask become lists (["4417","4418"], ["0x6"]) as
//     in the newest golden test-4663.json-expected.json; the descriptions
//     come from the msobjs.dll table (msobjs.go). AccessMaskDescription is
//     in the order Elasticsearch iterates its params HashMap.
//   - ecs.version is "8.0.0" for Sysmon and "8.11.0" otherwise, the values
//     the two pipelines set.
//   - winlog.task comes from publisher metadata on the collecting host. It
//     is reproduced for Security-Auditing (task ids are the audit
//     subcategory message ids of msobjs.dll) and for the Sysmon tasks seen
//     in Elastic's golden files (1, 4, 5, 7, 16); task 0 is "None"
//     (defaultWinMeta); other tasks are omitted.
//   - Sysmon event.action is "Process creation" (integration pipeline);
//     the older winlogbeat sysmon module used the task name ("Process
//     Create (rule: ProcessCreate)"). The integration's versions differ in
//     the categorisation of Sysmon events 19, 20, 27, 28 and 255 only, not
//     in event 1.
//   - winlog.user.name/domain/type need LookupAccountSid on the original
//     host and are not produced.
//   - host.name is System/Computer (winlogbeat reports the collecting
//     agent's name, which for evidence is the machine that logged it).
//     host.os.type "windows" is what Elastic Agent's host metadata adds on
//     Windows; current prebuilt rules filter on it.
//   - winlog.keywords lists the defaultWinMeta names of the set bits in
//     ascending bit order (winlogbeat ranges over a Go map here).
//
// # Extension for 4656 (not Elastic)
//
// Elastic's security pipeline gives 4656 no category and maps neither its
// process nor its object. To correlate handle requests with process
// starts, Map adds, under the names the same pipeline uses for the same
// event data in other events (4673, 4674, 4659, ...): process.pid
// (Long.decode of ProcessId), process.executable (ProcessName),
// process.name (after the last backslash); file.path = ObjectName when
// ObjectType is "File" (as the newest pipeline does for 4659) and
// registry.path = ObjectName when ObjectType is "Key". Every raw field
// stays in winlog.event_data. The document has no event.category, so
// "process where" rules never see it.
package mapping

import (
	"github.com/shadowscan/shadowscan/evtx"
)

// Doc is a flat ECS document: dotted field names ("process.args") to values.
// Values are string, int64, float64, bool, []string or []any, never nested
// maps (only Flatten, given a list of objects, puts maps inside a []any);
// Nested turns a Doc into the JSON shape Elasticsearch stores.
type Doc map[string]any

// Categories returns the event.category values Map can set: Sysmon event 1
// and Security 4688 are "process"; every other record has no category (see
// the package comment). An EQL "<category> where" query for any other
// category matches no mapped record, where Elasticsearch, whose pipelines
// categorise many more events, could answer; callers warn about it.
func Categories() []string { return []string{"process"} }

// Providers whose pipelines this package reproduces.
const (
	sysmonProvider   = "Microsoft-Windows-Sysmon"
	securityProvider = "Microsoft-Windows-Security-Auditing"
)

// Map returns the ECS document for one record. Every record gets the common
// fields; Sysmon 1, Security 4688 and 4656 get their specific ones. A nil
// record gives an empty document. Map is a convenience for one record; a
// loop over many records should use a Mapper, which gives the same
// documents with fewer allocations.
func Map(r *evtx.Record) Doc {
	var m Mapper
	return m.Map(r)
}

// Mapper maps records like Map, reusing what it built for earlier records:
// the working copy of the event data and the "winlog.event_data.<name>" key
// strings (a bounded cache, so hostile field names cannot grow it). The
// documents it returns share nothing with it. A Mapper is not safe for
// concurrent use: give each goroutine its own. The zero Mapper maps
// correctly but caches nothing; NewMapper returns one that does.
type Mapper struct {
	data     map[string]string // event data working copy, cleared per record
	dataKeys map[string]string // name -> "winlog.event_data."+name
	userKeys map[string]string // name -> "winlog.user_data."+name
}

// maxCachedKeys bounds each key cache of a Mapper. Real logs use a few
// hundred distinct event data names; beyond the bound keys are built per
// record as Map does.
const maxCachedKeys = 4096

// NewMapper returns a Mapper with its caches ready.
func NewMapper() *Mapper {
	return &Mapper{
		data:     make(map[string]string, 32),
		dataKeys: make(map[string]string, 256),
		userKeys: make(map[string]string, 16),
	}
}

// Map returns the ECS document for one record; see the package-level Map.
func (m *Mapper) Map(r *evtx.Record) Doc {
	if r == nil {
		return make(Doc)
	}
	r = r.Full() // a document holds all the event data
	d := make(Doc, docSizeHint(r))
	data := m.eventData(r.EventData)
	m.mapCommon(d, r)
	switch {
	case r.Provider == sysmonProvider:
		mapSysmonTime(d, r, data)
		if r.EventID == 1 {
			mapSysmonProcessCreate(d, r, data)
		}
	case r.Provider == securityProvider:
		mapSecurity(d, r, data)
	}
	m.putEventData(d, data)
	// The security data stream (channel Security) ends with
	// system_security_default.yml's "drop null values" script.
	if securityDocument(r) {
		dropBlank(d)
	}
	return d
}

// docSizeHint estimates how many fields the document of r will hold, so
// the map is allocated once at about the right size: ~20 common fields,
// the event data, and the fields the specific mappings add.
func docSizeHint(r *evtx.Record) int {
	n := 20 + len(r.EventData) + len(r.UserData)
	switch {
	case r.EventID == 1 && r.Provider == sysmonProvider:
		n += 20
	case r.EventID == 4688 && r.Provider == securityProvider:
		n += 16
	case r.Provider == securityProvider:
		n += 4
	}
	return n
}
