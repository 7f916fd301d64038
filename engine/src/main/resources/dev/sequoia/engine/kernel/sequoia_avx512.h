/*
 * Helpers shared by the kernels (sequoia_gemm.c, sequoia_q8q8.c, sequoia_kq8.c). NativeKernelLibrary compiles
 * each kernel source with this header beside it.
 */
#ifndef SEQUOIA_AVX512_H
#define SEQUOIA_AVX512_H

#include <stdint.h>
#include <string.h>
#include <immintrin.h>

/*
 * Q4_K's and Q5_K's 12 scale bytes (at blk + 4) regrouped as ggml does: a[0..1] = the 8 sub-block scales,
 * a[2..3] = the 8 mins, one 6-bit value per byte.
 */
static inline __attribute__((always_inline)) void k4_scales_mins(const uint8_t *blk, uint32_t a[4]) {
    memcpy(a, blk + 4, 12);
    a[3] = ((a[2] >> 4) & 0x0f0f0f0f) | (((a[1] >> 6) & 0x03030303) << 4);
    uint32_t mins_lo = a[1] & 0x3f3f3f3f;
    a[1] = (a[2] & 0x0f0f0f0f) | (((a[0] >> 6) & 0x03030303) << 4);
    a[2] = mins_lo;
    a[0] &= 0x3f3f3f3f;
}

/*
 * In place, two 8 x 8 dword transposes side by side: z[i] = (row i dwords 0-7 | row i + 8 dwords 0-7)
 * -> z[k] = dword k of rows 0-15, in row order.
 */
static inline __attribute__((always_inline)) void transpose8x2(__m512i z[8]) {
    __m512i t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm512_unpacklo_epi32(z[i], z[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(z[i], z[i + 1]);
    }
    /* u[4h + k], 128-bit lane l: dword k + 4 (l & 1) of rows 4h .. 4h + 3 (+ 8 for l >= 2). */
    for (int h = 0; h < 8; h += 4) {
        u[h] = _mm512_unpacklo_epi64(t[h], t[h + 2]);
        u[h + 1] = _mm512_unpackhi_epi64(t[h], t[h + 2]);
        u[h + 2] = _mm512_unpacklo_epi64(t[h + 1], t[h + 3]);
        u[h + 3] = _mm512_unpackhi_epi64(t[h + 1], t[h + 3]);
    }
    const __m512i even = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0);
    const __m512i odd = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
    for (int k = 0; k < 4; k++) {
        z[k] = _mm512_permutex2var_epi64(u[k], even, u[4 + k]);
        z[4 + k] = _mm512_permutex2var_epi64(u[k], odd, u[4 + k]);
    }
}

/*
 * The decode panels' results (sequoia_kq8.c, sequoia_q8q8.c), whose lane k is row r + k * P (each lane walks its
 * own run of P rows): acc's 16 lanes to those rows of out.
 */
static inline __attribute__((always_inline)) void store_row_runs(float *out, int r, int P, __m512 acc) {
    const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    _mm512_i32scatter_ps(out, _mm512_add_epi32(_mm512_mullo_epi32(lane, _mm512_set1_epi32(P)), _mm512_set1_epi32(r)), acc, 4);
}

#endif
