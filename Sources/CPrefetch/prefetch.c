#include "prefetch.h"

void sluice_prefetch_call(const void *address) { sluice_prefetch(address); }
