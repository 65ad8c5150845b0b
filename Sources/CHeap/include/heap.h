// The malloc call Swift's Glibc module leaves out (malloc.h). It does nothing outside glibc.
#ifndef SLUICE_HEAP_H
#define SLUICE_HEAP_H

/// mallopt(M_MMAP_THRESHOLD and M_TRIM_THRESHOLD, bytes): blocks of at least `bytes` are mapped on
/// their own, an arena hands back free memory past `bytes` at its top, and neither threshold
/// follows the largest block freed any more.
void sluice_heap_set_thresholds(int bytes);

#endif
