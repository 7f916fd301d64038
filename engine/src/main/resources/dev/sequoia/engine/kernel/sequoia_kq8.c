/*
 * Sequoia int8-activation GEMM for K-quant weights (Q2_K .. Q6_K; opt-in, see Int8ActivationMatMul):
 * W (rows, cols) @ x (n, cols)^T -> out (n, rows), for row ranges [r0, r1), as llama.cpp's q*_K x q8_K dots.
 *
 * Activations are quantized per 256-value super-block (sq_kq8_quantize): d = max|x| / 127,
 * q = rint(x * (127 / max|x|)), with the integer sums of the quants per 16 values (qs16) and the dequantized
 * sums per 32 (fs32).
 *
 * The weights stay integers, with rows in the vector lanes: a panel of 16 rows is unpacked per super-block
 * into an L1-resident scratch where one zmm holds 4 consecutive quants (one dword) of each of the 16 rows, so
 * one vpdpbusd with a token's 4 activation bytes broadcast gives 16 rows x 4 exact products. Each (row, token)
 * is one fp32 chain over the blocks that ScalarKQuantInt8 defines bit for bit: rowDotQ4 (Q4_K, per 32-value
 * sub-block), rowDotQ5 (Q5_K, unpacked as Q4_K with a fifth bit; per block, llama.cpp's exact integer sums of
 * scales and mins) and rowDotG16 (Q6_K, Q3_K, Q2_K in groups of 16: per block the exact integer
 * sum_j sc_j * isum_j, and Q2_K's mins likewise). No value depends on n, the token tiling or the row split.
 * Q4_K and Q5_K also take their integer dots from AMX tile multiplies for whole tiles of 16 tokens where the
 * CPU and the OS allow (about 1.4x at n = 16; for Q6_K, with twice the groups to scale, AMX measured no faster), and
 * at n = 1 the unpacked quants go straight into the token's dots (no scratch). Decode (n = 1) puts runs of
 * rows, not consecutive rows, in the 16 lanes (range_q45_decode, range_g16_decode): 16 sequential streams the
 * L2 streamer follows, about 1.0 of a sequential read from DRAM where consecutive rows reached 0.70 (2048
 * columns) to 0.85 (5632).
 *
 * Each row is read from memory once per batch: a panel's block is unpacked once for every token of the batch
 * while the next steps' rows are prefetched (PANEL_AHEAD); Q5_K unpacks it once per 64 tokens, from L2 after
 * the first. Compiled at run time
 * (cc -O3 -march=native) and called through FFM by NativeKQuantInt8.
 */
#include <stdint.h>
#include <string.h>
#include <immintrin.h>
#include "sequoia_avx512.h"

enum { SQ_Q2_K = 10, SQ_Q3_K = 11, SQ_Q4_K = 12, SQ_Q5_K = 13, SQ_Q6_K = 14 };

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__) && defined(__F16C__)

int sq_kq8_level(void) { return 1; }

/*
 * x (n, cols) -> xq (n, cols), xd (n, cols / 256), the dequantized sums of the quants per 32 values
 * fs32 (n, cols / 32) = d * sum32 (one fp32 product each), and the integer sums per 16, qs16 (n, cols / 16).
 * cols % 256 == 0.
 */
void sq_kq8_quantize(const float *x, int n, int cols, int8_t *xq, float *xd, float *fs32, int32_t *qs16) {
    int nb = cols / 256;
    for (int64_t t = 0; t < n; t++) {
        for (int b = 0; b < nb; b++) {
            const float *p = x + t * cols + 256LL * b;
            __m512 m = _mm512_setzero_ps();
            for (int i = 0; i < 16; i++) m = _mm512_max_ps(m, _mm512_abs_ps(_mm512_loadu_ps(p + 16 * i)));
            float amax = _mm512_reduce_max_ps(m);
            float id = amax != 0.0f ? 127.0f / amax : 0.0f;
            xd[t * nb + b] = amax / 127.0f;
            __m512 v = _mm512_set1_ps(id);
            int8_t *dst = xq + t * cols + 256LL * b;
            float *f32 = fs32 + t * (cols / 32) + 8LL * b;
            int s16[16];
            for (int i = 0; i < 16; i++) {
                __m512i q = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(p + 16 * i), v));
                _mm_storeu_si128((__m128i *) (dst + 16 * i), _mm512_cvtepi32_epi8(q));
                s16[i] = _mm512_reduce_add_epi32(q);
                qs16[t * (cols / 16) + 16LL * b + i] = s16[i];
            }
            for (int i = 0; i < 8; i++) f32[i] = xd[t * nb + b] * (float) (s16[2 * i] + s16[2 * i + 1]);
        }
    }
}

/*
 * Q4_K and Q5_K, rows in lanes (as sequoia_q8q8.c): a panel of 16 rows is unpacked per super-block into an
 * L1-resident scratch where one zmm holds 4 consecutive quants (one dword) of each of the 16 rows, so one
 * vpdpbusd with a token's 4 activation bytes broadcast gives 16 rows x 4 products: 8 per 32-value sub-block.
 * Then, per row lane and sub-block j in order: acc = fma(isum_j, (d * sc_j) * dx, acc) and
 * acc = fma(dmin * m_j, -fs32_j, acc) (ScalarKQuantInt8.rowDotQ4; Q5_K's chain is q5_panel_tile's). Several
 * times fewer instructions per weight than a kernel with the columns of one row in the lanes.
 */
typedef struct {
    __m512i w[8][8];  /* sub-block j, dword k: quants 4k..4k+3 of the 16 rows */
    __m512 dsc[8];    /* Q4_K: d * sc_j per row */
    __m512 dmn[8];    /* Q4_K: dmin * m_j per row */
    __m512i sc[8];    /* Q5_K: sc_j per row */
    __m512i mn[8];    /* Q5_K: m_j per row */
    __m512 d, dmin;   /* Q5_K: d and dmin per row */
} q4panel;

#ifndef PANEL_AHEAD
#define PANEL_AHEAD 16
#endif
#ifndef PF_HINT
#define PF_HINT _MM_HINT_T1
#endif

/*
 * The panel kernels' prefetch: the step (16 rows x block b) PANEL_AHEAD steps after the current one, in the
 * order the kernel takes them (the blocks of a panel, then the next panel's rows, up to r1), streams into L2
 * meanwhile, 4 rows at a time between the unpacking's loads (a burst of 48 requests would stall the core).
 * Decode (n = 1) is bound by memory: enough lines must be in flight at every step.
 */
typedef struct {
    const uint8_t *at; /* block of the first row to fetch, or NULL */
    int rows;          /* rows to fetch */
    int64_t rowBytes;  /* from one row to the next: rowBytes, or P * rowBytes in the decode panels */
    int blockBytes;
} prefetch_plan;

static inline __attribute__((always_inline)) prefetch_plan plan_ahead(const uint8_t *w, int64_t rowBytes, int blockBytes,
                                                                      int nb, int r, int b, int r1) {
    int ahead = b + PANEL_AHEAD, pr = r + 16 * (ahead / nb);
    prefetch_plan p = {NULL, 0, rowBytes, blockBytes};
    if (pr < r1) {
        p.at = w + (int64_t) pr * rowBytes + (int64_t) blockBytes * (ahead % nb);
        p.rows = r1 - pr < 16 ? r1 - pr : 16;
    }
    return p;
}

/* Rows [i0, i1) of the plan. */
static inline __attribute__((always_inline)) void prefetch_rows(const prefetch_plan *p, int i0, int i1) {
    if (p->at == NULL) return;
    for (int i = i0; i < i1 && i < p->rows; i++) {
        for (int l = 0; l < p->blockBytes; l += 64) _mm_prefetch((const char *) p->at + i * p->rowBytes + l, PF_HINT);
    }
}

/* Tokens per register tile of the Q4_K panel kernel (8 measured no faster: the tile is vpdpbusd-bound) */
#define Q4_TILE 4

static __thread q4panel q4scratch __attribute__((aligned(64)));

static inline __attribute__((always_inline)) __m512i bcast32(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

/* 32 bytes at offset off of the 16 rows, transposed: z[k] = bytes 4k .. 4k + 3 of each row. */
static inline __attribute__((always_inline)) void rows_bytes32(const uint8_t *const rp[16], int64_t off, __m512i z[8]) {
    for (int i = 0; i < 8; i++) {
        __m256i lo = _mm256_loadu_si256((const __m256i *) (rp[i] + off));
        __m256i hi = _mm256_loadu_si256((const __m256i *) (rp[i + 8] + off));
        z[i] = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
    }
    transpose8x2(z);
}

/* Bit j of every byte of h at bit 4 (the 16-bit shifts move no bit 4 across a byte for j = 0..7). */
static inline __attribute__((always_inline)) __m512i high_bit4(__m512i h, int j) {
    __m512i s = j < 4 ? _mm512_slli_epi16(h, 4 - j) : j > 4 ? _mm512_srli_epi16(h, j - 4) : h;
    return _mm512_and_si512(s, _mm512_set1_epi8(0x10));
}

/*
 * Unpacks block `at` of the panel into p; with x1 (decode, n = 1) the quants go straight into that token's
 * dots instead of the scratch: acc1 takes q4_panel_tile's chain for the token (x1, dx1, fs1 at this block).
 * five: a Q5_K block (the same d, dmin and scales, then qh[32] @16 whose bit j of byte l is the fifth bit of
 * value 32j + l, then the nibbles @48): quants 0..31 in the same dots, and q5_panel_tile's chain (decode:
 * the token's integer sums per 16 qs1 at this block, the mins' chain in accm1).
 */
static inline __attribute__((always_inline)) void unpack_q4_panel(int five, const uint8_t *const rp[16], int64_t at, q4panel *p,
                                                                  const prefetch_plan *pf, const int8_t *x1, float dx1,
                                                                  const float *fs1, const int32_t *qs1, __m512 *acc1,
                                                                  __m512 *accm1) {
    /* each row's first 16 bytes (d, dmin, the 12 scale bytes) -> D[k] = dword k of the 16 rows, in row order */
    __m512i z[4], t[4], D[4];
    for (int r = 0; r < 4; r++) {
        z[r] = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *) (rp[r] + at)));
        for (int l = 1; l < 4; l++) z[r] = _mm512_inserti32x4(z[r], _mm_loadu_si128((const __m128i *) (rp[4 * l + r] + at)), l);
    }
    t[0] = _mm512_unpacklo_epi32(z[0], z[1]);
    t[1] = _mm512_unpackhi_epi32(z[0], z[1]);
    t[2] = _mm512_unpacklo_epi32(z[2], z[3]);
    t[3] = _mm512_unpackhi_epi32(z[2], z[3]);
    D[0] = _mm512_unpacklo_epi64(t[0], t[2]);
    D[1] = _mm512_unpackhi_epi64(t[0], t[2]);
    D[2] = _mm512_unpacklo_epi64(t[1], t[3]);
    D[3] = _mm512_unpackhi_epi64(t[1], t[3]);
    __m512 d = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(D[0]));
    __m512 dmin = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(D[0], 16)));
    /* ggml's regrouping of the 6-bit pairs, in every lane: U[0..1] = scales 0..7, U[2..3] = mins 0..7 */
    const __m512i m3f = _mm512_set1_epi32(0x3f3f3f3f), m0f = _mm512_set1_epi32(0x0f0f0f0f), m03 = _mm512_set1_epi32(0x03030303);
    __m512i a0 = D[1], a1 = D[2], a2 = D[3], U[4];
    U[3] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(a2, 4), m0f),
                           _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(a1, 6), m03), 4));
    U[2] = _mm512_and_si512(a1, m3f);
    U[1] = _mm512_or_si512(_mm512_and_si512(a2, m0f), _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(a0, 6), m03), 4));
    U[0] = _mm512_and_si512(a0, m3f);
    const __m512i byte = _mm512_set1_epi32(0xFF);
    for (int j = 0; j < 8; j++) {
        __m512i sc = _mm512_and_si512(_mm512_srli_epi32(U[j / 4], 8 * (j % 4)), byte);
        __m512i mn = _mm512_and_si512(_mm512_srli_epi32(U[2 + j / 4], 8 * (j % 4)), byte);
        if (five) {
            p->sc[j] = sc;
            p->mn[j] = mn;
        } else {
            p->dsc[j] = _mm512_mul_ps(d, _mm512_cvtepi32_ps(sc));
            p->dmn[j] = _mm512_mul_ps(dmin, _mm512_cvtepi32_ps(mn));
        }
    }
    p->d = d;
    p->dmin = dmin;
    __m512i sumi = _mm512_setzero_si512(); /* Q5_K decode: the block's exact integer sum over sub-blocks */
    const __m512i low4 = _mm512_set1_epi8(0x0F);
    const int64_t qs = five ? 48 : 16;
    __m512i H[8]; /* Q5_K: H[k] = qh bytes 4k .. 4k + 3 of the 16 rows, as z[k] below holds their nibbles */
    if (five) rows_bytes32(rp, at + 16, H);
    for (int g = 0; g < 4; g++) {
        prefetch_rows(pf, 4 * g, 4 * g + 4);
        __m512i z[8];
        rows_bytes32(rp, at + qs + 32 * g, z);
        if (x1 == NULL) {
            for (int k = 0; k < 8; k++) {
                p->w[2 * g][k] = _mm512_and_si512(z[k], low4);
                p->w[2 * g + 1][k] = _mm512_and_si512(_mm512_srli_epi16(z[k], 4), low4);
                if (five) {
                    p->w[2 * g][k] = _mm512_or_si512(p->w[2 * g][k], high_bit4(H[k], 2 * g));
                    p->w[2 * g + 1][k] = _mm512_or_si512(p->w[2 * g + 1][k], high_bit4(H[k], 2 * g + 1));
                }
            }
            continue;
        }
        for (int h = 0; h < 2; h++) {
            int j = 2 * g + h;
            __m512i s = _mm512_setzero_si512();
            for (int k = 0; k < 8; k++) {
                __m512i q = _mm512_and_si512(h ? _mm512_srli_epi16(z[k], 4) : z[k], low4);
                if (five) q = _mm512_or_si512(q, high_bit4(H[k], j));
                s = _mm512_dpbusd_epi32(s, q, bcast32(x1 + 32 * j + 4 * k));
            }
            if (five) {
                sumi = _mm512_add_epi32(sumi, _mm512_mullo_epi32(p->sc[j], s));
                continue;
            }
            *acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), _mm512_mul_ps(p->dsc[j], _mm512_set1_ps(dx1)), *acc1);
            *acc1 = _mm512_fnmadd_ps(p->dmn[j], _mm512_set1_ps(fs1[j]), *acc1);
        }
    }
    if (five && x1 != NULL) {
        __m512i summ = _mm512_setzero_si512();
        for (int j = 0; j < 8; j++) summ = _mm512_add_epi32(summ, _mm512_mullo_epi32(p->mn[j], _mm512_set1_epi32(qs1[2 * j] + qs1[2 * j + 1])));
        *acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sumi), _mm512_mul_ps(p->d, _mm512_set1_ps(dx1)), *acc1);
        *accm1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(summ), _mm512_mul_ps(p->dmin, _mm512_set1_ps(-dx1)), *accm1);
    }
}

/* A 32-value sub-block's exact dot of the 16 rows' unpacked quants w with a token's 32 activation quants xp. */
static inline __attribute__((always_inline)) __m512i subblock_dot(const __m512i w[8], const int8_t *xp) {
    __m512i s = _mm512_setzero_si512();
    _Pragma("GCC unroll 8") for (int k = 0; k < 8; k++) s = _mm512_dpbusd_epi32(s, w[k], bcast32(xp + 4 * k));
    return s;
}

/*
 * One block's exact integers for tokens t0 .. t0 + T - 1, llama.cpp's per-block sums: G groups of 256 / G values,
 * group j's unpacked quants at w + (64 / G) * j (one dword of 16 rows per zmm), sumi = sum_j sc_j * isum_j with
 * isum_j the dot of (q - bias) with the token's quants, and with mins summ = sum_j mn_j * qsum_j, qsum_j the
 * token's quant sum over group j. Integers, so any order gives the same bits.
 */
static inline __attribute__((always_inline)) void block_sums(int G, int bias, int mins, const __m512i *w, const __m512i *sc,
        const __m512i *mn, int b, const int8_t *xq, const int32_t *qs16, int cols, int t0, int T, __m512i *sumi,
        __m512i *summ) {
    const int K = 64 / G, per16 = 16 / G; /* dwords per group, sums per 16 values per group */
    _Pragma("GCC unroll 8") for (int t = 0; t < T; t++) sumi[t] = summ[t] = _mm512_setzero_si512();
    for (int j = 0; j < G; j++) {
        __m512i wj[8];
        _Pragma("GCC unroll 8") for (int k = 0; k < K; k++) wj[k] = w[K * j + k];
        _Pragma("GCC unroll 8") for (int t = 0; t < T; t++) {
            int64_t tt = t0 + t;
            const int32_t *q = qs16 + tt * (cols / 16) + 16LL * b + per16 * j;
            int32_t qsum = per16 == 2 ? q[0] + q[1] : q[0];
            const int8_t *xp = xq + tt * cols + 256LL * b + (256 / G) * j;
            __m512i s = bias ? _mm512_set1_epi32(-bias * qsum) : _mm512_setzero_si512();
            _Pragma("GCC unroll 8") for (int k = 0; k < K; k++) s = _mm512_dpbusd_epi32(s, wj[k], bcast32(xp + 4 * k));
            sumi[t] = _mm512_add_epi32(sumi[t], _mm512_mullo_epi32(sc[j], s));
            if (mins) summ[t] = _mm512_add_epi32(summ[t], _mm512_mullo_epi32(mn[j], _mm512_set1_epi32(qsum)));
        }
    }
}

/*
 * Q5_K's chain, as llama.cpp's q5_K x q8_K dot (ScalarKQuantInt8.rowDotQ5): per row lane and token, the block's
 * exact integers sumi = sum_j sc_j * isum_j and summ = sum_j m_j * (the token's quant sum over sub-block j),
 * then (q5_block_acc) acc = fma(sumi, d * dx, acc) in out and accm = fma(summ, dmin * -dx, accm) in side (16 floats per
 * token); the row's result is acc + accm once every block is in. (Q4_K's per-sub-block fp32 chain reproduced
 * llama.cpp's Q4_K_M logits but not its Q5_K_M ones: an activation quantized on the other side of a rounding
 * boundary moved them by 0.1.) Sums stay exact: |sumi| <= 8 * 63 * 32 * 31 * 127 < 2^31.
 */
static inline __attribute__((always_inline)) void q5_block_acc(const q4panel *p, int b, int nb, __m512i sumi, __m512i summ,
                                                                float dx, float *o, float *sd, __mmask16 live) {
    __m512 acc = b == 0 ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(live, o);
    __m512 accm = b == 0 ? _mm512_setzero_ps() : _mm512_load_ps(sd);
    acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sumi), _mm512_mul_ps(p->d, _mm512_set1_ps(dx)), acc);
    accm = _mm512_fmadd_ps(_mm512_cvtepi32_ps(summ), _mm512_mul_ps(p->dmin, _mm512_set1_ps(-dx)), accm);
    _mm512_mask_storeu_ps(o, live, b == nb - 1 ? _mm512_add_ps(acc, accm) : acc);
    _mm512_store_ps(sd, accm);
}

/* Tokens t0 .. t0 + T - 1 x the unpacked block b of the Q5_K panel at row r (side: their mins' chains). */
static inline __attribute__((always_inline)) void q5_panel_tile(const q4panel *p, int b, int nb, const int8_t *xq,
        const float *xd, const int32_t *qs16, int cols, int t0, int T, float *out, int outRows, int r, __mmask16 live,
        float *side) {
    __m512i sumi[Q4_TILE], summ[Q4_TILE];
    block_sums(8, 0, 1, &p->w[0][0], p->sc, p->mn, b, xq, qs16, cols, t0, T, sumi, summ);
    _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) {
        int64_t tt = t0 + t;
        q5_block_acc(p, b, nb, sumi[t], summ[t], xd[tt * nb + b], out + tt * outRows + r, side + 16 * t, live);
    }
}

/* Tokens t0 .. t0 + T - 1 x the unpacked block b of the panel at row r: acc in out (masked to live rows). */
static inline __attribute__((always_inline)) void q4_panel_tile(const q4panel *p, int b, int nb, const int8_t *xq,
        const float *xd, const float *fs32, int cols, int t0, int T, float *out, int outRows, int r, __mmask16 live) {
    __m512 acc[Q4_TILE];
    _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) {
        acc[t] = b == 0 ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(live, out + (int64_t) (t0 + t) * outRows + r);
    }
    for (int j = 0; j < 8; j++) {
        __m512i w[8];
        _Pragma("GCC unroll 8") for (int k = 0; k < 8; k++) w[k] = p->w[j][k];
        _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) {
            int64_t tt = t0 + t;
            __m512i s = subblock_dot(w, xq + tt * cols + 256LL * b + 32 * j);
            __m512 scale = _mm512_mul_ps(p->dsc[j], _mm512_set1_ps(xd[tt * nb + b]));
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), scale, acc[t]);
            /* fma(dmn, -fs32, acc) exactly, with the broadcast folded into the instruction */
            acc[t] = _mm512_fnmadd_ps(p->dmn[j], _mm512_set1_ps(fs32[tt * (cols / 32) + 8LL * b + j]), acc[t]);
        }
    }
    _Pragma("GCC unroll 4") for (int t = 0; t < T; t++) _mm512_mask_storeu_ps(out + (int64_t) (t0 + t) * outRows + r, live, acc[t]);
}

/*
 * AMX (where the CPU and the kernel allow it): whole tiles of 16 tokens take their exact integer dots from
 * tile multiplies instead of vpdpbusd. The panels' scratch is already AMX's B layout (one 64-byte row holds
 * 4 consecutive quants of each of the 16 weight rows), the activations are A (16 tokens x one sub-block or
 * group, stride cols), and C (16 tokens x 16 rows, int32) is exactly the VNNI kernels' isum for each
 * (token, row): the fp32 chains that follow are the same operations in the same order, so results do not
 * change by a bit. Permission to use the tile state is asked once per process (Linux arch_prctl); where it
 * is refused, or the compiler lacks AMX, the VNNI kernels take every token.
 */
#if defined(__AMX_TILE__) && defined(__AMX_INT8__) && defined(__linux__)
#include <unistd.h>
#include <sys/syscall.h>

#define SQ_AMX 1
#define ARCH_REQ_XCOMP_PERM 0x1023
#define XFEATURE_XTILEDATA 18

typedef struct {
    uint8_t palette, start;
    uint8_t reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} __attribute__((packed, aligned(64))) tile_config;

static int amx_state; /* 0 not asked yet, 1 granted, -1 refused */
static int amx_allowed = 1; /* sq_kq8_allow_amx: 0 keeps every token on the VNNI kernels (their tests) */

/* Allows or forbids AMX for later calls (calls in flight keep their choice); 1 if this build has AMX at all. */
int sq_kq8_allow_amx(int allow) {
    __atomic_store_n(&amx_allowed, allow != 0, __ATOMIC_RELEASE);
    return 1;
}

static int amx_usable(void) {
    if (!__atomic_load_n(&amx_allowed, __ATOMIC_ACQUIRE)) return 0;
    int s = __atomic_load_n(&amx_state, __ATOMIC_ACQUIRE);
    if (s == 0) {
        s = syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0 ? 1 : -1;
        __atomic_store_n(&amx_state, s, __ATOMIC_RELEASE);
    }
    return s > 0;
}

/* tmm0..3: C (16 tokens x 16 rows int32); tmm4, tmm5: A (16 tokens x k bytes); tmm6, tmm7: B (k / 4 rows of 64 bytes). */
static inline void amx_configure(int k) {
    tile_config c;
    memset(&c, 0, sizeof c);
    c.palette = 1;
    for (int i = 0; i < 4; i++) { c.rows[i] = 16; c.colsb[i] = 64; }
    for (int i = 4; i < 6; i++) { c.rows[i] = 16; c.colsb[i] = (uint16_t) k; }
    for (int i = 6; i < 8; i++) { c.rows[i] = (uint8_t) (k / 4); c.colsb[i] = 64; }
    /* ldtilecfg by asm with the struct as a memory operand: GCC dropped the stores to c before _tile_loadconfig */
    __asm__ volatile("ldtilecfg %0" : : "m"(c));
}

static __thread int32_t amx_c[8][16][16] __attribute__((aligned(64))); /* [sub-block][token][row] */

/* C tile i <- A (16 tokens of xq at x, stride cols) . B (scratch at wt): one Q4_K sub-block. */
#define AMX_DOT(i, a, bt, x, cols, wt)                                                 \
    do {                                                                              \
        _tile_zero(i);                                                                \
        _tile_loadd(a, (x), (cols));                                                  \
        _tile_loadd(bt, (wt), 64);                                                    \
        _tile_dpbsud(i, a, bt);                                                       \
    } while (0)

/* Q4_K: the 8 sub-blocks of block b for tokens t0 .. t0 + 15 -> amx_c[j][t][row]. */
static inline void q4_amx_dots(const q4panel *p, const int8_t *xq, int cols, int b, int t0) {
    const int8_t *x = xq + (int64_t) t0 * cols + 256LL * b;
    for (int j = 0; j < 8; j += 4) {
        AMX_DOT(0, 4, 6, x + 32 * j, cols, &p->w[j][0]);
        AMX_DOT(1, 5, 7, x + 32 * (j + 1), cols, &p->w[j + 1][0]);
        AMX_DOT(2, 4, 6, x + 32 * (j + 2), cols, &p->w[j + 2][0]);
        AMX_DOT(3, 5, 7, x + 32 * (j + 3), cols, &p->w[j + 3][0]);
        _tile_stored(0, amx_c[j], 64);
        _tile_stored(1, amx_c[j + 1], 64);
        _tile_stored(2, amx_c[j + 2], 64);
        _tile_stored(3, amx_c[j + 3], 64);
    }
}

/* Tokens t0 .. t0 + 15 x block b of the Q4_K panel at row r, from the tile products: q4_panel_tile's chain. */
static inline void q4_amx_tile(const q4panel *p, int b, int nb, const int8_t *xq, const float *xd, const float *fs32,
                               int cols, int t0, float *out, int outRows, int r, __mmask16 live) {
    q4_amx_dots(p, xq, cols, b, t0);
    for (int t = 0; t < 16; t++) {
        int64_t tt = t0 + t;
        float *o = out + tt * outRows + r;
        __m512 acc = b == 0 ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(live, o);
        for (int j = 0; j < 8; j++) {
            __m512i s = _mm512_load_si512((const void *) amx_c[j][t]);
            __m512 scale = _mm512_mul_ps(p->dsc[j], _mm512_set1_ps(xd[tt * nb + b]));
            acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s), scale, acc);
            acc = _mm512_fnmadd_ps(p->dmn[j], _mm512_set1_ps(fs32[tt * (cols / 32) + 8LL * b + j]), acc);
        }
        _mm512_mask_storeu_ps(o, live, acc);
    }
}

/* Tokens t0 .. t0 + 15 x block b of the Q5_K panel at row r, from the tile products: q5_panel_tile's integers and chain. */
static inline void q5_amx_tile(const q4panel *p, int b, int nb, const int8_t *xq, const float *xd, const int32_t *qs16,
                               int cols, int t0, float *out, int outRows, int r, __mmask16 live, float *side) {
    q4_amx_dots(p, xq, cols, b, t0);
    for (int t = 0; t < 16; t++) {
        int64_t tt = t0 + t;
        const int32_t *q = qs16 + tt * (cols / 16) + 16LL * b;
        __m512i sumi = _mm512_setzero_si512(), summ = _mm512_setzero_si512();
        for (int j = 0; j < 8; j++) {
            sumi = _mm512_add_epi32(sumi, _mm512_mullo_epi32(p->sc[j], _mm512_load_si512((const void *) amx_c[j][t])));
            summ = _mm512_add_epi32(summ, _mm512_mullo_epi32(p->mn[j], _mm512_set1_epi32(q[2 * j] + q[2 * j + 1])));
        }
        q5_block_acc(p, b, nb, sumi, summ, xd[tt * nb + b], out + tt * outRows + r, side + 16 * t, live);
    }
}
#else
#define SQ_AMX 0
int sq_kq8_allow_amx(int allow) { (void) allow; return 0; }
#endif

/* The decode panels' row layout (range_q45_decode, range_g16_decode): panel pi's lane k is row r0 + pi + k * P. */
static inline __attribute__((always_inline)) void decode_lane_rows(const uint8_t *w, int64_t rowBytes, int r0, int pi, int P,
                                                                   const uint8_t *rp[16]) {
    for (int k = 0; k < 16; k++) rp[k] = w + (int64_t) (r0 + pi + k * P) * rowBytes;
}

/* The range's first PANEL_AHEAD steps (panel, block), which no earlier step prefetched. */
static inline __attribute__((always_inline)) void decode_prefetch_first(const uint8_t *w, int64_t rowBytes, int nb, int r0, int P,
                                                                        int blockBytes) {
    for (int st = 0; st < PANEL_AHEAD && st < P * nb; st++) {
        prefetch_plan pf = {w + (int64_t) (r0 + st / nb) * rowBytes + (int64_t) blockBytes * (st % nb), 16, (int64_t) P * rowBytes, blockBytes};
        prefetch_rows(&pf, 0, 16);
    }
}

/* What step (pi, b) prefetches: the 16 lanes' block PANEL_AHEAD steps ahead, or nothing past the range's end. */
static inline __attribute__((always_inline)) prefetch_plan decode_prefetch_step(const uint8_t *w, int64_t rowBytes, int nb, int r0,
                                                                                int P, int pi, int b, int blockBytes) {
    int ahead = b + PANEL_AHEAD, pp = pi + ahead / nb;
    prefetch_plan pf = {NULL, 16, (int64_t) P * rowBytes, blockBytes};
    if (pp < P) pf.at = w + (int64_t) (r0 + pp) * rowBytes + (int64_t) blockBytes * (ahead % nb);
    return pf;
}

/* Tokens per pass over a Q5_K panel's blocks: the mins' chains of that many tokens wait on the stack. */
#define Q5_CHUNK 64

/*
 * The Q5_K panel at row r against n >= 2 tokens: per chunk of Q5_CHUNK tokens, every block unpacked once
 * (from L2 after the first chunk, which prefetches) and q5_panel_tile over the chunk's tiles.
 */
static inline __attribute__((always_inline)) void q5_panel_rows(q4panel *p, const uint8_t *const rp[16], const uint8_t *w,
        int64_t rowBytes, int nb, int r, int r1, const int8_t *xq, const float *xd, const int32_t *qs16, int cols, int n,
        float *out, int outRows, __mmask16 live, int amx) {
    (void) amx;
    float side[Q5_CHUNK * 16] __attribute__((aligned(64)));
    for (int c0 = 0; c0 < n; c0 += Q5_CHUNK) {
        int c1 = n - c0 > Q5_CHUNK ? c0 + Q5_CHUNK : n;
        for (int b = 0; b < nb; b++) {
            prefetch_plan pf = c0 == 0 ? plan_ahead(w, rowBytes, 176, nb, r, b, r1) : (prefetch_plan) {NULL, 0, rowBytes, 176};
            unpack_q4_panel(1, rp, 176LL * b, p, &pf, NULL, 0.0f, NULL, NULL, NULL, NULL);
            int t0 = c0;
#if SQ_AMX
            if (amx) for (; t0 + 16 <= c1; t0 += 16) q5_amx_tile(p, b, nb, xq, xd, qs16, cols, t0, out, outRows, r, live, side + 16 * (t0 - c0));
#endif
            for (; t0 < c1; t0 += Q4_TILE) {
                float *sd = side + 16 * (t0 - c0);
                switch (c1 - t0 >= Q4_TILE ? Q4_TILE : c1 - t0) {
                    case 1: q5_panel_tile(p, b, nb, xq, xd, qs16, cols, t0, 1, out, outRows, r, live, sd); break;
                    case 2: q5_panel_tile(p, b, nb, xq, xd, qs16, cols, t0, 2, out, outRows, r, live, sd); break;
                    case 3: q5_panel_tile(p, b, nb, xq, xd, qs16, cols, t0, 3, out, outRows, r, live, sd); break;
                    default: q5_panel_tile(p, b, nb, xq, xd, qs16, cols, t0, Q4_TILE, out, outRows, r, live, sd); break;
                }
            }
        }
    }
}

/*
 * Decode (n = 1) over the first 16 * P rows of [r0, r1): panel p takes rows r0 + p + k * P for k = 0..15, so each of its 16 lanes walks one contiguous run of P rows from start to end.
 * With consecutive rows in a panel, a 4 KiB page holds several rows read at once at different offsets and
 * the L2 streamer loses them (measured: 0.70 of a sequential read for 2048 columns against 0.85 for 5632);
 * 16 sequential streams it follows. Each row's chain is q4_panel_tile's (Q5_K: q5_panel_tile's), whatever its lane.
 */
static inline __attribute__((always_inline)) void range_q45_decode(int five, const uint8_t *w, int64_t rowBytes, int cols,
                                                                   int r0, int P, const int8_t *xq, const float *xd,
                                                                   const float *fs32, const int32_t *qs16, float *out) {
    int nb = cols / 256;
    const int bb = five ? 176 : 144;
    q4panel *p = &q4scratch;
    decode_prefetch_first(w, rowBytes, nb, r0, P, bb);
    for (int pi = 0; pi < P; pi++) {
        const uint8_t *rp[16];
        decode_lane_rows(w, rowBytes, r0, pi, P, rp);
        __m512 acc = _mm512_setzero_ps(), accm = _mm512_setzero_ps();
        for (int b = 0; b < nb; b++) {
            prefetch_plan pf = decode_prefetch_step(w, rowBytes, nb, r0, P, pi, b, bb);
            unpack_q4_panel(five, rp, (int64_t) bb * b, p, &pf, xq + 256LL * b, xd[b], five ? NULL : fs32 + 8LL * b,
                            five ? qs16 + 16LL * b : NULL,
                            &acc, &accm);
        }
        store_row_runs(out, r0 + pi, P, five ? _mm512_add_ps(acc, accm) : acc);
    }
}

static inline __attribute__((always_inline)) void range_q45_panels(int five, const uint8_t *w, int64_t rowBytes, int cols,
                                                                   int r0, int r1, const int8_t *xq, const float *xd,
                                                                   const float *fs32, const int32_t *qs16, int n,
                                                                   float *out, int outRows) {
    int nb = cols / 256;
    const int bb = five ? 176 : 144;
    q4panel *p = &q4scratch;
    if (n == 1 && r1 - r0 >= 32) {
        int P = (r1 - r0) / 16;
        range_q45_decode(five, w, rowBytes, cols, r0, P, xq, xd, fs32, qs16, out);
        r0 += 16 * P;
    }
    int amx = 0;
#if SQ_AMX
    amx = n >= 16 && amx_usable();
    if (amx) amx_configure(32);
#endif
    for (int r = r0; r < r1; r += 16) {
        int live_rows = r1 - r < 16 ? r1 - r : 16;
        __mmask16 live = (__mmask16) ((1u << live_rows) - 1);
        const uint8_t *rp[16];
        for (int i = 0; i < 16; i++) rp[i] = w + (int64_t) (r + (i < live_rows ? i : live_rows - 1)) * rowBytes;
        if (n == 1) { /* decode: no scratch, the token's chain in a register across the blocks */
            __m512 acc = _mm512_setzero_ps(), accm = _mm512_setzero_ps();
            for (int b = 0; b < nb; b++) {
                prefetch_plan pf = plan_ahead(w, rowBytes, bb, nb, r, b, r1);
                unpack_q4_panel(five, rp, (int64_t) bb * b, p, &pf, xq + 256LL * b, xd[b], five ? NULL : fs32 + 8LL * b,
                            five ? qs16 + 16LL * b : NULL,
                                &acc, &accm);
            }
            _mm512_mask_storeu_ps(out + r, live, five ? _mm512_add_ps(acc, accm) : acc);
            continue;
        }
        if (five) {
            q5_panel_rows(p, rp, w, rowBytes, nb, r, r1, xq, xd, qs16, cols, n, out, outRows, live, amx);
            continue;
        }
        for (int b = 0; b < nb; b++) {
            int64_t at = (int64_t) bb * b;
            prefetch_plan pf = plan_ahead(w, rowBytes, bb, nb, r, b, r1);
            unpack_q4_panel(0, rp, at, p, &pf, NULL, 0.0f, NULL, NULL, NULL, NULL);
            int t0 = 0;
#if SQ_AMX
            if (amx) for (; t0 + 16 <= n; t0 += 16) q4_amx_tile(p, b, nb, xq, xd, fs32, cols, t0, out, outRows, r, live);
#endif
            for (; t0 < n; t0 += Q4_TILE) {
                switch (n - t0 >= Q4_TILE ? Q4_TILE : n - t0) {
                    case 1: q4_panel_tile(p, b, nb, xq, xd, fs32, cols, t0, 1, out, outRows, r, live); break;
                    case 2: q4_panel_tile(p, b, nb, xq, xd, fs32, cols, t0, 2, out, outRows, r, live); break;
                    case 3: q4_panel_tile(p, b, nb, xq, xd, fs32, cols, t0, 3, out, outRows, r, live); break;
                    default: q4_panel_tile(p, b, nb, xq, xd, fs32, cols, t0, Q4_TILE, out, outRows, r, live); break;
                }
            }
        }
    }
#if SQ_AMX
    if (amx) _tile_release();
#endif
}

static void range_q4_panels(const uint8_t *w, int64_t rowBytes, int cols, int r0, int r1, const int8_t *xq,
                            const float *xd, const float *fs32, int n, float *out, int outRows) {
    range_q45_panels(0, w, rowBytes, cols, r0, r1, xq, xd, fs32, NULL, n, out, outRows);
}

static void range_q5_panels(const uint8_t *w, int64_t rowBytes, int cols, int r0, int r1, const int8_t *xq,
                            const float *xd, const int32_t *qs16, int n, float *out, int outRows) {
    range_q45_panels(1, w, rowBytes, cols, r0, r1, xq, xd, NULL, qs16, n, out, outRows);
}

/*
 * Q6_K, Q3_K and Q2_K, rows in lanes as Q4_K, in groups of 16 values: a panel of 16 rows is unpacked per
 * super-block into scratch where one zmm holds 4 consecutive quants of each row (Q6_K 0..63, Q3_K 0..7 with its
 * high bit, Q2_K 0..3), so 4 vpdpbusd per 16-value group j. A bias (Q6_K 32, Q3_K 4) enters the integer as its
 * start, -bias * (sum of the group's 16 activation quants), so isum_j is the exact dot of (q - bias) with x; as
 * in llama.cpp the block's sumi = sum_j sc_j * isum_j stays an exact int32 (|sumi| < 2^28), and so do Q2_K's
 * mins, summ = sum_j m_j * (the group's activation quant sum). Per row lane:
 * acc = fma(summ, dmin * -dx, acc) (Q2_K), then acc = fma(sumi, d * dx, acc) (ScalarKQuantInt8.rowDotG16).
 */
typedef struct {
    __m512i w[16][4]; /* group j, dword k: quants 16j + 4k .. 16j + 4k + 3 of the 16 rows */
    __m512i sc[16];   /* sc_j per row (signed) */
    __m512i mn[16];   /* Q2_K: m_j per row */
    __m512 d, dmin;   /* d per row; Q2_K: dmin */
} g16panel;

static __thread g16panel g16scratch __attribute__((aligned(64)));

/* Block bytes and the bias of the quants: Q6_K 210 / 32, Q3_K 110 / 4, Q2_K 84 / 0. */
#define G16_BYTES(type) ((type) == SQ_Q6_K ? 210 : (type) == SQ_Q3_K ? 110 : 84)
#define G16_BIAS(type) ((type) == SQ_Q6_K ? 32 : (type) == SQ_Q3_K ? 4 : 0)

/* Dword at byte offset off of each of the 16 rows (row i at base + idx[i]). */
static inline __attribute__((always_inline)) __m512i rows_dword(const uint8_t *base, __m512i idx, int off) {
    return _mm512_i32gather_epi32(idx, (const void *) (base + off), 1);
}

/* Byte b (0..3) of every dword lane of v. */
static inline __attribute__((always_inline)) __m512i lane_byte(__m512i v, int b) {
    return _mm512_and_si512(_mm512_srli_epi32(v, 8 * b), _mm512_set1_epi32(0xFF));
}

static inline __attribute__((always_inline)) void unpack_q6_panel(const uint8_t *const rp[16], __m512i idx, int64_t at, g16panel *p,
                                                                  const prefetch_plan *pf) {
    /* d: the high half of the dword at 206 (the block's last byte is 209, so nothing past it is read) */
    p->d = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(rows_dword(rp[0], idx, (int) at + 206), 16)));
    for (int i = 0; i < 4; i++) {
        __m512i sc4 = rows_dword(rp[0], idx, (int) at + 192 + 4 * i);
        for (int b = 0; b < 4; b++) p->sc[4 * i + b] = _mm512_srai_epi32(_mm512_slli_epi32(sc4, 24 - 8 * b), 24);
    }
    const __m512i low4 = _mm512_set1_epi8(0x0F), bits45 = _mm512_set1_epi8(0x30);
    for (int h = 0; h < 2; h++) {
        __m512i A[8], B[8], H[8];
        prefetch_rows(pf, 8 * h, 8 * h + 3);
        rows_bytes32(rp, at + 64 * h, A);
        prefetch_rows(pf, 8 * h + 3, 8 * h + 6);
        rows_bytes32(rp, at + 64 * h + 32, B);
        prefetch_rows(pf, 8 * h + 6, 8 * h + 8);
        rows_bytes32(rp, at + 128 + 32 * h, H);
        for (int k = 0; k < 8; k++) {
            /* value 128h + 32u + l (l = 4k .. 4k + 3): nibble of ql (A low, B low, A high, B high), bits 2u, 2u + 1 of qh */
            __m512i q[4];
            q[0] = _mm512_ternarylogic_epi32(A[k], _mm512_and_si512(_mm512_slli_epi16(H[k], 4), bits45), low4, 0xEC);
            q[1] = _mm512_ternarylogic_epi32(B[k], _mm512_and_si512(_mm512_slli_epi16(H[k], 2), bits45), low4, 0xEC);
            q[2] = _mm512_ternarylogic_epi32(_mm512_srli_epi16(A[k], 4), _mm512_and_si512(H[k], bits45), low4, 0xEC);
            q[3] = _mm512_ternarylogic_epi32(_mm512_srli_epi16(B[k], 4), _mm512_and_si512(_mm512_srli_epi16(H[k], 2), bits45), low4, 0xEC);
            for (int u = 0; u < 4; u++) p->w[8 * h + 2 * u + k / 4][k % 4] = q[u];
        }
    }
}

/*
 * The 2-bit planes of Q3_K and Q2_K: value 128n + 32j + l is bits 2j, 2j + 1 of qs[32n + l], in group
 * 8n + 2j + l / 16; Q3_K adds 4 * bit (4n + j) of hmask[l]. The 16-bit shifts below move no kept bit across a
 * byte (plane bits 0..1 come from bits 2j..2j + 1 of their own byte, the high bit 2 from bit 4n + j <= 7).
 */
static inline __attribute__((always_inline)) void unpack_planes(int type, const uint8_t *const rp[16], int64_t qs, int64_t hm,
                                                                g16panel *p, const prefetch_plan *pf) {
    const __m512i m03 = _mm512_set1_epi8(0x03), m04 = _mm512_set1_epi8(0x04);
    __m512i HM[8];
    if (type == SQ_Q3_K) rows_bytes32(rp, hm, HM);
    for (int n = 0; n < 2; n++) {
        __m512i Z[8];
        prefetch_rows(pf, 8 * n, 8 * n + 8);
        rows_bytes32(rp, qs + 32 * n, Z);
        for (int j = 0; j < 4; j++) {
            int bit = 4 * n + j;
            for (int kk = 0; kk < 8; kk++) {
                __m512i q = _mm512_and_si512(_mm512_srli_epi16(Z[kk], 2 * j), m03);
                if (type == SQ_Q3_K) {
                    __m512i h = bit >= 2 ? _mm512_srli_epi16(HM[kk], bit - 2) : _mm512_slli_epi16(HM[kk], 2 - bit);
                    q = _mm512_or_si512(q, _mm512_and_si512(h, m04));
                }
                p->w[8 * n + 2 * j + kk / 4][kk % 4] = q;
            }
        }
    }
}

/* Q3_K: hmask[32] @0, qs[64] @32, 16 six-bit scales biased by 32 in 12 bytes @96, d @108. */
static inline __attribute__((always_inline)) void unpack_q3_panel(const uint8_t *const rp[16], __m512i idx, int64_t at, g16panel *p,
                                                                  const prefetch_plan *pf) {
    /* d: the high half of the dword at 106 (bytes 108..109, the block's last) */
    p->d = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(rows_dword(rp[0], idx, (int) at + 106), 16)));
    __m512i a0 = rows_dword(rp[0], idx, (int) at + 96), a1 = rows_dword(rp[0], idx, (int) at + 100);
    __m512i a2 = rows_dword(rp[0], idx, (int) at + 104);
    const __m512i m0f = _mm512_set1_epi32(0x0f0f0f0f), m03 = _mm512_set1_epi32(0x03030303);
    /* ggml's regrouping: byte i of S = scale i, its low 4 bits from a0/a1, its high 2 bits from a2 */
    __m512i S[4];
    S[0] = _mm512_or_si512(_mm512_and_si512(a0, m0f), _mm512_slli_epi32(_mm512_and_si512(a2, m03), 4));
    S[1] = _mm512_or_si512(_mm512_and_si512(a1, m0f), _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(a2, 2), m03), 4));
    S[2] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(a0, 4), m0f), _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(a2, 4), m03), 4));
    S[3] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi32(a1, 4), m0f), _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(a2, 6), m03), 4));
    for (int g = 0; g < 16; g++) p->sc[g] = _mm512_sub_epi32(lane_byte(S[g / 4], g % 4), _mm512_set1_epi32(32));
    unpack_planes(SQ_Q3_K, rp, at + 32, at, p, pf);
}

/* Q2_K: scales[16] @0 (low nibble scale, high nibble min), qs[64] @16, d @80, dmin @82. */
static inline __attribute__((always_inline)) void unpack_q2_panel(const uint8_t *const rp[16], __m512i idx, int64_t at, g16panel *p,
                                                                  const prefetch_plan *pf) {
    __m512i dd = rows_dword(rp[0], idx, (int) at + 80);
    p->d = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(dd));
    p->dmin = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(dd, 16)));
    const __m512i m0f = _mm512_set1_epi32(0x0F);
    for (int i = 0; i < 4; i++) {
        __m512i s4 = rows_dword(rp[0], idx, (int) at + 4 * i);
        for (int b = 0; b < 4; b++) {
            __m512i byte = lane_byte(s4, b);
            p->sc[4 * i + b] = _mm512_and_si512(byte, m0f);
            p->mn[4 * i + b] = _mm512_srli_epi32(byte, 4);
        }
    }
    unpack_planes(SQ_Q2_K, rp, at + 16, 0, p, pf);
}

static inline __attribute__((always_inline)) void unpack_g16_panel(int type, const uint8_t *const rp[16], __m512i idx, int64_t at,
                                                                   g16panel *p, const prefetch_plan *pf) {
    if (type == SQ_Q6_K) unpack_q6_panel(rp, idx, at, p, pf);
    else if (type == SQ_Q3_K) unpack_q3_panel(rp, idx, at, p, pf);
    else unpack_q2_panel(rp, idx, at, p, pf);
}

/* The block's fp32 steps for one token: Q2_K's mins, then the scaled sum (ScalarKQuantInt8.rowDotG16). */
static inline __attribute__((always_inline)) __m512 g16_block_acc(int type, const g16panel *p, __m512i sumi, __m512i summ,
                                                                  float dx, __m512 acc) {
    if (type == SQ_Q2_K) acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(summ), _mm512_mul_ps(p->dmin, _mm512_set1_ps(-dx)), acc);
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(sumi), _mm512_mul_ps(p->d, _mm512_set1_ps(dx)), acc);
}

/* Tokens t0 .. t0 + T - 1 x the unpacked block b of the panel at row r. */
static inline __attribute__((always_inline)) void g16_panel_tile(int type, const g16panel *p, int b, int nb, const int8_t *xq,
        const float *xd, const int32_t *qs16, int cols, int t0, int T, float *out, int outRows, int r, __mmask16 live) {
    __m512i sumi[8], summ[8];
    block_sums(16, G16_BIAS(type), type == SQ_Q2_K, &p->w[0][0], p->sc, p->mn, b, xq, qs16, cols, t0, T, sumi, summ);
    _Pragma("GCC unroll 8") for (int t = 0; t < T; t++) {
        float *o = out + (int64_t) (t0 + t) * outRows + r;
        __m512 acc = b == 0 ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(live, o);
        _mm512_mask_storeu_ps(o, live, g16_block_acc(type, p, sumi[t], summ[t], xd[(t0 + t) * nb + b], acc));
    }
}

/* Decode (n = 1) over the first 16 * P rows of [r0, r1), lanes on P-row runs as range_q45_decode; g16_panel_tile's integers and chain. */
static inline __attribute__((always_inline)) void range_g16_decode(int type, const uint8_t *w, int64_t rowBytes, int cols, int r0,
                                                                   int P, const int8_t *xq, const float *xd,
                                                                   const int32_t *qs16, float *out) {
    int nb = cols / 256;
    const int bb = G16_BYTES(type);
    g16panel *p = &g16scratch;
    const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i idx = _mm512_mullo_epi32(lane, _mm512_set1_epi32((int32_t) (P * rowBytes)));
    decode_prefetch_first(w, rowBytes, nb, r0, P, bb);
    for (int pi = 0; pi < P; pi++) {
        const uint8_t *rp[16];
        decode_lane_rows(w, rowBytes, r0, pi, P, rp);
        __m512 acc = _mm512_setzero_ps();
        for (int b = 0; b < nb; b++) {
            prefetch_plan pf = decode_prefetch_step(w, rowBytes, nb, r0, P, pi, b, bb);
            unpack_g16_panel(type, rp, idx, (int64_t) bb * b, p, &pf);
            __m512i sumi, summ;
            block_sums(16, G16_BIAS(type), type == SQ_Q2_K, &p->w[0][0], p->sc, p->mn, b, xq, qs16, cols, 0, 1, &sumi, &summ);
            acc = g16_block_acc(type, p, sumi, summ, xd[b], acc);
        }
        store_row_runs(out, r0 + pi, P, acc);
    }
}

static inline __attribute__((always_inline)) void range_g16_panels(int type, const uint8_t *w, int64_t rowBytes, int cols, int r0,
                                                                   int r1, const int8_t *xq, const float *xd,
                                                                   const int32_t *qs16, int n, float *out, int outRows) {
    int nb = cols / 256;
    const int bb = G16_BYTES(type);
    g16panel *p = &g16scratch;
    /* the gathers' byte offsets across a panel's lanes stay int32 */
    if (n == 1 && r1 - r0 >= 32 && (int64_t) (r1 - r0) * rowBytes < INT32_MAX) {
        int P = (r1 - r0) / 16;
        range_g16_decode(type, w, rowBytes, cols, r0, P, xq, xd, qs16, out);
        r0 += 16 * P;
    }
    for (int r = r0; r < r1; r += 16) {
        int live_rows = r1 - r < 16 ? r1 - r : 16;
        __mmask16 live = (__mmask16) ((1u << live_rows) - 1);
        const uint8_t *rp[16];
        int32_t off[16];
        for (int i = 0; i < 16; i++) {
            int ri = i < live_rows ? i : live_rows - 1;
            rp[i] = w + (int64_t) (r + ri) * rowBytes;
            off[i] = (int32_t) (ri * rowBytes);
        }
        __m512i idx = _mm512_loadu_si512((const void *) off);
        for (int b = 0; b < nb; b++) {
            prefetch_plan pf = plan_ahead(w, rowBytes, bb, nb, r, b, r1);
            unpack_g16_panel(type, rp, idx, (int64_t) bb * b, p, &pf);
            for (int t0 = 0; t0 < n; t0 += 8) {
                switch (n - t0 >= 8 ? 8 : n - t0) {
                    case 1: g16_panel_tile(type, p, b, nb, xq, xd, qs16, cols, t0, 1, out, outRows, r, live); break;
                    case 2: g16_panel_tile(type, p, b, nb, xq, xd, qs16, cols, t0, 2, out, outRows, r, live); break;
                    case 3: g16_panel_tile(type, p, b, nb, xq, xd, qs16, cols, t0, 3, out, outRows, r, live); break;
                    case 4: g16_panel_tile(type, p, b, nb, xq, xd, qs16, cols, t0, 4, out, outRows, r, live); break;
                    case 5: g16_panel_tile(type, p, b, nb, xq, xd, qs16, cols, t0, 5, out, outRows, r, live); break;
                    case 6: g16_panel_tile(type, p, b, nb, xq, xd, qs16, cols, t0, 6, out, outRows, r, live); break;
                    case 7: g16_panel_tile(type, p, b, nb, xq, xd, qs16, cols, t0, 7, out, outRows, r, live); break;
                    default: g16_panel_tile(type, p, b, nb, xq, xd, qs16, cols, t0, 8, out, outRows, r, live); break;
                }
            }
        }
    }
}

#define DEFINE_G16(NAME, TYPE)                                                                                \
static void NAME(const uint8_t *w, int64_t rowBytes, int cols, int r0, int r1, const int8_t *xq, const float *xd, \
                 const int32_t *qs16, int n, float *out, int outRows) {                                       \
    range_g16_panels(TYPE, w, rowBytes, cols, r0, r1, xq, xd, qs16, n, out, outRows);                         \
}

DEFINE_G16(range_q2_panels, SQ_Q2_K) DEFINE_G16(range_q3_panels, SQ_Q3_K) DEFINE_G16(range_q6_panels, SQ_Q6_K)


/* Rows [r0, r1) of W (ggml type id) @ quantized x (n tokens) -> out (n, outRows). 0, or -1 if not handled. */
int sq_kq8_gemm_rows(int type, const uint8_t *w, int64_t rowBytes, int cols, int r0, int r1, const int8_t *xq,
                     const float *xd, const float *fs32, const int32_t *qs16, int n, float *out, int outRows) {
    if (cols % 256 != 0) return -1;
    switch (type) {
        case SQ_Q2_K: range_q2_panels(w, rowBytes, cols, r0, r1, xq, xd, qs16, n, out, outRows); return 0;
        case SQ_Q3_K: range_q3_panels(w, rowBytes, cols, r0, r1, xq, xd, qs16, n, out, outRows); return 0;
        case SQ_Q4_K: range_q4_panels(w, rowBytes, cols, r0, r1, xq, xd, fs32, n, out, outRows); return 0;
        case SQ_Q5_K: range_q5_panels(w, rowBytes, cols, r0, r1, xq, xd, qs16, n, out, outRows); return 0;
        case SQ_Q6_K: range_q6_panels(w, rowBytes, cols, r0, r1, xq, xd, qs16, n, out, outRows); return 0;
        default: return -1;
    }
}

#else

int sq_kq8_level(void) { return 0; }

int sq_kq8_allow_amx(int allow) { (void) allow; return 0; }

void sq_kq8_quantize(const float *x, int n, int cols, int8_t *xq, float *xd, float *fs32, int32_t *qs16) {
    (void) x; (void) n; (void) cols; (void) xq; (void) xd; (void) fs32; (void) qs16;
}

int sq_kq8_gemm_rows(int type, const uint8_t *w, int64_t rowBytes, int cols, int r0, int r1, const int8_t *xq,
                     const float *xd, const float *fs32, const int32_t *qs16, int n, float *out, int outRows) {
    (void) qs16; (void) type; (void) w; (void) rowBytes; (void) cols; (void) r0; (void) r1; (void) xq; (void) xd;
    (void) fs32; (void) n; (void) out; (void) outRows;
    return -1;
}

#endif
