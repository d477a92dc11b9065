#!/usr/bin/env bash
# `make lint` and CI (.ci/run): the static quality gates. Steps (each can be
# run alone: scripts/lint.sh banned|cli-headers|cppcheck|clang-tidy|format):
#   banned      no atoi/atol/atoll/sprintf/vsprintf/strcpy/strcat/gets/strtok in
#               src/ include/ tests/ fuzz/ (comments stripped first)
#   cli-headers src/cli/*.c include only "cli.h", "results_view.h", lle/ public
#               headers and system headers
#   cppcheck    cppcheck over src/ with cppcheck-suppressions.xml (zero findings)
#   clang-tidy  clang-tidy with the committed .clang-tidy over every src/ file of
#               the compile database in build-lint/ (src/mpi/ too when mpicc is
#               installed), JOBS files at a time, zero findings. A file found
#               clean is remembered (see tidy_key) so an unchanged file is not
#               analysed again; LLE_TIDY_CACHE=off disables that.
#   format      clang-format --dry-run with the committed .clang-format over
#               src include tests fuzz bench examples
# `scripts/lint.sh` / `scripts/lint.sh ci` / `scripts/lint.sh all` run every
# step (CI enforces all five; docs/testing.md "Static gates").
# Env: JOBS (parallel jobs, default 2), LLE_TIDY_CACHE (directory of the
# clean-file cache, default ${XDG_CACHE_HOME:-~/.cache}/llm-efficiency/clang-tidy;
# "off": none).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
JOBS=${JOBS:-2}
fail=0

step_banned() {
    local f hits=0 out
    for f in $(find src include tests fuzz -name '*.[ch]' | sort); do
        out=$(gcc -fpreprocessed -dD -E -P "$f" 2> /dev/null |
              grep -nE '(^|[^A-Za-z0-9_.>])(atoi|atol|atoll|sprintf|vsprintf|strcpy|strcat|gets|strtok)[[:space:]]*\(') || true
        if [ -n "$out" ]; then echo "$f: banned function: $out"; hits=1; fi
    done
    return $hits
}

step_cli_headers() {
    local bad
    bad=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' src/cli/*.c src/cli/*.h |
          grep -vE '#[[:space:]]*include[[:space:]]*"(cli\.h|results_view\.h|lle/[A-Za-z0-9_]+\.h)"') || true
    if [ -n "$bad" ]; then echo "CLI includes a private header:"; echo "$bad"; return 1; fi
}

compile_db() {
    local mpi=()
    [ -f third_party/llama/config.cmake ] || bash scripts/deps.sh
    command -v mpicc > /dev/null && mpi=(-DLLE_MPI=ON)
    if [ ! -f build-lint/compile_commands.json ] ||
        { [ ${#mpi[@]} -gt 0 ] && ! grep -q '/src/mpi/' build-lint/compile_commands.json; }; then
        cmake -S . -B build-lint -DCMAKE_EXPORT_COMPILE_COMMANDS=ON "${mpi[@]}" > /dev/null || return 1
    fi
}

step_cppcheck() {
    compile_db || return 1
    cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance --inline-suppr \
        --suppress-xml=cppcheck-suppressions.xml --std=c11 -j "$JOBS" -D__GNUC__ -D_GNU_SOURCE \
        -DLLE_BUILDING_LIBRARY -Iinclude -Isrc -Ibuild-lint/generated --library=posix src
}

# Cache key of one file's clang-tidy result: the tool's version, .clang-tidy,
# the file's compile command, the file, and every header it could include
# (src/ include/ build-lint/generated/ llama.cpp's), so any change that can
# change the result is a new key. Only clean results are remembered.
tidy_key() {
    { printf '%s\n' "$TIDY_STAMP"
      jq -r --arg f "$PWD/$1" '.[] | select(.file == $f) | .command // (.arguments | join(" "))' \
          build-lint/compile_commands.json
      cat "$1"; } | sha256sum | cut -c1-64
}

# tidy_one FILE — clang-tidy on one file into $TIDY_OUT/<file>.log; a clean
# result goes into the cache. Run by xargs -P, JOBS at a time.
tidy_one() {
    local key log="$TIDY_OUT/${1//\//_}.log"
    key=$(tidy_key "$1")
    if [ -n "$TIDY_CACHE" ] && [ -f "$TIDY_CACHE/$key" ]; then
        : > "$log"
        return 0
    fi
    clang-tidy -quiet -p build-lint "$1" > "$log" 2>&1
    if ! grep -qE 'warning:|error:' "$log" && [ -n "$TIDY_CACHE" ]; then
        mkdir -p "$TIDY_CACHE" && echo "$1" > "$TIDY_CACHE/$key"
    fi
    return 0
}

step_clang_tidy() {
    compile_db || return 1
    local f files=() skipped=() bad
    for f in $(find src -name '*.c' | sort); do
        if grep -qF "\"$PWD/$f\"" build-lint/compile_commands.json; then files+=("$f"); else skipped+=("$f"); fi
    done
    [ ${#skipped[@]} -eq 0 ] || echo "clang-tidy: not in the compile database (no mpicc?), skipped: ${skipped[*]}"
    TIDY_OUT=$(mktemp -d)
    TIDY_CACHE=${LLE_TIDY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llm-efficiency/clang-tidy}
    [ "$TIDY_CACHE" = off ] && TIDY_CACHE=
    TIDY_STAMP=$({ clang-tidy --version; cat .clang-tidy
                   find src include build-lint/generated third_party/llama/include -name '*.h' -print0 2> /dev/null |
                       sort -z | xargs -0 cat; } | sha256sum)
    export TIDY_OUT TIDY_CACHE TIDY_STAMP
    export -f tidy_one tidy_key
    printf '%s\0' "${files[@]}" | xargs -0 -n 1 -P "$JOBS" bash -c 'tidy_one "$1"' _
    bad=$(cat "$TIDY_OUT"/*.log 2> /dev/null | grep -E 'warning:|error:' | sort -u)
    rm -rf "$TIDY_OUT"
    if [ -n "$bad" ]; then
        echo "$bad"
        echo "clang-tidy: $(echo "$bad" | wc -l) finding(s) in ${#files[@]} file(s)"
        return 1
    fi
    echo "clang-tidy: ${#files[@]} file(s) clean"
}

step_format() {
    local n
    n=$(find src include tests fuzz bench examples -name '*.[ch]' -print0 | xargs -0 clang-format --dry-run 2>&1 |
        grep -c 'warning:')
    if [ "$n" -gt 0 ]; then
        echo "clang-format: $n line(s) differ; see clang-format --dry-run FILE, fix with clang-format -i FILE"
        return 1
    fi
}

run() {
    echo "lint: $1"
    if ! "step_${1//-/_}"; then echo "lint: $1 FAILED"; fail=1; fi
}

case "${1:-ci}" in
    ci | all) for s in banned cli-headers cppcheck clang-tidy format; do run "$s"; done ;;
    banned | cli-headers | cppcheck | clang-tidy | format) run "$1" ;;
    *)
        echo "usage: scripts/lint.sh [ci|all|banned|cli-headers|cppcheck|clang-tidy|format]" >&2
        exit 2
        ;;
esac
[ "$fail" -eq 0 ] && echo "lint: clean"
exit "$fail"
