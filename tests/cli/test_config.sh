#!/usr/bin/env bash
# test_config.sh — the `config` command end to end: golden validation output
# for every broken fixture (tests/data/configs/broken/*.expected), templates
# that validate and run, show output that validates again, the schema table in
# docs/config-files.md identical to `config schema --markdown` and covering
# every field of docs/configuration.md, `run single CONFIG` with flags that
# override it, and migration of every real thesis-tool config.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
BIN="$LLE_BIN"
CFG="$LLE_SRC/tests/data/configs"
M="$LLE_TESTDATA/tiny-q8_0.gguf"

# --- golden validation messages -------------------------------------------------
for f in "$CFG"/broken/*.yaml "$CFG"/broken/*.json; do
    name=$(basename "$f")
    want="${f%.*}.expected"
    rc=0
    (cd "$CFG/broken" && "$BIN" config validate "$name" >"$TMP/out" 2>"$TMP/err") || rc=$?
    if [ "$name" = warnings.yaml ]; then
        check_true "$name: exit 0 with warnings" test "$rc" = 0
        check_true "warnings: ok line on stdout" grep -q "warnings.yaml: ok (single experiment, 4 warnings)" "$TMP/out"
    else
        check_true "$name: exit 2" test "$rc" = 2
    fi
    if diff -u "$want" "$TMP/err" >"$TMP/diff"; then ok; else bad "$name: output differs from ${want#$LLE_SRC/}: $(cat "$TMP/diff")"; fi
done
check_exit 2 "several files: any error fails" -- "$BIN" config validate "$CFG/valid/with_prompts.yaml" "$CFG/broken/ranges.yaml"
check_true "several files: the valid one is ok" grep -q "with_prompts.yaml: ok" "$TMP/out"
check_usage_error "missing file" "nope.yaml" -- "$BIN" config validate "$TMP/nope.yaml"
check_usage_error "directory" "is a directory" -- "$BIN" config validate "$TMP"
check_usage_error "no file" "at least one FILE" -- "$BIN" config validate
check_usage_error "unknown subcommand" "unknown command 'frobnicate'" -- "$BIN" config frobnicate
check_exit 0 "valid fixtures" -- "$BIN" config validate "$CFG"/valid/*.yaml

# --- templates: validate, show round trip, refuse to overwrite ---------------------------
for s in single models controlled scenarios grid; do
    check_exit 0 "init $s" -- "$BIN" config init --suite "$s" -o "$TMP/$s.yaml"
    check_exit 0 "init $s validates" -- "$BIN" config validate "$TMP/$s.yaml"
    check_true "init $s: no warnings" test ! -s "$TMP/err"
    "$BIN" config show "$TMP/$s.yaml" >"$TMP/$s.show.yaml"
    check_exit 0 "show $s validates" -- "$BIN" config validate "$TMP/$s.show.yaml"
    "$BIN" config show --json "$TMP/$s.yaml" >"$TMP/$s.show.json"
    check_true "show --json $s is JSON" jq -e . "$TMP/$s.show.json"
    check_exit 0 "show --json $s validates" -- "$BIN" config validate "$TMP/$s.show.json"
done
check_usage_error "init refuses to overwrite" "already exists" -- "$BIN" config init -o "$TMP/single.yaml"
check_exit 0 "init --force overwrites" -- "$BIN" config init -o "$TMP/single.yaml" --force
check_usage_error "init unknown suite" "unknown 'nope'" -- "$BIN" config init --suite nope
check_true "show marks defaults" grep -q "kv_type: f16  # default" "$TMP/single.show.yaml"
check_true "show json has the preset" test "$(jq -r .model.preset "$TMP/single.show.json")" = tiny
check_exit 2 "show of a broken file" -- "$BIN" config show "$CFG/broken/ranges.yaml"
check_true "show of a broken file prints nothing on stdout" test ! -s "$TMP/out"

# --- schema and docs ----------------------------------------------------------------------
"$BIN" config schema --markdown >"$TMP/schema.md"
sed -n '/<!-- schema:begin -->/,/<!-- schema:end -->/p' "$LLE_SRC/docs/config-files.md" | sed '1d;$d' >"$TMP/doc.md"
if diff -u "$TMP/schema.md" "$TMP/doc.md" >"$TMP/diff"; then ok; else
    bad "docs/config-files.md schema table is stale; regenerate with config schema --markdown: $(cat "$TMP/diff")"; fi
"$BIN" config schema --json >"$TMP/schema.json"
jq -r '.sections[].fields[].name' "$TMP/schema.json" | sort >"$TMP/fields"
check_true "schema has 56 fields" test "$(wc -l <"$TMP/fields")" = 56
for f in $(cat "$TMP/fields"); do
    if grep -q "| \`[a-z]*\` | \`$f\` |" "$LLE_SRC/docs/config-files.md"; then ok; else bad "docs/config-files.md lacks field $f"; fi
done
# every config field named in docs/configuration.md's tables is a schema field
grep -E '^\| `--' "$LLE_SRC/docs/configuration.md" | sed 's/\\|/\//g' | awk -F'|' '{print $3}' |
    grep -oE '`[a-z_]+`' | tr -d '`' |
    sort -u >"$TMP/docfields"
check_true "configuration.md lists config fields" test "$(wc -l <"$TMP/docfields")" -ge 35
for f in $(cat "$TMP/docfields"); do
    if grep -qx "$f" "$TMP/fields"; then ok; else bad "configuration.md field $f is not in the schema"; fi
done
check_exit 0 "schema table" -- "$BIN" config schema
check_true "schema table lists batch_size" grep -q "batch_size" "$TMP/out"

# --- run single CONFIG ----------------------------------------------------------------------
cat >"$TMP/run.yaml" <<EOF
model:
  model_path: $M
workload:
  prompts: 3
  max_input_tokens: 12
  max_output_tokens: 5
engine:
  threads: 2
EOF
check_exit 0 "run single CONFIG" -- "$BIN" run single "$TMP/run.yaml" --no-save --json
check_true "file values used: 3 x 5 output tokens" test "$(jq '.metrics.output_tokens' "$TMP/out")" = 15
check_exit 0 "run single CONFIG with overrides" -- "$BIN" run single "$TMP/run.yaml" --prompts 2 --max-output-tokens 4 --no-save --json
check_true "flags override the file: 2 x 4" test "$(jq '.metrics.output_tokens' "$TMP/out")" = 8
check_true "input length still from the file" test "$(jq '.metrics.input_tokens' "$TMP/out")" = 24
check_exit 0 "the single template runs as is" -- "$BIN" run single "$TMP/single.yaml" --threads 2 --no-save --json
check_true "template: 4 requests" test "$(jq '.requests | length' "$TMP/out")" = 4
check_true "template: tiny preset, q8_0" test "$(jq -r '.config.preset + "/" + .config.preset_type' "$TMP/out")" = tiny/q8_0
check_exit 0 "a model flag replaces the file's preset" -- "$BIN" run single "$TMP/single.yaml" --model "$M" --prompts 1 \
    --max-output-tokens 2 --no-save --json
check_true "model flag used" test "$(jq -r '.config.preset' "$TMP/out")" = null
check_exit 2 "run single with a broken file" -- "$BIN" run single "$CFG/broken/cross_fields.yaml" --no-save
check_true "all errors printed" test "$(grep -c 'cross_fields.yaml:' "$TMP/err")" -ge 7
check_true "nothing was run" grep -q "nothing was run" "$TMP/err"
check_usage_error "run single with a campaign" "grid campaign, expected a single experiment" -- \
    "$BIN" run single "$TMP/grid.yaml" --no-save
check_usage_error "run single with a missing file" "nope.yaml" -- "$BIN" run single "$TMP/nope.yaml" --no-save

# --- migration of the real thesis-tool configs -----------------------------------------------
n=0
while IFS= read -r f; do
    n=$((n + 1))
    out="$TMP/mig$n.yaml"
    check_exit 0 "migrate ${f#$CFG/}" -- "$BIN" config migrate "$f" -o "$out"
    check_exit 0 "migrated ${f#$CFG/} validates" -- "$BIN" config validate "$out"
done < <(find "$CFG/legacy" -name '*.json' | sort)
check_true "20 legacy configs migrated" test "$n" = 20
check_exit 0 "migrate base config" -- "$BIN" config migrate "$CFG/legacy/base_config.json"
cp "$TMP/out" "$TMP/base.yaml"
check_true "report: delay_min 4 > delay_max 0.3" grep -q "base_config.json:36:18: latency_simulation.delay_min: invalid: 4 > delay_max 0.3" "$TMP/err"
check_true "report: num_processes (MPI later)" grep -q "num_processes: not mapped: 4 data-parallel processes: multi-process (MPI)" "$TMP/err"
check_true "report: gpu_list" grep -q "gpu_list: not mapped: \[0, 1, 2, 3\]" "$TMP/err"
check_true "report: summary" grep -q "8 not mapped, 1 invalid, 2 notes" "$TMP/err"
check_true "output keeps the report as comments" grep -q "^#   gpu_list (line 7)" "$TMP/base.yaml"
check_true "output: preset and type" grep -q "preset: tinyllama-1.1b  # from model_name" "$TMP/base.yaml"
check_true "output: precision" grep -q "preset_type: f32  # from fp_precision" "$TMP/base.yaml"
check_exit 0 "migrate 4-bit scenario" -- "$BIN" config migrate "$CFG/legacy/scenarios/A3_Quantisation_Gaming.json"
check_true "load_in_4bit -> q4_k_m" grep -q "preset_type: q4_k_m  # from quantization_config.load_in_4bit" "$TMP/out"
check_exit 0 "migrate 8-bit scenario" -- "$BIN" config migrate "$CFG/legacy/scenarios/A4_Latency_Ignorance_Exploit.json"
check_true "load_in_8bit -> q8_0" grep -q "preset_type: q8_0  # from quantization_config.load_in_8bit" "$TMP/out"
check_true "A4's stray key reported" grep -q "A4_Latency_Ignorance_Exploitbatching_options: not mapped" "$TMP/err"
check_exit 0 "migrate --preset" -- "$BIN" config migrate "$CFG/legacy/base_config.json" --preset tiny
check_true "--preset used" grep -q "preset: tiny  # from --preset" "$TMP/out"
echo '{"model_name": "mistralai/Mistral-7B-v0.1", "max_input_tokens": 8}' >"$TMP/mistral.json"
check_exit 2 "unmappable model" -- "$BIN" config migrate "$TMP/mistral.json" -o "$TMP/mistral.yaml"
check_true "unmappable model: no file written" test ! -e "$TMP/mistral.yaml"
check_true "unmappable model: says what to do" grep -q "pass --preset NAME or --model FILE" "$TMP/err"
echo '[1, 2' >"$TMP/broken.json"
check_usage_error "migrate non-JSON" "broken.json:2:1: not JSON" -- "$BIN" config migrate "$TMP/broken.json"
check_usage_error "migrate --model and --preset" "at most one of --model and --preset" -- \
    "$BIN" config migrate "$TMP/broken.json" --model a --preset b
finish
