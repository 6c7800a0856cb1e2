#!/usr/bin/env bash
# Runs every Go fuzz target of the module for FUZZTIME (default 10s) each:
# no panic, no hang, no divergence. A failure with a failing input is a
# finding (the input is written under the package's testdata/fuzz and the
# run fails). Go's fuzzer sometimes ends a run that found nothing with
# "context deadline exceeded" when the time is up while a worker is busy;
# such a run, and only such a run, is tried once more.
set -uo pipefail
fuzztime=${FUZZTIME:-10s}
go=${GO:-go}
status=0
for f in $(grep -rl --include='*_test.go' '^func Fuzz' . | sort); do
  dir=$(dirname "$f")
  for t in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //'); do
    for try in 1 2; do
      echo "fuzz $dir $t ($fuzztime)"
      out=$("$go" test -run '^$' -fuzz "^$t\$" -fuzztime "$fuzztime" -fuzzminimizetime 2s "./$dir" 2>&1)
      rc=$?
      printf '%s\n' "$out" | tail -n 25
      if [ $rc -eq 0 ]; then break; fi
      if [ $try -eq 1 ] && grep -q 'context deadline exceeded' <<<"$out" && ! grep -q 'Failing input written' <<<"$out"; then
        echo "fuzz $dir $t: the fuzzer timed out while stopping, with no failing input; trying once more"
        continue
      fi
      status=1
      break
    done
  done
done
exit $status
