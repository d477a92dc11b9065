# Thin wrapper over CMake + ctest. `make run` and `make test` do all set-up.
BUILD    ?= build
PREFIX   ?= /usr/local
JOBS     ?= $(shell nproc)
CMAKE_FLAGS ?=
BIN      := $(BUILD)/llm-efficiency

.PHONY: all deps build run test install clean bench

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

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

bench: build
	bash bench/run_single_vs_llama_bench.sh

clean:
	rm -rf $(BUILD)
