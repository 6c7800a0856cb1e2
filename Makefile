# shadowscan — build, demo, tests, benchmarks.
# `make demo` and `make test` do all the set-up a fresh machine needs.

GO        ?= go
BIN       := bin/shadowscan
FUZZTIME  ?= 10s
BENCHCOUNT ?= 1
PKGS      := ./...

.PHONY: all build demo test test-go fuzz bench bench-inputs bench-files bench-go deps vet clean sample fixtures

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
	FUZZTIME=$(FUZZTIME) GO=$(GO) ./scripts/fuzz.sh

# Large realistic inputs for `make bench`, written by the fixture writer
# once (1 GiB Security log of dense 4688/4656 chunks, 256 MiB Sysmon log,
# a few true positives in each; expected-alerts.tsv names them), and, when
# the shared corpus is beside the repository, logs of real Windows chunks
# (its Security and Sysmon logs' well-filled chunks, tiled to 512 and
# 128 MiB by evtx/evtxwrite/cmd/tilechunks, and the well-filled chunks of
# all its logs, every channel, tiled to 256 MiB: hundreds of distinct
# chunk layouts, as a host's logs have).
BENCH_DIR   := bin/bench
CORPUS      := ../shared/corpus
REAL_DIR    := $(BENCH_DIR)/REAL01
SEED_RULES  := ../shared/seed/rules/current
BENCH_FILES  = $(BENCH_DIR)/BENCH01.corp.local/Security.evtx \
               $(BENCH_DIR)/BENCH01.corp.local/Microsoft-Windows-Sysmon%4Operational.evtx \
               $(wildcard $(REAL_DIR)/*.evtx)

bench-inputs:
	@if [ ! -f "$(BENCH_DIR)/expected-alerts.tsv" ]; then \
	  echo "writing benchmark inputs into $(BENCH_DIR) (once)"; \
	  $(GO) run ./evtx/evtxwrite/cmd/mkbench -o $(BENCH_DIR); \
	fi
	@if [ -d "$(CORPUS)" ] && [ ! -f "$(REAL_DIR)/Security.evtx" ]; then \
	  echo "tiling real chunks of $(CORPUS) into $(REAL_DIR) (once)"; \
	  find $(CORPUS) -iname '*security*.evtx' -print0 | sort -z | \
	    xargs -0 $(GO) run ./evtx/evtxwrite/cmd/tilechunks -o $(REAL_DIR)/Security.evtx -size 512MiB && \
	  find $(CORPUS) -iname '*sysmon*.evtx' -print0 | sort -z | \
	    xargs -0 $(GO) run ./evtx/evtxwrite/cmd/tilechunks -o '$(REAL_DIR)/Microsoft-Windows-Sysmon%4Operational.evtx' -size 128MiB; \
	fi
	@if [ -d "$(CORPUS)" ] && [ ! -f "$(REAL_DIR)/AllChannels.evtx" ]; then \
	  echo "tiling the real chunks of every log of $(CORPUS) into $(REAL_DIR)/AllChannels.evtx (once)"; \
	  find $(CORPUS) -iname '*.evtx' -print0 | sort -z | \
	    xargs -0 $(GO) run ./evtx/evtxwrite/cmd/tilechunks -o $(REAL_DIR)/AllChannels.evtx -size 256MiB; \
	fi

# Side by side on the same files, in one run: scan, inventory, events --ecs
# (1 and 2 workers), a golang-evtx FastEvents loop, evtxexport (when
# installed; on the Sysmon log only, it is slow) and cat; the Markdown table
# goes to bin/bench/report.md. Then the Go benchmarks of the hot paths
# (benchstat-ready, in bin/bench/gobench.txt).
bench: build bench-inputs
	$(MAKE) --no-print-directory bench-files FILES='$(BENCH_FILES)' REPORT=$(BENCH_DIR)/report.md
	$(MAKE) --no-print-directory bench-go

# The same side-by-side on logs of your own (sound ones: golang-evtx's
# FastEvents, the baseline, panics on damaged files):
#   make bench-files FILES="/cases/DC01/Security.evtx /cases/WS07/Sysmon.evtx"
REPORT ?= $(BENCH_DIR)/files-report.md
bench-files: build
	@if [ -z "$(FILES)" ]; then echo 'usage: make bench-files FILES="LOG.evtx ..."' >&2; exit 2; fi
	@mkdir -p $(dir $(REPORT))
	$(GO) build -o bin/goevtxbaseline ./internal/cmd/goevtxbaseline
	$(GO) run ./internal/cmd/benchcompare -bin $(BIN) -baseline bin/goevtxbaseline -o $(REPORT) \
	  $(if $(wildcard $(SEED_RULES)),-rules $(SEED_RULES)) $(FILES)

bench-go:
	@mkdir -p $(BENCH_DIR)
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) ./evtx ./scan ./mapping ./detect | tee $(BENCH_DIR)/gobench.txt

# Regenerate committed fixtures and the sample triage package.
fixtures:
	$(GO) run ./evtx/evtxwrite/cmd/mkfixtures -o testdata/evtx
sample:
	$(GO) run ./evtx/evtxwrite/cmd/mksample -o testdata/triage

clean:
	rm -rf bin
