// See include/int8_kernels.h. The order of every sum is fixed by n (and by nothing else), so results
// do not depend on threads or alignment.
#include "int8_kernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

int sluice_int8_avx2_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

// Eight int8 weights, sign-extended to int32 and converted to f32 exactly.
__attribute__((target("avx2,fma"))) static inline __m256 widen8(const int8_t *p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}

__attribute__((target("avx2,fma"))) static inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) float sluice_int8_dot_avx2(const int8_t *q, const float *x, long n) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    long i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm256_fmadd_ps(widen8(q + i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(widen8(q + i + 8), _mm256_loadu_ps(x + i + 8), a1);
        a2 = _mm256_fmadd_ps(widen8(q + i + 16), _mm256_loadu_ps(x + i + 16), a2);
        a3 = _mm256_fmadd_ps(widen8(q + i + 24), _mm256_loadu_ps(x + i + 24), a3);
    }
    for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(widen8(q + i), _mm256_loadu_ps(x + i), a0);
    float s = hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    for (; i < n; i++) s += (float)q[i] * x[i];
    return s;
}

__attribute__((target("avx2,fma"))) void sluice_int8_dot4_avx2(
    const int8_t *q, const float *x, long ld, long n, float out[4]) {
    const float *x1 = x + ld, *x2 = x + 2 * ld, *x3 = x + 3 * ld;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 w = widen8(q + i);
        a0 = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(w, _mm256_loadu_ps(x1 + i), a1);
        a2 = _mm256_fmadd_ps(w, _mm256_loadu_ps(x2 + i), a2);
        a3 = _mm256_fmadd_ps(w, _mm256_loadu_ps(x3 + i), a3);
    }
    float s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3);
    for (; i < n; i++) {
        float w = (float)q[i];
        s0 += w * x[i];
        s1 += w * x1[i];
        s2 += w * x2[i];
        s3 += w * x3[i];
    }
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
    out[3] = s3;
}

#else

int sluice_int8_avx2_available(void) { return 0; }
float sluice_int8_dot_avx2(const int8_t *q, const float *x, long n) { (void)q; (void)x; (void)n; return 0; }
void sluice_int8_dot4_avx2(const int8_t *q, const float *x, long ld, long n, float out[4]) {
    (void)q; (void)x; (void)ld; (void)n;
    out[0] = out[1] = out[2] = out[3] = 0;
}

#endif
