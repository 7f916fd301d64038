// Sequoia's CUDA kernels: everything of the Llama forward pass that is not a GEMM (those go to cuBLAS).
// Compiled by the Maven build (profile "cuda", native-bindings/pom.xml) into a fatbin resource loaded with
// cuModuleLoadData. Every kernel is extern "C" so its symbol is its name. Activations are fp32 row-major
// (n tokens, width); GEMM inputs are fp16; weights on the device are fp16.
// Scalar twins: dev.sequoia.engine.model.LlamaTransformer / Rope / ScalarMatMul (the CPU backend).
#include <cuda_fp16.h>
#include <stdint.h>

#define BLOCK 256

__device__ __forceinline__ float block_sum(float v, float* shared) {
    // Warp shuffle reduction, then one value per warp through shared memory.
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffff, v, o);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    int warps = (blockDim.x + 31) >> 5;
    v = (threadIdx.x < warps) ? shared[threadIdx.x] : 0.f;
    if (warp == 0) for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffff, v, o);
    if (threadIdx.x == 0) shared[0] = v;
    __syncthreads();
    float r = shared[0];
    __syncthreads();
    return r;
}

__device__ __forceinline__ float block_max(float v, float* shared) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffff, v, o));
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) shared[warp] = v;
    __syncthreads();
    int warps = (blockDim.x + 31) >> 5;
    v = (threadIdx.x < warps) ? shared[threadIdx.x] : -INFINITY;
    if (warp == 0) for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffff, v, o));
    if (threadIdx.x == 0) shared[0] = v;
    __syncthreads();
    float r = shared[0];
    __syncthreads();
    return r;
}

// out (n, dim) fp16 = weight (dim) * x (n, dim) / sqrt(mean(x^2) + eps). grid = n, block = BLOCK.
extern "C" __global__ void rmsnorm_f32_to_f16(const float* x, const float* weight, __half* out, int dim, float eps) {
    __shared__ float red[32];
    const float* row = x + (size_t)blockIdx.x * dim;
    float ss = 0.f;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) ss += row[i] * row[i];
    float inv = rsqrtf(block_sum(ss, red) / dim + eps);
    __half* o = out + (size_t)blockIdx.x * dim;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) o[i] = __float2half(weight[i] * (inv * row[i]));
}

// Rotates vec (n, heads*headDim) in place: token t at positions[t]; pair j uses invFreq[j].
// halves = 0: pair j is dims (2j, 2j+1) (llama2.c, GGUF); halves = 1: dims (j, j + ropeDim/2) (HF).
// grid = n, block = BLOCK; threads stride over heads * ropeDim/2 pairs.
extern "C" __global__ void rope_f32(float* vec, int rowStride, int heads, int headDim, int ropeDim,
                                    const int* positions, const float* invFreq, int halves) {
    int t = blockIdx.x, half = ropeDim / 2;
    float pos = (float)positions[t];
    for (int p = threadIdx.x; p < heads * half; p += blockDim.x) {
        int h = p / half, j = p % half;
        float s, c;
        sincosf(pos * invFreq[j], &s, &c);
        int a = halves ? j : 2 * j, b = halves ? j + half : 2 * j + 1;
        float* base = vec + (size_t)t * rowStride + h * headDim;
        float x0 = base[a], x1 = base[b];
        base[a] = x0 * c - x1 * s;
        base[b] = x0 * s + x1 * c;
    }
}

// out (count) fp16 = silu(gate) * up.
extern "C" __global__ void swiglu_f32_to_f16(const float* gate, const float* up, __half* out, long count) {
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < count; i += (long)gridDim.x * blockDim.x) {
        float g = gate[i];
        out[i] = __float2half(g / (1.f + __expf(-g)) * up[i]);
    }
}

// Tree attention of n new tokens over a layer's KV cache (rows, kvDim) fp32.
// Token t (row first+t of the cache) sees committed rows [0, committed) and pending rows committed+j where
// visible[t * pendingTotal + j] != 0 (its ancestors and itself; pendingTotal = first + n - committed).
// q (n, heads*headDim) fp32 -> out (n, heads*headDim) fp16. grid = (n, heads), block = BLOCK,
// dynamic shared memory = (committed + pendingTotal) floats for the scores.
extern "C" __global__ void tree_attention(const float* q, const float* keys, const float* values, __half* out,
                                          const unsigned char* visible, int committed, int pendingTotal,
                                          int heads, int kvHeads, int headDim, float scale) {
    extern __shared__ float scores[];
    __shared__ float red[32];
    int t = blockIdx.x, h = blockIdx.y, kvDim = kvHeads * headDim;
    int kvh = h / (heads / kvHeads);
    int rows = committed + pendingTotal;
    const float* qh = q + (size_t)t * heads * headDim + h * headDim;
    const unsigned char* vis = visible + (size_t)t * pendingTotal;
    float localMax = -INFINITY;
    for (int r = threadIdx.x; r < rows; r += blockDim.x) {
        float s = -INFINITY;
        if (r < committed || vis[r - committed]) {
            const float* k = keys + (size_t)r * kvDim + kvh * headDim;
            s = 0.f;
            for (int d = 0; d < headDim; d++) s += qh[d] * k[d];
            s *= scale;
        }
        scores[r] = s;
        localMax = fmaxf(localMax, s);
    }
    float mx = block_max(localMax, red);
    float localSum = 0.f;
    for (int r = threadIdx.x; r < rows; r += blockDim.x) {
        float e = scores[r] == -INFINITY ? 0.f : __expf(scores[r] - mx);
        scores[r] = e;
        localSum += e;
    }
    float inv = 1.f / block_sum(localSum, red);
    __half* o = out + (size_t)t * heads * headDim + h * headDim;
    for (int d = threadIdx.x; d < headDim; d += blockDim.x) {
        float acc = 0.f;
        for (int r = 0; r < rows; r++) {
            float w = scores[r];
            if (w != 0.f) acc += w * values[(size_t)r * kvDim + kvh * headDim + d];
        }
        o[d] = __float2half(acc * inv);
    }
}

// tree_attention_gqa: the same semantics as tree_attention, organised so that K and V are read once per tile
// of queries instead of once per (token, head). The queries of kv head kvh are the n*G pairs (token t, head
// kvh*G + g), G = heads / kvHeads, flattened as f = t*G + g; block (x, kvh) owns f in [x*QPB, x*QPB + QPB)
// (QPB = 32 when headDim <= 128, else 16: gqa_queries_per_block, mirrored by the Java launcher), 8 warps of
// QW = QPB/8 queries each. The block walks the visible rows in tiles of 32: K (then V) is staged in shared
// memory in chunks of at most 128 dims (coalesced float4 loads, rows padded by 4 floats so lane j's float4
// reads of row j are conflict-free); lane j scores row j against its warp's queries (q staged once, read as
// broadcasts), the warp keeps an online softmax per query (running max by shuffles, lane-partial running
// sums), and each lane accumulates the output dims lane + 32i with the probabilities read back from shared
// memory. Tiles that no query of the block sees are skipped; rows a query does not see get probability 0;
// rows past committed + pendingTotal are staged as zeros. fp32 throughout, fp16 out.
// grid = (ceil(n*G / QPB), kvHeads), block = 256, no dynamic shared memory; headDim % 32 == 0, <= 256.
#define GQA_TILE 32
#define GQA_WARPS 8
#define GQA_CHUNK 128

__host__ __device__ constexpr int gqa_queries_per_block(int headDim) { return headDim <= 128 ? 32 : 16; }

template <int HD>
struct GqaShape {
    static constexpr int QPB = gqa_queries_per_block(HD);
    static constexpr int QW = QPB / GQA_WARPS;                 // queries per warp
    static constexpr int DC = HD < GQA_CHUNK ? HD : GQA_CHUNK; // staged chunk width
    static constexpr int NC = (HD + GQA_CHUNK - 1) / GQA_CHUNK; // chunks per row
    static constexpr int KS = DC + 4;                          // padded shared row stride (floats)
    static constexpr int NI = HD / 32;                         // output dims per lane
    static constexpr int FLOATS = QPB * HD + GQA_TILE * KS + QPB * GQA_TILE;
};

__host__ __device__ constexpr int gqa_max(int a, int b) { return a > b ? a : b; }
#define GQA_SHARED_FLOATS gqa_max(gqa_max(gqa_max(GqaShape<32>::FLOATS, GqaShape<64>::FLOATS), \
    gqa_max(GqaShape<96>::FLOATS, GqaShape<128>::FLOATS)), gqa_max(gqa_max(GqaShape<160>::FLOATS, \
    GqaShape<192>::FLOATS), gqa_max(GqaShape<224>::FLOATS, GqaShape<256>::FLOATS)))

// Stages chunk c of rows [r0, r0 + 32) of one kv head (src already offset to the head) into kv (32, KS).
template <int HD>
__device__ __forceinline__ void gqa_stage_chunk(float* kv, const float* src, int kvDim, int r0, int rows, int c) {
    using S = GqaShape<HD>;
    const int width4 = (HD - c * GQA_CHUNK < GQA_CHUNK ? HD - c * GQA_CHUNK : GQA_CHUNK) / 4;
    for (int i = threadIdx.x; i < GQA_TILE * width4; i += blockDim.x) {
        int row = i / width4, c4 = i % width4;
        float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
        if (r0 + row < rows) v = *reinterpret_cast<const float4*>(src + (size_t)(r0 + row) * kvDim + c * GQA_CHUNK + c4 * 4);
        *reinterpret_cast<float4*>(kv + row * S::KS + c4 * 4) = v;
    }
}

template <int HD>
__device__ __forceinline__ void gqa_attention(float* smem, const float* q, const float* keys, const float* values,
                                              __half* out, const unsigned char* visible, int n, int committed,
                                              int pendingTotal, int heads, int kvHeads, float scale) {
    using S = GqaShape<HD>;
    constexpr int QW = S::QW, NI = S::NI, KS = S::KS;
    float* qs = smem;                      // (QPB, HD) the block's queries
    float* kv = qs + S::QPB * HD;          // (32, KS) one chunk of a K or V tile
    float* ps = kv + GQA_TILE * KS;        // (QPB, 32) probabilities of the current tile
    const int G = heads / kvHeads, kvh = blockIdx.y, kvDim = kvHeads * HD;
    const int total = n * G, f0 = blockIdx.x * S::QPB, rows = committed + pendingTotal;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const float* kHead = keys + kvh * HD;
    const float* vHead = values + kvh * HD;

    for (int i = threadIdx.x; i < S::QPB * HD / 4; i += blockDim.x) {
        int qi = i / (HD / 4), c4 = i % (HD / 4), f = f0 + qi;
        float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
        if (f < total) {
            int t = f / G, h = kvh * G + f % G;
            v = *reinterpret_cast<const float4*>(q + ((size_t)t * heads + h) * HD + c4 * 4);
        }
        reinterpret_cast<float4*>(qs)[i] = v;
    }
    const unsigned char* mask[QW];
    bool valid[QW];
    float m[QW], l[QW], acc[QW][NI];
#pragma unroll
    for (int qi = 0; qi < QW; qi++) {
        int f = f0 + warp * QW + qi;
        valid[qi] = f < total;
        mask[qi] = visible + (size_t)(valid[qi] ? f / G : 0) * pendingTotal;
        m[qi] = -INFINITY;
        l[qi] = 0.f;
#pragma unroll
        for (int i = 0; i < NI; i++) acc[qi][i] = 0.f;
    }
    const float* qw = qs + warp * QW * HD;
    float* pw = ps + warp * QW * GQA_TILE;

    for (int r0 = 0; r0 < rows; r0 += GQA_TILE) {
        const int r = r0 + lane;
        bool vis[QW];
        bool any = false;
#pragma unroll
        for (int qi = 0; qi < QW; qi++) {
            vis[qi] = valid[qi] && r < rows && (r < committed || mask[qi][r - committed] != 0);
            any |= vis[qi];
        }
        // one barrier: skips tiles nobody in the block sees, and orders the last tile's reads before new writes
        if (!__syncthreads_or(any)) continue;
        const bool warpAny = __any_sync(0xffffffff, any);

        float s[QW];
#pragma unroll
        for (int qi = 0; qi < QW; qi++) s[qi] = 0.f;
#pragma unroll
        for (int c = 0; c < S::NC; c++) {
            if (c > 0) __syncthreads();
            gqa_stage_chunk<HD>(kv, kHead, kvDim, r0, rows, c);
            __syncthreads();
            if (warpAny) {
                const int width = HD - c * GQA_CHUNK < GQA_CHUNK ? HD - c * GQA_CHUNK : GQA_CHUNK;
                const float* krow = kv + lane * KS;
#pragma unroll
                for (int d = 0; d < width; d += 4) {
                    float4 k4 = *reinterpret_cast<const float4*>(krow + d);
#pragma unroll
                    for (int qi = 0; qi < QW; qi++) {
                        float4 q4 = *reinterpret_cast<const float4*>(qw + qi * HD + c * GQA_CHUNK + d);
                        s[qi] = fmaf(q4.x, k4.x, s[qi]);
                        s[qi] = fmaf(q4.y, k4.y, s[qi]);
                        s[qi] = fmaf(q4.z, k4.z, s[qi]);
                        s[qi] = fmaf(q4.w, k4.w, s[qi]);
                    }
                }
            }
        }
        if (warpAny) {
#pragma unroll
            for (int qi = 0; qi < QW; qi++) {
                float sv = vis[qi] ? s[qi] * scale : -INFINITY;
                float mt = sv;
                for (int o = 16; o > 0; o >>= 1) mt = fmaxf(mt, __shfl_xor_sync(0xffffffff, mt, o));
                float mn = fmaxf(m[qi], mt);
                float p = vis[qi] ? __expf(sv - mn) : 0.f;              // mn is finite when vis
                float corr = m[qi] == -INFINITY ? 0.f : __expf(m[qi] - mn); // nothing seen yet: acc, l are 0
                m[qi] = mn;
                l[qi] = l[qi] * corr + p;
#pragma unroll
                for (int i = 0; i < NI; i++) acc[qi][i] *= corr;
                pw[qi * GQA_TILE + lane] = p;
            }
        }
#pragma unroll
        for (int c = 0; c < S::NC; c++) {
            __syncthreads(); // every warp is done with the K chunk (or the previous V chunk); ps is written
            gqa_stage_chunk<HD>(kv, vHead, kvDim, r0, rows, c);
            __syncthreads();
            if (warpAny) {
#pragma unroll
                for (int r4 = 0; r4 < GQA_TILE; r4 += 4) {
                    float4 p4[QW];
#pragma unroll
                    for (int qi = 0; qi < QW; qi++) p4[qi] = *reinterpret_cast<const float4*>(pw + qi * GQA_TILE + r4);
#pragma unroll
                    for (int rr = 0; rr < 4; rr++) {
                        const float* vrow = kv + (r4 + rr) * KS + lane;
#pragma unroll
                        for (int i = 0; i < NI; i++) {
                            if (i * 32 / GQA_CHUNK != c) continue; // dim lane + 32i lives in chunk i/4
                            float v = vrow[32 * i - c * GQA_CHUNK];
#pragma unroll
                            for (int qi = 0; qi < QW; qi++) {
                                float p = rr == 0 ? p4[qi].x : rr == 1 ? p4[qi].y : rr == 2 ? p4[qi].z : p4[qi].w;
                                acc[qi][i] = fmaf(p, v, acc[qi][i]);
                            }
                        }
                    }
                }
            }
        }
    }
#pragma unroll
    for (int qi = 0; qi < QW; qi++) {
        float sum = l[qi];
        for (int o = 16; o > 0; o >>= 1) sum += __shfl_xor_sync(0xffffffff, sum, o);
        if (!valid[qi]) continue;
        int f = f0 + warp * QW + qi, t = f / G, h = kvh * G + f % G;
        float inv = 1.f / sum;
        __half* o = out + ((size_t)t * heads + h) * HD + lane;
#pragma unroll
        for (int i = 0; i < NI; i++) o[32 * i] = __float2half(acc[qi][i] * inv);
    }
}

extern "C" __global__ void __launch_bounds__(GQA_WARPS * 32)
tree_attention_gqa(const float* q, const float* keys, const float* values, __half* out, const unsigned char* visible,
                   int n, int committed, int pendingTotal, int heads, int kvHeads, int headDim, float scale) {
    __shared__ __align__(16) float smem[GQA_SHARED_FLOATS];
    switch (headDim) {
        case 32: gqa_attention<32>(smem, q, keys, values, out, visible, n, committed, pendingTotal, heads, kvHeads, scale); break;
        case 64: gqa_attention<64>(smem, q, keys, values, out, visible, n, committed, pendingTotal, heads, kvHeads, scale); break;
        case 96: gqa_attention<96>(smem, q, keys, values, out, visible, n, committed, pendingTotal, heads, kvHeads, scale); break;
        case 128: gqa_attention<128>(smem, q, keys, values, out, visible, n, committed, pendingTotal, heads, kvHeads, scale); break;
        case 160: gqa_attention<160>(smem, q, keys, values, out, visible, n, committed, pendingTotal, heads, kvHeads, scale); break;
        case 192: gqa_attention<192>(smem, q, keys, values, out, visible, n, committed, pendingTotal, heads, kvHeads, scale); break;
        case 224: gqa_attention<224>(smem, q, keys, values, out, visible, n, committed, pendingTotal, heads, kvHeads, scale); break;
        case 256: gqa_attention<256>(smem, q, keys, values, out, visible, n, committed, pendingTotal, heads, kvHeads, scale); break;
        default: break; // the launcher only passes the head sizes above (TreeAttentionKernel.GQA.supports)
    }
}

// KV row compaction: dst row i = src row rows[i], kvDim floats each (gather into scratch; the caller copies
// back), so keeping an accepted path never overlaps reads and writes. grid = count, block = BLOCK.
extern "C" __global__ void kv_gather_rows(const float* src, float* dst, const int* rows, int kvDim) {
    const float* s = src + (size_t)rows[blockIdx.x] * kvDim;
    float* d = dst + (size_t)blockIdx.x * kvDim;
    for (int i = threadIdx.x; i < kvDim; i += blockDim.x) d[i] = s[i];
}

// x (n, dim) fp32 = table[tokens[t]] (vocab, dim) fp16. grid = n, block = BLOCK.
extern "C" __global__ void embedding_gather_f16(const __half* table, const int* tokens, float* x, int dim) {
    const __half* row = table + (size_t)tokens[blockIdx.x] * dim;
    float* o = x + (size_t)blockIdx.x * dim;
    for (int i = threadIdx.x; i < dim; i += blockDim.x) o[i] = __half2float(row[i]);
}

// Q8_0 blocks (fp16 scale, 32 int8) -> fp16, blocks = elements / 32. One thread per element.
extern "C" __global__ void dequant_q8_0_f16(const uint8_t* src, __half* out, long blocks) {
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < blocks * 32; i += (long)gridDim.x * blockDim.x) {
        const uint8_t* blk = src + (i / 32) * 34;
        float scale = __half2float(__ushort_as_half((unsigned short)(blk[0] | (blk[1] << 8))));
        out[i] = __float2half(scale * (float)(int8_t)blk[2 + i % 32]);
    }
}

// Q4_0 blocks (fp16 scale, 16 bytes: element j low nibble, j+16 high nibble, offset 8) -> fp16.
extern "C" __global__ void dequant_q4_0_f16(const uint8_t* src, __half* out, long blocks) {
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < blocks * 32; i += (long)gridDim.x * blockDim.x) {
        const uint8_t* blk = src + (i / 32) * 18;
        float scale = __half2float(__ushort_as_half((unsigned short)(blk[0] | (blk[1] << 8))));
        int j = i % 32;
        int q = j < 16 ? (blk[2 + j] & 0x0F) : (blk[2 + j - 16] >> 4);
        out[i] = __float2half(scale * (float)(q - 8));
    }
}

// K-quant super-blocks (256 values; ggml's block_q2_K .. block_q6_K) -> fp16, blocks = elements / 256, one thread
// per element. The float arithmetic is ggml's dequantize_row_* in the same order with explicit round-to-nearest
// intrinsics (__fmul_rn, __fsub_rn) so nvcc cannot contract it into an FMA: the values equal the host decoder's
// (engine KQuantBlocks) bit for bit before the one rounding to fp16.
__device__ __forceinline__ float kq_half(const uint8_t* p) {
    return __half2float(__ushort_as_half((unsigned short)(p[0] | (p[1] << 8))));
}

// Q4_K / Q5_K 6-bit scale (min = false) or min of sub-block j from the 12 scale bytes.
__device__ __forceinline__ int kq_scale_min_k4(const uint8_t* s, int j, bool min) {
    if (j < 4) return s[j + (min ? 4 : 0)] & 63;
    return min ? (s[j + 4] >> 4) | ((s[j] >> 6) << 4) : (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
}

// Q2_K (84 bytes): scales[16] @0, qs[64] @16, d @80, dmin @82.
extern "C" __global__ void dequant_q2_K_f16(const uint8_t* src, __half* out, long blocks) {
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < blocks * 256; i += (long)gridDim.x * blockDim.x) {
        const uint8_t* b = src + (i / 256) * 84;
        int j = (int)(i % 256), n = j / 128, p = (j % 128) / 32, l = j % 32;
        int sc = b[8 * n + 2 * p + l / 16];
        int q = (b[16 + 32 * n + l] >> (2 * p)) & 3;
        float dl = __fmul_rn(kq_half(b + 80), (float)(sc & 0xF)), ml = __fmul_rn(kq_half(b + 82), (float)(sc >> 4));
        out[i] = __float2half_rn(__fsub_rn(__fmul_rn(dl, (float)q), ml));
    }
}

// Q3_K (110 bytes): hmask[32] @0, qs[64] @32, scales[12] @96 (16 six-bit scales biased by 32), d @108.
extern "C" __global__ void dequant_q3_K_f16(const uint8_t* src, __half* out, long blocks) {
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < blocks * 256; i += (long)gridDim.x * blockDim.x) {
        const uint8_t* b = src + (i / 256) * 110;
        int j = (int)(i % 256), n = j / 128, p = (j % 128) / 32, l = j % 32;
        int is = 8 * n + 2 * p + l / 16;
        const uint8_t* s = b + 96;
        int low4 = is < 8 ? s[is] & 0xF : s[is - 8] >> 4;
        int scale = (low4 | (((s[8 + (is & 3)] >> (2 * (is >> 2))) & 3) << 4)) - 32;
        int q = ((b[32 + 32 * n + l] >> (2 * p)) & 3) - (((b[l] >> (4 * n + p)) & 1) ? 0 : 4);
        float dl = __fmul_rn(kq_half(b + 108), (float)scale);
        out[i] = __float2half_rn(__fmul_rn(dl, (float)q));
    }
}

// Q4_K (144 bytes: d @0, dmin @2, scales[12] @4, qs[128] @16) and Q5_K (176: ..., qh[32] @16, qs[128] @48).
__device__ __forceinline__ float kq_q45(const uint8_t* b, int j, bool five) {
    int sub = j / 32, l = j % 32;
    const uint8_t* qs = b + (five ? 48 : 16);
    int q = (qs[32 * (sub / 2) + l] >> (4 * (sub & 1))) & 0xF;
    if (five) q |= ((b[16 + l] >> sub) & 1) << 4;
    float dl = __fmul_rn(kq_half(b), (float)kq_scale_min_k4(b + 4, sub, false));
    float ml = __fmul_rn(kq_half(b + 2), (float)kq_scale_min_k4(b + 4, sub, true));
    return __fsub_rn(__fmul_rn(dl, (float)q), ml);
}

extern "C" __global__ void dequant_q4_K_f16(const uint8_t* src, __half* out, long blocks) {
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < blocks * 256; i += (long)gridDim.x * blockDim.x)
        out[i] = __float2half_rn(kq_q45(src + (i / 256) * 144, (int)(i % 256), false));
}

extern "C" __global__ void dequant_q5_K_f16(const uint8_t* src, __half* out, long blocks) {
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < blocks * 256; i += (long)gridDim.x * blockDim.x)
        out[i] = __float2half_rn(kq_q45(src + (i / 256) * 176, (int)(i % 256), true));
}

// Q6_K (210 bytes): ql[128] @0, qh[64] @128, scales[16] int8 @192, d @208. x = (d * scale) * (q - 32).
extern "C" __global__ void dequant_q6_K_f16(const uint8_t* src, __half* out, long blocks) {
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < blocks * 256; i += (long)gridDim.x * blockDim.x) {
        const uint8_t* b = src + (i / 256) * 210;
        int j = (int)(i % 256), n = j / 128, p = (j % 128) / 32, l = j % 32;
        int lo = (b[64 * n + l + 32 * (p & 1)] >> (4 * (p >> 1))) & 0xF;
        int hi = (b[128 + 32 * n + l] >> (2 * p)) & 3;
        int sc = (int8_t)b[192 + 8 * n + l / 16 + 2 * p];
        float ds = __fmul_rn(kq_half(b + 208), (float)sc);
        out[i] = __float2half_rn(__fmul_rn(ds, (float)((lo | (hi << 4)) - 32)));
    }
}

extern "C" __global__ void f32_to_f16(const float* src, __half* out, long count) {
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < count; i += (long)gridDim.x * blockDim.x)
        out[i] = __float2half(src[i]);
}

extern "C" __global__ void f16_to_f32(const __half* src, float* out, long count) {
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < count; i += (long)gridDim.x * blockDim.x)
        out[i] = __half2float(src[i]);
}

extern "C" __global__ void bf16_to_f16(const unsigned short* src, __half* out, long count) {
    for (long i = blockIdx.x * (long)blockDim.x + threadIdx.x; i < count; i += (long)gridDim.x * blockDim.x)
        out[i] = __float2half(__uint_as_float(((unsigned int)src[i]) << 16));
}

// Logits copy-out: dst row i (vocab) = src row rows[i], packing the rows the caller wants into a contiguous
// buffer for one device-to-host copy. grid = count, block = BLOCK.
extern "C" __global__ void logits_copy_rows(const float* src, float* dst, const int* rows, int vocab) {
    const float* s = src + (size_t)rows[blockIdx.x] * vocab;
    float* d = dst + (size_t)blockIdx.x * vocab;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) d[i] = s[i];
}
