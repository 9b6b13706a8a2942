# Thin wrapper: every target installs what is missing, configures into build/
# and builds. `make demo` runs the main job, `make test` the whole suite.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps test-deps build demo test bench sanitize clean

all: build

deps:
	scripts/install-deps.sh build

test-deps:
	scripts/install-deps.sh test

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	scripts/demo.sh $(BUILD)

test: test-deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure --timeout 600 -j 2

# AddressSanitizer + UndefinedBehaviorSanitizer build of the same suite.
sanitize: test-deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DP2PMON_SANITIZE=ON
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure --timeout 900 -j 2

bench: test-deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)
	bench/ingest.sh $(BUILD)
	$(BUILD)/bench/p2pmon-overlay-bench
	python3 bench/sip_bench.py $(BUILD)
	python3 bench/media_bench.py $(BUILD)
	python3 bench/nat_bench.py $(BUILD)
	python3 bench/crawl_bench.py $(BUILD)
	python3 bench/dashboard_bench.py $(BUILD)

clean:
	rm -rf $(BUILD) build-asan
