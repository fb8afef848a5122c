#!/usr/bin/env bash
# CI stage "fuzz" (SEC-49): builds the cargo-fuzz targets in tests/fuzz on a nightly
# toolchain and runs each for FUZZ_SECONDS (default 60) from its committed seed corpus.
# Any crash, panic or failed assertion fails the stage; the crashing input is printed as
# libFuzzer wrote it (tests/fuzz/artifacts/<target>/), to be added to the seed corpus once the
# bug is fixed. New inputs the fuzzer finds go to a temporary folder, never into the corpus.
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
for target in $("${fuzz[@]}" list "${opts[@]}"); do
    echo "== fuzz: $target for ${SECONDS_EACH}s" >&2
    mkdir -p "$work/$target"
    # The first folder receives new inputs; the committed seeds are read only.
    "${fuzz[@]}" run "${opts[@]}" "$target" "$work/$target" "tests/fuzz/corpus/$target" -- \
        -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1
done
echo "fuzz: every target ran ${SECONDS_EACH}s with no crash" >&2
