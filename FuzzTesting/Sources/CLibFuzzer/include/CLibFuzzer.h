// libFuzzer's driver, reachable from Swift.
//
// SwiftPM compiles an executable target's entry point as `<Target>_main` and links with
// `--defsym main=<Target>_main`, so libFuzzer's own `main` (FuzzerMain.o in libclang_rt.fuzzer) is never
// linked. Each fuzz target therefore has an `@main` that hands control to libFuzzer through this function.

#ifndef CLIBFUZZER_H
#define CLIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// The per-input callback: `LLVMFuzzerTestOneInput`'s signature.
typedef int (*clibfuzzer_test_one_input)(const uint8_t *data, size_t size);

/// Runs libFuzzer with the process's command line (corpus directories, -runs=, -max_total_time=, …) and
/// returns its exit status.
int clibfuzzer_run_driver(int argc, char **argv, clibfuzzer_test_one_input test_one_input);

#endif
