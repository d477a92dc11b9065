#!/usr/bin/env bash
# `make fuzz FUZZ_SECONDS=N [FUZZ_JOBS=J] [FUZZ_ONLY="config sse"]`: build the
# libFuzzer harnesses of fuzz/ with clang (ASan + UBSan, separate build dir
# build-fuzz) and run each for N seconds (default 60), J at a time (default 1),
# starting from its committed corpus fuzz/corpus/<name>/ (read-only: new inputs
# go to build-fuzz/corpus/<name>/). A crash leaves crash-* files in
# build-fuzz/artifacts/<name>/ and makes the script exit 1; copy such a file
# into fuzz/corpus/<name>/ once fixed, so fuzz_replay_<name> keeps it tested.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${FUZZ_BUILD:-build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-60}
PAR=${FUZZ_JOBS:-1}
command -v clang > /dev/null || { echo "fuzz: clang not found (apt-get install clang-14 libclang-rt-14-dev)" >&2; exit 2; }
[ -f third_party/llama/config.cmake ] || bash scripts/deps.sh
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
    CC=clang cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLLE_FUZZ=ON \
        -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
        -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
        -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" > /dev/null
fi
names=${FUZZ_ONLY:-$(ls fuzz/fuzz_*.c | sed 's|fuzz/fuzz_||; s|\.c$||')}
targets=$(for n in $names; do printf 'lle_fuzz_%s ' "$n"; done)
# shellcheck disable=SC2086
cmake --build "$BUILD" -j "${JOBS:-2}" --target $targets
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1"
export LSAN_OPTIONS="suppressions=$(pwd)/tests/sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
run_one() {
    local n=$1 out="$BUILD/corpus/$1" art="$BUILD/artifacts/$1/"
    mkdir -p "$out" "$art"
    "$BUILD/fuzz/lle_fuzz_$n" "$out" "fuzz/corpus/$n" -max_total_time="$SECONDS_EACH" -max_len=65536 \
        -rss_limit_mb=4096 -timeout=20 -print_final_stats=1 -artifact_prefix="$art" > "$BUILD/fuzz-$n.log" 2>&1
}
rc=0; running=0; declare -A pids
for n in $names; do
    run_one "$n" & pids[$n]=$!
    running=$((running + 1))
    if [ "$running" -ge "$PAR" ]; then wait -n || true; running=$((running - 1)); fi
done
for n in $names; do
    if wait "${pids[$n]}" 2> /dev/null; then st=ok; else st=FAILED; fi
    if compgen -G "$BUILD/artifacts/$n/*" > /dev/null; then st=FAILED; fi
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$BUILD/fuzz-$n.log" | grep -o '[0-9]*$' || echo '?')
    secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$BUILD/fuzz-$n.log" | grep -o '[0-9]* second' | grep -o '[0-9]*' || echo '?')
    printf 'fuzz %-8s %s  %ss of %ss  %s execs  log %s\n' "$n" "$st" "$secs" "$SECONDS_EACH" "$runs" "$BUILD/fuzz-$n.log"
    [ "$st" = ok ] || rc=1
done
exit "$rc"
