#ifndef STREAMSPACE_FUZZ_MAIN_H
#define STREAMSPACE_FUZZ_MAIN_H

#include <stddef.h>
#include <stdint.h>

/// One fuzz input: the bytes and their count. Returns 0 (libFuzzer's rule).
typedef int (*fuzz_one_input)(const uint8_t *data, size_t size);

/// Runs libFuzzer's driver over `fuzz` with the process's arguments (-max_total_time=…, corpus
/// folders…), then exits with its status. A fuzz target's main.swift calls only this: SwiftPM
/// gives every executable its own entry point, so libFuzzer's main cannot be the one linked.
_Noreturn void fuzz_main(int argc, char **argv, fuzz_one_input fuzz);

#endif
