// Package detect owns one question: does this document match this rule,
// and what does a rule need? It holds the EQL lexer, parser, syntax tree
// and evaluator for single-event queries with Elasticsearch's semantics,
// the loader for Elastic's detection-rules TOML files, the embedded default
// rules (Elastic License 2.0 data files, see rules/NOTICE), and the rule
// analysis later stages use (fields read, required fields, categories,
// literals every match contains, feasibility on a host's fields).
//
// Semantics follow Elasticsearch's EQL as it executes: see eval.go for the
// treatment of missing fields, list fields and negation, and README.md for
// the decisions with their sources.
package detect
