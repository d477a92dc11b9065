#!/usr/bin/env bash
# make_fixtures.sh — synthesise the small models the tests share (cached in
# $LLE_TESTDATA; rebuilt only when missing).
set -euo pipefail
mkdir -p "$LLE_TESTDATA"
for t in f16 q8_0 q4_0; do
    f="$LLE_TESTDATA/tiny-$t.gguf"
    [ -s "$f" ] || "$LLE_BIN" model synth --preset tiny --type "$t" --seed 1 -o "$f"
done
echo "fixtures ready in $LLE_TESTDATA"
