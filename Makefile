# A thin wrapper: install what is missing, configure and build with CMake, then load and
# serve (make run) or test (make test). Everything else lives in CMakeLists.txt.

PACKAGES := build-essential cmake pkg-config libmicrohttpd-dev libsqlite3-dev \
            libspatialite-dev libsqlite3-mod-spatialite libjansson-dev libcsv-dev \
            libcmocka-dev libcurl4-openssl-dev zlib1g-dev libproj-dev proj-bin sqlite3 curl \
            gdal-bin chromium fonts-wqy-zenhei jq valgrind wrk
BUILD    := build
ASAN     := build-asan
TSAN     := build-tsan
PORT     ?= 8080
JOBS     := $(shell nproc 2>/dev/null || echo 2)

.PHONY: run test test-tsan test-valgrind deps build build-asan load clean

# Install only the Debian packages that are not installed yet (a second run installs
# nothing). Uses sudo when not root.
deps:
	@missing=$$(for p in $(PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	  done); \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DPM_SANITIZE=ON
	cmake --build $(ASAN) -j $(JOBS)

load: build
	$(BUILD)/partnermap load --db $(BUILD)/partnermap.sqlite geodata

run: load
	$(BUILD)/partnermap serve --db $(BUILD)/partnermap.sqlite --port $(PORT)

test: build build-asan
	cd $(BUILD) && ctest --output-on-failure --no-tests=error -j $(JOBS)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure --no-tests=error -j $(JOBS)
	$(MAKE) test-tsan
	$(MAKE) test-valgrind

# The HTTP tests (each a multi-threaded server in-process) and the loader (its checker
# thread) under ThreadSanitizer, in a build of their own (PM_SANITIZE stays OFF: TSan does
# not mix with ASan). A data race fails the test (TSan exits 66); there is no suppression
# file.
test-tsan: deps
	cmake -S . -B $(TSAN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPM_SANITIZE=OFF \
	  -DCMAKE_C_FLAGS=-fsanitize=thread -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread
	cmake --build $(TSAN) -j $(JOBS)
	cd $(TSAN) && TSAN_OPTIONS="second_deadlock_stack=1 history_size=4" \
	  ctest --output-on-failure --no-tests=error -j $(JOBS) -R "http|fixture|test_load"

# The real server under valgrind: requests of every kind, a reload, SIGTERM; exit 0, no
# memory error, no definite leak (tests/hostile/valgrind_serve.sh).
test-valgrind: build
	$(BUILD)/partnermap load --db $(BUILD)/valgrind-fixture.sqlite tests/fixtures/data >/dev/null
	tests/hostile/valgrind_serve.sh $(BUILD)/partnermap $(BUILD)/valgrind-fixture.sqlite

clean:
	rm -rf $(BUILD) $(ASAN) $(TSAN)
