/*
 * Sequoia int8-activation GEMM for Q8_0 weights (opt-in, see Int8ActivationMatMul):
 * W (rows, cols) Q8_0 @ x (n, cols)^T -> out (n, rows), for row ranges [r0, r1).
 *
 * Activations are first quantized like Q8_0 (sq_q8q8_quantize): per token, per block of 32 columns,
 * d = max|x| / 127 rounded to fp16 (llama.cpp's block_q8_0 keeps it so) and q = rint(x * (127 / max|x|)) (round to nearest even), stored as signed bytes, with
 * c = -128 * sum(q) per block beside them.
 *
 * The GEMM runs with its vector lanes along ROWS: a panel of 16 rows is transposed, a chunk of blocks at a
 * time, into an L1-resident scratch where one zmm holds 4 consecutive columns (one dword) of each of the 16
 * rows, stored as w + 128 (unsigned) because vpdpbusd multiplies unsigned by signed bytes. A token's 4
 * activation bytes are then broadcast to all lanes, so 8 vpdpbusd give the 16 rows' integer dots with one
 * Q8_0 block of the token, started from the token's c to cancel the +128 (exact: sum((w + 128) q) + c =
 * sum(w q)). One cvt and one fma with (d_w * d_x) per lane add the block to the 16 rows' fp32 sums.
 *
 * Every output is therefore, for any n, any tiling and any thread split:
 *     acc = 0; for b in block order: acc = fma((float) dot_b, d_w[b] * d_x[b], acc)
 * (one rounding per fma), which ScalarInt8MatMul computes bit for bit. Compiled at run time
 * (cc -O3 -march=native) and called through FFM by NativeInt8Gemm. cols must be a multiple of 32.
 */
#include <stdint.h>
#include <string.h>
#include <immintrin.h>
#include "sequoia_avx512.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__) && defined(__F16C__)

/* Rows per panel (one zmm of fp32 lanes), blocks per transposed chunk (16 KiB quants + 2 KiB scales). */
#define PANEL 16
#define CHUNK 32
/* Tokens per register tile: 8 weight vectors + TILE accumulators + TILE integer dots fit 32 zmm. */
#define TILE 8
/* Batches up to DIRECT tokens skip the scratch (panel_direct). */
#ifndef DIRECT
#define DIRECT 4
#endif
#ifndef PF_HINT
#define PF_HINT _MM_HINT_T0
#endif

int sq_q8q8_level(void) { return 2; }

/* x (n, cols) -> xq (n, cols) signed quants, xs (n, cols / 32) block scales, xc (n, cols / 32) = -128 * sum(q). */
void sq_q8q8_quantize(const float *x, int n, int cols, int8_t *xq, float *xs, int32_t *xc) {
    int nb = cols / 32;
    for (int64_t t = 0; t < n; t++) {
        for (int b = 0; b < nb; b++) {
            const float *p = x + t * cols + 32LL * b;
            __m512 a = _mm512_loadu_ps(p), c = _mm512_loadu_ps(p + 16);
            float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(a), _mm512_abs_ps(c)));
            float id = amax != 0.0f ? 127.0f / amax : 0.0f;
            xs[t * nb + b] = _cvtsh_ss(_cvtss_sh(amax / 127.0f, _MM_FROUND_TO_NEAREST_INT));
            __m512 v = _mm512_set1_ps(id);
            __m512i ia = _mm512_cvtps_epi32(_mm512_mul_ps(a, v));
            __m512i ic = _mm512_cvtps_epi32(_mm512_mul_ps(c, v));
            xc[t * nb + b] = -128 * _mm512_reduce_add_epi32(_mm512_add_epi32(ia, ic));
            int8_t *dst = xq + t * cols + 32LL * b;
            _mm_storeu_si128((__m128i *) dst, _mm512_cvtepi32_epi8(ia));
            _mm_storeu_si128((__m128i *) (dst + 16), _mm512_cvtepi32_epi8(ic));
        }
    }
}

/* The block at byte offset at of the panel's 16 rows -> w[m]: dword m of the 16 rows as w + 128; d: their scales. */
static inline __attribute__((always_inline)) void load_block(const uint8_t *const rp[PANEL], int64_t at, __m512i w[8],
                                                             __m512 *d) {
    const __m512i bias = _mm512_set1_epi8((char) 0x80);
    __m512i z[8];
    for (int i = 0; i < 8; i++) {
        __m256i lo = _mm256_loadu_si256((const __m256i *) (rp[i] + at + 2));
        __m256i hi = _mm256_loadu_si256((const __m256i *) (rp[i + 8] + at + 2));
        z[i] = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
    }
    transpose8x2(z);
    for (int m = 0; m < 8; m++) w[m] = _mm512_xor_si512(z[m], bias);
    uint16_t hs[16];
    for (int i = 0; i < 16; i++) memcpy(&hs[i], rp[i] + at, 2);
    *d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) hs));
}

/*
 * Blocks [b0, b0 + nbc) of the panel's rows (rp[i]: row i, or the panel's last row where i is past it)
 * -> wt[b * 8 + m]: dword m of block b for the 16 rows, as w + 128;
 * ws[b]: the 16 rows' block scales. np (or NULL): rows whose bytes from nextAt are prefetched meanwhile.
 */
static void pack_chunk(const uint8_t *const rp[PANEL], int b0, int nbc, __m512i *wt, __m512 *ws,
                       const uint8_t *const np[PANEL], int64_t nextAt) {
    for (int b = 0; b < nbc; b++) {
        if (np) {
            for (int i = 0; i < 16; i++) _mm_prefetch((const char *) np[i] + nextAt + 34LL * b, PF_HINT);
        }
        load_block(rp, (int64_t) (b0 + b) * 34, &wt[b * 8], &ws[b]);
    }
}

static inline __attribute__((always_inline)) __m512i bcast32(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

/* Block b of the packed chunk for tile token j: its integer dot with the 16 rows, from the token's offset correction. */
#define BLOCK_DOT(d, j, b) do {                                                                                   \
        d = _mm512_set1_epi32(cp[j][b]);                                                                          \
        _Pragma("GCC unroll 8") for (int k = 0; k < 8; k++)                                                       \
            d = _mm512_dpbusd_epi32(d, wt[(b) * 8 + k], bcast32(xp[j] + 32 * (b) + 4 * k));                        \
    } while (0)

/*
 * T tokens from t0 x the packed chunk (blocks b0 .. b0 + nbc) -> the 16 rows' fp32 sums, kept between
 * chunks in out (masked to the panel's live rows); first: the sums start from 0. Two blocks at a time, so
 * that 2T independent dot chains hide vpdpbusd's latency; the fp32 sums still add block b before b + 1.
 */
static inline __attribute__((always_inline)) void tile(const __m512i *wt, const __m512 *ws, int b0, int nbc,
        const int8_t *xq, const float *xs, const int32_t *xc, int cols, int t0, int T, float *out,
        int outRows, int r, __mmask16 live, int first) {
    int nb = cols / 32;
    __m512 acc[TILE];
    const int8_t *xp[TILE];
    const float *sp[TILE];
    const int32_t *cp[TILE];
    _Pragma("GCC unroll 8") for (int j = 0; j < T; j++) {
        float *o = out + (int64_t) (t0 + j) * outRows + r;
        acc[j] = first ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(live, o);
        xp[j] = xq + (int64_t) (t0 + j) * cols + 32LL * b0;
        sp[j] = xs + (int64_t) (t0 + j) * nb + b0;
        cp[j] = xc + (int64_t) (t0 + j) * nb + b0;
    }
    int b = 0;
    for (; b + 2 <= nbc; b += 2) {
        __m512i d0[TILE], d1[TILE];
        _Pragma("GCC unroll 8") for (int j = 0; j < T; j++) {
            BLOCK_DOT(d0[j], j, b);
            BLOCK_DOT(d1[j], j, b + 1);
        }
        _Pragma("GCC unroll 8") for (int j = 0; j < T; j++) {
            acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d0[j]), _mm512_mul_ps(ws[b], _mm512_set1_ps(sp[j][b])), acc[j]);
            acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d1[j]), _mm512_mul_ps(ws[b + 1], _mm512_set1_ps(sp[j][b + 1])), acc[j]);
        }
    }
    if (b < nbc) {
        _Pragma("GCC unroll 8") for (int j = 0; j < T; j++) {
            __m512i d;
            BLOCK_DOT(d, j, b);
            acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), _mm512_mul_ps(ws[b], _mm512_set1_ps(sp[j][b])), acc[j]);
        }
    }
    _Pragma("GCC unroll 8") for (int j = 0; j < T; j++) {
        _mm512_mask_storeu_ps(out + (int64_t) (t0 + j) * outRows + r, live, acc[j]);
    }
}

/*
 * Small batches (n <= DIRECT tokens, decode among them): each block is transposed into registers and used at once, the
 * n accumulators stay in registers over the whole row; the same fma chain as the tiles, bit for bit.
 * rows 16 ahead (the next panel) are prefetched over the last CHUNK blocks.
 */
static inline __attribute__((always_inline)) void panel_direct(const uint8_t *const rp[PANEL],
        const uint8_t *const nextRows[PANEL], int hasNext, int nb, const int8_t *xq, const float *xs,
        const int32_t *xc, int cols, int T, float *out, int outRows, int r, __mmask16 live) {
    __m512 acc[DIRECT];
    _Pragma("GCC unroll 4") for (int j = 0; j < T; j++) acc[j] = _mm512_setzero_ps();
    for (int b = 0; b < nb; b++) {
        int64_t ahead = (int64_t) (b + CHUNK) * 34;
        if (b + CHUNK < nb) {
            for (int i = 0; i < 16; i++) _mm_prefetch((const char *) rp[i] + ahead, PF_HINT);
        } else if (hasNext) {
            for (int i = 0; i < 16; i++) _mm_prefetch((const char *) nextRows[i] + ahead - 34LL * nb, PF_HINT);
        }
        __m512i w[8];
        __m512 dw;
        load_block(rp, (int64_t) b * 34, w, &dw);
        _Pragma("GCC unroll 4") for (int j = 0; j < T; j++) {
            const int8_t *xp = xq + (int64_t) j * cols + 32LL * b;
            __m512i d = _mm512_set1_epi32(xc[(int64_t) j * nb + b]);
            _Pragma("GCC unroll 8") for (int k = 0; k < 8; k++) d = _mm512_dpbusd_epi32(d, w[k], bcast32(xp + 4 * k));
            acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), _mm512_mul_ps(dw, _mm512_set1_ps(xs[(int64_t) j * nb + b])), acc[j]);
        }
    }
    _Pragma("GCC unroll 4") for (int j = 0; j < T; j++) _mm512_mask_storeu_ps(out + (int64_t) j * outRows + r, live, acc[j]);
}

#define TILE_CASE(T) case T: tile(wt, ws, b0, nbc, xq, xs, xc, cols, t0, T, out, outRows, r, live, first); break;

/* Rows [r0, r1) of Q8_0 W @ quantized x (n tokens) -> out (n, outRows). Returns 0, or -1 if cols % 32 != 0. */
int sq_q8q8_gemm_rows(const uint8_t *w, int64_t rowBytes, int cols, int r0, int r1, const int8_t *xq,
                      const float *xs, const int32_t *xc, int n, float *out, int outRows) {
    if (cols % 32 != 0) return -1;
    int nb = cols / 32;
    __m512i wt[CHUNK * 8];
    __m512 ws[CHUNK];
    for (int r = r0; r < r1; r += PANEL) {
        int live_rows = r1 - r < PANEL ? r1 - r : PANEL;
        __mmask16 live = (__mmask16) ((1u << live_rows) - 1);
        const uint8_t *rp[PANEL];
        for (int i = 0; i < PANEL; i++) {
            int ri = i < live_rows ? i : live_rows - 1;
            rp[i] = w + (int64_t) (r + ri) * rowBytes;
        }
        const uint8_t *nextRows[PANEL];
        for (int i = 0; i < PANEL; i++) {
            int ri = r + PANEL + i < r1 ? r + PANEL + i : r1 - 1;
            nextRows[i] = w + (int64_t) ri * rowBytes;
        }
        if (n <= DIRECT) {
            int hasNext = r + PANEL < r1;
            switch (n) {
                case 1: panel_direct(rp, nextRows, hasNext, nb, xq, xs, xc, cols, 1, out, outRows, r, live); break;
                case 2: panel_direct(rp, nextRows, hasNext, nb, xq, xs, xc, cols, 2, out, outRows, r, live); break;
                case 3: panel_direct(rp, nextRows, hasNext, nb, xq, xs, xc, cols, 3, out, outRows, r, live); break;
                default: panel_direct(rp, nextRows, hasNext, nb, xq, xs, xc, cols, 4, out, outRows, r, live); break;
            }
            continue;
        }
        for (int b0 = 0; b0 < nb; b0 += CHUNK) {
            int nbc = nb - b0 < CHUNK ? nb - b0 : CHUNK;
            int first = b0 == 0;
            /* the chunk after this one (or the next panel's first) streams in while this one computes */
            const uint8_t *const *np = rp;
            int64_t nextAt = 34LL * (b0 + CHUNK);
            if (b0 + CHUNK >= nb) {
                np = r + PANEL < r1 ? nextRows : NULL;
                nextAt = 0;
            }
            pack_chunk(rp, b0, nbc, wt, ws, np, nextAt);
            for (int t0 = 0; t0 < n; t0 += TILE) {
                switch (n - t0 >= TILE ? TILE : n - t0) {
                    TILE_CASE(1) TILE_CASE(2) TILE_CASE(3) TILE_CASE(4)
                    TILE_CASE(5) TILE_CASE(6) TILE_CASE(7) default: TILE_CASE(8)
                }
            }
        }
    }
    return 0;
}

#else

int sq_q8q8_level(void) { return 0; }

void sq_q8q8_quantize(const float *x, int n, int cols, int8_t *xq, float *xs, int32_t *xc) {
    (void) x; (void) n; (void) cols; (void) xq; (void) xs; (void) xc;
}

int sq_q8q8_gemm_rows(const uint8_t *w, int64_t rowBytes, int cols, int r0, int r1, const int8_t *xq,
                      const float *xs, const int32_t *xc, int n, float *out, int outRows) {
    (void) w; (void) rowBytes; (void) cols; (void) r0; (void) r1; (void) xq; (void) xs; (void) xc; (void) n;
    (void) out; (void) outRows;
    return -1;
}

#endif
