/*
 * Sequoia int8-activation GEMM for Q8_0 weights (opt-in, see Int8ActivationMatMul):
 * W (rows, cols) Q8_0 @ x (n, cols)^T -> out (n, rows), for row ranges [r0, r1).
 *
 * Activations are first quantized like Q8_0 (sq_q8q8_quantize): per token, per block of 32 columns,
 * d = max|x| / 127 and q = rint(x * (127 / max|x|)) (round to nearest even), stored as signed bytes, with
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

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__) && defined(__F16C__)

/* Rows per panel (one zmm of fp32 lanes), blocks per transposed chunk (16 KiB quants + 2 KiB scales). */
#define PANEL 16
#define CHUNK 32
/* Tokens per register tile: 8 weight vectors + TILE accumulators + TILE integer dots fit 32 zmm. */
#define TILE 8

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
            xs[t * nb + b] = amax / 127.0f;
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

/* In place: r[i] dword m -> r[m] dword i (16 x 16 dwords). */
static inline __attribute__((always_inline)) void transpose16(__m512i r[16]) {
    __m512i t[16], u[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    /* u[4g + k], 128-bit lane l: dword 4l + k of rows 4g .. 4g + 3. */
    for (int g = 0; g < 16; g += 4) {
        u[g] = _mm512_unpacklo_epi64(t[g], t[g + 2]);
        u[g + 1] = _mm512_unpackhi_epi64(t[g], t[g + 2]);
        u[g + 2] = _mm512_unpacklo_epi64(t[g + 1], t[g + 3]);
        u[g + 3] = _mm512_unpackhi_epi64(t[g + 1], t[g + 3]);
    }
    for (int k = 0; k < 4; k++) {
        __m512i v0 = _mm512_shuffle_i32x4(u[k], u[4 + k], 0x88), v1 = _mm512_shuffle_i32x4(u[k], u[4 + k], 0xDD);
        __m512i w0 = _mm512_shuffle_i32x4(u[8 + k], u[12 + k], 0x88), w1 = _mm512_shuffle_i32x4(u[8 + k], u[12 + k], 0xDD);
        r[k] = _mm512_shuffle_i32x4(v0, w0, 0x88);
        r[8 + k] = _mm512_shuffle_i32x4(v0, w0, 0xDD);
        r[4 + k] = _mm512_shuffle_i32x4(v1, w1, 0x88);
        r[12 + k] = _mm512_shuffle_i32x4(v1, w1, 0xDD);
    }
}

/*
 * Blocks [b0, b0 + nbc) of the panel's rows (rp[i]: row i, or the panel's last row where i is past it;
 * off[i] = rp[i] - rp[0]) -> wt[b * 8 + m]: dword m of block b for the 16 rows, as w + 128;
 * ws[b]: the 16 rows' block scales.
 */
static void pack_chunk(const uint8_t *const rp[PANEL], __m512i off, int b0, int nbc, __m512i *wt, __m512 *ws) {
    const __m512i bias = _mm512_set1_epi8((char) 0x80);
    for (int b = 0; b < nbc; b += 2) {
        int two = b + 1 < nbc;
        int64_t at = (int64_t) (b0 + b) * 34;
        __m512i r[16];
        for (int i = 0; i < 16; i++) {
            __m256i lo = _mm256_loadu_si256((const __m256i *) (rp[i] + at + 2));
            __m256i hi = two ? _mm256_loadu_si256((const __m256i *) (rp[i] + at + 36)) : _mm256_setzero_si256();
            r[i] = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
        }
        transpose16(r);
        for (int m = 0; m < 8; m++) wt[b * 8 + m] = _mm512_xor_si512(r[m], bias);
        __m512i h = _mm512_i32gather_epi32(off, (const void *) (rp[0] + at), 1);
        ws[b] = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(h));
        if (two) {
            for (int m = 0; m < 8; m++) wt[(b + 1) * 8 + m] = _mm512_xor_si512(r[8 + m], bias);
            h = _mm512_i32gather_epi32(off, (const void *) (rp[0] + at + 34), 1);
            ws[b + 1] = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(h));
        }
    }
}

static inline __attribute__((always_inline)) __m512i bcast32(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

/*
 * T tokens from t0 x the packed chunk (blocks b0 .. b0 + nbc) -> the 16 rows' fp32 sums, kept between
 * chunks in out (masked to the panel's live rows); first: the sums start from 0.
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
    for (int b = 0; b < nbc; b++) {
        __m512i w[8];
        _Pragma("GCC unroll 8") for (int k = 0; k < 8; k++) w[k] = wt[b * 8 + k];
        __m512 dw = ws[b];
        _Pragma("GCC unroll 8") for (int j = 0; j < T; j++) {
            __m512i d = _mm512_set1_epi32(cp[j][b]);
            _Pragma("GCC unroll 8") for (int k = 0; k < 8; k++) d = _mm512_dpbusd_epi32(d, w[k], bcast32(xp[j] + 32 * b + 4 * k));
            acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), _mm512_mul_ps(dw, _mm512_set1_ps(sp[j][b])), acc[j]);
        }
    }
    _Pragma("GCC unroll 8") for (int j = 0; j < T; j++) {
        _mm512_mask_storeu_ps(out + (int64_t) (t0 + j) * outRows + r, live, acc[j]);
    }
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
        int32_t offs[PANEL];
        for (int i = 0; i < PANEL; i++) {
            int ri = i < live_rows ? i : live_rows - 1;
            rp[i] = w + (int64_t) (r + ri) * rowBytes;
            offs[i] = (int32_t) (ri * rowBytes);
        }
        __m512i off = _mm512_loadu_si512(offs);
        for (int b0 = 0; b0 < nb; b0 += CHUNK) {
            int nbc = nb - b0 < CHUNK ? nb - b0 : CHUNK;
            int first = b0 == 0;
            pack_chunk(rp, off, b0, nbc, wt, ws);
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
