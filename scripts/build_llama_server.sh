#!/usr/bin/env bash
# build_llama_server.sh — compile llama.cpp's own OpenAI-compatible server
# (tools/server) from the pinned source tree third_party/llama-src against the
# SAME prebuilt libraries llm-efficiency links (third_party/llama/lib), so the
# remote-engine tests (tests/cli/test_remote_llama_server.sh) and
# bench/remote_bench.sh can measure a real server on 127.0.0.1.
#
# Prints the path of the llama-server executable on stdout (nothing else).
# Nothing from llama.cpp is copied into this repository; the build lives in a
# cache OUTSIDE the clone, so every clone and every CI job on the machine reuses
# it:
#   ${LLE_LLAMA_SERVER_CACHE:-${XDG_CACHE_HOME:-~/.cache}/llm-efficiency/llama-server}/<release>-<key>/
# where <key> hashes the compiler, flags, sources and libraries (a stamp, as in
# bench/build_llama_bench.sh): any change rebuilds into a new directory.
#
# What it compiles (mirrors tools/server/CMakeLists.txt without CMake):
# * tools/server/*.cpp (server-context + llama-server-impl + main.cpp)
# * vendor/cpp-httplib/httplib.cpp with the same CPPHTTPLIB_* definitions
# * tools/mtmd (the multimodal library the server links; listed from its
#   CMakeLists.txt) and vendor/hash
# * the web UI table: tools/ui/embed.cpp run WITHOUT an asset dir, i.e. an empty
#   asset table — the UI is not needed to serve the API, and building it would
#   need npm and the network.
# * libllama-common.so, libllama.so and libggml*.so come prebuilt; the CPU
#   backends are dlopen()ed from the executable's directory, so the build dir
#   gets symlinks to every libggml-<backend>-*.so (see build_llama_bench.sh).
#
# On 2 cores this takes roughly 15-30 minutes the first time (mostly
# server-context.cpp, httplib.cpp and clip.cpp); later runs only check the stamp.
#
# Env: LLE_LLAMA_SERVER_CACHE (cache root), CXX/CC, LLE_SERVER_JOBS (parallel
#      compiles, default 2), LLE_SERVER_NICE (niceness, default 10),
#      LLE_SERVER_CHECK_ONLY=1 (print the path if a build is cached, exit 3 if
#      not; never compiles), LLE_SERVER_FORCE=1 (rebuild).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONFIG="$ROOT/third_party/llama/config.cmake"
CXX="${CXX:-g++}"
CC="${CC:-gcc}"
JOBS="${LLE_SERVER_JOBS:-2}"
NICE="${LLE_SERVER_NICE:-10}"

log() { printf 'build_llama_server: %s\n' "$*" >&2; }
die() { printf 'build_llama_server: error: %s\n' "$*" >&2; exit 1; }

[ -f "$CONFIG" ] || die "$CONFIG is missing; run 'make deps' (bash scripts/deps.sh) first"
cfg() { sed -n "s/^set($1 \"\\(.*\\)\")\$/\\1/p" "$CONFIG"; }
INC_DIR="$(cfg LLE_LLAMA_INCLUDE_DIR)"
LIB_DIR="$(cfg LLE_LLAMA_LIB_DIR)"
RELEASE="$(cfg LLE_LLAMA_RELEASE)"
SRC="$(cfg LLE_LLAMA_SRC_DIR)"
[ -n "$INC_DIR" ] && [ -n "$LIB_DIR" ] && [ -n "$SRC" ] || die "cannot parse $CONFIG"
[ -f "$SRC/tools/server/server.cpp" ] || die "no llama.cpp tools/server sources under $SRC (scripts/deps.sh clones them)"
for lib in libllama.so libllama-common.so libggml.so libggml-base.so; do
    [ -e "$LIB_DIR/$lib" ] || die "$LIB_DIR/$lib is missing (the server links libllama-common, which the prebuilt npm package ships)"
done
command -v "$CXX" >/dev/null 2>&1 || die "C++ compiler '$CXX' not found"
command -v "$CC" >/dev/null 2>&1 || die "C compiler '$CC' not found"

# ---- sources -------------------------------------------------------------------
SERVER_SRCS=(server-chat server-task server-queue server-common server-context server-stream
             server-tools server-mcp server-schema server server-http server-models main)
MTMD_SRCS=()
while read -r f; do MTMD_SRCS+=("$f"); done < <(
    sed -n '/^add_library(mtmd/,/^ *)/p' "$SRC/tools/mtmd/CMakeLists.txt" | grep -o '[A-Za-z0-9_./-]*\.cpp')
[ "${#MTMD_SRCS[@]}" -gt 5 ] || die "cannot read the mtmd source list from $SRC/tools/mtmd/CMakeLists.txt"
for s in "${SERVER_SRCS[@]}"; do [ -f "$SRC/tools/server/$s.cpp" ] || die "missing $SRC/tools/server/$s.cpp"; done

CXXFLAGS=(-std=c++17 -O2 -DNDEBUG -pthread -w)
HTTPLIB_DEFS=(-DCPPHTTPLIB_FORM_URL_ENCODED_PAYLOAD_MAX_LENGTH=1048576 -DCPPHTTPLIB_LISTEN_BACKLOG=512
              -DCPPHTTPLIB_REQUEST_URI_MAX_LENGTH=32768 -DCPPHTTPLIB_TCP_NODELAY=1)
LDFLAGS=(-L"$LIB_DIR" -Wl,-rpath,"$LIB_DIR" -Wl,--no-undefined)
LIBS=(-lllama-common -lllama -lggml -lggml-base -pthread -ldl)

# ---- cache key -------------------------------------------------------------------
key() {
    printf 'v1\n%s\n%s\n' "$("$CXX" --version | head -n1)" "$("$CC" --version | head -n1)"
    printf '%s\n' "${CXXFLAGS[*]}" "${HTTPLIB_DEFS[*]}" "${LDFLAGS[*]}" "${LIBS[*]}"
    (cd "$SRC" && git rev-parse HEAD 2>/dev/null || true)
    {
        ls "$SRC"/tools/server/*.cpp "$SRC"/tools/server/*.h "$SRC"/tools/mtmd/*.cpp "$SRC"/tools/mtmd/*.h \
           "$SRC"/tools/mtmd/models/*.cpp "$SRC"/common/*.h "$SRC"/common/*.hpp "$INC_DIR"/*.h \
           "$SRC"/tools/ui/embed.cpp "$SRC"/vendor/cpp-httplib/httplib.* 2>/dev/null
    } | sort | xargs sha256sum | sha256sum
    readlink -f "$LIB_DIR"/libllama.so "$LIB_DIR"/libllama-common.so "$LIB_DIR"/libggml.so \
        "$LIB_DIR"/libggml-base.so | xargs sha256sum
}
KEY="$(key | sha256sum | cut -c1-12)"
CACHE_ROOT="${LLE_LLAMA_SERVER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llm-efficiency/llama-server}"
OUT="$CACHE_ROOT/${RELEASE:-unknown}-$KEY"
BIN="$OUT/llama-server"

link_backends() { # ggml dlopen()s CPU variants from the executable's directory
    local f n=0
    for f in "$LIB_DIR"/libggml-*.so; do
        case "$(basename "$f")" in libggml-base.so) continue ;; esac
        [ "$(readlink "$OUT/$(basename "$f")" 2>/dev/null)" = "$f" ] || ln -sfn "$f" "$OUT/$(basename "$f")"
        n=$((n + 1))
    done
    [ "$n" -gt 0 ] || die "no libggml-<backend>-*.so plugins in $LIB_DIR"
}

if [ "${LLE_SERVER_FORCE:-0}" != 1 ] && [ -x "$BIN" ] && [ -f "$OUT/.complete" ]; then
    link_backends
    printf '%s\n' "$BIN"
    exit 0
fi
if [ "${LLE_SERVER_CHECK_ONLY:-0}" = 1 ]; then
    log "no cached build at $OUT"
    exit 3
fi

mkdir -p "$OUT/obj" "$OUT/gen"
# one builder at a time per cache dir (a second caller waits, then reuses)
exec 9>"$OUT/.lock"
flock 9
if [ "${LLE_SERVER_FORCE:-0}" != 1 ] && [ -x "$BIN" ] && [ -f "$OUT/.complete" ]; then
    link_backends
    printf '%s\n' "$BIN"
    exit 0
fi
log "building llama-server ${RELEASE:-unknown} into $OUT (-j$JOBS, nice $NICE); first build takes a while"

# ---- generated UI table (empty: no web UI) -----------------------------------------
nice -n "$NICE" "$CXX" -std=c++17 -O1 -w "$SRC/tools/ui/embed.cpp" -o "$OUT/gen/llama-ui-embed"
"$OUT/gen/llama-ui-embed" "$OUT/gen/ui.cpp" "$OUT/gen/ui.h" >/dev/null

INCS=(-I"$OUT/gen" -I"$INC_DIR" -I"$SRC/common" -I"$SRC/tools/mtmd" -I"$SRC/tools/server" -I"$SRC"
      -I"$SRC/vendor" -I"$SRC/include" -I"$SRC/ggml/include")

# ---- compile queue (at most $JOBS at a time) ------------------------------------------
pids=() descs=()
wait_first() {
    wait "${pids[0]}" || { log "compile failed: ${descs[0]}"; wait || true; exit 1; }
    pids=("${pids[@]:1}"); descs=("${descs[@]:1}")
}
queue() { # obj cmd...
    local obj="$1"; shift
    [ -f "$obj" ] && return 0   # kept from an interrupted build of the same key
    [ "${#pids[@]}" -ge "$JOBS" ] && wait_first
    ( nice -n "$NICE" "$@" -o "$obj.tmp" && mv "$obj.tmp" "$obj" ) & pids+=($!); descs+=("$obj")
}
OBJS=()
cxx() { # src obj extra...
    local src="$1" obj="$OUT/obj/$2.o"; shift 2
    OBJS+=("$obj"); queue "$obj" "$CXX" "${CXXFLAGS[@]}" "${INCS[@]}" "$@" -c "$src"
}
cc() {
    local src="$1" obj="$OUT/obj/$2.o"; shift 2
    OBJS+=("$obj"); queue "$obj" "$CC" -O2 -w -I"$SRC/vendor/hash" "$@" -c "$src"
}

for s in "${SERVER_SRCS[@]}"; do cxx "$SRC/tools/server/$s.cpp" "server-$s"; done
cxx "$SRC/vendor/cpp-httplib/httplib.cpp" httplib "${HTTPLIB_DEFS[@]}"
cxx "$OUT/gen/ui.cpp" ui
for s in "${MTMD_SRCS[@]}"; do cxx "$SRC/tools/mtmd/$s" "mtmd-$(echo "${s%.cpp}" | tr / -)"; done
cxx "$SRC/vendor/hash/hash.cpp" hash -I"$SRC/vendor/hash"
cxx "$SRC/vendor/hash/sha1/sha1.c" sha1 -x c++ -I"$SRC/vendor/hash"
cc "$SRC/vendor/hash/xxhash/xxhash.c" xxhash
cc "$SRC/vendor/hash/sha256/sha256.c" sha256
while [ "${#pids[@]}" -gt 0 ]; do wait_first; done

if ! nice -n "$NICE" "$CXX" "${OBJS[@]}" -o "$BIN.tmp" "${LDFLAGS[@]}" "${LIBS[@]}" 2>"$OUT/link.log"; then
    cat "$OUT/link.log" >&2
    die "linking llama-server failed (headers in $SRC do not match $LIB_DIR?); see $OUT/link.log"
fi
mv "$BIN.tmp" "$BIN"
link_backends
"$BIN" --version >/dev/null 2>&1 || die "$BIN does not run (ldd $BIN to see missing libraries)"
touch "$OUT/.complete"
log "built $BIN"
printf '%s\n' "$BIN"
