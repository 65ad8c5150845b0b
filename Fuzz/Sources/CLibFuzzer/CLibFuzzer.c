// libFuzzer itself is linked by -sanitize=fuzzer; this file holds the sanitizer defaults every target runs with.
#include "CLibFuzzer.h"

// AddressSanitizer's defaults for the fuzz targets: no leak check at exit (Foundation keeps a
// buffer per empty file read, and a leak is not what these targets look for).
const char *__asan_default_options(void) { return "detect_leaks=0"; }
