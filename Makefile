# shadowscan — build, demo, tests, benchmarks.
# `make demo` and `make test` do all the set-up a fresh machine needs.

GO        ?= go
BIN       := bin/shadowscan
FUZZTIME  ?= 10s
PKGS      := ./...

.PHONY: all build demo test test-go fuzz bench deps vet clean sample fixtures

all: build

build:
	$(GO) build -o $(BIN) ./cmd/shadowscan

# The main job on the bundled sample triage package: alerts, then the
# audit-policy section; a second run writes the JSON report.
demo: build
	./$(BIN) scan --no-progress testdata/triage
	./$(BIN) scan --no-progress --format json -o bin/demo-report.json testdata/triage
	@echo "JSON report written to bin/demo-report.json"

# Independent parsers (libevtx, python-evtx) that the writer's tests read
# fixtures back with. Installed when missing and we may (root); otherwise
# those tests say they were skipped.
deps:
	@if ! command -v evtxexport >/dev/null 2>&1 || ! command -v evtx_dump.py >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing libevtx-utils python3-evtx"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libevtx-utils python3-evtx >/dev/null; \
	  else \
	    echo "note: libevtx-utils/python3-evtx not installed; cross-parser tests will skip"; \
	  fi; \
	fi

vet:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || (gofmt -l . && echo "gofmt needed" && exit 1)

test: deps vet test-go fuzz

test-go:
	$(GO) test -count=1 $(PKGS)

# Every fuzz target runs briefly (FUZZTIME each): no panic, no hang.
fuzz:
	@set -e; for f in $$(grep -rl --include='*_test.go' '^func Fuzz' .); do \
	  dir=$$(dirname $$f); \
	  for t in $$(grep -o '^func Fuzz[A-Za-z0-9_]*' $$f | sed 's/^func //'); do \
	    echo "fuzz $$dir $$t ($(FUZZTIME))"; \
	    $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./$$dir || exit 1; \
	  done; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 1 $(PKGS)

# Regenerate committed fixtures and the sample triage package.
fixtures:
	$(GO) run ./evtx/evtxwrite/cmd/mkfixtures -o testdata/evtx
sample:
	$(GO) run ./evtx/evtxwrite/cmd/mksample -o testdata/triage

clean:
	rm -rf bin
