#!/usr/bin/env bash
# test_docs.sh — the documentation cannot drift from the program:
#   * every `llm-efficiency CMD ... --flag` shown in docs/*.md and README.md
#     exists (command listed, flag in that command's --help) and every complete
#     config example (examples/configs/*.yaml, ```yaml blocks starting with
#     `version:`, `cat > F.yaml <<TAG` here-documents) passes `config validate`
#     (scripts/check_docs.py); the checker itself is shown to catch a bad
#     command, a bad flag and a bad config;
#   * the man page equals what scripts/gen_manpage.sh writes from --help;
#   * the bash completion offers commands, subcommands and flags from --help.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
S="$LLE_SRC"

check_exit 0 "docs match the program" -- python3 "$S/scripts/check_docs.py" "$LLE_BIN" "$TMP" \
    "$S/README.md" "$S"/docs/*.md --configs "$S"/examples/configs/*.yaml
[ -s "$TMP/out" ] && grep -v '^checked ' "$TMP/out" >&2
check_true "checker saw commands and configs" grep -qE '^checked [1-9][0-9]* commands and [1-9]' "$TMP/out"

cat >"$TMP/bad.md" <<'DOC'
Run `llm-efficiency run single --no-such-flag 3` or `llm-efficiency frobnicate`.

```yaml
version: 1
name: broken
model:
  preset: tiny
workload:
  prompts: -4
```
DOC
check_exit 1 "checker fails on a bad doc" -- python3 "$S/scripts/check_docs.py" "$LLE_BIN" "$TMP" "$TMP/bad.md"
check_true "bad flag reported" grep -q 'run single --no-such-flag: not in --help' "$TMP/out"
check_true "bad command reported" grep -q 'frobnicate: no such command' "$TMP/out"
check_true "bad config reported" grep -q 'bad.md:4: config example does not validate' "$TMP/out"

check_exit 0 "gen_manpage.sh" -- bash "$S/scripts/gen_manpage.sh" "$LLE_BIN"
cp "$TMP/out" "$TMP/man.1"
check_true "docs/llm-efficiency.1 is current (run scripts/gen_manpage.sh build/llm-efficiency > docs/llm-efficiency.1)" \
    cmp -s "$TMP/man.1" "$S/docs/llm-efficiency.1"
for sec in "run single" "run models | controlled | scenarios | grid" model config devices measure flops results \
           "results report"; do
    check_true "man page section: $sec" grep -qF ".SS \"$sec\"" "$TMP/man.1"
done
if command -v man >/dev/null 2>&1; then
    check_exit 0 "man page renders" -- man --warnings=all -l "$TMP/man.1"
    check_true "man renders without warnings" test ! -s "$TMP/err"
fi

# completion: words offered for a few command lines, from the real --help texts
complete_words() { # WORD... (the last is the word being completed)
    PATH="$(dirname "$LLE_BIN"):$PATH" bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
        _llm_efficiency; printf "%s\n" "${COMPREPLY[@]}"' _ "$S/scripts/completion/llm-efficiency.bash" llm-efficiency "$@"
}
check_true "completion: commands" bash -c '[ "$(echo $(sort <<<"$1"))" = "config devices flops measure model results run" ]' \
    _ "$(complete_words "")"
check_true "completion: results subcommands" grep -qx report <<<"$(complete_words results "")"
check_true "completion: run subcommands" grep -qx controlled <<<"$(complete_words run "")"
check_true "completion: run single flags" grep -qx -- --max-output-tokens <<<"$(complete_words run single --max)"
check_true "completion: measure flags" grep -qx -- --idle-baseline <<<"$(complete_words measure --idle)"
finish
