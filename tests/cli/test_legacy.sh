#!/usr/bin/env bash
# test_legacy.sh — `results import-legacy DIR` on the thesis tool's real
# results (tests/data/legacy): every raw folder and combined run imported,
# marked source legacy, energy in joules (kWh x 3.6e6), re-import idempotent,
# --dry-run stores nothing, --json report, legacy and measured results side
# by side in one database, and bad input as one-line errors (exit 2).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BIN="$LLE_BIN"
D="$LLE_SRC/tests/data/legacy"
R="$TMP/results"
db() { sqlite3 "$R/results.db" "$1"; }

check_exit 0 "import" -- "$BIN" results import-legacy "$D" --results-dir "$R"
check_true "import: summary line" grep -q "imported 110 thesis-tool experiment(s)" "$TMP/err"
check_true "110 experiments, all legacy" test "$(db "select count(*) from experiments where source = 'legacy'")" = 110
check_true "raw folder 0110 stored" test "$(db "select count(*) from experiments where id = 'legacy-thesis-0110'")" = 1
check_true "0110 energy in J = thesis total_energy_joules" test "$(db "select printf('%.6f', json_extract(document_json,
    '$.energy.total.energy_j')) from experiments where id = 'legacy-thesis-0110'")" = 1477.929108
check_true "0110 GPU energy measured, CPU estimated" test "$(db "select group_concat(json_extract(s.value, '$.method'))
    from experiments e, json_each(e.document_json, '$.energy.window.sources') s where e.id = 'legacy-thesis-0110'")" = \
    "measured,estimated,estimated"
check_true "typed columns filled" test "$(db "select batch_size || ',' || prompts || ',' || output_tokens from experiments
    where id = 'legacy-thesis-0220'")" = "256,128,16384"
check_true "integrity" test "$(db 'pragma integrity_check')" = ok
sqlite3 "$R/results.db" "select id, document_json from experiments order by id" > "$TMP/first.txt"

check_exit 0 "re-import" -- "$BIN" results import-legacy "$D" --results-dir "$R" --json
check_true "re-import: already stored" test "$(jq .already_stored "$TMP/out")" = 110
check_true "re-import: still 110 rows" test "$(db "select count(*) from experiments")" = 110
sqlite3 "$R/results.db" "select id, document_json from experiments order by id" > "$TMP/second.txt"
check_true "re-import: documents byte-identical" cmp -s "$TMP/first.txt" "$TMP/second.txt"
check_true "--json: duplicates reported" test "$(jq .duplicates "$TMP/out")" = 100

check_exit 0 "dry run" -- "$BIN" results import-legacy "$D/raw_results" --results-dir "$TMP/dry" --dry-run --json
check_true "dry run: 10 raw folders" test "$(jq .imported "$TMP/out")" = 10
check_true "dry run: no database" test ! -e "$TMP/dry/results.db"
check_exit 0 "one folder" -- "$BIN" results import-legacy "$D/raw_results/0125" --results-dir "$TMP/one" -q
check_true "one folder: one row" test "$(sqlite3 "$TMP/one/results.db" "select count(*) from experiments")" = 1

# measured and legacy side by side
check_exit 0 "a measured run next to them" -- "$BIN" run single --model "$LLE_TESTDATA/tiny-q8_0.gguf" --prompts 1 \
    --max-input-tokens 8 --max-output-tokens 2 --threads 2 --results-dir "$R" -q
check_true "sources side by side" test "$(db "select group_concat(source || ':' || n) from (select source, count(*) n
    from experiments group by source order by source)")" = "legacy:110,llm-efficiency:1"

# bad input
mkdir -p "$TMP/bad" && cp -r "$D/raw_results/0102" "$TMP/bad/"
printf '{\n  "max_input_tokens": 512,\n  oops\n}\n' > "$TMP/bad/0102/0102_2_experiment_variables.json"
check_usage_error "broken JSON: file and line" "0102_2_experiment_variables.json:3: not valid JSON" -- \
    "$BIN" results import-legacy "$TMP/bad" --results-dir "$TMP/badres"
check_true "broken JSON: nothing stored" test ! -e "$TMP/badres/results.db"
check_usage_error "no such directory" "nonexistent: no such file or directory" -- \
    "$BIN" results import-legacy "$TMP/nonexistent" --results-dir "$TMP/badres"
mkdir -p "$TMP/empty"
check_usage_error "nothing to import" "no thesis-tool results found" -- \
    "$BIN" results import-legacy "$TMP/empty" --results-dir "$TMP/badres"
check_usage_error "no directory given" "a directory is required" -- "$BIN" results import-legacy
check_usage_error "unknown subcommand" "unknown subcommand 'frobnicate'" -- "$BIN" results frobnicate
finish
