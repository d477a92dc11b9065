#!/usr/bin/env bash
# test_results.sh — `results list|show|compare|analyze|export` on the fixed
# database that tests/unit/test_results (--make-db) builds through
# lle_store_put: golden outputs (tests/cli/test_results_golden/; regenerate
# with LLE_UPDATE_GOLDEN=1 after checking the diff by eye), export round trips
# read back with Python's csv and json modules (row counts, column names,
# every value against the stored documents), bad input (exit 2, one line).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BIN="$LLE_BIN"
R="$TMP/results"
GOLD="$LLE_SRC/tests/cli/test_results_golden"
"$LLE_BUILD_DIR/tests/test_results" --make-db "$R" || { echo "FAIL: fixture database"; exit 1; }

golden() { # NAME CMD... : stdout must equal $GOLD/NAME
    local name="$1"; shift
    "$@" >"$TMP/g.out" 2>"$TMP/g.err" || { bad "$name: exit $?: $(head -c 300 "$TMP/g.err")"; return; }
    if [ "${LLE_UPDATE_GOLDEN:-}" = 1 ]; then cp "$TMP/g.out" "$GOLD/$name"; fi
    if diff -u "$GOLD/$name" "$TMP/g.out" >"$TMP/g.diff"; then ok; else bad "$name differs: $(head -40 "$TMP/g.diff")"; fi
}

# --- golden outputs -------------------------------------------------------------
golden list.txt "$BIN" results list --results-dir "$R"
golden list_filtered.txt "$BIN" results list --results-dir "$R" --where model_file_type=Q8_0 --where 'batch_size>1' \
    --sort -j_per_output_token --limit 3
golden list_campaign.json "$BIN" results list --results-dir "$R" --campaign camp-b1 --json
golden show.txt "$BIN" results show 20260101T000100 --results-dir "$R"
golden compare.txt "$BIN" results compare 20260101T000100 20260101T000400 20260101T0012 --results-dir "$R"
golden analyze.txt "$BIN" results analyze --results-dir "$R"
golden analyze_by.txt "$BIN" results analyze --results-dir "$R" --by batch_size --metric output_tokens_per_s \
    --cv-threshold 10

# --- JSON outputs are JSON and say measured/estimated -------------------------------
check_exit 0 "show --json" -- "$BIN" results show 20260101T000900 --results-dir "$R" --json
check_true "show json: J/token estimated" test "$(jq -r '.energy.j_per_output_token.method' "$TMP/out")" = estimated
check_true "show json: unit" test "$(jq -r '.energy.j_per_output_token.unit' "$TMP/out")" = J/token
check_true "show json: phases" test "$(jq -r '.energy_phases.decode.method' "$TMP/out")" = estimated
check_true "show json: whole document" test "$(jq -r '.document.id' "$TMP/out")" = 20260101T000900.000Z-000000a9
check_exit 0 "analyze --json" -- "$BIN" results analyze --results-dir "$R" --json
check_true "analyze json: 4 groups" test "$(jq '.groups | length' "$TMP/out")" = 4
check_true "analyze json: CI of Q8_0/b1 by hand" python3 -c "
import json, sys
a = json.load(open('$TMP/out'))
g = [g for g in a['groups'] if g['label'] == 'model_file_type=Q8_0, batch_size=1'][0]['metrics']['j_per_output_token']
# 1.98 2.00 2.02: s = 0.02, t(0.975, 2) = 4.302652729749462
half = 4.302652729749462 * 0.02 / 3 ** 0.5
sys.exit(0 if abs(g['ci95_high'] - (2 + half)) < 1e-9 and abs(g['cv'] - 0.01) < 1e-9 else 1)"

# --- export round trips ------------------------------------------------------------
for fmt in csv jsonl json; do
    check_exit 0 "export $fmt" -- "$BIN" results export --format "$fmt" --results-dir "$R" -o "$TMP/exp.$fmt"
done
check_exit 0 "export columns" -- "$BIN" results export --columns --format csv
cp "$TMP/out" "$TMP/columns.csv"
check_true "experiments: csv = jsonl = json = stored documents" python3 - "$TMP" "$R/results.db" <<'PY'
import csv, json, sqlite3, sys
tmp, db = sys.argv[1], sys.argv[2]
cols = [r["name"] for r in csv.DictReader(open(f"{tmp}/columns.csv"))]
rows_csv = list(csv.DictReader(open(f"{tmp}/exp.csv", newline="")))
rows_jsonl = [json.loads(l) for l in open(f"{tmp}/exp.jsonl")]
rows_json = json.load(open(f"{tmp}/exp.json"))
assert len(rows_csv) == len(rows_jsonl) == len(rows_json) == 16, (len(rows_csv), len(rows_jsonl), len(rows_json))
assert list(rows_csv[0].keys()) == cols == list(rows_jsonl[0].keys()) == list(rows_json[0].keys())
assert rows_jsonl == rows_json
docs = {r[0]: json.loads(r[1]) for r in sqlite3.connect(db).execute("select id, document_json from experiments")}
def pick(d, *path):
    for p in path:
        d = d.get(p) if isinstance(d, dict) else None
    return d
checked = 0
for c, j in zip(rows_csv, rows_jsonl):
    d = docs[j["id"]]
    for name, path in [("batch_size", ("config", "batch_size")), ("model_file_type", ("model", "file_type")),
                       ("output_tokens_per_s", ("metrics", "output_tokens_per_s")),
                       ("ttft_p99_s", ("metrics", "ttft_s", "p99")), ("energy_j", ("energy", "total", "energy_j")),
                       ("energy_method", ("energy", "total", "method")),
                       ("j_per_output_token", ("energy", "derived", "j_per_output_token")),
                       ("decode_j_per_token", ("energy", "phases", "decode", "j_per_token")),
                       ("hostname", ("environment", "hostname"))]:
        want = pick(d, *path)
        assert j[name] == want, (j["id"], name, j[name], want)
        got_csv = c[name]
        if want is None:
            assert got_csv == "", (name, got_csv)
        elif isinstance(want, str):
            assert got_csv == want, (name, got_csv, want)
        else:
            assert float(got_csv) == float(want), (name, got_csv, want)   # exact round trip
        checked += 1
    for k in cols:   # csv and json agree on every value
        v = j[k]
        cv = c[k]
        if v is None: assert cv == "", (k, cv)
        elif isinstance(v, bool): assert cv == ("true" if v else "false"), (k, cv)
        elif isinstance(v, (int, float)): assert float(cv) == float(v), (k, cv, v)
        else: assert cv == v, (k, cv, v)
assert checked == 16 * 9
PY
check_exit 0 "export requests csv" -- "$BIN" results export --format csv --what requests --results-dir "$R" \
    --campaign camp-b4 -o "$TMP/req.csv"
check_true "requests: 8 runs x 2 rows, itl_s JSON, tpot derived" python3 - "$TMP/req.csv" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
assert len(rows) == 16, len(rows)
assert list(rows[0].keys())[:3] == ["experiment_id", "idx", "prompt_index"]
assert all(json.loads(r["itl_s"]) == [0.25, 0.25] for r in rows)
assert all(float(r["tpot_s"]) == 0.25 for r in rows)   # (0.75 - 0.25) / (3 - 1)
PY
check_exit 0 "export timeseries jsonl" -- "$BIN" results export --format jsonl --what timeseries --results-dir "$R" \
    --where id=20260101T000300.000Z-000000a3
check_true "timeseries: 10 samples of run 3" python3 -c "
import json
rows = [json.loads(l) for l in open('$TMP/out')]
assert len(rows) == 10 and rows[0] == {'experiment_id': '20260101T000300.000Z-000000a3', 't_s': 0, 'source': 'rapl:package-0', 'metric': 'power_w', 'value': 30}, rows[0]
assert rows[9]['t_s'] == 0.9 and rows[9]['value'] == 39"
check_true "no temp files left" test -z "$(find "$TMP" -maxdepth 1 -name '*.tmp*')"

# --- bad input: exit 2, one line naming the thing --------------------------------------
check_usage_error "unknown where field" "nosuch" -- "$BIN" results list --results-dir "$R" --where nosuch=1
check_usage_error "where number" "batch_size is a number" -- "$BIN" results list --results-dir "$R" --where batch_size=x
check_usage_error "bad sort" "--sort" -- "$BIN" results list --results-dir "$R" --sort nope
check_usage_error "unknown id" "no experiment with id 'zzz'" -- "$BIN" results show zzz --results-dir "$R"
check_usage_error "ambiguous prefix" "matches several" -- "$BIN" results show 2026 --results-dir "$R"
check_usage_error "compare needs two" "two or more" -- "$BIN" results compare 20260101T000100 --results-dir "$R"
check_usage_error "no database" "no results database" -- "$BIN" results list --results-dir "$TMP/none"
check_true "no database created by a read" test ! -e "$TMP/none"
check_usage_error "export needs a format" "--format" -- "$BIN" results export --results-dir "$R"
check_usage_error "export bad what" "--what" -- "$BIN" results export --format csv --what nope --results-dir "$R"
check_usage_error "analyze bad by" "--by 'energy_j'" -- "$BIN" results analyze --by energy_j --results-dir "$R"
check_usage_error "analyze bad metric" "--metric" -- "$BIN" results analyze --metric model_name --results-dir "$R"
check_usage_error "option of another subcommand" "does not apply" -- "$BIN" results show x --by batch_size
check_exit 1 "export to an unwritable path" -- "$BIN" results export --format csv --results-dir "$R" -o /proc/nope.csv
check_true "a damaged database is refused" bash -c "mkdir -p '$TMP/bad' && echo garbage > '$TMP/bad/results.db' &&
    ! '$BIN' results list --results-dir '$TMP/bad' 2>'$TMP/bad.err' && grep -q 'results.db' '$TMP/bad.err'"
finish
