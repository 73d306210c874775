# A thin wrapper: install what is missing, configure and build with CMake, then load and
# serve (make run) or test (make test). Everything else lives in CMakeLists.txt.

PACKAGES := build-essential cmake pkg-config libmicrohttpd-dev libsqlite3-dev \
            libspatialite-dev libsqlite3-mod-spatialite libjansson-dev libcsv-dev \
            libcmocka-dev libcurl4-openssl-dev zlib1g-dev libproj-dev proj-bin sqlite3 curl \
            gdal-bin chromium fonts-wqy-zenhei jq
BUILD    := build
ASAN     := build-asan
PORT     ?= 8080
JOBS     := $(shell nproc 2>/dev/null || echo 2)

.PHONY: run test deps build build-asan load clean

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

clean:
	rm -rf $(BUILD) $(ASAN)
