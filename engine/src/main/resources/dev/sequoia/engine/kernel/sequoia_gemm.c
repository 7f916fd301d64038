/*
 * Sequoia native GEMM: W (rows, cols) @ x (n, cols)^T -> out (n, rows), for row ranges [r0, r1).
 * Compiled at run time on the machine that runs it (cc -O3 -march=native) and called through FFM by
 * NativeGemm; the Vector API kernels are the fallback and ScalarMatMul the reference in tests.
 *
 * Each weight element is decoded once per tile of up to 4 tokens, straight from the (prefetched) weight
 * stream into registers, and multiplied with fp32 FMAs: results match the scalar twin up to fp32
 * reassociation. Types: F32, F16, BF16, Q8_0, Q4_0, Q2_K .. Q6_K (GGML layouts); cols must be a multiple of 32 (of 256
 * for the K-quants, whose 32-column steps are one sub-block of a 256-value super-block).
 */
#include <stdint.h>
#include <string.h>
#include <immintrin.h>
#include "sequoia_avx512.h"

enum { SQ_F32 = 0, SQ_F16 = 1, SQ_Q4_0 = 2, SQ_Q8_0 = 8, SQ_Q2_K = 10, SQ_Q3_K = 11, SQ_Q4_K = 12, SQ_Q5_K = 13, SQ_Q6_K = 14, SQ_BF16 = 30 };

#if defined(__AVX512F__) && defined(__F16C__)

int sq_native_level(void) { return 512; }

/*
 * Prefetching: while a row block is multiplied, the same columns of the next row block (R rows further)
 * are prefetched into L2, so each stream runs R rows (R * rowBytes bytes) ahead of its use whatever the row
 * length; the hardware prefetchers alone leave a single core at a third of the streaming bandwidth.
 */

static inline __attribute__((always_inline)) int64_t col_bytes(int type, int c) {
    switch (type) {
        case SQ_F32: return 4LL * c;
        case SQ_Q8_0: return (int64_t) (c / 32) * 34;
        case SQ_Q4_0: return (int64_t) (c / 32) * 18;
        case SQ_Q2_K: return (int64_t) (c / 256) * 84;
        case SQ_Q3_K: return (int64_t) (c / 256) * 110;
        case SQ_Q4_K: return (int64_t) (c / 256) * 144;
        case SQ_Q5_K: return (int64_t) (c / 256) * 176;
        case SQ_Q6_K: return (int64_t) (c / 256) * 210;
        default: return 2LL * c;
    }
}

static inline __attribute__((always_inline)) float half_at(const uint8_t *p) {
    uint16_t h;
    memcpy(&h, p, 2);
    return _cvtsh_ss(h);
}

/* 16 unsigned bytes -> 16 floats. */
static inline __attribute__((always_inline)) __m512 u8_ps(__m128i b) {
    return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(b));
}

/*
 * Q4_K sub-block j (32 values) of the super-block at blk: x = d*sc_j * q - dmin*m_j (ggml's
 * dequantize_row_q4_K; 6-bit scale/min pairs packed in 12 bytes at blk+4, nibbles at blk+16). Q5_K
 * (five = 1) keeps its nibbles at blk+48 and bit j of byte l of qh (blk+16) as the fifth bit of value l.
 */
static inline __attribute__((always_inline)) void load32_q45_K(const uint8_t *blk, int j, int five, __m512 *lo, __m512 *hi) {
    const uint8_t *s = blk + 4;
    int sc, m;
    if (j < 4) {
        sc = s[j] & 63;
        m = s[j + 4] & 63;
    } else {
        sc = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
        m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
    __m512 dl = _mm512_set1_ps(half_at(blk) * (float) sc), ml = _mm512_set1_ps(half_at(blk + 2) * (float) m);
    __m256i q = _mm256_loadu_si256((const __m256i *) (blk + (five ? 48 : 16) + 32 * (j / 2)));
    if (j & 1) q = _mm256_srli_epi16(q, 4);
    q = _mm256_and_si256(q, _mm256_set1_epi8(0x0F));
    if (five) {
        __m256i h = _mm256_srli_epi16(_mm256_loadu_si256((const __m256i *) (blk + 16)), j);
        q = _mm256_or_si256(q, _mm256_slli_epi16(_mm256_and_si256(h, _mm256_set1_epi8(1)), 4));
    }
    *lo = _mm512_sub_ps(_mm512_mul_ps(u8_ps(_mm256_castsi256_si128(q)), dl), ml);
    *hi = _mm512_sub_ps(_mm512_mul_ps(u8_ps(_mm256_extracti128_si256(q, 1)), dl), ml);
}

/*
 * The 2-bit planes of Q2_K/Q3_K: quarter p of half n (32 values) reads bits 2p..2p+1 of qs[32n + l]; the
 * sub-blocks of 16 values are is = 8n + 2p (values 0-15) and is + 1 (16-31).
 */
static inline __attribute__((always_inline)) __m256i plane2(const uint8_t *qs, int n, int p) {
    __m256i q = _mm256_loadu_si256((const __m256i *) (qs + 32 * n));
    return _mm256_and_si256(_mm256_srli_epi16(q, 2 * p), _mm256_set1_epi8(3));
}

/* Q2_K: x = d*(sc & 15) * q - dmin*(sc >> 4), scales[16] at blk, qs at blk+16, d at 80, dmin at 82. */
static inline __attribute__((always_inline)) void load32_q2_K(const uint8_t *blk, int n, int p, __m512 *lo, __m512 *hi) {
    __m256i q = plane2(blk + 16, n, p);
    float d = half_at(blk + 80), dmin = half_at(blk + 82);
    int s0 = blk[8 * n + 2 * p], s1 = blk[8 * n + 2 * p + 1];
    *lo = _mm512_sub_ps(_mm512_mul_ps(u8_ps(_mm256_castsi256_si128(q)), _mm512_set1_ps(d * (float) (s0 & 15))),
                        _mm512_set1_ps(dmin * (float) (s0 >> 4)));
    *hi = _mm512_sub_ps(_mm512_mul_ps(u8_ps(_mm256_extracti128_si256(q, 1)), _mm512_set1_ps(d * (float) (s1 & 15))),
                        _mm512_set1_ps(dmin * (float) (s1 >> 4)));
}

/* Q3_K 6-bit scale i (biased by 32) of the 12 scale bytes at s. */
static inline __attribute__((always_inline)) int q3_scale(const uint8_t *s, int i) {
    int low = i < 8 ? s[i] & 0xF : s[i - 8] >> 4;
    return low | (((s[8 + (i & 3)] >> (2 * (i >> 2))) & 3) << 4);
}

/* Q3_K: x = d*(scale - 32) * (low + 4*high - 4); hmask at blk (bit 4n+p of byte l), qs at 32, scales at 96, d at 108. */
static inline __attribute__((always_inline)) void load32_q3_K(const uint8_t *blk, int n, int p, __m512 *lo, __m512 *hi) {
    __m256i low = plane2(blk + 32, n, p);
    __m256i h = _mm256_loadu_si256((const __m256i *) blk);
    h = _mm256_and_si256(_mm256_srli_epi16(h, 4 * n + p), _mm256_set1_epi8(1));
    __m256i q = _mm256_sub_epi8(_mm256_or_si256(low, _mm256_slli_epi16(h, 2)), _mm256_set1_epi8(4));
    float d = half_at(blk + 108);
    int is = 8 * n + 2 * p;
    __m512 s0 = _mm512_set1_ps(d * (float) (q3_scale(blk + 96, is) - 32));
    __m512 s1 = _mm512_set1_ps(d * (float) (q3_scale(blk + 96, is + 1) - 32));
    *lo = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm256_castsi256_si128(q))), s0);
    *hi = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm256_extracti128_si256(q, 1))), s1);
}

/*
 * Q6_K quarter p of half n (32 values) of the super-block at blk: x = d*sc * (q - 32), q = 4 low bits from
 * ql (blk + 64n, +32 for odd quarters, high nibble for quarters 2-3) and 2 high bits from qh (blk+128+32n).
 */
static inline __attribute__((always_inline)) void load32_q6_K(const uint8_t *blk, int n, int p, __m512 *lo, __m512 *hi) {
    __m256i ql = _mm256_loadu_si256((const __m256i *) (blk + 64 * n + 32 * (p & 1)));
    __m256i qh = _mm256_loadu_si256((const __m256i *) (blk + 128 + 32 * n));
    if (p & 2) ql = _mm256_srli_epi16(ql, 4);
    ql = _mm256_and_si256(ql, _mm256_set1_epi8(0x0F));
    qh = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * p), _mm256_set1_epi8(3));
    __m256i q = _mm256_sub_epi8(_mm256_or_si256(ql, _mm256_slli_epi16(qh, 4)), _mm256_set1_epi8(32));
    const int8_t *sc = (const int8_t *) (blk + 192 + 8 * n + 2 * p);
    float d = half_at(blk + 208);
    __m512 s0 = _mm512_set1_ps(d * (float) sc[0]), s1 = _mm512_set1_ps(d * (float) sc[1]);
    *lo = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm256_castsi256_si128(q))), s0);
    *hi = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm256_extracti128_si256(q, 1))), s1);
}

/* 32 weights of one row from column c (a multiple of 32) as two vectors of 16 floats. */
static inline __attribute__((always_inline)) void load32(int type, const uint8_t *row, int c, __m512 *lo, __m512 *hi) {
    switch (type) {
        case SQ_F32: {
            const float *f = (const float *) row + c;
            *lo = _mm512_loadu_ps(f);
            *hi = _mm512_loadu_ps(f + 16);
            break;
        }
        case SQ_F16: {
            const uint8_t *h = row + 2LL * c;
            *lo = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) h));
            *hi = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) (h + 32)));
            break;
        }
        case SQ_BF16: {
            const uint8_t *h = row + 2LL * c;
            __m512i a = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *) h));
            __m512i b = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *) (h + 32)));
            *lo = _mm512_castsi512_ps(_mm512_slli_epi32(a, 16));
            *hi = _mm512_castsi512_ps(_mm512_slli_epi32(b, 16));
            break;
        }
        case SQ_Q2_K:
            load32_q2_K(row + (int64_t) (c / 256) * 84, (c % 256) / 128, (c % 128) / 32, lo, hi);
            break;
        case SQ_Q3_K:
            load32_q3_K(row + (int64_t) (c / 256) * 110, (c % 256) / 128, (c % 128) / 32, lo, hi);
            break;
        case SQ_Q4_K:
            load32_q45_K(row + (int64_t) (c / 256) * 144, (c % 256) / 32, 0, lo, hi);
            break;
        case SQ_Q5_K:
            load32_q45_K(row + (int64_t) (c / 256) * 176, (c % 256) / 32, 1, lo, hi);
            break;
        case SQ_Q6_K:
            load32_q6_K(row + (int64_t) (c / 256) * 210, (c % 256) / 128, (c % 128) / 32, lo, hi);
            break;
        case SQ_Q4_0: { /* f16 scale, 16 bytes: value l in the low nibble of byte l, l + 16 in its high; x = d * (q - 8) */
            const uint8_t *blk = row + (int64_t) (c / 32) * 18;
            __m512 d = _mm512_set1_ps(half_at(blk));
            __m128i q = _mm_loadu_si128((const __m128i *) (blk + 2)), low4 = _mm_set1_epi8(0x0F);
            __m512 eight = _mm512_set1_ps(8.0f);
            *lo = _mm512_mul_ps(_mm512_sub_ps(u8_ps(_mm_and_si128(q, low4)), eight), d);
            *hi = _mm512_mul_ps(_mm512_sub_ps(u8_ps(_mm_and_si128(_mm_srli_epi16(q, 4), low4)), eight), d);
            break;
        }
        default: { /* Q8_0: f16 scale, 32 signed bytes */
            const uint8_t *blk = row + (int64_t) (c / 32) * 34;
            uint16_t hs;
            memcpy(&hs, blk, 2);
            __m512 d = _mm512_set1_ps(_cvtsh_ss(hs));
            __m128i q0 = _mm_loadu_si128((const __m128i *) (blk + 2));
            __m128i q1 = _mm_loadu_si128((const __m128i *) (blk + 18));
            *lo = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q0)), d);
            *hi = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q1)), d);
            break;
        }
    }
}

/*
 * R rows x T tokens: rows r..r+R-1 of W @ tokens t0..t0+T-1 -> out. R*T + 2T + 2 vector registers.
 * The first token tile of a row block prefetches the weight streams ahead.
 */
#define DEFINE_TILE(R, T)                                                                               \
static void tile_##R##_##T(int type, const uint8_t *w, int64_t rowBytes, int cols, int r,              \
                           const float *x, int t0, float *out, int outRows, int prefetch) {            \
    __m512 acc[R][T];                                                                                   \
    const uint8_t *rp[R];                                                                               \
    const float *xp[T];                                                                                 \
    _Pragma("GCC unroll 4") for (int i = 0; i < R; i++) {                                                                       \
        rp[i] = w + (int64_t) (r + i) * rowBytes;                                                       \
        _Pragma("GCC unroll 4") for (int j = 0; j < T; j++) acc[i][j] = _mm512_setzero_ps();                                    \
    }                                                                                                   \
    _Pragma("GCC unroll 4") for (int j = 0; j < T; j++) xp[j] = x + (int64_t) (t0 + j) * cols;                                  \
    for (int c = 0; c < cols; c += 32) {                                                                \
        if (prefetch) {                                                                                 \
            int64_t pf = col_bytes(type, c) + R * rowBytes;                                             \
            _Pragma("GCC unroll 4") for (int i = 0; i < R; i++) {                                                               \
                _mm_prefetch((const char *) rp[i] + pf, _MM_HINT_T1);                                  \
                if (type == SQ_F32) _mm_prefetch((const char *) rp[i] + pf + 64, _MM_HINT_T1);         \
            }                                                                                           \
        }                                                                                               \
        __m512 xl[T], xh[T];                                                                            \
        _Pragma("GCC unroll 4") for (int j = 0; j < T; j++) {                                                                   \
            xl[j] = _mm512_loadu_ps(xp[j] + c);                                                         \
            xh[j] = _mm512_loadu_ps(xp[j] + c + 16);                                                    \
        }                                                                                               \
        _Pragma("GCC unroll 4") for (int i = 0; i < R; i++) {                                                                   \
            __m512 lo, hi;                                                                              \
            load32(type, rp[i], c, &lo, &hi);                                                           \
            _Pragma("GCC unroll 4") for (int j = 0; j < T; j++) {                                                               \
                acc[i][j] = _mm512_fmadd_ps(lo, xl[j], acc[i][j]);                                      \
                acc[i][j] = _mm512_fmadd_ps(hi, xh[j], acc[i][j]);                                      \
            }                                                                                           \
        }                                                                                               \
    }                                                                                                   \
    _Pragma("GCC unroll 4") for (int i = 0; i < R; i++)                                                                         \
        _Pragma("GCC unroll 4") for (int j = 0; j < T; j++)                                                                     \
            out[(int64_t) (t0 + j) * outRows + r + i] = _mm512_reduce_add_ps(acc[i][j]);                \
}

DEFINE_TILE(4, 1) DEFINE_TILE(4, 2) DEFINE_TILE(4, 3) DEFINE_TILE(4, 4)
DEFINE_TILE(1, 1) DEFINE_TILE(1, 2) DEFINE_TILE(1, 3) DEFINE_TILE(1, 4)

/*
 * Batches of more than 4 tokens: each row block's columns are decoded once, a chunk at a time, into an
 * L1-resident fp32 scratch (4 rows x CHUNK_COLS), and the token tiles read the weights from there, so the
 * decode is not repeated per tile of 4 tokens and the FMAs run near peak. Outputs accumulate over chunks.
 */
#define CHUNK_COLS 1024
static __thread float scratch[4 * CHUNK_COLS];

static inline __attribute__((always_inline)) void decode_chunk(int type, const uint8_t *w, int64_t rowBytes,
                                                               int r, int c0, int len, int nrows) {
    for (int i = 0; i < 4; i++) {
        const uint8_t *row = w + (int64_t) (r + i) * rowBytes;
        if (i >= nrows) break;
        for (int c = 0; c < len; c += 32) {
            _mm_prefetch((const char *) row + col_bytes(type, c0 + c) + 4 * rowBytes, _MM_HINT_T1);
            if (type == SQ_F32) _mm_prefetch((const char *) row + col_bytes(type, c0 + c) + 4 * rowBytes + 64, _MM_HINT_T1);
            __m512 lo, hi;
            load32(type, row, c0 + c, &lo, &hi);
            _mm512_storeu_ps(scratch + i * CHUNK_COLS + c, lo);
            _mm512_storeu_ps(scratch + i * CHUNK_COLS + c + 16, hi);
        }
    }
}

/*
 * R scratch rows x T tokens over columns [c0, c0+len): += out. When pf is set (the first token tile of a
 * chunk), it also prefetches into L2 the bytes [0, pfBytes) of the 4 rows at pf[i], spread over its column
 * loop: the next chunk's weights arrive while this one is multiplied, instead of stalling the next decode.
 */
#define DEFINE_STILE(R, T)                                                                              \
static void stile_##R##_##T(int len, int c0, int cols, int r, const float *x, int t0,                  \
                            float *out, int outRows, const uint8_t *const *pf, int64_t pfBytes) {       \
    __m512 acc[R][T];                                                                                   \
    const float *xp[T];                                                                                 \
    _Pragma("GCC unroll 4") for (int i = 0; i < R; i++)                                                                         \
        _Pragma("GCC unroll 4") for (int j = 0; j < T; j++) acc[i][j] = _mm512_setzero_ps();                                    \
    _Pragma("GCC unroll 4") for (int j = 0; j < T; j++) xp[j] = x + (int64_t) (t0 + j) * cols + c0;                             \
    for (int c = 0; c < len; c += 16) {                                                                 \
        if (pf) {                                                                                       \
            int64_t at = (int64_t) c * pfBytes / len;                                                   \
            _Pragma("GCC unroll 4") for (int i = 0; i < 4; i++) _mm_prefetch((const char *) pf[i] + at, _MM_HINT_T1); \
        }                                                                                               \
        __m512 xv[T];                                                                                   \
        _Pragma("GCC unroll 4") for (int j = 0; j < T; j++) xv[j] = _mm512_loadu_ps(xp[j] + c);                                 \
        _Pragma("GCC unroll 4") for (int i = 0; i < R; i++) {                                                                   \
            __m512 wv = _mm512_loadu_ps(scratch + i * CHUNK_COLS + c);                                  \
            _Pragma("GCC unroll 4") for (int j = 0; j < T; j++) acc[i][j] = _mm512_fmadd_ps(wv, xv[j], acc[i][j]);              \
        }                                                                                               \
    }                                                                                                   \
    _Pragma("GCC unroll 4") for (int i = 0; i < R; i++)                                                                         \
        _Pragma("GCC unroll 4") for (int j = 0; j < T; j++)                                                                     \
            out[(int64_t) (t0 + j) * outRows + r + i] += _mm512_reduce_add_ps(acc[i][j]);               \
}

DEFINE_STILE(4, 1) DEFINE_STILE(4, 2) DEFINE_STILE(4, 3) DEFINE_STILE(4, 4)
DEFINE_STILE(1, 1) DEFINE_STILE(1, 2) DEFINE_STILE(1, 3) DEFINE_STILE(1, 4)

#define DEFINE_BATCH(TYPE)                                                                              \
static void batch_##TYPE(const uint8_t *w, int64_t rowBytes, int cols, int r0, int r1,                 \
                         const float *x, int n, float *out, int outRows) {                             \
    for (int r = r0; r < r1; r += 4) {                                                                  \
        int nrows = r1 - r >= 4 ? 4 : 1;                                                                \
        for (int t = 0; t < n; t++)                                                                     \
            for (int i = 0; i < nrows; i++) out[(int64_t) t * outRows + r + i] = 0.0f;                  \
        for (int c0 = 0; c0 < cols; c0 += CHUNK_COLS) {                                                 \
            int len = cols - c0 < CHUNK_COLS ? cols - c0 : CHUNK_COLS;                                  \
            decode_chunk(TYPE, w, rowBytes, r, c0, len, nrows);                                         \
            /* the chunk after this one: same rows further right, else the next row block from column 0 */ \
            int nc0 = c0 + CHUNK_COLS < cols ? c0 + CHUNK_COLS : 0;                                     \
            int nr = nc0 ? r : r + nrows;                                                               \
            int nlen = cols - nc0 < CHUNK_COLS ? cols - nc0 : CHUNK_COLS;                               \
            const uint8_t *pf[4];                                                                       \
            for (int i = 0; i < 4; i++) pf[i] = w + (int64_t) (nr + i) * rowBytes + col_bytes(TYPE, nc0); \
            int64_t pfBytes = col_bytes(TYPE, nc0 + nlen) - col_bytes(TYPE, nc0);                       \
            for (int t0 = 0; t0 < n; t0 += 4) {                                                         \
                int T = n - t0 >= 4 ? 4 : n - t0;                                                       \
                const uint8_t *const *p = t0 == 0 && nr < r1 ? pf : 0;                                  \
                if (nrows == 4) {                                                                       \
                    switch (T) {                                                                        \
                        case 1: stile_4_1(len, c0, cols, r, x, t0, out, outRows, p, pfBytes); break;    \
                        case 2: stile_4_2(len, c0, cols, r, x, t0, out, outRows, p, pfBytes); break;    \
                        case 3: stile_4_3(len, c0, cols, r, x, t0, out, outRows, p, pfBytes); break;    \
                        default: stile_4_4(len, c0, cols, r, x, t0, out, outRows, p, pfBytes); break;   \
                    }                                                                                   \
                } else {                                                                                \
                    switch (T) {                                                                        \
                        case 1: stile_1_1(len, c0, cols, r, x, t0, out, outRows, p, pfBytes); break;    \
                        case 2: stile_1_2(len, c0, cols, r, x, t0, out, outRows, p, pfBytes); break;    \
                        case 3: stile_1_3(len, c0, cols, r, x, t0, out, outRows, p, pfBytes); break;    \
                        default: stile_1_4(len, c0, cols, r, x, t0, out, outRows, p, pfBytes); break;   \
                    }                                                                                   \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
        if (nrows == 1) r -= 3; /* single remainder rows advance by one */                             \
    }                                                                                                   \
}

DEFINE_BATCH(SQ_F32) DEFINE_BATCH(SQ_F16) DEFINE_BATCH(SQ_BF16) DEFINE_BATCH(SQ_Q8_0) DEFINE_BATCH(SQ_Q4_0)
DEFINE_BATCH(SQ_Q2_K) DEFINE_BATCH(SQ_Q3_K) DEFINE_BATCH(SQ_Q4_K) DEFINE_BATCH(SQ_Q5_K) DEFINE_BATCH(SQ_Q6_K)

/* One type's whole row range; type is a compile-time constant inside each instantiation. */
#define DEFINE_RANGE(TYPE)                                                                              \
static void range_##TYPE(const uint8_t *w, int64_t rowBytes, int cols, int r0, int r1,                 \
                         const float *x, int n, float *out, int outRows) {                             \
    int r = r0;                                                                                         \
    for (; r + 4 <= r1; r += 4) {                                                                       \
        for (int t0 = 0; t0 < n; t0 += 4) {                                                             \
            int pf = t0 == 0;                                                                           \
            switch (n - t0 >= 4 ? 4 : n - t0) {                                                         \
                case 1: tile_4_1(TYPE, w, rowBytes, cols, r, x, t0, out, outRows, pf); break;           \
                case 2: tile_4_2(TYPE, w, rowBytes, cols, r, x, t0, out, outRows, pf); break;           \
                case 3: tile_4_3(TYPE, w, rowBytes, cols, r, x, t0, out, outRows, pf); break;           \
                default: tile_4_4(TYPE, w, rowBytes, cols, r, x, t0, out, outRows, pf); break;          \
            }                                                                                           \
        }                                                                                               \
    }                                                                                                   \
    for (; r < r1; r++) {                                                                               \
        for (int t0 = 0; t0 < n; t0 += 4) {                                                             \
            switch (n - t0 >= 4 ? 4 : n - t0) {                                                         \
                case 1: tile_1_1(TYPE, w, rowBytes, cols, r, x, t0, out, outRows, 0); break;            \
                case 2: tile_1_2(TYPE, w, rowBytes, cols, r, x, t0, out, outRows, 0); break;            \
                case 3: tile_1_3(TYPE, w, rowBytes, cols, r, x, t0, out, outRows, 0); break;            \
                default: tile_1_4(TYPE, w, rowBytes, cols, r, x, t0, out, outRows, 0); break;           \
            }                                                                                           \
        }                                                                                               \
    }                                                                                                   \
}

DEFINE_RANGE(SQ_F32) DEFINE_RANGE(SQ_F16) DEFINE_RANGE(SQ_BF16) DEFINE_RANGE(SQ_Q8_0) DEFINE_RANGE(SQ_Q4_0)
DEFINE_RANGE(SQ_Q2_K) DEFINE_RANGE(SQ_Q3_K) DEFINE_RANGE(SQ_Q4_K) DEFINE_RANGE(SQ_Q5_K) DEFINE_RANGE(SQ_Q6_K)

/*
 * Q4_K/Q5_K for small batches (n <= 4, decode among them), one row at a time: each sub-block's 32 weights
 * are widened to floats once and multiplied with each token's activations before any scale is applied,
 * sum_l (d*sc * q_l - dmin*m) x_l = (d*sc) * sum_l q_l x_l - (dmin*m) * sum_l x_l, so the scale costs one
 * fma per sub-block and the mins one 8-wide fma per super-block against the tokens' activation sums per 32
 * columns (xs, computed once per call). Several times fewer instructions per weight than decoding each
 * value to d*sc*q - dmin*m: enough to keep up with the memory stream. fp32 reassociation of the same sums.
 */
#define KQ_PF_AHEAD 2048

static void sums32(const float *x, int n, int cols, float *xs) {
    for (int64_t t = 0; t < n; t++) {
        for (int j = 0; j < cols / 32; j++) {
            const float *p = x + t * cols + 32LL * j;
            xs[t * (cols / 32) + j] = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_loadu_ps(p), _mm512_loadu_ps(p + 16)));
        }
    }
}

static inline __attribute__((always_inline)) float reduce256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

static inline __attribute__((always_inline)) void kq45_row(const uint8_t *row, int nb, int five, const float *x,
        int cols, const float *xs, int T, float *out, int outRows, int r) {
    const int bytes = five ? 176 : 144;
    __m512 acc[4];
    __m256 macc[4];
    _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) {
        acc[t] = _mm512_setzero_ps();
        macc[t] = _mm256_setzero_ps();
    }
    const __m256i low4 = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = row + (int64_t) b * bytes;
        for (int l = 0; l < bytes; l += 64) _mm_prefetch((const char *) blk + KQ_PF_AHEAD + l, _MM_HINT_T0);
        uint32_t a[4];
        k4_scales_mins(blk, a);
        __m256 dsc = _mm256_mul_ps(_mm256_set1_ps(half_at(blk)),
                                   _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_set_epi32(0, 0, (int) a[1], (int) a[0]))));
        __m256 dmn = _mm256_mul_ps(_mm256_set1_ps(half_at(blk + 2)),
                                   _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_set_epi32(0, 0, (int) a[3], (int) a[2]))));
        float sc[8];
        _mm256_storeu_ps(sc, dsc);
        const uint8_t *qs = blk + (five ? 48 : 16);
        __m256i qh = five ? _mm256_loadu_si256((const __m256i *) (blk + 16)) : _mm256_setzero_si256();
        _Pragma("GCC unroll 4") for (int g = 0; g < 4; g++) {
            __m256i G = _mm256_loadu_si256((const __m256i *) (qs + 32 * g));
            _Pragma("GCC unroll 2") for (int h = 0; h < 2; h++) {
                int sub = 2 * g + h;
                __m256i q = _mm256_and_si256(h ? _mm256_srli_epi16(G, 4) : G, low4);
                if (five) {
                    __m256i bit = _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(sub)), one);
                    q = _mm256_or_si256(q, _mm256_slli_epi16(bit, 4));
                }
                __m512 w0 = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm256_castsi256_si128(q)));
                __m512 w1 = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm256_extracti128_si256(q, 1)));
                const int64_t c = 256LL * b + 32 * sub;
                __m512 s = _mm512_set1_ps(sc[sub]);
                _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) {
                    const float *xp = x + (int64_t) t * cols + c;
                    __m512 d = _mm512_fmadd_ps(w1, _mm512_loadu_ps(xp + 16), _mm512_mul_ps(w0, _mm512_loadu_ps(xp)));
                    acc[t] = _mm512_fmadd_ps(d, s, acc[t]);
                }
            }
        }
        _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) {
            macc[t] = _mm256_fmadd_ps(dmn, _mm256_loadu_ps(xs + (int64_t) t * (cols / 32) + 8LL * b), macc[t]);
        }
    }
    _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) {
        out[(int64_t) t * outRows + r] = _mm512_reduce_add_ps(acc[t]) - reduce256(macc[t]);
    }
}

/* Q4_K (five = 0) or Q5_K rows [r0, r1) for n <= 4 tokens; xs is scratch for n * cols / 32 sums. */
static void kq45_small(const uint8_t *w, int64_t rowBytes, int cols, int r0, int r1, const float *x, int n,
                       float *out, int outRows, int five, float *xs) {
    sums32(x, n, cols, xs);
    int nb = cols / 256;
    for (int r = r0; r < r1; r++) {
        const uint8_t *row = w + (int64_t) r * rowBytes;
        switch (n) {
            case 1: kq45_row(row, nb, five, x, cols, xs, 1, out, outRows, r); break;
            case 2: kq45_row(row, nb, five, x, cols, xs, 2, out, outRows, r); break;
            case 3: kq45_row(row, nb, five, x, cols, xs, 3, out, outRows, r); break;
            default: kq45_row(row, nb, five, x, cols, xs, 4, out, outRows, r); break;
        }
    }
}

/*
 * Q6_K for small batches (n <= 4), one row at a time: the super-block's 16 scales are multiplied by d once
 * (not per 32 values), each quarter's 32 quants are unpacked with one shared load of their high bits, and
 * each 16 weights are scaled once for all tokens.
 */
static inline __attribute__((always_inline)) void q6_row(const uint8_t *row, int nb, const float *x, int cols,
                                                         int T, float *out, int outRows, int r) {
    __m512 acc[4];
    _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) acc[t] = _mm512_setzero_ps();
    const __m256i low4 = _mm256_set1_epi8(0x0F), three = _mm256_set1_epi8(3), bias = _mm256_set1_epi8(32);
    for (int b = 0; b < nb; b++) {
        const uint8_t *blk = row + (int64_t) b * 210;
        for (int l = 0; l < 210; l += 64) _mm_prefetch((const char *) blk + KQ_PF_AHEAD + l, _MM_HINT_T0);
        __m512 dsc = _mm512_mul_ps(_mm512_set1_ps(half_at(blk + 208)),
                                   _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *) (blk + 192)))));
        float sc[16];
        _mm512_storeu_ps(sc, dsc);
        _Pragma("GCC unroll 2") for (int n = 0; n < 2; n++) {
            __m256i qh = _mm256_loadu_si256((const __m256i *) (blk + 128 + 32 * n));
            __m256i ql0 = _mm256_loadu_si256((const __m256i *) (blk + 64 * n));
            __m256i ql1 = _mm256_loadu_si256((const __m256i *) (blk + 64 * n + 32));
            _Pragma("GCC unroll 4") for (int p = 0; p < 4; p++) {
                __m256i ql = p & 1 ? ql1 : ql0;
                if (p & 2) ql = _mm256_srli_epi16(ql, 4);
                __m256i h = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * p), three);
                __m256i q = _mm256_sub_epi8(_mm256_or_si256(_mm256_and_si256(ql, low4), _mm256_slli_epi16(h, 4)), bias);
                int is = 8 * n + 2 * p;
                __m512 w0 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm256_castsi256_si128(q))), _mm512_set1_ps(sc[is]));
                __m512 w1 = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm256_extracti128_si256(q, 1))), _mm512_set1_ps(sc[is + 1]));
                const int64_t c = 256LL * b + 128 * n + 32 * p;
                _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) {
                    const float *xp = x + (int64_t) t * cols + c;
                    acc[t] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(xp), acc[t]);
                    acc[t] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(xp + 16), acc[t]);
                }
            }
        }
    }
    _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) out[(int64_t) t * outRows + r] = _mm512_reduce_add_ps(acc[t]);
}

static void q6_small(const uint8_t *w, int64_t rowBytes, int cols, int r0, int r1, const float *x, int n,
                     float *out, int outRows) {
    int nb = cols / 256;
    for (int r = r0; r < r1; r++) {
        const uint8_t *row = w + (int64_t) r * rowBytes;
        switch (n) {
            case 1: q6_row(row, nb, x, cols, 1, out, outRows, r); break;
            case 2: q6_row(row, nb, x, cols, 2, out, outRows, r); break;
            case 3: q6_row(row, nb, x, cols, 3, out, outRows, r); break;
            default: q6_row(row, nb, x, cols, 4, out, outRows, r); break;
        }
    }
}

/* Above this many columns the small-batch K path's sums would not fit its stack scratch: the general tiles run. */
#define KQ_SMALL_MAX_COLS 65536

/* Returns 0, or -1 for a type this library does not handle (the caller then uses its Java kernel). */
int sq_gemm_rows(int type, const uint8_t *w, int64_t rowBytes, int cols, int r0, int r1,
                 const float *x, int n, float *out, int outRows) {
    if (cols % 32 != 0) return -1;
    if (type >= SQ_Q2_K && type <= SQ_Q6_K && cols % 256 != 0) return -1;
    if (n > 4) {
        switch (type) {
            case SQ_F32: batch_SQ_F32(w, rowBytes, cols, r0, r1, x, n, out, outRows); return 0;
            case SQ_F16: batch_SQ_F16(w, rowBytes, cols, r0, r1, x, n, out, outRows); return 0;
            case SQ_BF16: batch_SQ_BF16(w, rowBytes, cols, r0, r1, x, n, out, outRows); return 0;
            case SQ_Q8_0: batch_SQ_Q8_0(w, rowBytes, cols, r0, r1, x, n, out, outRows); return 0;
            case SQ_Q4_0: batch_SQ_Q4_0(w, rowBytes, cols, r0, r1, x, n, out, outRows); return 0;
            case SQ_Q2_K: batch_SQ_Q2_K(w, rowBytes, cols, r0, r1, x, n, out, outRows); return 0;
            case SQ_Q3_K: batch_SQ_Q3_K(w, rowBytes, cols, r0, r1, x, n, out, outRows); return 0;
            case SQ_Q4_K: batch_SQ_Q4_K(w, rowBytes, cols, r0, r1, x, n, out, outRows); return 0;
            case SQ_Q5_K: batch_SQ_Q5_K(w, rowBytes, cols, r0, r1, x, n, out, outRows); return 0;
            case SQ_Q6_K: batch_SQ_Q6_K(w, rowBytes, cols, r0, r1, x, n, out, outRows); return 0;
            default: return -1;
        }
    }
    if ((type == SQ_Q4_K || type == SQ_Q5_K) && cols <= KQ_SMALL_MAX_COLS) {
        float xs[4 * (KQ_SMALL_MAX_COLS / 32)];
        kq45_small(w, rowBytes, cols, r0, r1, x, n, out, outRows, type == SQ_Q5_K, xs);
        return 0;
    }
    if (type == SQ_Q6_K) {
        q6_small(w, rowBytes, cols, r0, r1, x, n, out, outRows);
        return 0;
    }
    switch (type) {
        case SQ_F32: range_SQ_F32(w, rowBytes, cols, r0, r1, x, n, out, outRows); return 0;
        case SQ_F16: range_SQ_F16(w, rowBytes, cols, r0, r1, x, n, out, outRows); return 0;
        case SQ_BF16: range_SQ_BF16(w, rowBytes, cols, r0, r1, x, n, out, outRows); return 0;
        case SQ_Q8_0: range_SQ_Q8_0(w, rowBytes, cols, r0, r1, x, n, out, outRows); return 0;
        case SQ_Q4_0: range_SQ_Q4_0(w, rowBytes, cols, r0, r1, x, n, out, outRows); return 0;
        case SQ_Q2_K: range_SQ_Q2_K(w, rowBytes, cols, r0, r1, x, n, out, outRows); return 0;
        case SQ_Q3_K: range_SQ_Q3_K(w, rowBytes, cols, r0, r1, x, n, out, outRows); return 0;
        case SQ_Q4_K: range_SQ_Q4_K(w, rowBytes, cols, r0, r1, x, n, out, outRows); return 0;
        case SQ_Q5_K: range_SQ_Q5_K(w, rowBytes, cols, r0, r1, x, n, out, outRows); return 0;
        case SQ_Q6_K: range_SQ_Q6_K(w, rowBytes, cols, r0, r1, x, n, out, outRows); return 0;
        default: return -1;
    }
}

#else

int sq_native_level(void) { return 0; }

int sq_gemm_rows(int type, const uint8_t *w, int64_t rowBytes, int cols, int r0, int r1,
                 const float *x, int n, float *out, int outRows) {
    (void) type; (void) w; (void) rowBytes; (void) cols; (void) r0; (void) r1; (void) x; (void) n; (void) out;
    (void) outRows;
    return -1;
}

#endif
