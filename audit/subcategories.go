package audit

import (
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Subcategory is one Advanced Audit Policy subcategory of Windows.
//
// The GUIDs are fixed by Windows (ntsecapi.h, "auditpol /list /subcategory:*
// /v") and do not depend on the display language, so they are the key used
// everywhere here. ID is the message number that 4719 events write as
// "%%NNNN" in SubcategoryId; Security events carry the same number as their
// System/Task, which is how an event names the subcategory that logged it.
type Subcategory struct {
	Category string `json:"category"`
	Name     string `json:"name"`
	GUID     string `json:"guid"` // upper case, braced: {0CCE921D-69AE-11D9-BED3-505054503030}
	ID       int    `json:"id"`   // msobjs.dll message id, e.g. 12800 for File System
}

// Categories of the audit policy by their %%NNNN message ids (CategoryId of
// event 4719) and GUIDs.
var categoryByID = map[int]string{
	8272: "System",
	8273: "Logon/Logoff",
	8274: "Object Access",
	8275: "Privilege Use",
	8276: "Detailed Tracking",
	8277: "Policy Change",
	8278: "Account Management",
	8279: "DS Access",
	8280: "Account Logon",
}

// Policy change strings of event 4719 (AuditPolicyChanges holds one or two of
// them, comma separated, e.g. "%%8448, %%8450"). Checked against the
// msobjs.dll message table: 8448 "Success removed", 8449 "Success Added",
// 8450 "Failure removed", 8451 "Failure added"; 8452-8459 are the per-user
// include/exclude variants written by event 4912.
var policyChangeByID = map[int]string{
	8448: "success removed",
	8449: "success added",
	8450: "failure removed",
	8451: "failure added",
	8452: "success include removed",
	8453: "success include added",
	8454: "success exclude removed",
	8455: "success exclude added",
	8456: "failure include removed",
	8457: "failure include added",
	8458: "failure exclude removed",
	8459: "failure exclude added",
}

// subcategories lists every subcategory of the Advanced Audit Policy. The
// message ids follow msobjs.dll (note that Logon/Logoff numbers Special Logon
// before the IPsec modes); the GUIDs follow ntsecapi.h.
var subcategories = []Subcategory{
	{"System", "Security State Change", "{0CCE9210-69AE-11D9-BED3-505054503030}", 12288},
	{"System", "Security System Extension", "{0CCE9211-69AE-11D9-BED3-505054503030}", 12289},
	{"System", "System Integrity", "{0CCE9212-69AE-11D9-BED3-505054503030}", 12290},
	{"System", "IPsec Driver", "{0CCE9213-69AE-11D9-BED3-505054503030}", 12291},
	{"System", "Other System Events", "{0CCE9214-69AE-11D9-BED3-505054503030}", 12292},

	{"Logon/Logoff", "Logon", "{0CCE9215-69AE-11D9-BED3-505054503030}", 12544},
	{"Logon/Logoff", "Logoff", "{0CCE9216-69AE-11D9-BED3-505054503030}", 12545},
	{"Logon/Logoff", "Account Lockout", "{0CCE9217-69AE-11D9-BED3-505054503030}", 12546},
	{"Logon/Logoff", "IPsec Main Mode", "{0CCE9218-69AE-11D9-BED3-505054503030}", 12547},
	{"Logon/Logoff", "Special Logon", "{0CCE921B-69AE-11D9-BED3-505054503030}", 12548},
	{"Logon/Logoff", "IPsec Quick Mode", "{0CCE9219-69AE-11D9-BED3-505054503030}", 12549},
	{"Logon/Logoff", "IPsec Extended Mode", "{0CCE921A-69AE-11D9-BED3-505054503030}", 12550},
	{"Logon/Logoff", "Other Logon/Logoff Events", "{0CCE921C-69AE-11D9-BED3-505054503030}", 12551},
	{"Logon/Logoff", "Network Policy Server", "{0CCE9243-69AE-11D9-BED3-505054503030}", 12552},
	{"Logon/Logoff", "User / Device Claims", "{0CCE9247-69AE-11D9-BED3-505054503030}", 12553},
	{"Logon/Logoff", "Group Membership", "{0CCE9249-69AE-11D9-BED3-505054503030}", 12554},

	{"Object Access", "File System", "{0CCE921D-69AE-11D9-BED3-505054503030}", 12800},
	{"Object Access", "Registry", "{0CCE921E-69AE-11D9-BED3-505054503030}", 12801},
	{"Object Access", "Kernel Object", "{0CCE921F-69AE-11D9-BED3-505054503030}", 12802},
	{"Object Access", "SAM", "{0CCE9220-69AE-11D9-BED3-505054503030}", 12803},
	{"Object Access", "Other Object Access Events", "{0CCE9227-69AE-11D9-BED3-505054503030}", 12804},
	{"Object Access", "Certification Services", "{0CCE9221-69AE-11D9-BED3-505054503030}", 12805},
	{"Object Access", "Application Generated", "{0CCE9222-69AE-11D9-BED3-505054503030}", 12806},
	{"Object Access", "Handle Manipulation", "{0CCE9223-69AE-11D9-BED3-505054503030}", 12807},
	{"Object Access", "File Share", "{0CCE9224-69AE-11D9-BED3-505054503030}", 12808},
	{"Object Access", "Filtering Platform Packet Drop", "{0CCE9225-69AE-11D9-BED3-505054503030}", 12809},
	{"Object Access", "Filtering Platform Connection", "{0CCE9226-69AE-11D9-BED3-505054503030}", 12810},
	{"Object Access", "Detailed File Share", "{0CCE9244-69AE-11D9-BED3-505054503030}", 12811},
	{"Object Access", "Removable Storage", "{0CCE9245-69AE-11D9-BED3-505054503030}", 12812},
	{"Object Access", "Central Policy Staging", "{0CCE9246-69AE-11D9-BED3-505054503030}", 12813},

	{"Privilege Use", "Sensitive Privilege Use", "{0CCE9228-69AE-11D9-BED3-505054503030}", 13056},
	{"Privilege Use", "Non Sensitive Privilege Use", "{0CCE9229-69AE-11D9-BED3-505054503030}", 13057},
	{"Privilege Use", "Other Privilege Use Events", "{0CCE922A-69AE-11D9-BED3-505054503030}", 13058},

	{"Detailed Tracking", "Process Creation", "{0CCE922B-69AE-11D9-BED3-505054503030}", 13312},
	{"Detailed Tracking", "Process Termination", "{0CCE922C-69AE-11D9-BED3-505054503030}", 13313},
	{"Detailed Tracking", "DPAPI Activity", "{0CCE922D-69AE-11D9-BED3-505054503030}", 13314},
	{"Detailed Tracking", "RPC Events", "{0CCE922E-69AE-11D9-BED3-505054503030}", 13315},
	{"Detailed Tracking", "Plug and Play Events", "{0CCE9248-69AE-11D9-BED3-505054503030}", 13316},
	{"Detailed Tracking", "Token Right Adjusted Events", "{0CCE924A-69AE-11D9-BED3-505054503030}", 13317},

	{"Policy Change", "Audit Policy Change", "{0CCE922F-69AE-11D9-BED3-505054503030}", 13568},
	{"Policy Change", "Authentication Policy Change", "{0CCE9230-69AE-11D9-BED3-505054503030}", 13569},
	{"Policy Change", "Authorization Policy Change", "{0CCE9231-69AE-11D9-BED3-505054503030}", 13570},
	{"Policy Change", "MPSSVC Rule-Level Policy Change", "{0CCE9232-69AE-11D9-BED3-505054503030}", 13571},
	{"Policy Change", "Filtering Platform Policy Change", "{0CCE9233-69AE-11D9-BED3-505054503030}", 13572},
	{"Policy Change", "Other Policy Change Events", "{0CCE9234-69AE-11D9-BED3-505054503030}", 13573},

	{"Account Management", "User Account Management", "{0CCE9235-69AE-11D9-BED3-505054503030}", 13824},
	{"Account Management", "Computer Account Management", "{0CCE9236-69AE-11D9-BED3-505054503030}", 13825},
	{"Account Management", "Security Group Management", "{0CCE9237-69AE-11D9-BED3-505054503030}", 13826},
	{"Account Management", "Distribution Group Management", "{0CCE9238-69AE-11D9-BED3-505054503030}", 13827},
	{"Account Management", "Application Group Management", "{0CCE9239-69AE-11D9-BED3-505054503030}", 13828},
	{"Account Management", "Other Account Management Events", "{0CCE923A-69AE-11D9-BED3-505054503030}", 13829},

	{"DS Access", "Directory Service Access", "{0CCE923B-69AE-11D9-BED3-505054503030}", 14080},
	{"DS Access", "Directory Service Changes", "{0CCE923C-69AE-11D9-BED3-505054503030}", 14081},
	{"DS Access", "Directory Service Replication", "{0CCE923D-69AE-11D9-BED3-505054503030}", 14082},
	{"DS Access", "Detailed Directory Service Replication", "{0CCE923E-69AE-11D9-BED3-505054503030}", 14083},

	{"Account Logon", "Credential Validation", "{0CCE923F-69AE-11D9-BED3-505054503030}", 14336},
	{"Account Logon", "Kerberos Service Ticket Operations", "{0CCE9240-69AE-11D9-BED3-505054503030}", 14337},
	{"Account Logon", "Other Account Logon Events", "{0CCE9241-69AE-11D9-BED3-505054503030}", 14338},
	{"Account Logon", "Kerberos Authentication Service", "{0CCE9242-69AE-11D9-BED3-505054503030}", 14339},
}

// Subcategories returns the table of audit subcategories (a copy).
func Subcategories() []Subcategory {
	return append([]Subcategory(nil), subcategories...)
}

// SubcategoryByGUID finds a subcategory by GUID, with or without braces, in
// any case.
func SubcategoryByGUID(guid string) (Subcategory, bool) {
	g := normalizeGUID(guid)
	for _, s := range subcategories {
		if s.GUID == g {
			return s, true
		}
	}
	return Subcategory{}, false
}

// SubcategoryByName finds a subcategory by its English name, with or
// without the "Audit " prefix auditpol /backup and Group Policy use;
// case, spacing and the "/" of "User / Device Claims" are not significant.
func SubcategoryByName(name string) (Subcategory, bool) {
	if s, ok := subcategoriesByExactName()[name]; ok {
		return s, true
	}
	var buf [64]byte
	s, ok := subcategoriesByName()[string(appendNameKey(buf[:0], name))]
	return s, ok
}

// subcategoriesByExactName answers for the names as the table (and the
// mapping's winlog.task) spells them, without nameKey's allocations: the
// lookup runs for every Security record. Each answer is the one nameKey
// gives.
var subcategoriesByExactName = sync.OnceValue(func() map[string]Subcategory {
	byKey := subcategoriesByName()
	m := make(map[string]Subcategory, len(subcategories))
	for _, s := range subcategories {
		m[s.Name] = byKey[nameKey(s.Name)]
	}
	return m
})

// subcategoriesByName indexes the table by nameKey, once (it is read for
// the Task name of every Security record).
var subcategoriesByName = sync.OnceValue(func() map[string]Subcategory {
	m := make(map[string]Subcategory, len(subcategories))
	for _, s := range subcategories {
		m[nameKey(s.Name)] = s
	}
	return m
})

// subcategoryByID finds a subcategory by its message id (4719 SubcategoryId
// "%%12800", or a Security event's Task 12800).
func subcategoryByID(id int) (Subcategory, bool) {
	s, ok := subcategoriesByID()[id]
	return s, ok
}

// subcategoriesByID indexes the table by message id, once (it is read for
// the task of every Security record); the first of an id wins, as the
// table's order decided before.
var subcategoriesByID = sync.OnceValue(func() map[int]Subcategory {
	m := make(map[int]Subcategory, len(subcategories))
	for _, s := range subcategories {
		if _, seen := m[s.ID]; !seen {
			m[s.ID] = s
		}
	}
	return m
})

// nameKey is the key subcategoriesByName files a name under: lower case,
// without a leading "audit ", spaces, tabs, slashes and dashes, so that
// auditpol's, Group Policy's and the mapping's spellings meet.
func nameKey(name string) string { return string(appendNameKey(nil, name)) }

// appendNameKey appends nameKey(name) to dst, without an allocation for
// an ASCII name: the scan asks for the task name of every record, and
// other providers' (Sysmon's "Process Create (rule: ProcessCreate)") are
// no subcategory's.
func appendNameKey(dst []byte, name string) []byte {
	n := strings.TrimSpace(name)
	ascii := true
	for i := 0; i < len(n); i++ {
		if n[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if !ascii {
		n = strings.ToLower(n)
	}
	if len(n) >= len("audit ") && strings.EqualFold(n[:len("audit ")], "audit ") {
		n = n[len("audit "):]
	}
	// The separators are ASCII, so bytes can be skipped in UTF-8 too.
	for i := 0; i < len(n); i++ {
		c := n[i]
		switch {
		case c == ' ' || c == '/' || c == '-' || c == '\t':
			continue
		case ascii && 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

func normalizeGUID(g string) string {
	g = strings.ToUpper(strings.TrimSpace(g))
	g = strings.TrimSuffix(strings.TrimPrefix(g, "{"), "}")
	if g == "" {
		return ""
	}
	return "{" + g + "}"
}

// messageID parses "%%12800" (or "12800") into 12800.
func messageID(s string) (int, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "%%")
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// subcategoryOfEvent names the subcategory that logged a Security event,
// from its Task when the record carries it (Security events set Task to the
// subcategory's message id), else from event ids that belong to a single
// subcategory; object-access events shared by several subcategories
// (4656, 4658, 4660, 4663) fall back to ObjectType.
func subcategoryOfEvent(eventID int64, task int64, objectType string) (Subcategory, bool) {
	if task > 0 {
		if s, ok := subcategoryByID(int(task)); ok {
			return s, true
		}
	}
	var id int
	switch eventID {
	case 4688, 4696:
		id = 13312 // Process Creation
	case 4689:
		id = 13313 // Process Termination
	case 4692, 4693, 4694, 4695:
		id = 13314 // DPAPI Activity
	case 5712:
		id = 13315 // RPC Events
	case 6416, 6419, 6420, 6421, 6422, 6423, 6424:
		id = 13316 // Plug and Play Events
	case 4703:
		id = 13317 // Token Right Adjusted Events
	case 4664, 4985, 5051:
		id = 12800 // File System
	case 4657, 5039:
		id = 12801 // Registry
	case 4690:
		id = 12807 // Handle Manipulation
	case 5140, 5142, 5143, 5144, 5168:
		id = 12808 // File Share
	case 5145:
		id = 12811 // Detailed File Share
	case 4698, 4699, 4700, 4701, 4702, 4671, 4691, 5148, 5149:
		id = 12804 // Other Object Access Events
	case 4719:
		id = 13568 // Audit Policy Change
	case 4656, 4660, 4663:
		switch strings.ToLower(objectType) {
		case "file":
			id = 12800
		case "key":
			id = 12801
		default:
			return Subcategory{}, false
		}
	default:
		return Subcategory{}, false
	}
	return subcategoryByID(id)
}

// groupPolicyPath is where an administrator sets a subcategory in the Group
// Policy Management Editor.
func groupPolicyPath(s Subcategory) string {
	return "Computer Configuration > Policies > Windows Settings > Security Settings > " +
		"Advanced Audit Policy Configuration > Audit Policies > " + s.Category + " > Audit " + s.Name
}
