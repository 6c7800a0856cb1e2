// Package testsets defines the .evtx files the project commits: the small
// fixtures under testdata/evtx and the sample triage package under
// testdata/triage. The generators in evtx/evtxwrite/cmd write them, and
// tests check the committed copies are what the definitions produce.
// Everything is deterministic: fixed clocks, GUIDs derived from counters,
// hashes derived from image paths.
package testsets

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/shadowscan/shadowscan/evtx/evtxwrite"
)

// peInfo is the version resource Sysmon copies into event 1.
type peInfo struct {
	FileVersion, Description, Product, Company, OriginalFileName string
}

const (
	msCompany = "Microsoft Corporation"
	msProduct = "Microsoft® Windows® Operating System"
	winBuild  = "10.0.17763.1 (WinBuild.160101.0800)"
)

// knownImages maps lower-case image base names to their real version
// resources (OriginalFileName as Windows ships it: "Cmd.Exe",
// "PowerShell.EXE", ...).
func knownImages() map[string]peInfo {
	return map[string]peInfo{
		"cmd.exe":        {winBuild, "Windows Command Processor", msProduct, msCompany, "Cmd.Exe"},
		"powershell.exe": {winBuild, "Windows PowerShell", msProduct, msCompany, "PowerShell.EXE"},
		"conhost.exe":    {winBuild, "Console Window Host", msProduct, msCompany, "CONHOST.EXE"},
		"svchost.exe":    {winBuild, "Host Process for Windows Services", msProduct, msCompany, "svchost.exe"},
		"taskhostw.exe":  {winBuild, "Host Process for Windows Tasks", msProduct, msCompany, "taskhostw.exe"},
		"whoami.exe":     {winBuild, "whoami - displays logged on user information", msProduct, msCompany, "whoami.exe"},
		"ipconfig.exe":   {winBuild, "IP Configuration Utility", msProduct, msCompany, "ipconfig.exe"},
		"net.exe":        {winBuild, "Net Command", msProduct, msCompany, "net.exe"},
		"tasklist.exe":   {winBuild, "Lists the current running tasks", msProduct, msCompany, "tasklist.exe"},
		"notepad.exe":    {winBuild, "Notepad", msProduct, msCompany, "NOTEPAD.EXE"},
		"gpupdate.exe":   {winBuild, "Microsoft® Windows GPUpdate", msProduct, msCompany, "GPUpdate.exe"},
		"rundll32.exe":   {winBuild, "Windows host process (Rundll32)", msProduct, msCompany, "RUNDLL32.EXE"},
		"vssadmin.exe":   {winBuild, "Command Line Interface for Microsoft® Volume Shadow Copy Service", msProduct, msCompany, "VSSADMIN.EXE"},
		"wmiprvse.exe":   {winBuild, "WMI Provider Host", msProduct, msCompany, "Wmiprvse.exe"},
		"dsquery.exe":    {winBuild, "Microsoft AD DS/LDS query command line utility", msProduct, msCompany, "dsquery.exe"},
		"repadmin.exe":   {winBuild, "Replication Diagnosis Tool", msProduct, msCompany, "repadmin.exe"},
		"msedge.exe":     {"124.0.2478.97", "Microsoft Edge", "Microsoft Edge", msCompany, "msedge.exe"},
		"onedrive.exe":   {"24.076.0414.0005", "Microsoft OneDrive", "Microsoft OneDrive", msCompany, "OneDrive.exe"},
		"lnk.exe":        {"1.2.0.0", "Link helper", "Link helper", "Contoso Tools", "lnk.exe"},
		"mmc.exe":        {winBuild, "Microsoft Management Console", msProduct, msCompany, "MMC.EXE"},
	}
}

// account is who runs a process.
type account struct {
	Sid, Domain, Name string
	LogonId           uint64
	LogonGuid         string
	Integrity         string // Sysmon IntegrityLevel
	Label             string // 4688 MandatoryLabel SID
	Elevation         string // 4688 TokenElevationType
}

func (a account) qualified() string { return a.Domain + `\` + a.Name }

func (a account) subject() evtxwrite.Subject {
	return evtxwrite.Subject{UserSid: a.Sid, UserName: a.Name, DomainName: a.Domain, LogonId: a.LogonId}
}

// process is one process start to log, in Sysmon and/or Security form.
type process struct {
	At          time.Time
	User        account
	Image       string // full path
	CommandLine string
	Parent      *process // nil: Explorer of the same user
	PID         uint32
	GUID        string
	// OriginalFileName overrides the image's version resource (a renamed
	// binary keeps its original name).
	OriginalFileName string
	pe               peInfo
}

// host is one machine of the sample, with its clock-independent counters.
type host struct {
	Name                 string // FQDN, the Computer field
	Short                string // NetBIOS name
	Domain               string
	guidBase             uint32
	nextPID              uint32
	nextGUID             uint32
	System               account
	explorer             map[string]*process // per user SID
	sysmonPID, sysmonTID uint32
	images               map[string]peInfo
}

func newHost(fqdn string, guidBase uint32, sysmonPID uint32) *host {
	short := strings.ToUpper(strings.SplitN(fqdn, ".", 2)[0])
	h := &host{Name: fqdn, Short: short, Domain: "CORP", guidBase: guidBase, nextPID: 4100, explorer: map[string]*process{},
		sysmonPID: sysmonPID, sysmonTID: sysmonPID + 404, images: knownImages()}
	h.System = account{Sid: "S-1-5-18", Domain: "NT AUTHORITY", Name: "SYSTEM", LogonId: 0x3e7,
		LogonGuid: h.guid(0x3e7), Integrity: "System", Label: "S-1-16-16384", Elevation: "%%1936"}
	return h
}

// guid makes a Sysmon-style GUID: a per-host prefix, then n.
func (h *host) guid(n uint32) string {
	return fmt.Sprintf("{%08X-%04X-%04X-0000-0010%08X}", h.guidBase, 0x6643, 0x5a10, n)
}

func (h *host) user(name string, rid uint32, logonID uint64, admin bool) account {
	a := account{Sid: fmt.Sprintf("S-1-5-21-1004336348-1177238915-682003330-%d", rid), Domain: h.Domain, Name: name,
		LogonId: logonID, LogonGuid: h.guid(uint32(logonID)), Integrity: "Medium", Label: "S-1-16-8192", Elevation: "%%1938"}
	if admin {
		a.Integrity, a.Label, a.Elevation = "High", "S-1-16-12288", "%%1937"
	}
	return a
}

// start fills in PID, GUID and version info, and defaults the parent.
func (h *host) start(p process) *process {
	h.nextPID += 4 * (1 + h.nextPID%7) // irregular but deterministic
	h.nextGUID++
	p.PID = h.nextPID
	p.GUID = h.guid(h.nextGUID)
	base := strings.ToLower(path.Base(strings.ReplaceAll(p.Image, `\`, "/")))
	p.pe = h.images[base]
	if p.OriginalFileName != "" {
		p.pe.OriginalFileName = p.OriginalFileName
	}
	if p.Parent == nil {
		p.Parent = h.explorerOf(p.User)
	}
	return &p
}

func (h *host) explorerOf(a account) *process {
	if e := h.explorer[a.Sid]; e != nil {
		return e
	}
	h.nextGUID++
	e := &process{User: a, Image: `C:\Windows\explorer.exe`, CommandLine: `C:\Windows\Explorer.EXE`, PID: 3712 + uint32(len(h.explorer))*16,
		GUID: h.guid(h.nextGUID)}
	if a.Sid == h.System.Sid {
		e.Image, e.CommandLine = `C:\Windows\System32\services.exe`, `C:\Windows\system32\services.exe`
		e.PID = 640
	}
	h.explorer[a.Sid] = e
	return e
}

// hashes is a deterministic stand-in for Sysmon's Hashes field.
func hashes(image string) string {
	lower := strings.ToLower(image)
	return fmt.Sprintf("SHA1=%X,MD5=%X,SHA256=%X,IMPHASH=%X", sha1.Sum([]byte(lower)), md5.Sum([]byte(lower)),
		sha256.Sum256([]byte(lower)), md5.Sum([]byte("imp"+lower)))
}

func currentDir(p *process) string {
	if p.User.Sid == "S-1-5-18" {
		return `C:\Windows\system32\`
	}
	return `C:\Users\` + p.User.Name + `\`
}

// sysmon renders p as Sysmon event 1 of the given schema.
func (h *host) sysmon(p *process, schema evtxwrite.SysmonSchema) evtxwrite.Event {
	return evtxwrite.SysmonProcessCreate{
		Common: evtxwrite.Common{Computer: h.Name, TimeCreated: p.At.Add(2 * time.Millisecond),
			ExecutionProcessID: h.sysmonPID, ExecutionThreadID: h.sysmonTID},
		Schema:            schema,
		UtcTime:           evtxwrite.SysmonUtcTime(p.At),
		ProcessGuid:       p.GUID,
		ProcessId:         p.PID,
		Image:             p.Image,
		FileVersion:       p.pe.FileVersion,
		Description:       p.pe.Description,
		Product:           p.pe.Product,
		Company:           p.pe.Company,
		OriginalFileName:  p.pe.OriginalFileName,
		CommandLine:       p.CommandLine,
		CurrentDirectory:  currentDir(p),
		User:              p.User.qualified(),
		LogonGuid:         p.User.LogonGuid,
		LogonId:           p.User.LogonId,
		TerminalSessionId: map[bool]uint32{true: 0, false: 1}[p.User.Sid == "S-1-5-18"],
		IntegrityLevel:    p.User.Integrity,
		Hashes:            hashes(p.Image),
		ParentProcessGuid: p.Parent.GUID,
		ParentProcessId:   p.Parent.PID,
		ParentImage:       p.Parent.Image,
		ParentCommandLine: p.Parent.CommandLine,
		ParentUser:        p.Parent.User.qualified(),
	}.Event()
}

// security renders p as Security 4688. withCommandLine false is the
// default audit policy: the field is present (version 2) but empty.
func (h *host) security(p *process, withCommandLine bool) evtxwrite.Event {
	cmd := ""
	if withCommandLine {
		cmd = p.CommandLine
	}
	return evtxwrite.SecurityProcessCreate{
		Common:             evtxwrite.Common{Computer: h.Name, TimeCreated: p.At.Add(9 * time.Millisecond), ExecutionThreadID: 7044},
		Version:            2,
		Subject:            p.User.subject(),
		NewProcessId:       uint64(p.PID),
		NewProcessName:     p.Image,
		TokenElevationType: p.User.Elevation,
		ProcessId:          uint64(p.Parent.PID),
		CommandLine:        cmd,
		TargetUserSid:      "S-1-0-0",
		TargetUserName:     "-",
		TargetDomainName:   "-",
		ParentProcessName:  p.Parent.Image,
		MandatoryLabel:     p.User.Label,
	}.Event()
}

// handle renders a Security 4656 file handle request by p.
func (h *host) handle(p *process, at time.Time, object string, access []string, mask uint32, handleID uint64) evtxwrite.Event {
	return evtxwrite.SecurityHandleRequest{
		Common:      evtxwrite.Common{Computer: h.Name, TimeCreated: at, ExecutionThreadID: 7048},
		Subject:     p.User.subject(),
		ObjectType:  "File",
		ObjectName:  object,
		HandleId:    handleID,
		AccessList:  access,
		AccessMask:  mask,
		ProcessId:   uint64(p.PID),
		ProcessName: p.Image,
	}.Event()
}
