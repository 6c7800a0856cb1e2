package oracle

import "strconv"

// The message table of msobjs.dll as Elastic's security pipeline carries it
// ("Decode message table" script, params.descriptions; source:
// elastic/integrations packages/system/data_stream/security/elasticsearch/
// ingest_pipeline/standard.yml, which cites the table extracted from
// Windows 2019). Facts re-typed, not code.
//
// Only the parts that can appear in what this package maps are kept:
//   - access rights (%%1537.. and the per-object-type blocks from %%4352),
//     which is what 4656/4663 AccessList holds;
//   - the audit subcategory names (%%12288..%%14339), which are also the
//     Security-Auditing task names winlogbeat renders into winlog.task.
// Codes outside these ranges (logon failure reasons, UAC flags, IPsec) are
// left out; an AccessList code that is not in the table gets no
// description, exactly as in the pipeline.

// undefinedBit marks "Undefined Access (no effect) Bit N" in a block, N
// being the offset in the block; absent marks a code the table skips.
const (
	undefinedBit = ""
	absent       = "\x00"
)

// accessRightBlocks lists the object-specific access right names by first
// message id; entry i describes id base+i.
var accessRightBlocks = []struct {
	base  int
	names []string
}{
	{279, []string{"Undefined Access (no effect) Bit 7"}},
	{1536, []string{"Unused message ID", "DELETE", "READ_CONTROL", "WRITE_DAC", "WRITE_OWNER", "SYNCHRONIZE", "ACCESS_SYS_SEC", "MAX_ALLOWED"}},
	{1552, []string{"Unknown specific access (bit 0)", "Unknown specific access (bit 1)", "Unknown specific access (bit 2)", "Unknown specific access (bit 3)", "Unknown specific access (bit 4)", "Unknown specific access (bit 5)", "Unknown specific access (bit 6)", "Unknown specific access (bit 7)", "Unknown specific access (bit 8)", "Unknown specific access (bit 9)", "Unknown specific access (bit 10)", "Unknown specific access (bit 11)", "Unknown specific access (bit 12)", "Unknown specific access (bit 13)", "Unknown specific access (bit 14)", "Unknown specific access (bit 15)"}},
	{4352, []string{"Device Access Bit 0", "Device Access Bit 1", "Device Access Bit 2", "Device Access Bit 3", "Device Access Bit 4", "Device Access Bit 5", "Device Access Bit 6", "Device Access Bit 7", "Device Access Bit 8", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{4368, []string{"Query directory", "Traverse", "Create object in directory", "Create sub-directory", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{4384, []string{"Query event state", "Modify event state", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{4416, []string{"ReadData (or ListDirectory)", "WriteData (or AddFile)", "AppendData (or AddSubdirectory or CreatePipeInstance)", "ReadEA", "WriteEA", "Execute/Traverse", "DeleteChild", "ReadAttributes", "WriteAttributes", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{4432, []string{"Query key value", "Set key value", "Create sub-key", "Enumerate sub-keys", "Notify about changes to keys", "Create Link", undefinedBit, undefinedBit, "Enable 64(or 32) bit application to open 64 bit key", "Enable 64(or 32) bit application to open 32 bit key", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{4448, []string{"Query mutant state", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{4464, []string{"Communicate using port", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{4480, []string{"Force process termination", "Create new thread in process", "Set process session ID", "Perform virtual memory operation", "Read from process memory", "Write to process memory", "Duplicate handle into or out of process", "Create a subprocess of process", "Set process quotas", "Set process information", "Query process information", "Set process termination port", undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{4496, []string{"Control profile", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{4512, []string{"Query section state", "Map section for write", "Map section for read", "Map section for execute", "Extend size", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{4528, []string{"Query semaphore state", "Modify semaphore state", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{4544, []string{"Use symbolic link", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{4560, []string{"Force thread termination", "Suspend or resume thread", "Send an alert to thread", "Get thread context", "Set thread context", "Set thread information", "Query thread information", "Assign a token to the thread", "Cause thread to directly impersonate another thread", "Directly impersonate this thread", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	// The table has no entry for 4583 (timer, bit 7).
	{4576, []string{"Query timer state", "Modify timer state", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, absent, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{4592, []string{"AssignAsPrimary", "Duplicate", "Impersonate", "Query", "QuerySource", "AdjustPrivileges", "AdjustGroups", "AdjustDefaultDacl", "AdjustSessionID", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{4608, []string{"Create instance of object type", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{4864, []string{"Query State", "Modify State"}},
	{5120, []string{"Channel read message", "Channel write message", "Channel query information", "Channel set information", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{5136, []string{"Assign process", "Set Attributes", "Query Attributes", "Terminate Job", "Set Security Attributes", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{5376, []string{"ConnectToServer", "ShutdownServer", "InitializeServer", "CreateDomain", "EnumerateDomains", "LookupDomain", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{5392, []string{"ReadPasswordParameters", "WritePasswordParameters", "ReadOtherParameters", "WriteOtherParameters", "CreateUser", "CreateGlobalGroup", "CreateLocalGroup", "GetLocalGroupMembership", "ListAccounts", "LookupIDs", "AdministerServer", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{5408, []string{"ReadInformation", "WriteAccount", "AddMember", "RemoveMember", "ListMembers", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{5424, []string{"AddMember", "RemoveMember", "ListMembers", "ReadInformation", "WriteAccount", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{5440, []string{"ReadGeneralInformation", "ReadPreferences", "WritePreferences", "ReadLogon", "ReadAccount", "WriteAccount", "ChangePassword (with knowledge of old password)", "SetPassword (without knowledge of old password)", "ListGroups", "ReadGroupMembership", "ChangeGroupMembership", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{5632, []string{"View non-sensitive policy information", "View system audit requirements", "Get sensitive policy information", "Modify domain trust relationships", "Create special accounts (for assignment of user rights)", "Create a secret object", "Create a privilege", "Set default quota limits", "Change system audit requirements", "Administer audit log attributes", "Enable/Disable LSA", "Lookup Names/SIDs"}},
	{5648, []string{"Change secret value", "Query secret value", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{5664, []string{"Query trusted domain name/SID", "Retrieve the controllers in the trusted domain", "Change the controllers in the trusted domain", "Query the Posix ID offset assigned to the trusted domain", "Change the Posix ID offset assigned to the trusted domain", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{5680, []string{"Query account information", "Change privileges assigned to account", "Change quotas assigned to account", "Change logon capabilities assigned to account", "Change the Posix ID offset assigned to the accounted domain", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{5696, []string{"KeyedEvent Wait", "KeyedEvent Wake", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{6656, []string{"Enumerate desktops", "Read attributes", "Access Clipboard", "Create desktop", "Write attributes", "Access global atoms", "Exit windows", "Unused Access Flag", "Include this windowstation in enumerations", "Read screen"}},
	{6672, []string{"Read Objects", "Create window", "Create menu", "Hook control", "Journal (record)", "Journal (playback)", "Include this desktop in enumerations", "Write objects", "Switch to this desktop"}},
	{6912, []string{"Administer print server", "Enumerate printers"}},
	{6930, []string{"Full Control", "Print"}},
	{6948, []string{"Administer Document"}},
	{7168, []string{"Connect to service controller", "Create a new service", "Enumerate services", "Lock service database for exclusive access", "Query service database lock state", "Set last-known-good state of service database"}},
	{7184, []string{"Query service configuration information", "Set service configuration information", "Query status of service", "Enumerate dependencies of service", "Start the service", "Stop the service", "Pause or continue the service", "Query information from service", "Issue service-specific control commands"}},
	{7424, []string{"DDE Share Read", "DDE Share Write", "DDE Share Initiate Static", "DDE Share Initiate Link", "DDE Share Request", "DDE Share Advise", "DDE Share Poke", "DDE Share Execute", "DDE Share Add Items", "DDE Share List Items"}},
	{7680, []string{"Create Child", "Delete Child", "List Contents", "Write Self", "Read Property", "Write Property", "Delete Tree", "List Object", "Control Access", undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit, undefinedBit}},
	{7936, []string{"Audit Set System Policy", "Audit Query System Policy", "Audit Set Per User Policy", "Audit Query Per User Policy", "Audit Enumerate Users", "Audit Set Options", "Audit Query Options"}},
	{8064, []string{"Port sharing (read)", "Port sharing (write)"}},
	{8096, []string{"Default credentials", "Credentials manager", "Fresh credentials"}},
}

// subcategoryBlocks are the audit subcategory names; a Security-Auditing
// event's Task value is one of these ids (4688: 13312 "Process Creation",
// 4656 on a file: 12800 "File System").
var subcategoryBlocks = []struct {
	base  int
	names []string
}{
	{12288, []string{"Security State Change", "Security System Extension", "System Integrity", "IPsec Driver", "Other System Events"}},
	{12544, []string{"Logon", "Logoff", "Account Lockout", "IPsec Main Mode", "Special Logon", "IPsec Quick Mode", "IPsec Extended Mode", "Other Logon/Logoff Events", "Network Policy Server", "User / Device Claims", "Group Membership"}},
	{12800, []string{"File System", "Registry", "Kernel Object", "SAM", "Other Object Access Events", "Certification Services", "Application Generated", "Handle Manipulation", "File Share", "Filtering Platform Packet Drop", "Filtering Platform Connection", "Detailed File Share", "Removable Storage", "Central Policy Staging"}},
	{13056, []string{"Sensitive Privilege Use", "Non Sensitive Privilege Use", "Other Privilege Use Events"}},
	{13312, []string{"Process Creation", "Process Termination", "DPAPI Activity", "RPC Events", "Plug and Play Events", "Token Right Adjusted Events"}},
	{13568, []string{"Audit Policy Change", "Authentication Policy Change", "Authorization Policy Change", "MPSSVC Rule-Level Policy Change", "Filtering Platform Policy Change", "Other Policy Change Events"}},
	{13824, []string{"User Account Management", "Computer Account Management", "Security Group Management", "Distribution Group Management", "Application Group Management", "Other Account Management Events"}},
	{14080, []string{"Directory Service Access", "Directory Service Changes", "Directory Service Replication", "Detailed Directory Service Replication"}},
	{14336, []string{"Credential Validation", "Kerberos Service Ticket Operations", "Other Account Logon Events", "Kerberos Authentication Service"}},
}

// messageDescription returns the msobjs.dll text for a message id as the
// security pipeline knows it ("4417" -> "WriteData (or AddFile)").
func messageDescription(code string) (string, bool) {
	id, err := strconv.Atoi(code)
	if err != nil || code != strconv.Itoa(id) {
		// The pipeline looks codes up as map keys: "04417" is not "4417".
		return "", false
	}
	if d, ok := lookupBlocks(accessRightBlocks, id); ok {
		return d, true
	}
	return lookupBlocks(subcategoryBlocks, id)
}

func lookupBlocks(blocks []struct {
	base  int
	names []string
}, id int) (string, bool) {
	for _, b := range blocks {
		if id < b.base || id >= b.base+len(b.names) {
			continue
		}
		switch n := b.names[id-b.base]; n {
		case absent:
			return "", false
		case undefinedBit:
			return "Undefined Access (no effect) Bit " + strconv.Itoa(id-b.base), true
		default:
			return n, true
		}
	}
	return "", false
}

// accessMaskFlags is params.AccessMaskDescriptions of the same script, in
// the pipeline's (YAML) order; javaHashMapOrder turns it into the order
// Elasticsearch iterates it. "Delete Treee" is Elastic's spelling.
var accessMaskFlags = []struct {
	key  string
	mask int64
	name string
}{
	{"0x00000001", 0x00000001, "Create Child"},
	{"0x00000002", 0x00000002, "Delete Child"},
	{"0x00000004", 0x00000004, "List Contents"},
	{"0x00000008", 0x00000008, "SELF"},
	{"0x00000010", 0x00000010, "Read Property"},
	{"0x00000020", 0x00000020, "Write Property"},
	{"0x00000040", 0x00000040, "Delete Treee"},
	{"0x00000080", 0x00000080, "List Object"},
	{"0x00000100", 0x00000100, "Control Access"},
	{"0x00010000", 0x00010000, "DELETE"},
	{"0x00020000", 0x00020000, "READ_CONTROL"},
	{"0x00040000", 0x00040000, "WRITE_DAC"},
	{"0x00080000", 0x00080000, "WRITE_OWNER"},
	{"0x00100000", 0x00100000, "SYNCHRONIZE"},
	{"0x00F00000", 0x00F00000, "STANDARD_RIGHTS_REQUIRED"},
	{"0x001F0000", 0x001F0000, "STANDARD_RIGHTS_ALL"},
	{"0x0000FFFF", 0x0000FFFF, "SPECIFIC_RIGHTS_ALL"},
	{"0x01000000", 0x01000000, "ADS_RIGHT_ACCESS_SYSTEM_SECURITY"},
	{"0x10000000", 0x10000000, "ADS_RIGHT_GENERIC_ALL"},
	{"0x20000000", 0x20000000, "ADS_RIGHT_GENERIC_EXECUTE"},
	{"0x40000000", 0x40000000, "ADS_RIGHT_GENERIC_WRITE"},
	{"0x80000000", 0x80000000, "ADS_RIGHT_GENERIC_READ"},
}

// accessMaskIterationOrder is the order in which Elasticsearch iterates
// accessMaskFlags (a java.util.HashMap built from the pipeline's params);
// TestAccessMaskIterationOrder recomputes it with javaHashMapOrder.
var accessMaskIterationOrder = [...]int{7, 12, 20, 16, 6, 19, 5, 18, 4, 9, 0, 8, 21, 1, 2, 17, 3, 13, 11, 10, 15, 14}
