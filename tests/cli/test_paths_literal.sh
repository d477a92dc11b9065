#!/usr/bin/env bash
# test_paths_literal.sh — paths from the user are used as given (issue 10,
# security): a campaign whose results directory is named "r[1]*" and that
# was killed with its result id journaled removes, at the next start, the
# temporary files a crash left in THAT directory, and not the same-named files
# in a sibling "r1x" that the directory's text would match as a glob pattern;
# `results import-legacy` on a directory named "a[1]*" imports what is inside
# it and nothing from a sibling "a1x". (The library side: tests/unit/test_paths_literal.c.)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BIN="$LLE_BIN"
Q8="$LLE_TESTDATA/tiny-q8_0.gguf"
R="$TMP/r[1]*"
DECOY="$TMP/r1x"
cat > "$TMP/grid.yaml" << YAML
name: paths-test
suite: grid
experiment:
  model: {model_path: $Q8}
  engine: {threads: 2}
  workload: {prompts: 1, max_input_tokens: 8, max_output_tokens: 2}
grid:
  max_output_tokens: [2]
cycles: 1
YAML
db() { sqlite3 "$R/results.db" "$1"; }

# --- campaign: crash leftovers are looked for in the directory as named --------------------
LLE_TEST_KILL_AT=result-id:1 "$BIN" -q run grid "$TMP/grid.yaml" --results-dir "$R" > /dev/null 2>&1 &
wait $! 2> /dev/null
rc=$?
check_true "killed after the result id was journaled (rc $rc)" test "$rc" = 137
id=$(db "select result_id from campaign_items where state = 'running'")
check_true "a running row with a result id" test -n "$id"
mkdir -p "$DECOY"
echo partial > "$R/$id.json.tmp.424242"
echo decoy > "$DECOY/$id.json.tmp.424242"
check_exit 0 "resume" -- "$BIN" -q run grid "$TMP/grid.yaml" --results-dir "$R"
check_true "the crash's temporary file in r[1]* is removed" test ! -e "$R/$id.json.tmp.424242"
check_true "the sibling r1x is not touched" test -e "$DECOY/$id.json.tmp.424242"
check_true "the run is stored once" test "$(db "select count(*) from experiments")" = 1
check_true "journal: done" test "$(db "select count(*) from campaign_items where state = 'done'")" = 1

# --- legacy import: the directory's name is not a pattern --------------------------------------
mkdir -p "$TMP/a[1]*/raw_results" "$TMP/a1x/raw_results"
cp -r "$LLE_SRC/tests/data/legacy/raw_results/0102" "$TMP/a[1]*/raw_results/"
cp -r "$LLE_SRC/tests/data/legacy/raw_results/0104" "$TMP/a1x/raw_results/"
check_exit 0 "import-legacy a[1]*" -- "$BIN" -q results import-legacy "$TMP/a[1]*" --results-dir "$TMP/imp"
check_true "imports only 0102 (from a[1]*, not 0104 from a1x)" test \
    "$(sqlite3 "$TMP/imp/results.db" "select group_concat(id) from experiments")" = legacy-thesis-0102
finish
