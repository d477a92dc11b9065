#!/usr/bin/env bash
# build_llama_bench.sh — compile llama.cpp's own benchmark tools against the SAME
# prebuilt libraries llm-efficiency links (third_party/llama/lib), so that
# bench/run_single_vs_llama_bench.sh compares two front-ends over identical kernels.
#
#   build-bench/llama-bench           tools/llama-bench/{llama-bench,main}.cpp
#   build-bench/llama-batched-bench   tools/batched-bench/{batched-bench,main}.cpp
#   build-bench/decode_probe          bench/decode_probe.c (our own C11 diagnostic)
#
# The sources are compiled from third_party/llama-src (the git bundle shipped with
# node-llama-cpp, i.e. the sources the prebuilt libraries were built from); nothing
# from llama.cpp is copied into this repository. Not part of the main CMake build.
#
# Details:
# * Headers: third_party/llama/include (llama.h, ggml*.h), plus the source tree's
#   common/ and the tool's own directory.
# * build-info: llama.cpp's CMake generates common/build-info.cpp from
#   build-info.cpp.in and compiles it into libllama-common. The prebuilt
#   libllama-common.so already exports llama_build_number()/llama_commit()/...
#   (so llama-bench reports the commit the libraries were really built from);
#   only when it does not, a build-info.cpp is generated here from the template
#   with the release tag in third_party/llama/config.cmake. build-info.h is
#   generated too if the source tree lacks it.
# * CPU backends: the prebuilt ggml is built with GGML_BACKEND_DL; the
#   libggml-cpu-<variant>.so plugins are dlopen()ed by ggml_backend_load_all(),
#   which llama-bench calls and which searches only the executable's directory
#   and the current directory (GGML_BACKEND_PATH names ONE extra library file,
#   not a directory). So build-bench/ gets symlinks to every
#   libggml-<backend>-*.so plugin in the lib dir; ggml then picks the
#   best-scoring variant for this CPU, exactly as llm-efficiency does with
#   ggml_backend_load_all_from_path(<lib dir>).
# * Executables get an rpath to third_party/llama/lib.
# * Idempotent: a stamp over compiler, flags, sources, headers and libraries
#   decides whether anything is rebuilt.
#
# Env: BENCH_BUILD_DIR (default build-bench), CXX (default g++),
#      BENCH_JOBS (parallel compiles, default 2), BENCH_CXXFLAGS (extra flags),
#      BENCH_FORCE=1 (rebuild).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONFIG="$ROOT/third_party/llama/config.cmake"
OUT="${BENCH_BUILD_DIR:-$ROOT/build-bench}"
CXX="${CXX:-g++}"
CC="${CC:-gcc}"
JOBS="${BENCH_JOBS:-2}"

log() { printf 'build_llama_bench: %s\n' "$*" >&2; }
die() { printf 'build_llama_bench: error: %s\n' "$*" >&2; exit 1; }

[ -f "$CONFIG" ] || die "$CONFIG is missing; run 'make deps' (bash scripts/deps.sh) first"
cfg() { sed -n "s/^set($1 \"\\(.*\\)\")\$/\\1/p" "$CONFIG"; }
INC_DIR="$(cfg LLE_LLAMA_INCLUDE_DIR)"
LIB_DIR="$(cfg LLE_LLAMA_LIB_DIR)"
RELEASE="$(cfg LLE_LLAMA_RELEASE)"
SRC_DIR="$(cfg LLE_LLAMA_SRC_DIR)"
[ -n "$INC_DIR" ] && [ -n "$LIB_DIR" ] && [ -n "$SRC_DIR" ] || die "cannot parse $CONFIG"
[ -f "$INC_DIR/llama.h" ] || die "no llama.h in $INC_DIR"
[ -d "$SRC_DIR/common" ] || die "no llama.cpp source tree at $SRC_DIR (scripts/deps.sh clones it)"
for lib in libllama.so libllama-common.so libggml.so libggml-base.so; do
    [ -e "$LIB_DIR/$lib" ] || die "$LIB_DIR/$lib is missing (llama-bench links libllama-common, which the" \
        "prebuilt npm package ships; a LLAMA_CPP_DIR/pkg-config install may lack it)"
done
command -v "$CXX" >/dev/null 2>&1 || die "C++ compiler '$CXX' not found"
command -v "$CC" >/dev/null 2>&1 || die "C compiler '$CC' not found"
command -v nm >/dev/null 2>&1 || die "nm (binutils) not found"

CXXFLAGS=(-std=c++17 -O2 -DNDEBUG -pthread -fno-omit-frame-pointer -w ${BENCH_CXXFLAGS:-})
INCS=(-I"$OUT/gen" -I"$INC_DIR" -I"$SRC_DIR/common")
LDFLAGS=(-L"$LIB_DIR" -Wl,-rpath,"$LIB_DIR" -Wl,--no-undefined)
LIBS=(-lllama-common -lllama -lggml -lggml-base -pthread -ldl)

# tool name -> source dir (relative to the llama.cpp tree) and sources
TOOLS=(llama-bench llama-batched-bench)
declare -A TOOL_DIR=([llama-bench]=tools/llama-bench [llama-batched-bench]=tools/batched-bench)
declare -A TOOL_SRCS=([llama-bench]="llama-bench.cpp main.cpp" [llama-batched-bench]="batched-bench.cpp main.cpp")
for t in "${TOOLS[@]}"; do
    for s in ${TOOL_SRCS[$t]}; do
        [ -f "$SRC_DIR/${TOOL_DIR[$t]}/$s" ] || die "missing $SRC_DIR/${TOOL_DIR[$t]}/$s"
    done
done

mkdir -p "$OUT/gen" "$OUT/obj"

# --- build-info ---------------------------------------------------------------
NEED_BUILD_INFO_SRC=0
COMMON_SYMS="$(nm -D --defined-only "$LIB_DIR/libllama-common.so" 2>/dev/null || true)"
case "$COMMON_SYMS" in
    *" _Z18llama_build_numberv"*) rm -f "$OUT/gen/build-info.cpp" "$OUT/obj/build-info.o" ;;  # the library has it
    *) NEED_BUILD_INFO_SRC=1 ;;
esac
gen_file() { # write $2 to $1 only when it differs (keeps mtimes stable)
    if [ ! -f "$1" ] || [ "$(cat "$1")" != "$2" ]; then printf '%s\n' "$2" >"$1"; fi
}
if [ ! -f "$SRC_DIR/common/build-info.h" ]; then
    gen_file "$OUT/gen/build-info.h" '#pragma once
#include <cstdio>
int llama_build_number(void);
const char * llama_commit(void);
const char * llama_compiler(void);
const char * llama_build_target(void);
const char * llama_build_info(void);
void llama_print_build_info(const char *, FILE * = stderr);'
fi
EXTRA_SRCS=()
if [ "$NEED_BUILD_INFO_SRC" = 1 ]; then
    [ -f "$SRC_DIR/common/build-info.cpp.in" ] || die "libllama-common.so lacks build-info and $SRC_DIR/common/build-info.cpp.in is missing"
    compiler="$("$CXX" --version | head -n1)"
    target="$(uname -m)-$(uname -s | tr '[:upper:]' '[:lower:]')"
    gen_file "$OUT/gen/build-info.cpp" "$(sed -e "s|@LLAMA_BUILD_NUMBER@|0|" \
        -e "s|@LLAMA_BUILD_COMMIT@|${RELEASE:-unknown}|" \
        -e "s|@BUILD_COMPILER@|${compiler//|/}|" -e "s|@BUILD_TARGET@|$target|" \
        "$SRC_DIR/common/build-info.cpp.in")"
    EXTRA_SRCS+=("$OUT/gen/build-info.cpp")
    log "libllama-common.so has no build-info; generated $OUT/gen/build-info.cpp (commit '${RELEASE:-unknown}')"
fi

# --- up-to-date check (one stamp for the llama.cpp tools, one for decode_probe) ------
PROBE_CFLAGS=(-std=c11 -O2 -Wall -Wextra -pthread -I"$INC_DIR" -DPROBE_BACKEND_DIR="\"$LIB_DIR\"")
PROBE_LIBS=(-L"$LIB_DIR" -Wl,-rpath,"$LIB_DIR" -lllama -lggml -lggml-base -lm)
lib_hashes() {
    readlink -f "$LIB_DIR"/libllama.so "$LIB_DIR"/libllama-common.so "$LIB_DIR"/libggml.so "$LIB_DIR"/libggml-base.so |
        xargs sha256sum
}
stamp_tools() {
    printf 'v2\n%s\n' "$("$CXX" --version | head -n1)"
    printf '%s\n' "${CXXFLAGS[*]}" "${INCS[*]}" "${LDFLAGS[*]}" "${LIBS[*]}" "${EXTRA_SRCS[*]:-}"
    {
        for t in "${TOOLS[@]}"; do
            for s in ${TOOL_SRCS[$t]}; do printf '%s\n' "$SRC_DIR/${TOOL_DIR[$t]}/$s"; done
        done
        ls "$SRC_DIR"/common/*.h "$SRC_DIR"/common/*.hpp "$INC_DIR"/*.h "$OUT"/gen/* 2>/dev/null
    } | sort | xargs sha256sum
    lib_hashes
}
stamp_probe() {
    printf 'v2\n%s\n%s\n' "$("$CC" --version | head -n1)" "${PROBE_CFLAGS[*]} ${PROBE_LIBS[*]}"
    sha256sum "$ROOT/bench/decode_probe.c" "$INC_DIR"/*.h
    lib_hashes
}
is_current() { # stamp-file new-stamp binaries...
    local f="$1" new="$2"; shift 2
    [ "${BENCH_FORCE:-0}" = 1 ] && return 1
    [ -f "$f" ] && [ "$(cat "$f")" = "$new" ] || return 1
    local bin
    for bin in "$@"; do [ -x "$bin" ] || return 1; done
}
STAMP_TOOLS="$(stamp_tools)"
STAMP_PROBE="$(stamp_probe)"
TOOLS_OK=0 PROBE_OK=0
is_current "$OUT/.stamp-tools" "$STAMP_TOOLS" "$OUT/llama-bench" "$OUT/llama-batched-bench" && TOOLS_OK=1
is_current "$OUT/.stamp-probe" "$STAMP_PROBE" "$OUT/decode_probe" && PROBE_OK=1
rm -f "$OUT/.stamp"  # pre-v2 stamp

# --- backend plugins next to the executables ------------------------------------
link_backends() {
    local n=0 f
    # drop dangling links (e.g. after deps.sh re-provisioned the lib dir); keep good ones so a
    # concurrently running llama-bench never sees the directory without its backends
    find "$OUT" -maxdepth 1 -type l -name 'libggml-*.so' ! -exec test -e {} \; -delete
    for f in "$LIB_DIR"/libggml-*.so; do
        case "$(basename "$f")" in libggml-base.so) continue ;; esac
        [ "$(readlink "$OUT/$(basename "$f")" 2>/dev/null)" = "$f" ] || ln -sfn "$f" "$OUT/$(basename "$f")"
        n=$((n + 1))
    done
    [ "$n" -gt 0 ] || die "no libggml-<backend>-*.so plugins in $LIB_DIR; llama-bench would find no CPU backend"
}
link_backends

if [ "$TOOLS_OK" = 1 ] && [ "$PROBE_OK" = 1 ]; then
    log "up to date: $OUT/llama-bench $OUT/llama-batched-bench $OUT/decode_probe"
    exit 0
fi

# --- compile (at most $JOBS at a time) -----------------------------------------
compile() { # src obj extra-include...
    local src="$1" obj="$2"; shift 2
    "$CXX" "${CXXFLAGS[@]}" "${INCS[@]}" "$@" -c "$src" -o "$obj.tmp" && mv "$obj.tmp" "$obj"
}
pids=() descs=()
wait_all() {
    local i rc=0
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}" || { log "compile failed: ${descs[$i]}"; rc=1; }
    done
    pids=() descs=()
    return $rc
}
queue() { # desc cmd...
    local desc="$1"; shift
    if [ "${#pids[@]}" -ge "$JOBS" ]; then wait "${pids[0]}" || { log "compile failed: ${descs[0]}"; wait_all || true; exit 1; }
        pids=("${pids[@]:1}"); descs=("${descs[@]:1}"); fi
    "$@" & pids+=($!); descs+=("$desc")
}

if [ "$PROBE_OK" = 0 ]; then
    log "compiling decode_probe with $CC"
    "$CC" "${PROBE_CFLAGS[@]}" "$ROOT/bench/decode_probe.c" -o "$OUT/decode_probe.tmp" "${PROBE_LIBS[@]}" ||
        die "compiling bench/decode_probe.c failed"
    mv "$OUT/decode_probe.tmp" "$OUT/decode_probe"
    printf '%s\n' "$STAMP_PROBE" >"$OUT/.stamp-probe"
fi
if [ "$TOOLS_OK" = 1 ]; then
    log "up to date: $OUT/llama-bench $OUT/llama-batched-bench"
    exit 0
fi

log "compiling llama-bench and llama-batched-bench with $CXX (release ${RELEASE:-unknown}, sources $SRC_DIR, -j$JOBS)"
for t in "${TOOLS[@]}"; do
    for s in ${TOOL_SRCS[$t]}; do
        queue "$t/$s" compile "$SRC_DIR/${TOOL_DIR[$t]}/$s" "$OUT/obj/$t-${s%.cpp}.o" -I"$SRC_DIR/${TOOL_DIR[$t]}"
    done
done
for s in "${EXTRA_SRCS[@]}"; do
    queue "$(basename "$s")" compile "$s" "$OUT/obj/$(basename "${s%.cpp}").o"
done
wait_all || die "compilation failed (see the compiler messages above)"

EXTRA_OBJS=()
for s in "${EXTRA_SRCS[@]}"; do EXTRA_OBJS+=("$OUT/obj/$(basename "${s%.cpp}").o"); done
for t in "${TOOLS[@]}"; do
    objs=()
    for s in ${TOOL_SRCS[$t]}; do objs+=("$OUT/obj/$t-${s%.cpp}.o"); done
    if ! "$CXX" "${objs[@]}" "${EXTRA_OBJS[@]}" -o "$OUT/$t.tmp" "${LDFLAGS[@]}" "${LIBS[@]}" 2>"$OUT/link-$t.log"; then
        cat "$OUT/link-$t.log" >&2
        if grep -q 'undefined reference' "$OUT/link-$t.log"; then
            die "linking $t against $LIB_DIR failed with undefined references: the headers in" \
                "$SRC_DIR/common do not match the prebuilt libllama-common.so (different llama.cpp" \
                "revision?). Re-run scripts/deps.sh so headers and libraries come from the same bundle."
        fi
        die "linking $t failed"
    fi
    mv "$OUT/$t.tmp" "$OUT/$t"
    rm -f "$OUT/link-$t.log"
done

# smoke test: the tool must start and find a CPU backend
if ! "$OUT/llama-bench" --help >/dev/null 2>&1; then
    die "$OUT/llama-bench does not run (ldd $OUT/llama-bench to see missing libraries)"
fi
printf '%s\n' "$STAMP_TOOLS" >"$OUT/.stamp-tools"
log "built $OUT/llama-bench, $OUT/llama-batched-bench and $OUT/decode_probe"
