#!/usr/bin/env bash
# test_faults.sh — fault injection (issue 10): each fault must give a clear
# one-line error and a non-zero exit, leave the results database consistent
# (PRAGMA integrity_check = ok) and no partial file (*.tmp.*), and a rerun or
# resume once the fault is gone must recover.
#   - results directory not writable: a results path under a regular file (works
#     for root, where permission bits do not bind), and a read-only bind mount
#     when the test may mount (root with CAP_SYS_ADMIN; otherwise that part skips)
#   - disk full: results on a small tmpfs filled up first (needs mount; skips otherwise)
#   - SIGTERM / SIGINT at random moments of a campaign, then resume
#     (SIGKILL at every named point and at random: test_campaign_kill.sh)
#   - the model file vanishing between campaign experiments, then resume
#   - an energy source failing mid-run: tests/unit/test_energy_rapl.c
#     (test_zone_disappears) and test_energy_gpu.c (a GPU disappearing)
#   - file modes: results files 0644 and directories 0755 under umask 022,
#     nothing world-writable under umask 000 is *created* writable beyond umask
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BIN="$LLE_BIN"
M="$LLE_TESTDATA/tiny-q8_0.gguf"
RUN=(run single --model "$M" --prompts 2 --max-input-tokens 8 --max-output-tokens 4 --threads 2)

no_tmp() { test -z "$(find "$1" -name '*.tmp.*' 2> /dev/null)"; }
integrity() { test ! -f "$1/results.db" || test "$(sqlite3 "$1/results.db" 'pragma integrity_check')" = ok; }
one_line() { test "$(grep -c . "$TMP/err")" -le 2 && grep -q . "$TMP/err"; }

# --- results directory under a regular file ----------------------------------------------
touch "$TMP/afile"
check_exit 1 "results dir under a file" -- "$BIN" -q "${RUN[@]}" --results-dir "$TMP/afile/results"
check_true "under a file: error names the path ($(head -c 200 "$TMP/err"))" grep -q "afile" "$TMP/err"
check_true "under a file: short error" one_line
echo "under a file: $(head -1 "$TMP/err")"

# --- read-only bind mount ----------------------------------------------------------------
RO="$TMP/ro"; mkdir -p "$RO"
if mount --bind "$RO" "$RO" 2> /dev/null && mount -o remount,ro,bind "$RO" 2> /dev/null; then
    check_exit 1 "read-only results dir" -- "$BIN" -q "${RUN[@]}" --results-dir "$RO/results"
    check_true "read-only: error says so ($(head -c 200 "$TMP/err"))" grep -qi "read-only\|permission\|$RO" "$TMP/err"
    check_true "read-only: nothing written" test -z "$(ls -A "$RO")"
    echo "read-only: $(head -1 "$TMP/err")"
    umount "$RO"
else
    umount "$RO" 2> /dev/null
    echo "skip: read-only bind mount not permitted here"
fi

# --- disk full ---------------------------------------------------------------------------
FULL="$TMP/full"; mkdir -p "$FULL"
if mount -t tmpfs -o size=256k tmpfs "$FULL" 2> /dev/null; then
    mkdir -p "$FULL/results"
    dd if=/dev/zero of="$FULL/filler" bs=4k 2> /dev/null  # until ENOSPC
    check_exit 1 "disk full" -- "$BIN" -q "${RUN[@]}" --results-dir "$FULL/results"
    check_true "disk full: error names the cause ($(head -c 200 "$TMP/err"))" \
        grep -qi "space\|full\|write\|$FULL" "$TMP/err"
    check_true "disk full: short error" one_line
    echo "disk full: $(head -1 "$TMP/err")"
    check_true "disk full: no partial file" no_tmp "$FULL"
    check_true "disk full: database consistent" integrity "$FULL/results"
    rm -f "$FULL/filler"
    check_exit 0 "disk full: rerun after freeing space" -- "$BIN" -q "${RUN[@]}" --results-dir "$FULL/results"
    check_true "disk full: rerun stored" test "$(sqlite3 "$FULL/results/results.db" \
        "select count(*) from experiments where status = 'completed'")" -ge 1
    check_true "disk full: database consistent after rerun" integrity "$FULL/results"
    umount "$FULL"
else
    echo "skip: tmpfs mount not permitted here"
fi

# --- campaign: SIGTERM / SIGINT at random moments, then resume ---------------------------
R="$TMP/campaign"
MC="$TMP/model-copy.gguf"
cp "$M" "$MC"
cat > "$TMP/c.yaml" <<YAML
name: fault-test
suite: grid
experiment:
  model: {model_path: $MC}
  engine: {threads: 2}
  workload: {prompts: 2, max_input_tokens: 8, max_output_tokens: 2}
grid:
  max_output_tokens: [2, 3]
cycles: 2
cooldown_s: 0.05
YAML
TOTAL=4
camp() { "$BIN" -q run grid "$TMP/c.yaml" --results-dir "$R" > /dev/null 2> "$TMP/err" & wait $! 2> /dev/null; }
stored() { sqlite3 "$R/results.db" "select count(*) from experiments where status = 'completed'" 2> /dev/null || echo 0; }
for sig in TERM INT TERM INT; do
    "$BIN" -q run grid "$TMP/c.yaml" --results-dir "$R" > /dev/null 2> "$TMP/err" &
    pid=$!
    sleep "0.$((RANDOM % 9 + 1))"
    kill -"$sig" "$pid" 2> /dev/null
    rc=0; wait "$pid" || rc=$?
    check_true "SIG$sig: exit 130 or done (rc $rc)" test "$rc" = 130 -o "$rc" = 0
    check_true "SIG$sig: no partial file" no_tmp "$R"
    check_true "SIG$sig: database consistent" integrity "$R"
done
# --- the model file vanishing between experiments (after the first stored one) ------------
before=$(stored)
if [ "$before" -lt "$TOTAL" ]; then
    LLE_TEST_KILL_AT=done:1 camp
    mv "$MC" "$MC.away"
    camp; rc=$?
    check_true "model gone: run fails (rc $rc)" test "$rc" = 1 -o "$rc" = 2
    check_true "model gone: error names the model file ($(head -c 200 "$TMP/err"))" grep -q "model-copy.gguf" "$TMP/err"
    check_true "model gone: short error" one_line
    echo "model gone: $(head -1 "$TMP/err")"
    check_true "model gone: database consistent" integrity "$R"
    check_true "model gone: no partial file" no_tmp "$R"
    mv "$MC.away" "$MC"
fi
camp; rc=$?
check_exit 0 "resume completes" -- "$BIN" -q run grid "$TMP/c.yaml" --results-dir "$R"
check_true "resume: every planned run stored once ($(stored))" test "$(stored)" = "$TOTAL"
check_true "resume: database consistent" integrity "$R"
check_true "resume: no partial file" no_tmp "$R"

# --- file modes under the user's umask -----------------------------------------------------
U="$TMP/modes"
(umask 022 && "$BIN" -q "${RUN[@]}" --results-dir "$U/results" > /dev/null 2>&1)
check_true "umask 022: results dir 0755" test "$(stat -c %a "$U/results")" = 755
check_true "umask 022: results files 0644" test -z "$(find "$U/results" -type f ! -perm 0644)"
check_true "umask 022: some result files" test -n "$(find "$U/results" -type f -name '*.json')"
U2="$TMP/modes2"
(umask 027 && "$BIN" -q "${RUN[@]}" --results-dir "$U2/results" > /dev/null 2>&1)
check_true "umask 027: nothing world-readable or -writable" test -z "$(find "$U2" -perm /o+rwx)"
check_true "umask 027: results files 0640" test -z "$(find "$U2/results" -type f ! -perm 0640)"

finish
