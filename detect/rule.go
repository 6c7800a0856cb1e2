package detect

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// Rule is one detection rule, as Elastic's detection-rules TOML files
// describe it.
type Rule struct {
	ID, Name, Description string
	Version               int // 0 when the file does not say
	Severity              string
	RiskScore             int
	Language, Type, Query string
	Index                 []string
	From, Interval        string
	MaxSignals            int
	Tags                  []string
	Note, Setup           string
	FalsePositives        []string
	References            []string
	Threat                []Threat
	License               string
	// Source is the file the rule came from ("embedded:rules/v8.6/x.toml"
	// for the default set).
	Source   string
	Compiled *Query
}

// Threat is one [[rule.threat]] entry (MITRE ATT&CK mapping).
type Threat struct {
	Framework  string
	Tactic     Tactic
	Techniques []Technique
}

// Tactic is a MITRE ATT&CK tactic.
type Tactic struct{ ID, Name, Reference string }

// Technique is a MITRE ATT&CK technique with its sub-techniques.
type Technique struct {
	ID, Name, Reference string
	Subtechniques       []Subtechnique
}

// Subtechnique is a MITRE ATT&CK sub-technique.
type Subtechnique struct{ ID, Name, Reference string }

// RuleError is a rule file that could not be loaded, or a rule refused.
type RuleError struct {
	Source string // file
	Rule   string // rule name (and id) when known
	Err    error
}

func (e *RuleError) Error() string {
	if e.Rule != "" {
		return fmt.Sprintf("%s: rule %s: %v", e.Source, e.Rule, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Source, e.Err)
}

func (e *RuleError) Unwrap() error { return e.Err }

// tomlRule mirrors the detection-rules layout; unknown keys are ignored.
type tomlRule struct {
	Rule struct {
		RuleID         string       `toml:"rule_id"`
		Name           string       `toml:"name"`
		Description    string       `toml:"description"`
		Version        int          `toml:"version"`
		Severity       string       `toml:"severity"`
		RiskScore      int          `toml:"risk_score"`
		Language       string       `toml:"language"`
		Type           string       `toml:"type"`
		Query          string       `toml:"query"`
		Index          []string     `toml:"index"`
		From           string       `toml:"from"`
		Interval       string       `toml:"interval"`
		MaxSignals     int          `toml:"max_signals"`
		Tags           []string     `toml:"tags"`
		Note           string       `toml:"note"`
		Setup          string       `toml:"setup"`
		FalsePositives []string     `toml:"false_positives"`
		References     []string     `toml:"references"`
		Threat         []tomlThreat `toml:"threat"`
		License        string       `toml:"license"`
	} `toml:"rule"`
}

type tomlThreat struct {
	Framework string `toml:"framework"`
	Tactic    struct {
		ID        string `toml:"id"`
		Name      string `toml:"name"`
		Reference string `toml:"reference"`
	} `toml:"tactic"`
	Technique []struct {
		ID           string `toml:"id"`
		Name         string `toml:"name"`
		Reference    string `toml:"reference"`
		Subtechnique []struct {
			ID        string `toml:"id"`
			Name      string `toml:"name"`
			Reference string `toml:"reference"`
		} `toml:"subtechnique"`
	} `toml:"technique"`
}

// maxRuleFile bounds what one rule file may make us read.
const maxRuleFile = 4 << 20

// ParseRule decodes one rule file's content and compiles its query. source
// names the file in errors and in Rule.Source.
func ParseRule(source string, data []byte) (*Rule, error) {
	var t tomlRule
	if _, err := toml.Decode(string(data), &t); err != nil {
		return nil, &RuleError{Source: source, Err: fmt.Errorf("invalid TOML: %w", err)}
	}
	tr := t.Rule
	r := &Rule{
		ID: tr.RuleID, Name: tr.Name, Description: strings.TrimSpace(tr.Description), Version: tr.Version,
		Severity: tr.Severity, RiskScore: tr.RiskScore, Language: tr.Language, Type: tr.Type,
		Query: tr.Query, Index: tr.Index, From: tr.From, Interval: tr.Interval, MaxSignals: tr.MaxSignals,
		Tags: tr.Tags, Note: tr.Note, Setup: tr.Setup, FalsePositives: tr.FalsePositives,
		References: tr.References, License: tr.License, Source: source,
	}
	for _, th := range tr.Threat {
		x := Threat{Framework: th.Framework, Tactic: Tactic{ID: th.Tactic.ID, Name: th.Tactic.Name, Reference: th.Tactic.Reference}}
		for _, te := range th.Technique {
			tech := Technique{ID: te.ID, Name: te.Name, Reference: te.Reference}
			for _, st := range te.Subtechnique {
				tech.Subtechniques = append(tech.Subtechniques, Subtechnique{ID: st.ID, Name: st.Name, Reference: st.Reference})
			}
			x.Techniques = append(x.Techniques, tech)
		}
		r.Threat = append(r.Threat, x)
	}
	if r.ID == "" || r.Name == "" {
		return nil, &RuleError{Source: source, Err: errors.New("not a detection rule: [rule] needs rule_id and name")}
	}
	label := fmt.Sprintf("%q (%s)", r.Name, r.ID)
	if r.Language != "eql" {
		lang := r.Language
		if lang == "" {
			lang = "none"
		}
		return nil, &RuleError{Source: source, Rule: label, Err: fmt.Errorf("language %q is not supported (only eql rules can run)", lang)}
	}
	if r.Type != "" && r.Type != "eql" {
		return nil, &RuleError{Source: source, Rule: label, Err: fmt.Errorf("rule type %q is not supported (only eql rules can run)", r.Type)}
	}
	q, err := Parse(r.Query)
	if err != nil {
		return nil, &RuleError{Source: source, Rule: label, Err: fmt.Errorf("query: %w", err)}
	}
	r.Compiled = q
	return r, nil
}

// LoadRules loads a rule file, or every *.toml file under a folder
// (recursively, in sorted path order). Rules that load are returned even
// when others fail; err then joins one *RuleError per refused file, so
// nothing is skipped silently.
func LoadRules(p string) ([]*Rule, error) {
	info, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	var files []string
	if info.IsDir() {
		err := filepath.WalkDir(p, func(fp string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.EqualFold(filepath.Ext(fp), ".toml") {
				files = append(files, fp)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		sort.Strings(files)
	} else {
		files = []string{p}
	}
	var rules []*Rule
	var errs []error
	for _, f := range files {
		data, err := readLimited(f)
		if err != nil {
			errs = append(errs, &RuleError{Source: f, Err: err})
			continue
		}
		r, err := ParseRule(f, data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rules = append(rules, r)
	}
	return rules, errors.Join(errs...)
}

func readLimited(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRuleFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxRuleFile {
		return nil, fmt.Errorf("file larger than %d bytes", maxRuleFile)
	}
	return data, nil
}

//go:embed rules
var embeddedRules embed.FS

// seedVersions gives the version of embedded rules whose files do not carry
// one (detection-rules keeps versions in a separate lock file). The
// published rule page in the project seed states "Version: 102" for the
// 8.6.0 release of d117cbb4.
var seedVersions = map[string]int{
	"d117cbb4-7d56-41b4-b999-bdf8c25648a0": 102,
}

// DefaultRules returns the embedded default rule set: "Symbolic Link to
// Shadow Copy Created" (version 102) and "NTDS or SAM Database File Copied"
// as published for Elastic Stack 8.6 (Elastic License 2.0, see
// rules/NOTICE).
func DefaultRules() ([]*Rule, error) {
	var names []string
	err := fs.WalkDir(embeddedRules, "rules", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && path.Ext(p) == ".toml" {
			names = append(names, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embedded rules: %w", err)
	}
	sort.Strings(names)
	var rules []*Rule
	for _, n := range names {
		data, err := embeddedRules.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("embedded rules: %w", err)
		}
		r, err := ParseRule("embedded:"+n, data)
		if err != nil {
			return nil, err
		}
		if r.Version == 0 {
			r.Version = seedVersions[r.ID]
		}
		rules = append(rules, r)
	}
	return rules, nil
}

// LoadRuleSet builds the rule set the commands run: the embedded defaults
// (when includeDefaults), then each path in order (file or folder).
//
// Duplicate rule_id policy: a rule from a later source replaces an earlier
// one with the same rule_id, in place (so "--rules current/x.toml" runs the
// current version of a default rule instead of the embedded one). Two
// rules with the same rule_id inside one path are ambiguous: the second is
// refused with an error naming both files.
//
// Rules that load are returned even when others are refused; err joins the
// refusals (each a *RuleError naming the file and rule).
func LoadRuleSet(paths []string, includeDefaults bool) ([]*Rule, error) {
	var set []*Rule
	pos := map[string]int{}
	var errs []error
	add := func(r *Rule) {
		if i, ok := pos[r.ID]; ok {
			set[i] = r
			return
		}
		pos[r.ID] = len(set)
		set = append(set, r)
	}
	if includeDefaults {
		defs, err := DefaultRules()
		if err != nil {
			return nil, err
		}
		for _, r := range defs {
			add(r)
		}
	}
	for _, p := range paths {
		rules, err := LoadRules(p)
		if err != nil {
			errs = append(errs, err)
		}
		seen := map[string]string{}
		for _, r := range rules {
			if first, dup := seen[r.ID]; dup {
				errs = append(errs, &RuleError{Source: r.Source, Rule: fmt.Sprintf("%q (%s)", r.Name, r.ID),
					Err: fmt.Errorf("duplicate rule_id, already loaded from %s", first)})
				continue
			}
			seen[r.ID] = r.Source
			add(r)
		}
	}
	if len(set) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("no rules loaded"))
	}
	return set, errors.Join(errs...)
}

// FindRule returns the rule whose ID or name equals key (the name
// case-insensitively), or whose ID starts with key when that is unique.
func FindRule(rules []*Rule, key string) (*Rule, error) {
	for _, r := range rules {
		if r.ID == key {
			return r, nil
		}
	}
	var found []*Rule
	for _, r := range rules {
		if strings.EqualFold(r.Name, key) {
			found = append(found, r)
		}
	}
	if len(found) == 0 && key != "" {
		for _, r := range rules {
			if strings.HasPrefix(r.ID, key) {
				found = append(found, r)
			}
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("no rule with id or name %q", key)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("%q matches %d rules; use the rule_id", key, len(found))
}
