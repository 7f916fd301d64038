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
