package scan

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/shadowscan/shadowscan/report"
)

func req(host string, at time.Time, rid uint64) report.HandleRequest {
	return report.HandleRequest{
		Timestamp:  at,
		Host:       host,
		ObjectName: `\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit`,
		Evidence:   report.Evidence{Path: "Security.evtx", RecordID: rid},
	}
}

func TestCorroboratorWindow(t *testing.T) {
	t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	w := 15 * time.Minute
	c := newCorroborator(100)
	for _, r := range []report.HandleRequest{
		req("DC01", t0.Add(-time.Nanosecond), 1),           // before the alert: no
		req("DC01", t0, 2),                                 // same instant: yes
		req("dc01", t0.Add(5*time.Minute), 3),              // host case differs: yes
		req("DC01.corp.example", t0.Add(6*time.Minute), 4), // qualified name of the same host: yes
		req("DC01", t0.Add(w), 5),                          // window end is inclusive
		req("DC01", t0.Add(w+time.Nanosecond), 6),          // just after: no
		req("DC02", t0.Add(time.Minute), 7),                // another host: no
		req("DC01.other.example", t0.Add(time.Minute), 8),  // a bare name matches any qualified form: yes
	} {
		c.offer(r)
	}
	alerts := []report.Alert{
		{Host: "DC01", Timestamp: t0},
		{Host: "DC03", Timestamp: t0},
		{Host: "", Timestamp: t0},
		{Host: "DC01", Timestamp: time.Time{}}, // unknown time: cannot place a window
	}
	c.attach(alerts, w)
	var got []uint64
	for _, h := range alerts[0].Corroboration {
		got = append(got, h.Evidence.RecordID)
	}
	// DC01 (bare) matches both qualified variants; order is by time.
	require.Equal(t, []uint64{2, 8, 3, 4, 5}, got)
	require.Empty(t, alerts[1].Corroboration)
	require.Empty(t, alerts[2].Corroboration)
	require.Empty(t, alerts[3].Corroboration)
	require.Equal(t, report.CorroborationListed, alerts[0].CorroborationStatus)
	require.Equal(t, report.CorroborationNoTime, alerts[3].CorroborationStatus)
}

// An empty list is evidence only when the host's Security log was read:
// otherwise the alert says nothing could have shown the access.
func TestCorroborationStatusSeparatesNoneFromNotCollected(t *testing.T) {
	t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	c := newCorroborator(100)
	c.sawSecurityLog("DC01.corp.example")
	c.offer(req("DC01.corp.example", t0.Add(time.Hour), 1)) // outside the window
	alerts := []report.Alert{
		{Host: "DC01", Timestamp: t0}, // bare name of a host whose Security log was read
		{Host: "WS02.corp.example", Timestamp: t0},
	}
	c.attach(alerts, 15*time.Minute)
	require.Empty(t, alerts[0].Corroboration)
	require.Equal(t, report.CorroborationNoneInWindow, alerts[0].CorroborationStatus)
	require.Equal(t, report.CorroborationNoSecurityLog, alerts[1].CorroborationStatus)
}

func TestCorroboratorQualifiedNamesDoNotCrossDomains(t *testing.T) {
	t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	c := newCorroborator(100)
	c.offer(req("DC01.a.example", t0, 1))
	c.offer(req("DC01.b.example", t0, 2))
	c.offer(req("DC01", t0, 3))
	alerts := []report.Alert{{Host: "dc01.A.example", Timestamp: t0}}
	c.attach(alerts, time.Minute)
	var got []uint64
	for _, h := range alerts[0].Corroboration {
		got = append(got, h.Evidence.RecordID)
	}
	require.Equal(t, []uint64{1, 3}, got)
}

func TestCorroboratorBound(t *testing.T) {
	t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	c := newCorroborator(3)
	for i := range 10 {
		c.offer(req("DC01", t0.Add(time.Duration(i)*time.Second), uint64(i)))
	}
	require.Equal(t, 3, c.kept)
	require.Equal(t, 7, c.dropped)
	alerts := []report.Alert{{Host: "DC01", Timestamp: t0}}
	c.attach(alerts, time.Hour)
	require.Len(t, alerts[0].Corroboration, 3)
}

func TestInTimeRange(t *testing.T) {
	t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		from, to time.Time
		want     bool
	}{
		{time.Time{}, time.Time{}, true},
		{t0, time.Time{}, true},
		{t0.Add(time.Nanosecond), time.Time{}, false},
		{time.Time{}, t0, true},
		{time.Time{}, t0.Add(-time.Nanosecond), false},
		{t0.Add(-time.Hour), t0.Add(time.Hour), true},
	} {
		require.Equal(t, tc.want, inTimeRange(t0, tc.from, tc.to), "%v..%v", tc.from, tc.to)
	}
}

func TestCorroboratorCapKeepsCredentialStores(t *testing.T) {
	t0 := time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	c := newCorroborator(10 * MaxCorroborationPerAlert)
	n := 3 * MaxCorroborationPerAlert
	for i := range n {
		r := req("DC01", t0.Add(time.Duration(i)*time.Second), uint64(i))
		r.ObjectName = `\Device\HarddiskVolumeShadowCopy1\Users\bob\file.txt`
		if i == n-1 { // the last one in time is the database
			r.ObjectName = `\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\NTDS.DIT`
		}
		c.offer(r)
	}
	alerts := []report.Alert{{Host: "DC01", Timestamp: t0}}
	c.attach(alerts, time.Hour)
	a := alerts[0]
	require.Len(t, a.Corroboration, MaxCorroborationPerAlert)
	require.Equal(t, n-MaxCorroborationPerAlert, a.CorroborationOmitted)
	last := a.Corroboration[len(a.Corroboration)-1]
	require.Equal(t, uint64(n-1), last.Evidence.RecordID, "ntds.dit is listed although it is the latest")
	require.Equal(t, uint64(0), a.Corroboration[0].Evidence.RecordID, "then the earliest others")
	for i := 1; i < len(a.Corroboration); i++ {
		require.False(t, a.Corroboration[i].Timestamp.Before(a.Corroboration[i-1].Timestamp), "time order")
	}
}
