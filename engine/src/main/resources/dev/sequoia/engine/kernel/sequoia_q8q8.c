/*
 * Sequoia int8-activation GEMM for Q8_0 weights (opt-in, see Int8ActivationMatMul):
 * W (rows, cols) Q8_0 @ x (n, cols)^T -> out (n, rows), for row ranges [r0, r1).
 *
 * Activations are first quantized like Q8_0 (sq_q8q8_quantize): per token, per block of 32 columns,
 * d = max|x| / 127 and q = rint(x * (127 / max|x|)) (round to nearest even), stored as q + 128 (unsigned),
 * so that AVX-512 VNNI's vpdpbusd (unsigned x signed bytes) takes them directly; the 128 * sum(w) that the
 * offset adds is subtracted by starting each dot from -128 * sum(w), computed once per weight vector and
 * shared by all tokens of a tile. Each output is sum over blocks of (d_w * d_x) * dot(q_w, q_x) with the
 * integer dots exact and the sum in fp32. Compiled at run time (cc -O3 -march=native) and called through
 * FFM by NativeInt8Gemm; ScalarInt8MatMul is the scalar twin. cols must be a multiple of 32.
 */
#include <stdint.h>
#include <string.h>
#include <immintrin.h>

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__) && defined(__F16C__)

int sq_q8q8_level(void) { return 1; }

/* x (n, cols) -> xu (n, cols) as q + 128, xs (n, cols / 32) block scales. */
void sq_q8q8_quantize(const float *x, int n, int cols, uint8_t *xu, float *xs) {
    int nb = cols / 32;
    const __m128i offset = _mm_set1_epi8((char) 0x80);
    for (int64_t t = 0; t < n; t++) {
        for (int b = 0; b < nb; b++) {
            const float *p = x + t * cols + 32LL * b;
            __m512 a = _mm512_loadu_ps(p), c = _mm512_loadu_ps(p + 16);
            float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(a), _mm512_abs_ps(c)));
            float id = amax != 0.0f ? 127.0f / amax : 0.0f;
            xs[t * nb + b] = amax / 127.0f;
            __m512 v = _mm512_set1_ps(id);
            __m128i qa = _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(a, v)));
            __m128i qc = _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(c, v)));
            uint8_t *dst = xu + t * cols + 32LL * b;
            _mm_storeu_si128((__m128i *) dst, _mm_xor_si128(qa, offset));
            _mm_storeu_si128((__m128i *) (dst + 16), _mm_xor_si128(qc, offset));
        }
    }
}

/*
 * 64 weights of one row from column c (two Q8_0 blocks; with tail, only the block at c and zeros above):
 * the quants, lanes 0-7 / 8-15 per block, and the two scales spread over the same lanes.
 */
static inline __attribute__((always_inline)) void load_w64(const uint8_t *row, int c, int tail, __m512i *q,
                                                           __m512 *d) {
    const uint8_t *b0 = row + (int64_t) (c / 32) * 34;
    uint16_t h0, h1 = 0;
    memcpy(&h0, b0, 2);
    __m256i q0 = _mm256_loadu_si256((const __m256i *) (b0 + 2));
    __m256i q1 = _mm256_setzero_si256();
    if (!tail) {
        memcpy(&h1, b0 + 34, 2);
        q1 = _mm256_loadu_si256((const __m256i *) (b0 + 36));
    }
    *q = _mm512_inserti64x4(_mm512_castsi256_si512(q0), q1, 1);
    *d = _mm512_insertf32x8(_mm512_set1_ps(_cvtsh_ss(h0)), _mm256_set1_ps(tail ? 0.0f : _cvtsh_ss(h1)), 1);
}

/* R rows x T tokens over all columns -> out; the first token tile of a row block prefetches the next one. */
#define DEFINE_QTILE(R, T)                                                                              \
static inline __attribute__((always_inline)) void qstep_##R##_##T(const uint8_t *const *rp,           \
        const uint8_t *const *xp, const float *const *sp, int c, int tail, __m512 acc[R][T]) {          \
    const __m512i c128 = _mm512_set1_epi8((char) 0x80);                                                 \
    __m512i xq[T];                                                                                      \
    __m512 xd[T];                                                                                       \
    _Pragma("GCC unroll 4") for (int j = 0; j < T; j++) {                                               \
        xq[j] = tail ? _mm512_maskz_loadu_epi8(0xFFFFFFFFULL, xp[j] + c) : _mm512_loadu_si512(xp[j] + c); \
        xd[j] = _mm512_insertf32x8(_mm512_set1_ps(sp[j][c / 32]),                                       \
                                   _mm256_set1_ps(tail ? 0.0f : sp[j][c / 32 + 1]), 1);                 \
    }                                                                                                   \
    _Pragma("GCC unroll 4") for (int i = 0; i < R; i++) {                                               \
        __m512i wq;                                                                                     \
        __m512 wd;                                                                                      \
        load_w64(rp[i], c, tail, &wq, &wd);                                                             \
        __m512i corr = _mm512_sub_epi32(_mm512_setzero_si512(),                                         \
                                        _mm512_dpbusd_epi32(_mm512_setzero_si512(), c128, wq));         \
        _Pragma("GCC unroll 4") for (int j = 0; j < T; j++) {                                           \
            __m512i dot = _mm512_dpbusd_epi32(corr, xq[j], wq);                                         \
            acc[i][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(wd, xd[j]), acc[i][j]);  \
        }                                                                                               \
    }                                                                                                   \
}                                                                                                       \
static void qtile_##R##_##T(const uint8_t *w, int64_t rowBytes, int cols, int r, const uint8_t *xu,   \
                            const float *xs, int t0, float *out, int outRows, int prefetch) {          \
    __m512 acc[R][T];                                                                                   \
    const uint8_t *rp[R];                                                                               \
    const uint8_t *xp[T];                                                                               \
    const float *sp[T];                                                                                 \
    _Pragma("GCC unroll 4") for (int i = 0; i < R; i++) {                                               \
        rp[i] = w + (int64_t) (r + i) * rowBytes;                                                       \
        _Pragma("GCC unroll 4") for (int j = 0; j < T; j++) acc[i][j] = _mm512_setzero_ps();            \
    }                                                                                                   \
    _Pragma("GCC unroll 4") for (int j = 0; j < T; j++) {                                               \
        xp[j] = xu + (int64_t) (t0 + j) * cols;                                                         \
        sp[j] = xs + (int64_t) (t0 + j) * (cols / 32);                                                  \
    }                                                                                                   \
    int c = 0;                                                                                          \
    for (; c + 64 <= cols; c += 64) {                                                                   \
        if (prefetch) {                                                                                 \
            int64_t pf = (int64_t) (c / 32) * 34 + R * rowBytes;                                        \
            _Pragma("GCC unroll 4") for (int i = 0; i < R; i++) {                                       \
                _mm_prefetch((const char *) rp[i] + pf, _MM_HINT_T1);                                   \
                _mm_prefetch((const char *) rp[i] + pf + 64, _MM_HINT_T1);                              \
            }                                                                                           \
        }                                                                                               \
        qstep_##R##_##T(rp, xp, sp, c, 0, acc);                                                         \
    }                                                                                                   \
    if (c < cols) qstep_##R##_##T(rp, xp, sp, c, 1, acc);                                              \
    _Pragma("GCC unroll 4") for (int i = 0; i < R; i++)                                                 \
        _Pragma("GCC unroll 4") for (int j = 0; j < T; j++)                                             \
            out[(int64_t) (t0 + j) * outRows + r + i] = _mm512_reduce_add_ps(acc[i][j]);                \
}

DEFINE_QTILE(4, 1) DEFINE_QTILE(4, 2) DEFINE_QTILE(4, 3) DEFINE_QTILE(4, 4)
DEFINE_QTILE(1, 1) DEFINE_QTILE(1, 2) DEFINE_QTILE(1, 3) DEFINE_QTILE(1, 4)

/* Rows [r0, r1) of Q8_0 W @ quantized x (n tokens) -> out (n, outRows). Returns 0, or -1 if cols % 32 != 0. */
int sq_q8q8_gemm_rows(const uint8_t *w, int64_t rowBytes, int cols, int r0, int r1, const uint8_t *xu,
                      const float *xs, int n, float *out, int outRows) {
    if (cols % 32 != 0) return -1;
    int r = r0;
    for (; r + 4 <= r1; r += 4) {
        for (int t0 = 0; t0 < n; t0 += 4) {
            int pf = t0 == 0;
            switch (n - t0 >= 4 ? 4 : n - t0) {
                case 1: qtile_4_1(w, rowBytes, cols, r, xu, xs, t0, out, outRows, pf); break;
                case 2: qtile_4_2(w, rowBytes, cols, r, xu, xs, t0, out, outRows, pf); break;
                case 3: qtile_4_3(w, rowBytes, cols, r, xu, xs, t0, out, outRows, pf); break;
                default: qtile_4_4(w, rowBytes, cols, r, xu, xs, t0, out, outRows, pf); break;
            }
        }
    }
    for (; r < r1; r++) {
        for (int t0 = 0; t0 < n; t0 += 4) {
            switch (n - t0 >= 4 ? 4 : n - t0) {
                case 1: qtile_1_1(w, rowBytes, cols, r, xu, xs, t0, out, outRows, 0); break;
                case 2: qtile_1_2(w, rowBytes, cols, r, xu, xs, t0, out, outRows, 0); break;
                case 3: qtile_1_3(w, rowBytes, cols, r, xu, xs, t0, out, outRows, 0); break;
                default: qtile_1_4(w, rowBytes, cols, r, xu, xs, t0, out, outRows, 0); break;
            }
        }
    }
    return 0;
}

#else

int sq_q8q8_level(void) { return 0; }

void sq_q8q8_quantize(const float *x, int n, int cols, uint8_t *xu, float *xs) {
    (void) x; (void) n; (void) cols; (void) xu; (void) xs;
}

int sq_q8q8_gemm_rows(const uint8_t *w, int64_t rowBytes, int cols, int r0, int r1, const uint8_t *xu,
                      const float *xs, int n, float *out, int outRows) {
    (void) w; (void) rowBytes; (void) cols; (void) r0; (void) r1; (void) xu; (void) xs; (void) n; (void) out;
    (void) outRows;
    return -1;
}

#endif
