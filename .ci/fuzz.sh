#!/usr/bin/env bash
# CI stage "fuzz" (SEC-49): builds the cargo-fuzz targets in tests/fuzz on a nightly
# toolchain and runs each for FUZZ_SECONDS (default 60) from its committed seed corpus.
# Any crash, panic or failed assertion fails the stage; the crashing input is printed as
# libFuzzer wrote it (tests/fuzz/artifacts/<target>/), to be added to the seed corpus once the
# bug is fixed. New inputs the fuzzer finds go to a temporary folder, never into the corpus.
#
# libFuzzer prints a line per new input (tens of thousands per minute) and a dictionary at the
# end: that went into CI's log and pushed the test results out of it. Each target's output now
# goes to target/fuzz-logs/<target>.log; the log shows one line per target, and the last 200
# lines of a target's output when it fails.
#
# Installs what only this stage needs: a minimal nightly toolchain and cargo-fuzz.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
SECONDS_EACH="${FUZZ_SECONDS:-60}"

rustup toolchain install nightly --profile minimal >/dev/null 2>&1 \
    || rustup toolchain install nightly --profile minimal
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi

fuzz=(cargo +nightly fuzz)
opts=(--fuzz-dir tests/fuzz)
"${fuzz[@]}" build "${opts[@]}"
work="$(mktemp -d "${TMPDIR:-/tmp}/nas-fuzz.XXXXXX")"
trap 'rm -rf "$work"' EXIT
logs="target/fuzz-logs"
mkdir -p "$logs"
for target in $("${fuzz[@]}" list "${opts[@]}"); do
    mkdir -p "$work/$target"
    log="$logs/$target.log"
    # The first folder receives new inputs; the committed seeds are read only.
    if ! "${fuzz[@]}" run "${opts[@]}" "$target" "$work/$target" "tests/fuzz/corpus/$target" -- \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
        >"$log" 2>&1; then
        echo "fuzz: $target FAILED; the last 200 lines of its output ($log):" >&2
        tail -n 200 "$log" >&2
        exit 1
    fi
    runs="$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)"
    added="$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -n 1)"
    echo "fuzz: $target ran ${SECONDS_EACH}s, ${runs:-?} inputs, ${added:-?} new, no crash" >&2
done
echo "fuzz: every target ran ${SECONDS_EACH}s with no crash" >&2
