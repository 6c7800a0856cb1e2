// Package audit answers, per host and per rule: could these logs have shown
// what the rule looks for? It owns the audit-policy prerequisites of
// shadowscan: which logs of a machine are in the evidence, what they say
// about its audit policy, and whether each loaded rule can fire on them.
//
// It consumes plain values only: mapped documents (mapping.Doc) one at a
// time through a Collector, the reader's per-file accounting (evtx.Source)
// and the rules (detect.Rule, whose query analysis gives the fields the
// verdicts rest on). It never reads raw bytes and keeps no documents:
// counters and small bounded sets per host, per (channel, event id) source
// and per file.
//
//	c := audit.NewCollector()
//	for each record: c.AddRecord(rec, mapping.Map(rec))   // or c.Add(doc)
//	hosts := c.Report(result.Sources, rules)
//	audit.WriteTable(os.Stdout, hosts)                    // or WriteCSV, WriteJSON
//
// # Hosts
//
// Records are grouped by System/Computer, case-insensitively on the first
// DNS label, so DC01, dc01 and DC01.corp.local are one host; every spelling
// is listed with its record count.
//
// # Verdicts
//
// For each rule the query's analysis (detect.Query.Analysis, Feasible)
// decides, for every event source the query can run on (its category:
// Sysmon EID 1 and Security 4688 for "process", whatever the host's
// documents carry otherwise), whether a document with exactly the fields
// that source carried on this host (present in at least one of its records)
// could match. Sources that are absent are judged on the fields they carry
// when fully configured (taken from the mapping stage on a prototype
// record), so the report can say "Security 4688 does not carry
// process.pe.original_file_name" and, for a missing field that depends on
// configuration (command lines in 4688, OriginalFileName in Sysmon 10+),
// name the remedy. The verdict is can_fire, can_fire_partially (it can, but
// another present source lacks fields by configuration), cannot_fire or
// no_data (nothing it could run on is in the evidence).
//
// # Setup prerequisites
//
// The rule's documented setup (its setup field and the "## Setup" section
// of its note) is parsed for audit subcategories with outcomes ("Audit File
// System (Success,Failure)"), event ids, Sysmon and process-creation
// logging. Each is present, missing, unknown or not_collected, from this
// evidence, in this order of authority: auditpol output for the host; the
// latest 4719 that changed the subcategory when no event of it came later;
// events the subcategory logged (Security events carry their subcategory as
// Task). A Security log that holds none of its events is unknown (the
// subcategory may be off, or no object's SACL asked for it); a host whose
// Security log is not in the evidence is not_collected, never "off".
//
// # auditpol input
//
// ParseAuditpol reads the CSV of "auditpol /backup /file:X" (and Group
// Policy's audit.csv, same columns) and of "auditpol /get /category:* /r",
// UTF-8 or UTF-16. FindPolicies finds such files among the scan's inputs
// (plain files, folders, .csv/.txt members of zip archives, at most 4 MiB,
// recognised by content, not name); the command feeds them to
// Collector.AddPolicy, which matches them to hosts by Machine Name.
//
// # Gaps
//
// Per file, EventRecordIDs are followed as runs and sorted at the end, so a
// wrapped log is not a gap and a hole between present ids is. Exported logs
// (record headers renumbered, which AddRecord detects) are marked, since a
// filtered export leaves holes by design. Undecodable records, damaged
// chunks and dirty headers come from evtx.Source; a silence far longer than
// the file's usual spacing is reported as such, not as deletion.
package audit
