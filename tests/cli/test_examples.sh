#!/usr/bin/env bash
# test_examples.sh — the examples build and run against an installed copy, as a
# user would: `cmake --install` into a temporary prefix, then
# cc $(pkg-config --cflags --libs lle ...) with PKG_CONFIG_PATH pointing at the
# prefix's lle.pc. energy_meter measures a short window; run_experiment runs
# one experiment on a tiny model and prints decode tok/s and J/token with its
# method. The example config files (examples/configs/*.yaml) validate.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
P="$TMP/prefix"
EX="$LLE_SRC/examples"

check_exit 0 "cmake --install" -- cmake --install "$LLE_BUILD_DIR" --prefix "$P"
export PKG_CONFIG_PATH="$P/lib/pkgconfig"
check_exit 0 "pkg-config lle" -- pkg-config --cflags --libs lle
check_true "pkg-config points into the prefix" grep -q -- "-L$P/lib" "$TMP/out"
check_exit 0 "pkg-config version" -- pkg-config --modversion lle
check_true "pkg-config version is the binary's" test "$(cat "$TMP/out")" = "$("$LLE_BIN" --version | awk '{print $2; exit}')"

# shellcheck disable=SC2046
check_exit 0 "build energy_meter" -- cc -std=c11 -Wall -Wextra -Werror -O2 "$EX/energy_meter.c" -o "$TMP/energy_meter" \
    $(pkg-config --cflags --libs lle) -lm -Wl,-rpath,"$P/lib"
check_exit 0 "run energy_meter" -- "$TMP/energy_meter" 0.2
check_true "energy_meter printed a window" grep -qE '[0-9.]+ J' "$TMP/out"

# shellcheck disable=SC2046
check_exit 0 "build run_experiment" -- cc -std=c11 -Wall -Wextra -Werror -O2 "$EX/run_experiment.c" \
    -o "$TMP/run_experiment" $(pkg-config --cflags --libs lle libcjson) -Wl,-rpath,"$P/lib"
check_true "no build-tree rpath in the examples" \
    test -z "$(readelf -d "$TMP/run_experiment" | grep -E 'R(UN)?PATH' | grep -e "$LLE_BUILD_DIR" -e third_party)"
check_exit 0 "run run_experiment" -- "$TMP/run_experiment" "$LLE_TESTDATA/tiny-q4_0.gguf"
check_true "decode tok/s printed" grep -qE '^decode: +[0-9.]+ tok/s' "$TMP/out"
check_true "J/token with its method, or why not" \
    grep -qE '^energy: +([0-9.]+ J per output token \((measured|estimated|mixed)\)|not available)' "$TMP/out"
check_exit 2 "run_experiment: missing model" -- "$TMP/run_experiment" "$TMP/nope.gguf"
check_true "one clear message naming the file" grep -q "nope.gguf" "$TMP/err"

check_exit 0 "example configs validate" -- "$LLE_BIN" config validate "$EX"/configs/*.yaml
finish
