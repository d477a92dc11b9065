#!/usr/bin/env bash
# test_install.sh — `cmake --install` into a temporary prefix (what `make
# install PREFIX=...` runs) gives a self-contained copy: the binary runs from
# the prefix with its own llama.cpp libraries and tokenizer files, synthesises
# a model and measures a run; the man page and headers are installed.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
P="$TMP/prefix"

check_exit 0 "cmake --install" -- cmake --install "$LLE_BUILD_DIR" --prefix "$P"
check_true "binary installed" test -x "$P/bin/llm-efficiency"
check_true "man page installed" test -f "$P/share/man/man1/llm-efficiency.1"
check_true "public header installed" test -f "$P/include/lle/lle.h"
check_true "tokenizer files installed" test -f "$P/share/llm-efficiency/vocab/ggml-vocab-llama-spm.gguf"
check_true "cpu backends installed" test -n "$(ls "$P"/lib/llm-efficiency/libggml-cpu-*.so 2>/dev/null)"
check_true "no build-tree rpath" test -z "$(readelf -d "$P/bin/llm-efficiency" "$P"/lib/liblle.so* | grep -E 'R(UN)?PATH' | grep -e "$LLE_BUILD_DIR" -e third_party)"
check_exit 0 "installed --version" -- "$P/bin/llm-efficiency" --version
check_exit 0 "installed synth" -- env LLE_VOCAB_DIR= "$P/bin/llm-efficiency" model synth --preset tiny --type q4_0 -o "$TMP/m.gguf"
check_exit 0 "installed run" -- "$P/bin/llm-efficiency" run single --model "$TMP/m.gguf" --prompts 2 \
    --max-input-tokens 8 --max-output-tokens 4 --no-save --json
check_true "installed run measured 8 tokens" test "$(jq '.metrics.output_tokens' "$TMP/out")" = 8
finish
