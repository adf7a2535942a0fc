#include "CLibFuzzer.h"

// Defined in libclang_rt.fuzzer (LLVM 12 and later), which `-sanitize=fuzzer` links.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*test_one_input)(const uint8_t *data, size_t size));

int clibfuzzer_run_driver(int argc, char **argv, clibfuzzer_test_one_input test_one_input) {
    // libFuzzer may rewrite its arguments, hence the pointers to local copies.
    return LLVMFuzzerRunDriver(&argc, &argv, test_one_input);
}
