# Convenience wrapper; the real work is in scripts/ and CMake.
.PHONY: all demo test build clean
all: build
build:
	cmake -S . -B build && cmake --build build -j$$(nproc)
demo:
	bash scripts/demo.sh
test:
	bash scripts/test.sh
clean:
	rm -rf build build-asan
