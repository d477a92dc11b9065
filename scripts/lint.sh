#!/usr/bin/env bash
# `make lint`: the static quality gates. Steps (each can be run alone:
# scripts/lint.sh banned|cli-headers|cppcheck|clang-tidy|format):
#   banned      no atoi/atol/atoll/sprintf/vsprintf/strcpy/strcat/gets/strtok in
#               src/ include/ tests/ fuzz/ (comments stripped first)
#   cli-headers src/cli/*.c include only "cli.h", "results_view.h", lle/ public
#               headers and system headers
#   cppcheck    cppcheck over src/ with cppcheck-suppressions.xml (zero findings)
#   clang-tidy  clang-tidy with the committed .clang-tidy over src/ (compile
#               database from build-lint/), zero findings
#   format      clang-format --dry-run with the committed .clang-format
# `scripts/lint.sh` with no argument runs the gates CI enforces (all but
# format, see docs/testing.md); `scripts/lint.sh all` runs every step.
set -uo pipefail
cd "$(dirname "$0")/.."
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
    [ -f third_party/llama/config.cmake ] || bash scripts/deps.sh
    [ -f build-lint/compile_commands.json ] ||
        cmake -S . -B build-lint -DCMAKE_EXPORT_COMPILE_COMMANDS=ON > /dev/null
}

step_cppcheck() {
    compile_db || return 1
    cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance --inline-suppr \
        --suppress-xml=cppcheck-suppressions.xml --std=c11 -j "$JOBS" -D__GNUC__ -D_GNU_SOURCE \
        -DLLE_BUILDING_LIBRARY -Iinclude -Isrc -Ibuild-lint/generated --library=posix src
}

step_clang_tidy() {
    compile_db || return 1
    local files
    files=$(find src -name '*.c' | sort)
    # shellcheck disable=SC2086
    if command -v run-clang-tidy > /dev/null; then
        run-clang-tidy -quiet -p build-lint -j "$JOBS" $files 2>&1 | grep -E 'warning:|error:' && return 1
        return 0
    fi
    echo $files | xargs -n 4 -P "$JOBS" clang-tidy -quiet -p build-lint 2> /dev/null | grep -E 'warning:|error:' && return 1
    return 0
}

step_format() {
    find src include tests fuzz -name '*.[ch]' -print0 | xargs -0 clang-format --dry-run 2>&1 |
        grep -c 'warning:' | { read -r n; if [ "$n" -gt 0 ]; then echo "clang-format: $n line(s) differ"; exit 1; fi; }
}

run() {
    echo "lint: $1"
    if ! "step_${1//-/_}"; then echo "lint: $1 FAILED"; fail=1; fi
}

case "${1:-ci}" in
    ci) for s in banned cli-headers cppcheck; do run "$s"; done ;;
    all) for s in banned cli-headers cppcheck clang-tidy format; do run "$s"; done ;;
    *) run "$1" ;;
esac
[ "$fail" -eq 0 ] && echo "lint: clean"
exit "$fail"
