/*
 * Sequoia int8-activation GEMM for Q8_0 and Q4_0 weights (opt-in, see Int8ActivationMatMul):
 * W (rows, cols) Q8_0 or Q4_0 @ x (n, cols)^T -> out (n, rows), for row ranges [r0, r1).
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
 * Q4_0 blocks (fp16 d, then 16 bytes: value l in the low nibble of byte l, value l + 16 in its high nibble,
 * weight = nibble - 8) go through the same scratch as their nibbles, already unsigned, and their dots start
 * from c / 16 = -8 * sum(q) instead, as llama.cpp's q4_0 x q8_0 dot subtracts its 8.
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

/* Bytes per block: Q8_0 (d + 32 int8) or Q4_0 (d + 16 bytes of nibble pairs). */
#define BLOCK_BYTES(four) ((four) ? 18 : 34)

/* A Q4_0 block's 32 quants in column order, unsigned 0..15: low nibbles (values 0..15), then high nibbles. */
static inline __attribute__((always_inline)) __m256i q4_0_quants(const uint8_t *qs) {
    const __m128i low4 = _mm_set1_epi8(0x0F);
    __m128i q = _mm_loadu_si128((const __m128i *) qs);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), low4), _mm_and_si128(q, low4));
}

/*
 * The block at byte offset at of the panel's 16 rows -> w[m]: dword m of the 16 rows as w + 128 (Q8_0) or as
 * the unsigned nibbles (four: Q4_0); d: their scales.
 */
static inline __attribute__((always_inline)) void load_block(int four, const uint8_t *const rp[PANEL], int64_t at,
                                                             __m512i w[8], __m512 *d) {
    const __m512i bias = _mm512_set1_epi8((char) 0x80);
    __m512i z[8];
    for (int i = 0; i < 8; i++) {
        __m256i lo = four ? q4_0_quants(rp[i] + at + 2) : _mm256_loadu_si256((const __m256i *) (rp[i] + at + 2));
        __m256i hi = four ? q4_0_quants(rp[i + 8] + at + 2) : _mm256_loadu_si256((const __m256i *) (rp[i + 8] + at + 2));
        z[i] = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
    }
    transpose8x2(z);
    for (int m = 0; m < 8; m++) w[m] = four ? z[m] : _mm512_xor_si512(z[m], bias);
    uint16_t hs[16];
    for (int i = 0; i < 16; i++) memcpy(&hs[i], rp[i] + at, 2);
    *d = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) hs));
}

/*
 * Blocks [b0, b0 + nbc) of the panel's rows (rp[i]: row i, or the panel's last row where i is past it)
 * -> wt[b * 8 + m]: dword m of block b for the 16 rows, as w + 128 (Q4_0: its unsigned nibbles);
 * ws[b]: the 16 rows' block scales. np (or NULL): rows whose bytes from nextAt are prefetched meanwhile.
 */
static inline __attribute__((always_inline)) void pack_chunk(int four, const uint8_t *const rp[PANEL], int b0, int nbc,
                                                             __m512i *wt, __m512 *ws, const uint8_t *const np[PANEL],
                                                             int64_t nextAt) {
    const int bb = BLOCK_BYTES(four);
    for (int b = 0; b < nbc; b++) {
        if (np) {
            for (int i = 0; i < 16; i++) _mm_prefetch((const char *) np[i] + nextAt + (int64_t) bb * b, PF_HINT);
        }
        load_block(four, rp, (int64_t) (b0 + b) * bb, &wt[b * 8], &ws[b]);
    }
}

/* A block dot's starting value: the token's xc cancels Q8_0's +128; xc / 16 = -8 * sum(q) is Q4_0's - 8 (exact). */
static inline __attribute__((always_inline)) __m512i dot_start(int four, int32_t xc) {
    return _mm512_set1_epi32(four ? xc / 16 : xc);
}

static inline __attribute__((always_inline)) __m512i bcast32(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

/* Block b of the packed chunk for tile token j: its integer dot with the 16 rows, from the token's offset correction. */
#define BLOCK_DOT(d, j, b) do {                                                                                   \
        d = dot_start(four, cp[j][b]);                                                                            \
        _Pragma("GCC unroll 8") for (int k = 0; k < 8; k++)                                                       \
            d = _mm512_dpbusd_epi32(d, wt[(b) * 8 + k], bcast32(xp[j] + 32 * (b) + 4 * k));                        \
    } while (0)

/*
 * T tokens from t0 x the packed chunk (blocks b0 .. b0 + nbc) -> the 16 rows' fp32 sums, kept between
 * chunks in out (masked to the panel's live rows); first: the sums start from 0. Two blocks at a time, so
 * that 2T independent dot chains hide vpdpbusd's latency; the fp32 sums still add block b before b + 1.
 */
static inline __attribute__((always_inline)) void tile(int four, const __m512i *wt, const __m512 *ws, int b0, int nbc,
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
 * The next panel's rows are prefetched over the last CHUNK blocks. P > 0 (decode, T = 1): lane k is row
 * r + k * P (panel_runs) and its result is scattered there; else lane k is row r + k.
 */
static inline __attribute__((always_inline)) void panel_direct(int four, const uint8_t *const rp[PANEL],
        const uint8_t *const nextRows[PANEL], int hasNext, int nb, const int8_t *xq, const float *xs,
        const int32_t *xc, int cols, int T, float *out, int outRows, int r, __mmask16 live, int P) {
    __m512 acc[DIRECT];
    _Pragma("GCC unroll 4") for (int j = 0; j < T; j++) acc[j] = _mm512_setzero_ps();
    const int bb = BLOCK_BYTES(four);
    for (int b = 0; b < nb; b++) {
        int64_t ahead = (int64_t) (b + CHUNK) * bb;
        if (b + CHUNK < nb) {
            for (int i = 0; i < 16; i++) _mm_prefetch((const char *) rp[i] + ahead, PF_HINT);
        } else if (hasNext) {
            for (int i = 0; i < 16; i++) _mm_prefetch((const char *) nextRows[i] + ahead - (int64_t) bb * nb, PF_HINT);
        }
        __m512i w[8];
        __m512 dw;
        load_block(four, rp, (int64_t) b * bb, w, &dw);
        _Pragma("GCC unroll 4") for (int j = 0; j < T; j++) {
            const int8_t *xp = xq + (int64_t) j * cols + 32LL * b;
            __m512i d = dot_start(four, xc[(int64_t) j * nb + b]);
            _Pragma("GCC unroll 8") for (int k = 0; k < 8; k++) d = _mm512_dpbusd_epi32(d, w[k], bcast32(xp + 4 * k));
            acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), _mm512_mul_ps(dw, _mm512_set1_ps(xs[(int64_t) j * nb + b])), acc[j]);
        }
    }
    if (P > 0) {
        store_row_runs(out, r, P, acc[0]);
        return;
    }
    _Pragma("GCC unroll 4") for (int j = 0; j < T; j++) _mm512_mask_storeu_ps(out + (int64_t) j * outRows + r, live, acc[j]);
}

/*
 * Decode (n = 1) over rows [r0, r0 + 16 P): panel pi's lane k is row r0 + pi + k * P, so each lane walks one
 * run of P consecutive rows and the next panel's rows follow the current ones in memory: 16 sequential
 * streams the L2 streamer follows. With 16 consecutive rows per panel, rows of a few KiB share pages read at
 * different offsets and the streamer loses them (as in sequoia_kq8.c). Each row's chain is unchanged.
 */
static inline __attribute__((always_inline)) void panel_runs(int four, const uint8_t *w, int64_t rowBytes, int r0, int P,
        int nb, const int8_t *xq, const float *xs, const int32_t *xc, int cols, float *out) {
    for (int pi = 0; pi < P; pi++) {
        const uint8_t *rp[PANEL], *nextRows[PANEL];
        for (int k = 0; k < PANEL; k++) {
            rp[k] = w + (int64_t) (r0 + pi + k * P) * rowBytes;
            nextRows[k] = rp[k] + rowBytes;
        }
        panel_direct(four, rp, nextRows, pi + 1 < P, nb, xq, xs, xc, cols, 1, out, 0, r0 + pi, 0xFFFF, P);
    }
}

#define TILE_CASE(T) case T: tile(four, wt, ws, b0, nbc, xq, xs, xc, cols, t0, T, out, outRows, r, live, first); break;

static inline __attribute__((always_inline)) void gemm_rows(int four, const uint8_t *w, int64_t rowBytes, int cols, int r0,
                                                            int r1, const int8_t *xq, const float *xs, const int32_t *xc,
                                                            int n, float *out, int outRows) {
    int nb = cols / 32;
    const int bb = BLOCK_BYTES(four);
    if (n == 1 && r1 - r0 >= 32) {
        int P = (r1 - r0) / PANEL;
        panel_runs(four, w, rowBytes, r0, P, nb, xq, xs, xc, cols, out);
        r0 += PANEL * P;
    }
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
                case 1: panel_direct(four, rp, nextRows, hasNext, nb, xq, xs, xc, cols, 1, out, outRows, r, live, 0); break;
                case 2: panel_direct(four, rp, nextRows, hasNext, nb, xq, xs, xc, cols, 2, out, outRows, r, live, 0); break;
                case 3: panel_direct(four, rp, nextRows, hasNext, nb, xq, xs, xc, cols, 3, out, outRows, r, live, 0); break;
                default: panel_direct(four, rp, nextRows, hasNext, nb, xq, xs, xc, cols, 4, out, outRows, r, live, 0); break;
            }
            continue;
        }
        for (int b0 = 0; b0 < nb; b0 += CHUNK) {
            int nbc = nb - b0 < CHUNK ? nb - b0 : CHUNK;
            int first = b0 == 0;
            /* the chunk after this one (or the next panel's first) streams in while this one computes */
            const uint8_t *const *np = rp;
            int64_t nextAt = (int64_t) bb * (b0 + CHUNK);
            if (b0 + CHUNK >= nb) {
                np = r + PANEL < r1 ? nextRows : NULL;
                nextAt = 0;
            }
            pack_chunk(four, rp, b0, nbc, wt, ws, np, nextAt);
            for (int t0 = 0; t0 < n; t0 += TILE) {
                switch (n - t0 >= TILE ? TILE : n - t0) {
                    TILE_CASE(1) TILE_CASE(2) TILE_CASE(3) TILE_CASE(4)
                    TILE_CASE(5) TILE_CASE(6) TILE_CASE(7) default: TILE_CASE(8)
                }
            }
        }
    }
}

/*
 * Rows [r0, r1) of W (ggml type id: 8 Q8_0, 2 Q4_0) @ quantized x (n tokens) -> out (n, outRows).
 * Returns 0, or -1 if cols % 32 != 0 or the type is neither.
 */
int sq_q8q8_gemm_rows(int type, const uint8_t *w, int64_t rowBytes, int cols, int r0, int r1, const int8_t *xq,
                      const float *xs, const int32_t *xc, int n, float *out, int outRows) {
    if (cols % 32 != 0) return -1;
    switch (type) {
        case 8: gemm_rows(0, w, rowBytes, cols, r0, r1, xq, xs, xc, n, out, outRows); return 0;
        case 2: gemm_rows(1, w, rowBytes, cols, r0, r1, xq, xs, xc, n, out, outRows); return 0;
        default: return -1;
    }
}

#else

int sq_q8q8_level(void) { return 0; }

void sq_q8q8_quantize(const float *x, int n, int cols, int8_t *xq, float *xs, int32_t *xc) {
    (void) x; (void) n; (void) cols; (void) xq; (void) xs; (void) xc;
}

int sq_q8q8_gemm_rows(int type, const uint8_t *w, int64_t rowBytes, int cols, int r0, int r1, const int8_t *xq,
                      const float *xs, const int32_t *xc, int n, float *out, int outRows) {
    (void) type; (void) w; (void) rowBytes; (void) cols; (void) r0; (void) r1; (void) xq; (void) xs; (void) xc; (void) n;
    (void) out; (void) outRows;
    return -1;
}

#endif
