// The malloc call Swift's Glibc module leaves out (malloc.h). It does nothing outside glibc.
#ifndef SLUICE_HEAP_H
#define SLUICE_HEAP_H

/// malloc_trim(0): the free pages of every arena go back to the system.
void sluice_heap_trim(void);

#endif
