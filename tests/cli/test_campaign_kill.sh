#!/usr/bin/env bash
# test_campaign_kill.sh — crash safety of campaigns: kill -9 at every named
# point of a run (LLE_TEST_KILL_AT=<point>:<n>, src/campaign/killpoint.h:
# journaled running, experiment done, result id journaled, result file
# written, inside the put-and-mark-done transaction, after COMMIT, during the
# cooldown), then at random moments from outside, resuming each time with the
# same command. At the end every planned run is stored exactly once, the
# journal marks each done with its experiment, there is one result file per
# stored experiment and no temporary file, and PRAGMA integrity_check is ok.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BIN="$LLE_BIN"
Q8="$LLE_TESTDATA/tiny-q8_0.gguf"
R="$TMP/results"
cat > "$TMP/kill.yaml" <<YAML
name: kill-test
suite: grid
experiment:
  model: {model_path: $Q8}
  engine: {threads: 2}
  workload: {prompts: 2, max_input_tokens: 8, max_output_tokens: 2}
grid:
  batch_size: [1, 2]
  max_output_tokens: [2, 3]
cycles: 3
cooldown_s: 0.05
YAML
TOTAL=12
# in the background + wait: the shell does not print "Killed" for every planned crash
run() { "$BIN" -q run grid "$TMP/kill.yaml" --results-dir "$R" "$@" > /dev/null 2> "$TMP/err" & wait $! 2> /dev/null; }
db() { sqlite3 "$R/results.db" "$1"; }
nfiles() { find "$R" -maxdepth 1 -name '*.json' | wc -l; }

# check_invariants DESC — after any crash: no run stored twice, done marks point at stored rows
check_invariants() {
    check_true "$1: no run stored twice" test "$(db "select count(*) from (select json_extract(document_json,
        '$.campaign.config_hash'), json_extract(document_json, '$.campaign.cycle') from experiments group by 1, 2
        having count(*) > 1)")" = 0
    check_true "$1: every done mark has its experiment" test "$(db "select count(*) from campaign_items ci where
        state = 'done' and not exists (select 1 from experiments e where e.id = ci.experiment_id)")" = 0
    check_true "$1: done marks = stored" test "$(db "select count(*) from campaign_items where state = 'done'")" = \
        "$(db "select count(*) from experiments")"
}

# --- a kill at every named point ---------------------------------------------------------
for point in running:1 ran:1 result-id:1 file:1 done-tx:1 done:1 cooldown:1 file:2 done-tx:2 ran:3; do
    LLE_TEST_KILL_AT="$point" run
    rc=$?
    check_true "kill at $point: killed (rc $rc)" test "$rc" = 137
    check_invariants "after kill at $point"
done
# a result file written just before the kill is stored at the next start, not run again
before=$(db "select count(*) from experiments")
files_before=$(nfiles)
LLE_TEST_KILL_AT=file:1 run
check_true "orphan file: one more file than rows" test "$(nfiles)" = $((before + 1))
LLE_TEST_KILL_AT=running:1 run
check_true "orphan file: recovered at the next start" test "$(db "select count(*) from experiments")" = $((before + 1))
check_true "orphan file: no second file for it" test "$(nfiles)" = $((files_before + 1))

# --- kills at random moments -----------------------------------------------------------------
for seed in 1 2 3 4 5 6; do
    "$BIN" -q run grid "$TMP/kill.yaml" --results-dir "$R" > /dev/null 2>&1 &
    pid=$!
    sleep "0.$(( (seed * 37) % 9 + 1 ))"
    kill -9 "$pid" 2> /dev/null
    wait "$pid" 2> /dev/null
    check_invariants "random kill $seed"
done

# --- finish ----------------------------------------------------------------------------------
check_exit 0 "resume to the end" -- "$BIN" -q run grid "$TMP/kill.yaml" --results-dir "$R" --json
check_true "all $TOTAL runs stored exactly once" test "$(db "select count(*) from experiments")" = $TOTAL
check_true "journal: all done" test "$(db "select count(*) from campaign_items where state = 'done'")" = $TOTAL
check_invariants "final"
check_true "one result file per stored experiment" test "$(nfiles)" = $TOTAL
check_true "every stored experiment has its file" test "$(for id in $(db "select id from experiments"); do
    test -f "$R/$id.json" || echo missing; done | wc -l)" = 0
check_true "no temporary files left" test -z "$(find "$R" -name '*.tmp*')"
check_true "integrity_check ok" test "$(db 'pragma integrity_check')" = ok
check_true "dry run agrees: nothing to do" test "$("$BIN" -q run grid "$TMP/kill.yaml" --results-dir "$R" --dry-run \
    --json | jq .counts.to_run)" = 0
finish
