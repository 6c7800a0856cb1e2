package report

import (
	"io"
	"testing"
)

// manyAlerts is a report of n alerts shaped like the sample's.
func manyAlerts(n int) *Report {
	r := sampleReport()
	base := r.Alerts
	r.Alerts = make([]Alert, 0, n)
	for i := range n {
		a := base[i%len(base)]
		a.Evidence.RecordID = uint64(i)
		r.Alerts = append(r.Alerts, a)
	}
	return r
}

func BenchmarkWrite(b *testing.B) {
	r := manyAlerts(1000)
	for _, f := range Formats() {
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := Write(io.Discard, f, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
