#include "fuzz_main.h"

#include <stdlib.h>

/// libFuzzer's public driver (LLVM 11+), in the runtime that -sanitize=fuzzer links.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

void fuzz_main(int argc, char **argv, fuzz_one_input fuzz) {
    exit(LLVMFuzzerRunDriver(&argc, &argv, fuzz));
}
