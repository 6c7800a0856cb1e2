// Command shadowscan scans Windows event logs (.evtx) for Elastic detection
// rules and reports whether each host's audit policy could have shown them.
//
// main only wires flags to packages; every decision a test could want to
// check lives in evtx, mapping, detect, audit, report or scan.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"golang.org/x/term"
)

// Exit statuses, documented in the README and in --help.
const (
	exitOK      = 0  // the run completed (damaged input is reported, not fatal)
	exitNothing = 1  // nothing could be read
	exitUsage   = 2  // bad flags or arguments
	exitAlerts  = 10 // scan --exit-code found alerts
)

// env is what a command may touch of the process, so tests can run commands
// in-process with buffers.
type env struct {
	stdin            io.Reader
	stdout, stderr   io.Writer
	stderrIsTerminal bool
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) int
}

func commands() []command {
	return []command{
		{"inventory", "per-file accounting: channels, hosts, time range, records decoded and failed", runInventory},
		{"events", "print decoded records as JSON lines (--ecs: Elastic ECS documents, --bulk: _bulk format)", runEvents},
		{"query", "run an ad-hoc EQL query over .evtx or ECS NDJSON files", runQuery},
		{"rules", "list or show the loaded detection rules", runRules},
		{"scan", "run the detection rules and report alerts and audit-policy prerequisites", runScan},
		{"audit", "per host: could these logs have shown what the rules look for?", runAudit},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The first Ctrl-C asks the command to stop and write what it has; the
	// default handling comes back then, so a second one ends a run that
	// cannot stop (blocked on a pipe, a hung network share) at once.
	go func() {
		<-ctx.Done()
		stop()
	}()
	tuneGC()
	e := &env{
		stdin:            os.Stdin,
		stdout:           os.Stdout,
		stderr:           os.Stderr,
		stderrIsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
	}
	os.Exit(run(ctx, e, os.Args[1:]))
}

// mapEnv names the environment variable that makes scan and audit map
// every record ("all") instead of only those something needs ("needed",
// the default): the same results, slower; benchcompare uses it to prove
// that (scan.Options.MapAll).
const mapEnv = "SHADOWSCAN_MAP"

func mapAllFromEnv() (bool, error) {
	switch v := os.Getenv(mapEnv); v {
	case "", "needed":
		return false, nil
	case "all":
		return true, nil
	default:
		return false, fmt.Errorf("%s=%q: want all or needed", mapEnv, v)
	}
}

// tuneGC trades a little memory for speed unless the user set GOGC or
// GOMEMLIMIT: the scanner's live heap is small and flat (tens of MiB
// whatever the input size), so most of the default collector's work is
// spent on short-lived per-record garbage. GOGC=400 measured 1.3-1.5x
// faster scans (see README, Benchmarks); the memory limit keeps a hostile
// input from turning that headroom into gigabytes.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(512 << 20)
	}
}

func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		usage(e.stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(e.stderr, "shadowscan: unknown command %q\n", name)
	usage(e.stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: shadowscan COMMAND [flags] PATH...")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nPATH may be an .evtx file, a folder (searched recursively) or a zip archive.")
	fmt.Fprintln(w, "Run 'shadowscan COMMAND --help' for a command's flags.")
	fmt.Fprintln(w, "\nexit status: 0 run completed (damaged input is reported, not fatal), 1 nothing could be read,")
	fmt.Fprintln(w, "2 usage error, 10 alerts found with scan --exit-code.")
}

// parseFlags parses flags that may appear before, between or after the
// positional arguments (responders type "scan DIR --format json"). A lone
// "--" ends flag parsing. It returns the positional arguments, or a usage
// exit status when parsing failed or help was asked for.
func parseFlags(fs *flag.FlagSet, e *env, args []string) ([]string, int, bool) {
	fs.SetOutput(e.stderr)
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitOK, false
			}
			return nil, exitUsage, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	return positional, exitOK, true
}

// usageError prints a one-line usage error for command cmd and a pointer to
// its --help, and returns the usage exit status.
func usageError(e *env, cmd, format string, a ...any) int {
	fmt.Fprintf(e.stderr, "shadowscan "+cmd+": "+format+"\n", a...)
	fmt.Fprintf(e.stderr, "Run 'shadowscan %s --help' for usage.\n", cmd)
	return exitUsage
}

// newFlagSet returns a FlagSet whose -h output names the command and its
// arguments.
func newFlagSet(e *env, name, args, about string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "usage: shadowscan %s [flags] %s\n\n%s\n\nflags:\n", name, args, about)
		fs.PrintDefaults()
	}
	return fs
}

// stringList is a repeatable string flag (--rules A --rules B).
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }
