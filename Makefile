# Thin wrapper over CMake + ctest. `make run` and `make test` do all set-up.
BUILD    ?= build
MPI_BUILD ?= build-mpi
PREFIX   ?= /usr/local
JOBS     ?= $(shell nproc)
CMAKE_FLAGS ?=
BIN      := $(BUILD)/llm-efficiency

.PHONY: all deps build run test install clean bench deb docs

all: build

deps:
	@bash scripts/deps.sh

$(BUILD)/CMakeCache.txt: third_party/llama/config.cmake
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS)

third_party/llama/config.cmake:
	@bash scripts/deps.sh

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# Synthesise the default model (cached) and run the default experiment.
run: build
	$(BIN) run single --preset tinyllama-1.1b --prompts 4 --max-input-tokens 64 --max-output-tokens 32

test: build
	cd $(BUILD) && ctest --output-on-failure --no-tests=error -j 1
	$(MAKE) test-mpi

# MPI tests (docs/cluster.md): a second build with -DLLE_MPI=ON in $(MPI_BUILD);
# only what they need is built there and only the tests labelled "mpi" run.
.PHONY: test-mpi
test-mpi: deps
	cmake -S . -B $(MPI_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLLE_MPI=ON $(CMAKE_FLAGS)
	cmake --build $(MPI_BUILD) -j $(JOBS) --target mpi_tests
	cd $(MPI_BUILD) && ctest --output-on-failure --no-tests=error -j 1 -L mpi

install: build
	DESTDIR=$(DESTDIR) cmake --install $(BUILD) --prefix $(PREFIX)

# Debian package (CPack): a separate build configured for /usr (the install
# paths compiled into liblle must be the package's), into
# $(BUILD_DEB)/llm-efficiency_<version>_<arch>.deb
BUILD_DEB ?= build-deb
deb: deps
	cmake -S . -B $(BUILD_DEB) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr $(CMAKE_FLAGS)
	cmake --build $(BUILD_DEB) -j $(JOBS) --target llm-efficiency
	cmake --build $(BUILD_DEB) --target deb

# C API reference (Doxygen HTML) into $(BUILD)/docs/html
docs: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) --target docs

bench: build
	bash bench/run_single_vs_llama_bench.sh

clean:
	rm -rf $(BUILD) $(MPI_BUILD)

# ---- hardening (issue 10): sanitizers, fuzzing, static gates; logic in scripts/ ----
.PHONY: check-asan fuzz lint
FUZZ_SECONDS ?= 60
# The whole ctest suite under ASan+UBSan+LSan in build-asan/ (cmake/Sanitizers.cmake).
check-asan: deps
	JOBS=$(JOBS) bash scripts/check_asan.sh build-asan
# Every libFuzzer harness of fuzz/ for FUZZ_SECONDS each (clang; build-fuzz/).
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh
# Banned functions, CLI header rule, cppcheck, clang-tidy, clang-format (scripts/lint.sh).
lint:
	bash scripts/lint.sh all
