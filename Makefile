# The two commands (README.md): `make run` and `make test`. Both install what is missing.
SHELL := /bin/bash
BUILD_DIR ?= build
# The sanitizer stage of `make test` and the fuzzers: clang, AddressSanitizer + UBSan.
SANITIZE_DIR ?= build-sanitize
FUZZ_DIR ?= build-fuzz
CLANGXX ?= clang++-16
JOBS ?= $(shell nproc)
# Tests side by side: the black-box modules mostly wait (on the server, browsers, clocks), so
# twice the cores keeps the machine busy.
TEST_JOBS ?= $(shell echo $$(( $$(nproc) * 2 )))
CMAKE_FLAGS ?=
# `make fuzz`: seconds per harness.
FUZZ_SECONDS ?= 60
FUZZERS = jwt_fuzz dpop_fuzz jwks_fuzz form_fuzz http_fuzz config_fuzz template_fuzz

.PHONY: deps configure build run package test test-release test-sanitize configure-sanitize configure-fuzz fuzz clean

deps:
	@./scripts/deps.sh

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null

# The server binary, Release, at build/tessera.
build: configure
	@cmake --build $(BUILD_DIR) --target tessera finance-api -j $(JOBS)

run: build
	exec ./$(BUILD_DIR)/tessera serve

# The Debian packages, from the Release build: $(BUILD_DIR)/packages/tessera_VERSION_amd64.deb
# and libtessera-verify-dev_VERSION_amd64.deb (packaging/CMakeLists.txt).
package: configure
	@cmake --build $(BUILD_DIR) --target tessera package_files -j $(JOBS)
	@cd $(BUILD_DIR) && cpack -G DEB -B packages >/dev/null && ls packages/*.deb

# Every test twice: the Release build (unit tests per module, the black-box tests against the
# real binary, a smoke run of the micro benchmarks), then the same tests and each fuzzer
# briefly on a clang build with AddressSanitizer and UndefinedBehaviorSanitizer.
test:
	@$(MAKE) --no-print-directory test-release
	@$(MAKE) --no-print-directory test-sanitize

test-release: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)
	@ctest --test-dir $(BUILD_DIR) --output-on-failure --timeout 900 -j $(TEST_JOBS)

# -O0 and line tables only: the build takes a third of the time of -O1 (Beast's coroutine
# code is slow to optimise with the sanitizers on), and reports still name file and line.
configure-sanitize: deps
	@cmake -S . -B $(SANITIZE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=$(CLANGXX) -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O0 -gline-tables-only" \
	  -DTESSERA_SANITIZE=ON -DTESSERA_FUZZ=ON -DTESSERA_BUILD_BENCH=OFF -DTESSERA_PACKAGE=OFF \
	  $(CMAKE_FLAGS) >/dev/null

# The fuzzers optimised (-O1, as libFuzzer recommends), in a build of their own.
configure-fuzz: deps
	@cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCMAKE_CXX_COMPILER=$(CLANGXX) -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
	  -DTESSERA_SANITIZE=ON -DTESSERA_FUZZ=ON -DTESSERA_BUILD_TESTS=OFF -DTESSERA_BUILD_BENCH=OFF \
	  -DTESSERA_PACKAGE=OFF $(CMAKE_FLAGS) >/dev/null

test-sanitize: configure-sanitize
	@cmake --build $(SANITIZE_DIR) -j $(JOBS)
	@ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir $(SANITIZE_DIR) --output-on-failure --timeout 900 -j $(TEST_JOBS)

# Each fuzzer for FUZZ_SECONDS (make fuzz FUZZ_SECONDS=600), on its seed corpus plus what
# earlier runs found (kept in $(FUZZ_DIR)/corpus); a crash is saved in $(FUZZ_DIR)/crashes and
# stops the run.
fuzz: configure-fuzz
	@cmake --build $(FUZZ_DIR) --target $(FUZZERS) -j $(JOBS)
	@for f in $(FUZZERS); do \
	  mkdir -p $(FUZZ_DIR)/corpus/$$f $(FUZZ_DIR)/crashes && \
	  echo "== $$f, $(FUZZ_SECONDS) s" && \
	  $(FUZZ_DIR)/tests/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/crashes/$$f- \
	    $(FUZZ_DIR)/corpus/$$f tests/fuzz/corpus/$$f 2>&1 | \
	    grep -E '^(#[0-9]+ +DONE|stat::|==|SUMMARY|artifact)|tessera fuzz' ; \
	  test $${PIPESTATUS[0]} -eq 0 || exit 1; \
	done

clean:
	rm -rf $(BUILD_DIR) $(SANITIZE_DIR) $(FUZZ_DIR)
