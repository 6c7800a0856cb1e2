// Command benchcompare is the side-by-side benchmark of `make bench`: on the
// same files, in one run, it times `shadowscan scan`, `inventory` and
// `events --ecs` (with 1 and 2 workers), a plain golang-evtx FastEvents
// loop (goevtxbaseline), libevtx's evtxexport when installed, and
// `cat FILE > /dev/null`, and reports MB/s, records/s, peak RSS and the
// ratios to the golang-evtx baseline and to cat as a Markdown table. It
// also checks that `scan` reports the same thing on the plain path (the
// reference golang-evtx decoder and every record mapped:
// SHADOWSCAN_DECODER=goevtx SHADOWSCAN_MAP=all) as on the fast path (the
// fast decoder, partial decoding, and mapping only what needs it).
//
//	go run ./internal/cmd/benchcompare -bin bin/shadowscan -baseline bin/goevtxbaseline FILE...
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("bin", "bin/shadowscan", "shadowscan binary")
	baseline := flag.String("baseline", "bin/goevtxbaseline", "golang-evtx FastEvents baseline binary")
	evtxexport := flag.String("evtxexport", "evtxexport", "libevtx's evtxexport (skipped when not found)")
	exportMax := flag.Int64("evtxexport-max", 300<<20, "run evtxexport only on files up to this size (it is slow; 0: always)")
	repeat := flag.Int("repeat", 2, "runs of each shadowscan/cat command; the fastest is reported (the machine may be shared)")
	identity := flag.Bool("identity", true, "also run scan with the reference decoder and compare the reports")
	rules := flag.String("rules", "", "also scan with these rules added (--rules), mapping only what needs it and every record, and compare the reports")
	out := flag.String("o", "", "also write the Markdown report to this file")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: benchcompare [flags] FILE...")
		os.Exit(2)
	}
	var md bytes.Buffer
	w := io.MultiWriter(os.Stdout, &md)
	fmt.Fprintf(w, "%s\n\n", machine())
	ok := true
	for _, file := range flag.Args() {
		if !benchFile(w, file, *bin, *baseline, *evtxexport, *exportMax, *repeat, *identity, *rules) {
			ok = false
		}
	}
	if *out != "" {
		if err := os.WriteFile(*out, md.Bytes(), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "benchcompare:", err)
			os.Exit(1)
		}
	}
	if !ok {
		os.Exit(1)
	}
}

// run is one timed command.
type run struct {
	name    string
	workers string
	wall    time.Duration
	cpu     time.Duration // user + system
	maxRSS  int64         // bytes
	rssMax  bool          // maxRSS is only a bound: the run's own peak was not told apart (ownPeak)
	stdout  []byte
}

// measure runs argv (stdout to /dev/null unless keep), repeat times, and
// returns the fastest run.
func measure(name, workers string, env []string, keep bool, repeat int, argv ...string) (run, error) {
	best, err := timed(name, workers, env, keep, repeat, argv...)
	if err != nil || best.maxRSS > ownPeak() {
		return best, err
	}
	// A child of os/exec starts in this process's memory (vfork) and the
	// kernel counts that memory's peak as the child's own ru_maxrss: a
	// run that stayed below it (cat) gets this process's peak. GNU time
	// forks from a small process of its own, so it tells the child's
	// real peak, at the cost of one more run (not for the slow ones).
	if gnuTime, err := exec.LookPath("/usr/bin/time"); err == nil && best.wall < 20*time.Second {
		if rss, err := peakRSS(gnuTime, env, argv); err == nil {
			best.maxRSS = rss
			return best, nil
		}
	}
	best.rssMax = true
	return best, nil
}

// ownPeak returns this process's peak resident set size (VmHWM), 0 if
// unknown.
func ownPeak() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// peakRSS runs argv once under GNU time and returns its peak resident set
// size.
func peakRSS(gnuTime string, env, argv []string) (int64, error) {
	out, err := os.CreateTemp("", "benchcompare-rss")
	if err != nil {
		return 0, err
	}
	out.Close()
	defer os.Remove(out.Name())
	cmd := exec.Command(gnuTime, append([]string{"-f", "%M", "-o", out.Name()}, argv...)...)
	cmd.Env = append(os.Environ(), env...)
	_ = cmd.Run() // a scan's exit status tells alerts, not failure
	b, err := os.ReadFile(out.Name())
	if err != nil {
		return 0, err
	}
	lines := strings.Fields(string(b))
	if len(lines) == 0 {
		return 0, fmt.Errorf("GNU time wrote nothing")
	}
	kb, err := strconv.ParseInt(lines[len(lines)-1], 10, 64)
	return kb << 10, err
}

// timed runs argv (stdout to /dev/null unless keep), repeat times, and
// returns the fastest run.
func timed(name, workers string, env []string, keep bool, repeat int, argv ...string) (run, error) {
	var best run
	for i := 0; i < max(repeat, 1); i++ {
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = append(os.Environ(), env...)
		var buf bytes.Buffer
		var stderr bytes.Buffer
		if keep {
			cmd.Stdout = &buf
		} else {
			devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			if err != nil {
				return run{}, err
			}
			defer devnull.Close()
			cmd.Stdout = devnull
		}
		cmd.Stderr = &stderr
		start := time.Now()
		err := cmd.Run()
		wall := time.Since(start)
		var exitErr *exec.ExitError
		if err != nil && !(errors.As(err, &exitErr) && strings.HasPrefix(name, "shadowscan scan")) {
			return run{}, fmt.Errorf("%s: %v: %s", strings.Join(argv, " "), err, lastLine(stderr.String()))
		}
		ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		r := run{name: name, workers: workers, wall: wall, stdout: buf.Bytes()}
		if ru != nil {
			r.maxRSS = ru.Maxrss * 1024
			r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
		if i == 0 || r.wall < best.wall {
			best = r
		}
	}
	return best, nil
}

// measurePair runs two copies of argv at once, repeat times, and returns
// the fastest wall time until both finished: what the machine gives two
// independent processes, the ceiling for two workers of one.
func measurePair(repeat int, argv ...string) (time.Duration, error) {
	var best time.Duration
	for i := 0; i < max(repeat, 1); i++ {
		start := time.Now()
		errs := make(chan error, 2)
		for range 2 {
			go func() {
				cmd := exec.Command(argv[0], argv[1:]...)
				errs <- cmd.Run()
			}()
		}
		for range 2 {
			if err := <-errs; err != nil {
				return 0, fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
			}
		}
		if wall := time.Since(start); i == 0 || wall < best {
			best = wall
		}
	}
	return best, nil
}

func benchFile(w io.Writer, file, bin, baseline, evtxexport string, exportMax int64, repeat int, identity bool, rules string) bool {
	fi, err := os.Stat(file)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcompare:", err)
		return false
	}
	size := fi.Size()
	var runs []run
	add := func(r run, err error) {
		if err != nil {
			fmt.Fprintln(os.Stderr, "benchcompare:", err)
			return
		}
		runs = append(runs, r)
		fmt.Fprintf(os.Stderr, "  %-28s workers %-2s %8.2f s  %6.0f MiB RSS\n", r.name, r.workers, r.wall.Seconds(), float64(r.maxRSS)/(1<<20))
	}
	fmt.Fprintf(os.Stderr, "%s (%d MiB)\n", file, size>>20)

	catRun, err := measure("cat FILE > /dev/null", "-", nil, false, max(repeat, 3), "cat", file)
	add(catRun, err)
	base, err := measure("golang-evtx FastEvents loop", "-", nil, true, 1, baseline, file)
	add(base, err)
	records := baselineCount(base.stdout)
	if p, err := exec.LookPath(evtxexport); err == nil && (exportMax == 0 || size <= exportMax) {
		add(measure("evtxexport (libevtx)", "1", nil, false, 1, p, file))
	}
	tmp, err := os.MkdirTemp("", "benchcompare")
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchcompare:", err)
		return false
	}
	defer os.RemoveAll(tmp)
	reports := map[string][]byte{}
	for _, workers := range []string{"1", "2"} {
		report := filepath.Join(tmp, "scan-fast-"+workers+".json")
		add(measure("shadowscan scan", workers, nil, false, repeat, bin, "scan", "--no-progress", "--workers", workers, "--format", "json", "-o", report, file))
		reports["fast w"+workers] = readReport(report)
		add(measure("shadowscan inventory", workers, nil, false, repeat, bin, "inventory", "--no-progress", "--workers", workers, file))
		add(measure("shadowscan events --ecs", workers, nil, false, 1, bin, "events", "--ecs", "--no-progress", "--workers", workers, file))
	}
	// The machine's own ceiling for two workers: two single-worker
	// inventories side by side (exec.Cmd's output goes to /dev/null).
	pair, pairErr := measurePair(repeat, bin, "inventory", "--no-progress", "--workers", "1", file)
	if pairErr != nil {
		fmt.Fprintln(os.Stderr, "benchcompare:", pairErr)
	}
	// The same commands with Go's default garbage-collector target
	// (GOGC=100) instead of the GOGC=400 shadowscan sets for itself, to
	// show what that tuning buys.
	for _, workers := range []string{"1", "2"} {
		add(measure("shadowscan scan, GOGC=100", workers, []string{"GOGC=100"}, false, repeat, bin, "scan", "--no-progress", "--workers", workers, "--format", "json", "-o", filepath.Join(tmp, "scan-gogc.json"), file))
		add(measure("shadowscan inventory, GOGC=100", workers, []string{"GOGC=100"}, false, repeat, bin, "inventory", "--no-progress", "--workers", workers, file))
	}
	// The fast decoder with every record mapped: what mapping only the
	// records something needs buys.
	mapAll := filepath.Join(tmp, "scan-mapall.json")
	add(measure("shadowscan scan, every record mapped", "2", []string{"SHADOWSCAN_MAP=all"}, false, 1, bin, "scan", "--no-progress", "--workers", "2", "--format", "json", "-o", mapAll, file))
	reports["every record mapped"] = readReport(mapAll)
	identical := "not checked"
	if identity {
		report := filepath.Join(tmp, "scan-goevtx.json")
		add(measure("shadowscan scan, plain path (golang-evtx decoder, every record mapped)", "2", []string{"SHADOWSCAN_DECODER=goevtx", "SHADOWSCAN_MAP=all"}, false, 1, bin, "scan", "--no-progress", "--workers", "2", "--format", "json", "-o", report, file))
		ref := readReport(report)
		identical = "yes"
		for k, r := range reports {
			if ref == nil || !bytes.Equal(ref, r) {
				identical = "NO (" + k + " differs)"
			}
		}
	}

	// With more rules (the seed's current ones fall back on process.name,
	// so they can fire on 4688 too): the same report whether the scan maps
	// only what needs it or every record.
	sameWithRules := ""
	if rules != "" {
		withRules := filepath.Join(tmp, "scan-rules.json")
		add(measure("shadowscan scan --rules "+filepath.Base(rules), "2", nil, false, 1, bin, "scan", "--no-progress", "--workers", "2", "--rules", rules, "--format", "json", "-o", withRules, file))
		allWithRules := filepath.Join(tmp, "scan-rules-mapall.json")
		add(measure("shadowscan scan --rules "+filepath.Base(rules)+", every record mapped", "2", []string{"SHADOWSCAN_MAP=all"}, false, 1, bin, "scan", "--no-progress", "--workers", "2", "--rules", rules, "--format", "json", "-o", allWithRules, file))
		a, b := readReport(withRules), readReport(allWithRules)
		sameWithRules = "yes"
		if a == nil || !bytes.Equal(a, b) {
			sameWithRules = "NO"
			identical = "NO (--rules " + rules + " differs)"
		}
	}

	mb := float64(size) / 1e6
	fmt.Fprintf(w, "### %s (%.0f MB, %d records)\n\n", filepath.Base(file), mb, records)
	fmt.Fprintln(w, "| command | workers | seconds | MB/s | records/s | CPU s | peak RSS MiB | × golang-evtx | × slower than cat |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range runs {
		s := r.wall.Seconds()
		rss := fmt.Sprintf("%.0f", float64(r.maxRSS)/(1<<20))
		if r.rssMax {
			rss = "≤ " + rss
		}
		fmt.Fprintf(w, "| %s | %s | %.2f | %.0f | %.0f | %.2f | %s | %s | %s |\n", r.name, r.workers, s, mb/s,
			float64(records)/s, r.cpu.Seconds(), rss, ratio(base.wall, r.wall), ratio(r.wall, catRun.wall))
	}
	if pairErr == nil {
		fmt.Fprintf(w, "\n%s\n", scaling(runs, pair))
	}
	fmt.Fprintf(w, "\nscan report identical on the plain path (golang-evtx decoder, every record mapped) and the fast path (1 and 2 workers, and with every record mapped): %s\n", identical)
	if rules != "" {
		fmt.Fprintf(w, "with --rules %s, identical mapping only what needs it and every record: %s\n", rules, sameWithRules)
	}
	fmt.Fprintln(w)
	return !strings.HasPrefix(identical, "NO")
}

// scaling says how much 2 workers gain over 1 for scan and inventory,
// against what the machine gives two independent single-worker
// inventories (pair: both done).
func scaling(runs []run, pair time.Duration) string {
	wall := func(name, workers string) time.Duration {
		for _, r := range runs {
			if r.name == name && r.workers == workers {
				return r.wall
			}
		}
		return 0
	}
	inv1 := wall("shadowscan inventory", "1")
	ceiling := 2 * inv1.Seconds() / pair.Seconds()
	return fmt.Sprintf("Scaling from 1 to 2 workers: scan %s×, inventory %s×; two single-worker inventories run side by side finish in %.2f s against %.2f s for one, so this machine gives two processes %.2f× the throughput of one (the ceiling for two workers).",
		ratio(wall("shadowscan scan", "1"), wall("shadowscan scan", "2")), ratio(inv1, wall("shadowscan inventory", "2")), pair.Seconds(), inv1.Seconds(), ceiling)
}

func ratio(a, b time.Duration) string {
	if a <= 0 || b <= 0 {
		return "-"
	}
	return strconv.FormatFloat(a.Seconds()/b.Seconds(), 'f', 1, 64)
}

// readReport returns a JSON scan report without its elapsed time.
func readReport(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var v map[string]any
	if json.Unmarshal(b, &v) != nil {
		return nil
	}
	if s, ok := v["summary"].(map[string]any); ok {
		delete(s, "elapsed_seconds")
	}
	out, _ := json.Marshal(v)
	return out
}

func baselineCount(out []byte) int {
	for _, line := range strings.Split(string(out), "\n") {
		if n, ok := strings.CutPrefix(line, "total\t"); ok {
			v, _ := strconv.Atoi(n)
			return v
		}
	}
	return 0
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// machine describes the machine: CPU model, cores, memory, Go version.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
				mem = fmt.Sprintf(", %.1f GiB RAM", float64(kb)/(1<<20))
			}
		}
	}
	return fmt.Sprintf("Machine: %s, %d cores%s, %s/%s, %s; files read from the page cache (cat runs first).",
		model, runtime.NumCPU(), mem, runtime.GOOS, runtime.GOARCH, runtime.Version())
}
