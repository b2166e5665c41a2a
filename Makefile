# Thin wrapper around CMake. `make run` and `make test` are the two set-up commands.
JOBS ?= $(shell nproc)
BUILD ?= build
ASAN_BUILD ?= build-asan
CONF ?= conf/sotto.conf

.PHONY: all deps build asan run test test-unit test-asan fuzz bench clean check-config

all: build

deps:
	@bash scripts/deps.sh

$(BUILD)/Makefile:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: $(BUILD)/Makefile
	cmake --build $(BUILD) -j$(JOBS)

$(ASAN_BUILD)/Makefile:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DSOTTO_SANITIZE=ON >/dev/null

asan: $(ASAN_BUILD)/Makefile
	cmake --build $(ASAN_BUILD) -j$(JOBS)

run: deps build
	./$(BUILD)/sotto -c $(CONF)

check-config: build
	./$(BUILD)/sotto -c $(CONF) --check-config

# Every test twice: the sanitizer build first (ASan+UBSan, unit and integration), then the
# optimised build. ctest prints the summary line.
test: deps build asan
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS)
	ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS)

test-unit: build
	ctest --test-dir $(BUILD) --output-on-failure -L unit -j$(JOBS)

fuzz: deps
	@bash fuzz/run.sh

bench: deps build
	@bash bench/run.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) build-fuzz
