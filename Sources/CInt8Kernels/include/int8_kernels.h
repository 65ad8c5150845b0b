// AVX2 + FMA versions of the INT8 dot products of decoding (Sources/SluiceTrain/Kernels/Int8Kernels.swift),
// chosen at run time: Swift cannot compile one function for a newer CPU than the rest of the binary,
// and the release build targets baseline x86-64 (SSE2), whose int8 → f32 widening takes four
// instructions per eight weights where AVX2 takes one.
#ifndef SLUICE_INT8_KERNELS_H
#define SLUICE_INT8_KERNELS_H
#include <stdint.h>

/// 1 when this CPU runs the AVX2 + FMA kernels below (x86-64 only; 0 elsewhere).
int sluice_int8_avx2_available(void);

/// Σ_i q[i]·x[i] for i < n: four 8-lane accumulators over 32 values a step, then the tail.
/// Only call when sluice_int8_avx2_available() returned 1.
float sluice_int8_dot_avx2(const int8_t *q, const float *x, long n);

/// The same dot product of one weight row with four input rows (x, x + ld, x + 2·ld, x + 3·ld),
/// each weight widened once: out[k] = Σ_i q[i]·x[k·ld + i].
void sluice_int8_dot4_avx2(const int8_t *q, const float *x, long ld, long n, float out[4]);

#endif
