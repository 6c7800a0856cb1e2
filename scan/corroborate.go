package scan

import (
	"slices"
	"strings"
	"time"

	"github.com/shadowscan/shadowscan/report"
)

// DefaultCorroborationWindow is how long after an alert a 4656 handle
// request on a shadow copy is taken as corroborating it: long enough for an
// attacker to create the link, then copy ntds.dit and the registry hives by
// hand, short enough not to pull in unrelated backup activity.
const DefaultCorroborationWindow = 15 * time.Minute

// MaxCorroborationPerAlert caps the handle requests listed with one alert.
// When more fall in the window, the credential stores (ntds.dit, SAM,
// SYSTEM, SECURITY; see report.IsCredentialStore) are listed first, then
// the earliest others; the rest are counted in Alert.CorroborationOmitted.
const MaxCorroborationPerAlert = 50

// DefaultMaxCorroborationCandidates bounds the 4656 handle requests kept
// in memory for corroboration (a few hundred bytes each).
const DefaultMaxCorroborationCandidates = 100_000

// corroborator keeps the Security 4656 handle requests that could
// corroborate an alert (objects under a volume shadow copy, see
// report.NewHandleRequest) and only those, up to a bound; requests beyond
// the bound are counted, not silently lost.
type corroborator struct {
	max     int
	kept    int
	dropped int
	byHost  map[string][]report.HandleRequest // key: hostKey(host)
	// security holds the hosts (hostKey) with at least one Security
	// record read: only for those does an empty list mean "none".
	security         map[string]bool
	lastSecurityHost string // the computer sawSecurityLog saw last
}

func newCorroborator(max int) *corroborator {
	return &corroborator{max: max, byHost: make(map[string][]report.HandleRequest), security: make(map[string]bool)}
}

// sawSecurityLog notes that a Security record of host was read.
func (c *corroborator) sawSecurityLog(host string) {
	if host == c.lastSecurityHost && host != "" {
		return // the same as the record before: nothing new (most records)
	}
	c.lastSecurityHost = host
	if k := hostKey(host); k != "" && !c.security[k] {
		c.security[k] = true
	}
}

// hasSecurityLog reports whether a Security record was read for host or a
// short/qualified variant of its name.
func (c *corroborator) hasSecurityLog(host string) bool {
	k := hostKey(host)
	if k == "" {
		return false
	}
	for other := range c.security {
		if sameMachine(k, other) {
			return true
		}
	}
	return false
}

// offer keeps h when the bound allows it.
func (c *corroborator) offer(h report.HandleRequest) {
	if c.kept >= c.max {
		c.dropped++
		return
	}
	k := hostKey(h.Host)
	c.byHost[k] = append(c.byHost[k], h)
	c.kept++
}

// attach lists with every alert the requests on its host whose @timestamp
// is in [alert, alert+window]. Hosts match case-insensitively, and a short
// name matches the fully qualified name that starts with it ("DC01" and
// "dc01.corp.example"), since Sysmon and Security may name the same
// machine differently.
func (c *corroborator) attach(alerts []report.Alert, window time.Duration) {
	for _, reqs := range c.byHost {
		report.SortHandleRequests(reqs)
	}
	for i := range alerts {
		a := &alerts[i]
		if a.Timestamp.IsZero() {
			a.CorroborationStatus = report.CorroborationNoTime
			continue
		}
		end := a.Timestamp.Add(window)
		var found []report.HandleRequest
		for _, k := range c.hostKeysFor(a.Host) {
			reqs := c.byHost[k]
			j, _ := slices.BinarySearchFunc(reqs, a.Timestamp, func(h report.HandleRequest, t time.Time) int {
				return h.Timestamp.Compare(t)
			})
			for ; j < len(reqs) && !reqs[j].Timestamp.After(end); j++ {
				found = append(found, reqs[j])
			}
		}
		report.SortHandleRequests(found)
		if len(found) > MaxCorroborationPerAlert {
			a.CorroborationOmitted = len(found) - MaxCorroborationPerAlert
			found = keepCredentialStoresFirst(found, MaxCorroborationPerAlert)
		}
		a.Corroboration = append(a.Corroboration[:0], found...)
		switch {
		case len(found) > 0:
			a.CorroborationStatus = report.CorroborationListed
		case c.hasSecurityLog(a.Host):
			a.CorroborationStatus = report.CorroborationNoneInWindow
		default:
			a.CorroborationStatus = report.CorroborationNoSecurityLog
		}
	}
}

// hostKeysFor returns the keys of the hosts that name the same machine as
// host: itself, and short/qualified variants of it.
func (c *corroborator) hostKeysFor(host string) []string {
	k := hostKey(host)
	if k == "" {
		return nil
	}
	var keys []string
	for other := range c.byHost {
		if sameMachine(k, other) {
			keys = append(keys, other)
		}
	}
	slices.Sort(keys)
	return keys
}

// sameMachine reports whether two host keys name the same machine: equal,
// or one is the bare name of the other ("dc01" and "dc01.corp.example").
func sameMachine(a, b string) bool {
	if a == b {
		return true
	}
	shortA, _, _ := strings.Cut(a, ".")
	shortB, _, _ := strings.Cut(b, ".")
	return shortA == shortB && (shortA == a || shortB == b)
}

func hostKey(host string) string {
	return strings.ToLower(strings.TrimSpace(host))
}

// keepCredentialStoresFirst returns n of the time-ordered reqs: the
// credential-store requests first, then the earliest others, in time order.
func keepCredentialStoresFirst(reqs []report.HandleRequest, n int) []report.HandleRequest {
	kept := make([]report.HandleRequest, 0, n)
	for _, h := range reqs {
		if len(kept) < n && report.IsCredentialStore(h.ObjectName) {
			kept = append(kept, h)
		}
	}
	for _, h := range reqs {
		if len(kept) < n && !report.IsCredentialStore(h.ObjectName) {
			kept = append(kept, h)
		}
	}
	report.SortHandleRequests(kept)
	return kept
}
