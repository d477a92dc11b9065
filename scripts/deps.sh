#!/usr/bin/env bash
# deps.sh — idempotent set-up of everything llm-efficiency needs to build.
#
# 1. Installs the Debian packages the build and tests need, only the missing ones
#    (apt-get; needs root, or sudo).
# 2. Provides llama.cpp under third_party/llama/ (include/, lib/, models/, RELEASE)
#    from the first source that applies:
#      a. LLAMA_CPP_DIR=/path   a user's own build/install with include/ and lib/
#      b. pkg-config llama      a system-wide install
#      c. default               the pinned npm packages node-llama-cpp@3.21.1 and
#                               @node-llama-cpp/linux-x64@3.21.1, integrity-checked
#    Tokenizer files (models/ggml-vocab-*.gguf) always come from the pinned bundle.
#    LLE_LLAMA_FROM_SOURCE=1 builds the bundle with CMake instead of using the
#    prebuilt libraries (slow: > 20 min on 2 cores; never the default).
# Writes third_party/llama/config.cmake, which CMakeLists.txt includes.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TP="$ROOT/third_party"
DST="$TP/llama"
NLC_VERSION="3.21.1"
NLC_PKG="node-llama-cpp@$NLC_VERSION"
NLC_BIN_PKG="@node-llama-cpp/linux-x64@$NLC_VERSION"
# sha512 integrity as published by the npm registry (npm view NAME@VERSION dist.integrity)
NLC_SHA512="sha512-E3N0Ev2Va0wzydvXYFwM9Hvyo07PoWjt8T/9GMc43Cvt8YkV/NU/tYUgEMC1grTPv2o9PRjQi0G3Wb5P/awiMg=="
NLC_BIN_SHA512="sha512-Totj6RTDMGo3FoK2yNUaz/oGmZD0olAqTrRluFUWmu0kW2i9TOzHSW0OWCAiGkzRCVX0WsU2CyUQo/W2NYtdPA=="
STAMP="$DST/.complete-$NLC_VERSION${LLAMA_CPP_DIR:+-custom}${LLE_LLAMA_FROM_SOURCE:+-src}"

log() { printf 'deps: %s\n' "$*" >&2; }
die() { printf 'deps: error: %s\n' "$*" >&2; exit 1; }

# --- 1. Debian packages -----------------------------------------------------
DEB_PKGS=(build-essential cmake pkg-config git ca-certificates nodejs npm
          libcmocka-dev libcjson-dev libsqlite3-dev libyaml-dev libcurl4-openssl-dev sqlite3 python3
          python3-jsonschema jq chromium doxygen
          clang-14 libclang-rt-14-dev clang-tidy clang-format cppcheck  # issue 10: fuzz, lint
          openmpi-bin libopenmpi-dev)  # issue 9: the -DLLE_MPI=ON build, which `make test` also tests
install_debs() {
    local missing=() p
    for p in "${DEB_PKGS[@]}"; do
        # nodejs from nodesource already ships npm: do not ask for Debian's npm then
        if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
        if [ "$p" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing Debian packages: ${missing[*]}"
    local SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || die "need root (or sudo) to install: ${missing[*]}"
        SUDO="sudo"
    fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# --- 2. llama.cpp -----------------------------------------------------------
sri_of() { # sha512 SRI string of a file
    printf 'sha512-%s' "$(openssl dgst -sha512 -binary "$1" 2>/dev/null | base64 -w0 ||
                          sha512sum "$1" | cut -d' ' -f1 | xxd -r -p | base64 -w0)"
}

fetch_npm() { # fetch both tarballs into $TP/npm and verify them
    local dir="$TP/npm"
    mkdir -p "$dir"
    if [ ! -f "$dir/node-llama-cpp-$NLC_VERSION.tgz" ] || [ ! -f "$dir/node-llama-cpp-linux-x64-$NLC_VERSION.tgz" ]; then
        log "npm pack $NLC_PKG $NLC_BIN_PKG"
        (cd "$dir" && npm pack --silent "$NLC_PKG" "$NLC_BIN_PKG" >/dev/null)
    fi
    local got
    got="$(sri_of "$dir/node-llama-cpp-$NLC_VERSION.tgz")"
    [ "$got" = "$NLC_SHA512" ] || { rm -f "$dir/node-llama-cpp-$NLC_VERSION.tgz"; die "integrity mismatch for $NLC_PKG: got $got"; }
    got="$(sri_of "$dir/node-llama-cpp-linux-x64-$NLC_VERSION.tgz")"
    [ "$got" = "$NLC_BIN_SHA512" ] || { rm -f "$dir/node-llama-cpp-linux-x64-$NLC_VERSION.tgz"; die "integrity mismatch for $NLC_BIN_PKG: got $got"; }
}

extract_bundle() { # clone the git bundle into $TP/llama-src, copy headers + vocab
    local dir="$TP/npm" ex="$TP/npm/x"
    rm -rf "$ex" && mkdir -p "$ex/src" "$ex/bin"
    tar xzf "$dir/node-llama-cpp-$NLC_VERSION.tgz" -C "$ex/src" package/llama/gitRelease.bundle package/llama/llama.cpp.info.json
    tar xzf "$dir/node-llama-cpp-linux-x64-$NLC_VERSION.tgz" -C "$ex/bin" package/bins/linux-x64
    rm -rf "$TP/llama-src"
    git -c advice.detachedHead=false clone -q "$ex/src/package/llama/gitRelease.bundle" "$TP/llama-src"
    RELEASE="$(sed -n 's/.*"tag": *"\([^"]*\)".*/\1/p' "$ex/src/package/llama/llama.cpp.info.json")"
    mkdir -p "$DST/models"
    cp "$TP"/llama-src/models/ggml-vocab-*.gguf "$DST/models/"
}

use_prebuilt() {
    local bins="$TP/npm/x/bin/package/bins/linux-x64"
    mkdir -p "$DST/include" "$DST/lib"
    cp "$TP"/llama-src/include/llama.h "$TP"/llama-src/include/llama-cpp.h "$TP"/llama-src/ggml/include/*.h "$DST/include/"
    cp "$bins"/libllama.v0.4.0.so "$bins"/libllama-common.so "$bins"/libggml.v0.4.0.so "$bins"/libggml-base.so "$bins"/libggml-cpu-*.so "$DST/lib/"
    ln -sf libllama.v0.4.0.so "$DST/lib/libllama.so"
    ln -sf libggml.v0.4.0.so "$DST/lib/libggml.so"
    LIB_DIR="$DST/lib"; INC_DIR="$DST/include"; ORIGIN="npm:$NLC_BIN_PKG (prebuilt)"
}

build_from_source() {
    local b="$TP/llama-build" cuda=OFF
    command -v nvcc >/dev/null 2>&1 && cuda=ON
    log "building llama.cpp from the bundle (GGML_NATIVE=ON GGML_CUDA=$cuda); this is slow"
    cmake -S "$TP/llama-src" -B "$b" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DGGML_CUDA=$cuda \
          -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
          -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_CURL=OFF -DCMAKE_INSTALL_PREFIX="$DST" >/dev/null
    cmake --build "$b" -j"$(nproc)" >/dev/null
    cmake --install "$b" >/dev/null
    cp "$b"/bin/libggml-*.so "$DST/lib/" 2>/dev/null || true
    LIB_DIR="$DST/lib"; INC_DIR="$DST/include"; ORIGIN="source build of the pinned bundle"
}

use_custom() {
    [ -f "$LLAMA_CPP_DIR/include/llama.h" ] || die "LLAMA_CPP_DIR=$LLAMA_CPP_DIR has no include/llama.h"
    ls "$LLAMA_CPP_DIR"/lib/libllama*.so* >/dev/null 2>&1 || die "LLAMA_CPP_DIR=$LLAMA_CPP_DIR has no lib/libllama*.so"
    LIB_DIR="$LLAMA_CPP_DIR/lib"; INC_DIR="$LLAMA_CPP_DIR/include"; ORIGIN="LLAMA_CPP_DIR=$LLAMA_CPP_DIR"
}

use_pkgconfig() {
    LIB_DIR="$(pkg-config --variable=libdir llama)"; INC_DIR="$(pkg-config --variable=includedir llama)"
    ORIGIN="pkg-config llama $(pkg-config --modversion llama)"
}

write_config() {
    cat > "$DST/config.cmake.tmp" <<CFG
# generated by scripts/deps.sh — do not edit
set(LLE_LLAMA_INCLUDE_DIR "$INC_DIR")
set(LLE_LLAMA_LIB_DIR "$LIB_DIR")
set(LLE_LLAMA_RELEASE "$RELEASE")
set(LLE_LLAMA_ORIGIN "$ORIGIN")
set(LLE_LLAMA_SRC_DIR "$TP/llama-src")
set(LLE_VOCAB_DIR "$DST/models")
CFG
    mv "$DST/config.cmake.tmp" "$DST/config.cmake"
}

# --- 3. uPlot, the report's chart library ------------------------------------
# `results report` inlines uPlot into every HTML report. Pinned npm package,
# sha512-checked like llama.cpp's; unpacked to third_party/uplot/dist/
# (uPlot.iife.min.js, uPlot.min.css, LICENSE, VERSION).
UPLOT_VERSION="1.6.32"
UPLOT_SHA512="sha512-KIMVnG68zvu5XXUbC4LQEPnhwOxBuLyW1AHtpm6IKTXImkbLgkMy+jabjLgSLMasNuGGzQm/ep3tOkyTxpiQIw=="
fetch_uplot() {
    local dir="$TP/uplot" tgz="$TP/uplot/uplot-$UPLOT_VERSION.tgz" got
    [ -f "$dir/dist/VERSION" ] && [ "$(cat "$dir/dist/VERSION")" = "$UPLOT_VERSION" ] && return 0
    mkdir -p "$dir"
    if [ ! -f "$tgz" ]; then
        log "npm pack uplot@$UPLOT_VERSION"
        (cd "$dir" && npm pack --silent "uplot@$UPLOT_VERSION" >/dev/null)
    fi
    got="$(sri_of "$tgz")"
    [ "$got" = "$UPLOT_SHA512" ] || { rm -f "$tgz"; die "integrity mismatch for uplot@$UPLOT_VERSION: got $got"; }
    rm -rf "$dir/x" "$dir/dist.tmp" && mkdir -p "$dir/x" "$dir/dist.tmp"
    tar xzf "$tgz" -C "$dir/x" package/dist/uPlot.iife.min.js package/dist/uPlot.min.css package/LICENSE
    cp "$dir/x/package/dist/uPlot.iife.min.js" "$dir/x/package/dist/uPlot.min.css" "$dir/x/package/LICENSE" "$dir/dist.tmp/"
    printf '%s\n' "$UPLOT_VERSION" > "$dir/dist.tmp/VERSION"
    rm -rf "$dir/dist" "$dir/x" && mv "$dir/dist.tmp" "$dir/dist"
}

main() {
    install_debs
    fetch_uplot
    if [ -f "$STAMP" ] && [ -f "$DST/config.cmake" ]; then return 0; fi
    mkdir -p "$DST"
    rm -f "$DST"/.complete-*
    fetch_npm
    extract_bundle
    if [ -n "${LLAMA_CPP_DIR:-}" ]; then use_custom
    elif pkg-config --exists llama 2>/dev/null; then use_pkgconfig
    elif [ -n "${LLE_LLAMA_FROM_SOURCE:-}" ]; then build_from_source
    else use_prebuilt
    fi
    write_config
    rm -rf "$TP/npm/x"
    touch "$STAMP"
    log "llama.cpp $RELEASE from $ORIGIN"
}
main "$@"
