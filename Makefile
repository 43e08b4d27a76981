# The two commands (README.md): `make run` and `make test`. Both install what is missing.
BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: deps configure build run test clean

deps:
	@./scripts/deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null

# The server binary, Release, at build/tessera.
build: configure
	@cmake --build $(BUILD_DIR) --target tessera finance-api -j $(JOBS)

run: build
	exec ./$(BUILD_DIR)/tessera serve

# Every test: unit tests per module and the black-box tests against the real binary.
test: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)
	@ctest --test-dir $(BUILD_DIR) --output-on-failure --timeout 900

clean:
	rm -rf $(BUILD_DIR)
