package detect

import "testing"

// BenchmarkMatchSeedRule measures one evaluation of the seed rule (v102) on
// a matching and on a non-matching process document.
func BenchmarkMatchSeedRule(b *testing.B) {
	rules, err := DefaultRules()
	if err != nil {
		b.Fatal(err)
	}
	q, err := FindRule(rules, seedRuleID)
	if err != nil {
		b.Fatal(err)
	}
	hit := seedDoc()
	miss := with(seedDoc(), "process.args", []string{"cmd.exe", "/c", "dir"}, "process.command_line", "cmd.exe /c dir")
	b.Run("match", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !q.Compiled.Match(hit) {
				b.Fatal("no match")
			}
		}
	})
	b.Run("miss", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if q.Compiled.Match(miss) {
				b.Fatal("match")
			}
		}
	})
}

// BenchmarkParseSeedRule measures compiling the seed rule's query.
func BenchmarkParseSeedRule(b *testing.B) {
	rules, err := DefaultRules()
	if err != nil {
		b.Fatal(err)
	}
	src := rules[1].Query
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(src); err != nil {
			b.Fatal(err)
		}
	}
}
