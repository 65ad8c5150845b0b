// libFuzzer's entry point for programs that keep their own `main` (SwiftPM renames an executable's
// `main`, so the targets cannot rely on the `main` that libclang_rt.fuzzer provides).
#ifndef SLUICE_CLIBFUZZER_H
#define SLUICE_CLIBFUZZER_H
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
