// A hint that memory will be read soon, for hot loops whose next lookup is known a few steps
// ahead (Swift has no prefetch instruction of its own). It never faults and changes no result.
#ifndef SLUICE_PREFETCH_H
#define SLUICE_PREFETCH_H

static inline void sluice_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

/// The same through a function call, for callers that cannot inline the header (a test).
void sluice_prefetch_call(const void *address);

#endif
