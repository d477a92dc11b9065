#!/usr/bin/env bash
# test_package.sh — the Debian package: `make deb` (CPack, target `deb`) builds
# llm-efficiency_<version>_<arch>.deb with the binary, liblle (versioned soname),
# headers, lle.pc, man page, completion and data files; its control file names
# the package and the Debian runtime libraries. As root, and when no
# llm-efficiency package is installed already, it is installed with dpkg -i,
# `llm-efficiency --help` and `--version` run from /usr/bin, and dpkg -r removes
# every file again and dpkg -P forgets it (CI runs as root on a disposable machine; elsewhere that part
# is reported as skipped and only the package contents are checked).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

check_exit 0 "cmake --build --target deb" -- cmake --build "$LLE_BUILD_DIR" --target deb
DEB="$(ls -t "$LLE_BUILD_DIR"/llm-efficiency_*.deb 2>/dev/null | head -n1)"
check_true "package file written" test -f "$DEB"
[ -f "$DEB" ] || { finish; exit 1; }

dpkg-deb -f "$DEB" Package Version Depends >"$TMP/control"
check_true "package name" grep -qx 'Package: llm-efficiency' "$TMP/control"
VER="$("$LLE_BIN" --version | awk '{print $2; exit}')"
check_true "package version is the project's ($VER)" grep -qx "Version: $VER" "$TMP/control"
for dep in libc6 libcjson1 libsqlite3-0 libyaml-0-2 libcurl4; do
    check_true "depends on $dep" grep -qE "Depends:.*\\b$dep\\b" "$TMP/control"
done

dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\./|/|' >"$TMP/contents"
for f in /usr/bin/llm-efficiency /usr/lib/liblle.so.0 /usr/include/lle/lle.h /usr/lib/pkgconfig/lle.pc \
         /usr/share/man/man1/llm-efficiency.1 /usr/share/bash-completion/completions/llm-efficiency \
         /usr/share/llm-efficiency/vocab/ggml-vocab-llama-spm.gguf /usr/share/llm-efficiency/data/codecarbon/cpu_power.csv \
         /usr/lib/llm-efficiency/libllama.so /usr/share/doc/llm-efficiency/NOTICE; do
    check_true "package holds $f" grep -qx -- "$f" "$TMP/contents"
done

if [ "$(id -u)" != 0 ]; then
    echo "skipped: dpkg -i / dpkg -r (needs root)"
elif dpkg-query -W -f='${Status}' llm-efficiency 2>/dev/null | grep -q 'ok installed' || [ -e /usr/bin/llm-efficiency ]; then
    echo "skipped: dpkg -i / dpkg -r (llm-efficiency already installed on this machine)"
else
    check_exit 0 "dpkg -i" -- dpkg -i "$DEB"
    check_exit 0 "installed --help" -- /usr/bin/llm-efficiency --help
    check_true "--help lists the commands" grep -q 'results' "$TMP/out"
    check_exit 0 "installed --version" -- /usr/bin/llm-efficiency --version
    check_true "--version names the commit and llama.cpp" grep -qE 'commit [0-9a-f]+.*llama\.cpp' "$TMP/out"
    check_exit 0 "pkg-config finds lle" -- env PKG_CONFIG_PATH=/usr/lib/pkgconfig pkg-config --libs lle
    check_true "pkg-config -llle" grep -q -- '-llle' "$TMP/out"
    check_exit 0 "dpkg -r" -- dpkg -r llm-efficiency
    left=""
    while read -r f; do
        [ -n "$f" ] && [ "${f%/}" = "$f" ] && [ -e "$f" ] && left="$left $f"
    done <"$TMP/contents"
    check_true "no packaged file left after dpkg -r:$left" test -z "$left"
    check_exit 0 "dpkg -P (purge)" -- dpkg -P llm-efficiency
    check_true "package gone from dpkg's database" bash -c '! dpkg-query -W llm-efficiency >/dev/null 2>&1'
fi
finish
