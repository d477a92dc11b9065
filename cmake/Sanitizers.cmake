# Initial-cache script for the sanitizer build (`make check-asan`, used as
# `cmake -C cmake/Sanitizers.cmake`): every target of the tree (library, CLI,
# unit tests, fake NVML/amdsmi libraries, fault server) is compiled and linked
# with AddressSanitizer + UndefinedBehaviorSanitizer (LeakSanitizer comes with
# ASan on Linux). UB is made fatal (-fno-sanitize-recover) so it fails a test.
# llama.cpp's prebuilt libraries are not instrumented; leaks inside them are
# suppressed by tests/sanitizers/lsan.supp (set via LSAN_OPTIONS by the Makefile).
set(LLE_SAN_FLAGS "-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g")
set(CMAKE_BUILD_TYPE "Debug" CACHE STRING "sanitizer build type")
set(CMAKE_C_FLAGS "${LLE_SAN_FLAGS}" CACHE STRING "sanitizer C flags")
set(CMAKE_EXE_LINKER_FLAGS "-fsanitize=address,undefined" CACHE STRING "sanitizer link flags")
set(CMAKE_SHARED_LINKER_FLAGS "-fsanitize=address,undefined" CACHE STRING "sanitizer link flags")
