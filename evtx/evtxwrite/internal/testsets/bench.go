package testsets

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/shadowscan/shadowscan/evtx/evtxwrite"
)

// BenchHost is the computer of the benchmark logs.
const BenchHost = "BENCH01.corp.local"

// Benchmark log kinds.
const (
	BenchSecurity = "security" // 4688 (with command lines) and 4656, dense chunks
	BenchSysmon   = "sysmon"   // Sysmon 1 mostly, with 3 (network) and 11 (file create)
)

// BenchFile returns the file name a benchmark log of kind gets.
func BenchFile(kind string) string {
	if kind == BenchSysmon {
		return sysmonFile
	}
	return securityFile
}

// countingFile tracks the size of the file being written.
type countingFile struct {
	f         *os.File
	off, size int64
}

func (c *countingFile) Write(p []byte) (int, error) {
	n, err := c.f.Write(p)
	c.off += int64(n)
	c.size = max(c.size, c.off)
	return n, err
}

func (c *countingFile) Seek(off int64, whence int) (int64, error) {
	n, err := c.f.Seek(off, whence)
	if err == nil {
		c.off = n
	}
	return n, err
}

// WriteBench writes a benchmark log of kind under dir, about size bytes
// (whole chunks), with positives true positives spread evenly through it.
// It returns the planted records. The content is deterministic.
func WriteBench(dir, kind string, size int64, positives int) ([]*Planted, error) {
	path := filepath.Join(dir, BenchFile(kind))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cf := &countingFile{f: f}
	const first = 1_000_000
	w := evtxwrite.NewWriter(cf, evtxwrite.FirstRecordID(first))
	g := newBenchGen(kind)
	var planted []*Planted
	rel := BenchHost + "/" + BenchFile(kind)
	for n := uint64(0); cf.size < size; n++ {
		var e evtxwrite.Event
		var p *Planted
		if len(planted) < positives && cf.size >= int64(len(planted)+1)*size/int64(positives+1) {
			e, p = g.positive(len(planted))
			p.File, p.RecordID, p.Time, p.EventID = rel, first+n, e.TimeCreated, e.EventID
			planted = append(planted, p)
		} else {
			e = g.next()
		}
		if err := w.Write(e); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return planted, f.Close()
}

// BenchEvents returns the first n events of a benchmark log of kind
// (without positives), for tests that need the events themselves.
func BenchEvents(kind string, n int) []evtxwrite.Event {
	g := newBenchGen(kind)
	out := make([]evtxwrite.Event, n)
	for i := range out {
		out[i] = g.next()
	}
	return out
}

// benchGen produces a realistic, varied stream of events.
type benchGen struct {
	kind  string
	h     *host
	rng   *rand.Rand
	at    time.Time
	users []account
	procs []*process // recent processes, parents and 4656 openers
	specs []noiseSpec
	args  []string // extra arguments that vary command lines
}

func newBenchGen(kind string) *benchGen {
	h := newHost(BenchHost, 0x5EED0001, 2288)
	g := &benchGen{kind: kind, h: h, rng: rand.New(rand.NewPCG(20240514, 1)),
		at:    time.Date(2024, 5, 14, 0, 0, 0, 0, time.UTC),
		specs: append(dcNoise(), wsNoise()...),
		args: []string{"", "/quiet", "-Embedding", "--no-startup-window", "/v", `C:\ProgramData\Logs\app.log`,
			`\\fileserver\share\reports\q2.xlsx`, "-k LocalServiceNetworkRestricted -p", "/t REG_SZ /d 1 /f", "--type=gpu-process"}}
	for i := 0; i < 12; i++ {
		g.users = append(g.users, h.user(fmt.Sprintf("user%02d", i), uint32(1200+i), uint64(0x3a0000+i*0x1111), i%4 == 0))
	}
	g.users = append(g.users, h.System)
	return g
}

func (g *benchGen) tick() time.Time {
	g.at = g.at.Add(time.Duration(20+g.rng.IntN(400)) * time.Millisecond)
	return g.at
}

func (g *benchGen) process() *process {
	s := g.specs[g.rng.IntN(len(g.specs))]
	u := g.users[g.rng.IntN(len(g.users))]
	if s.system {
		u = g.h.System
	}
	// Vary command lines so string values differ record to record.
	cmd := s.cmd + " " + g.args[g.rng.IntN(len(g.args))]
	p := process{At: g.tick(), User: u, Image: s.image, CommandLine: cmd}
	if len(g.procs) > 0 && g.rng.IntN(3) == 0 {
		p.Parent = g.procs[g.rng.IntN(len(g.procs))]
	}
	pp := g.h.start(p)
	if len(g.procs) < 64 {
		g.procs = append(g.procs, pp)
	} else {
		g.procs[g.rng.IntN(len(g.procs))] = pp
	}
	return pp
}

func (g *benchGen) next() evtxwrite.Event {
	if g.kind == BenchSysmon {
		switch r := g.rng.IntN(10); {
		case r < 6:
			return g.h.sysmon(g.process(), evtxwrite.SysmonOriginalFileName)
		case r < 8:
			return g.network()
		default:
			return g.fileCreate()
		}
	}
	if g.rng.IntN(5) < 3 {
		return g.h.security(g.process(), true)
	}
	var p *process
	if len(g.procs) == 0 {
		p = g.process()
	} else {
		p = g.procs[g.rng.IntN(len(g.procs))]
	}
	obj := fmt.Sprintf(`\Device\HarddiskVolume2\Users\%s\Documents\file%04d.docx`, p.User.Name, g.rng.IntN(5000))
	return g.h.handle(p, g.tick(), obj, readAccess(), 0x120089, uint64(0x400+4*g.rng.IntN(4096)))
}

// network is Sysmon event 3 with Sysmon's value types.
func (g *benchGen) network() evtxwrite.Event {
	p := g.process()
	at := g.tick()
	e := sysmonCommon(g.h, at, 3, 5)
	e.EventData = []evtxwrite.Data{
		evtxwrite.D("RuleName", evtxwrite.String("")),
		evtxwrite.D("UtcTime", evtxwrite.String(evtxwrite.SysmonUtcTime(at))),
		evtxwrite.D("ProcessGuid", evtxwrite.GUID(p.GUID)),
		evtxwrite.D("ProcessId", evtxwrite.UInt32(p.PID)),
		evtxwrite.D("Image", evtxwrite.String(p.Image)),
		evtxwrite.D("User", evtxwrite.String(p.User.qualified())),
		evtxwrite.D("Protocol", evtxwrite.String("tcp")),
		evtxwrite.D("Initiated", evtxwrite.Bool(true)),
		evtxwrite.D("SourceIsIpv6", evtxwrite.Bool(false)),
		evtxwrite.D("SourceIp", evtxwrite.String("10.1.2.34")),
		evtxwrite.D("SourceHostname", evtxwrite.String(g.h.Name)),
		evtxwrite.D("SourcePort", evtxwrite.UInt16(uint16(49152+g.rng.IntN(16000)))),
		evtxwrite.D("SourcePortName", evtxwrite.String("")),
		evtxwrite.D("DestinationIsIpv6", evtxwrite.Bool(false)),
		evtxwrite.D("DestinationIp", evtxwrite.String(fmt.Sprintf("10.1.%d.%d", g.rng.IntN(8), 1+g.rng.IntN(250)))),
		evtxwrite.D("DestinationHostname", evtxwrite.String("fileserver.corp.local")),
		evtxwrite.D("DestinationPort", evtxwrite.UInt16(445)),
		evtxwrite.D("DestinationPortName", evtxwrite.String("microsoft-ds")),
	}
	return e
}

// fileCreate is Sysmon event 11.
func (g *benchGen) fileCreate() evtxwrite.Event {
	p := g.process()
	at := g.tick()
	e := sysmonCommon(g.h, at, 11, 2)
	e.EventData = []evtxwrite.Data{
		evtxwrite.D("RuleName", evtxwrite.String("")),
		evtxwrite.D("UtcTime", evtxwrite.String(evtxwrite.SysmonUtcTime(at))),
		evtxwrite.D("ProcessGuid", evtxwrite.GUID(p.GUID)),
		evtxwrite.D("ProcessId", evtxwrite.UInt32(p.PID)),
		evtxwrite.D("Image", evtxwrite.String(p.Image)),
		evtxwrite.D("TargetFilename", evtxwrite.String(fmt.Sprintf(`C:\Users\%s\AppData\Local\Temp\tmp%05X.tmp`, p.User.Name, g.rng.IntN(1<<20)))),
		evtxwrite.D("CreationUtcTime", evtxwrite.String(evtxwrite.SysmonUtcTime(at))),
		evtxwrite.D("User", evtxwrite.String(p.User.qualified())),
	}
	return e
}

func sysmonCommon(h *host, at time.Time, id uint16, version uint8) evtxwrite.Event {
	return evtxwrite.Event{Provider: evtxwrite.SysmonProvider, ProviderGUID: evtxwrite.SysmonProviderGUID,
		Channel: evtxwrite.SysmonChannel, EventID: id, Version: version, Level: 4, Task: id,
		Keywords: 0x8000000000000000, TimeCreated: at, ProcessID: h.sysmonPID, ThreadID: h.sysmonTID,
		Computer: h.Name, UserID: "S-1-5-18"}
}

// positive returns the i-th planted true positive of the log.
func (g *benchGen) positive(i int) (evtxwrite.Event, *Planted) {
	admin := g.users[0]
	link := fmt.Sprintf(`cmd.exe /c mklink /d C:\sc%d \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy%d\`, i, 1+i%4)
	copyNTDS := fmt.Sprintf(`cmd.exe /c copy \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy%d\Windows\NTDS\ntds.dit C:\Windows\Temp\n%d.dit`, 1+i%4, i)
	cmd := link
	if i%2 == 1 {
		cmd = copyNTDS
	}
	p := g.h.start(process{At: g.tick(), User: admin, Image: `C:\Windows\System32\cmd.exe`, CommandLine: cmd})
	if g.kind == BenchSysmon {
		e := g.h.sysmon(p, evtxwrite.SysmonOriginalFileName)
		exp := Expect{SeedV102: true, SeedCurrent: true}
		if i%2 == 1 {
			exp = Expect{NTDSV86: true, NTDSCurrent: true}
		}
		return e, &Planted{Host: g.h.Name, Kind: "true positive", What: "Sysmon 1", Detail: cmd, Expect: exp}
	}
	exp := Expect{SeedCurrent: true}
	if i%2 == 1 {
		exp = Expect{NTDSCurrent: true}
	}
	return g.h.security(p, true), &Planted{Host: g.h.Name, Kind: "true positive", What: "4688", Detail: cmd, Expect: exp}
}

// ParseSize reads a size for the benchmark tools: "1GiB", "256MiB",
// "64KiB" or a number of bytes.
func ParseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range [...]struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = rest, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q (want e.g. 1GiB, 256MiB, 65536)", s)
	}
	return n * mult, nil
}
