# Convenience wrapper; the real work is in scripts/ and CMake.
.PHONY: all demo test build clean fuzz bench
all: build
build:
	cmake -S . -B build && cmake --build build -j$$(nproc)
demo:
	bash scripts/demo.sh
test:
	bash scripts/test.sh
fuzz:
	FUZZ_TIME=$${FUZZ_TIME:-300} bash tests/fuzz/run-short.sh build-fuzz
bench:
	bash bench/run.sh
clean:
	rm -rf build build-asan build-fuzz build-demo
