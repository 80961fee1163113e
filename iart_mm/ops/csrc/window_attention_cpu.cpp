// Fused window attention for CPU inference (float32, AVX-512): softmax(scale * q k^T + mask) v in one pass per
// block of 16 queries, with the head dim as a template parameter.
//
// Why: IART's Swin blocks attend within 3x8x8 windows (N = 192 tokens) with head dim 20. ATen's flash-attention
// CPU kernel does the two products as small GEMMs and the softmax as separate passes over the score tile; here
// the 16 queries of a block sit transposed in registers (one zmm per head channel), so both products are
// broadcast-FMAs vectorised over the queries with no padding of the odd head dim, and the mask add, max, exp
// and sum are fused into them. On IART's shapes (2 cores): 1.65x ATen's kernel alone, 1.33x inside the network,
// whose forward is ~10% shorter (docs/performance.md).
//
// Registered as torch.ops.iart_mm.window_attention_ (no pybind: the library only needs libtorch).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace {

#define IART_AVX512 __attribute__((target("avx512f")))

// exp(x) for float32, x <= 0 here (scores minus their row max). Cody-Waite reduction x = n ln2 + r, Cephes'
// expf polynomial for exp(r) on |r| <= ln2 / 2, then 2^n by scalef. Inputs are clamped at -87 (exp ~ 1.6e-38): a
// masked (-100) score's weight stays ~1e-38 instead of ~1e-44, far below float32 resolution of the row sum.
IART_AVX512 inline __m512 exp_nonpositive(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-87.0f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  return _mm512_scalef_ps(p, n);
}

struct Head {  // one (window, head): rows of q (Nq), k and v (N), each D floats with unit stride
  const float* q;
  const float* k;
  const float* v;
  int64_t q_row, k_row, v_row;  // row strides
};

// Queries i0..i0+15 of one (window, head). mask_t: this head's (N, Nq) transposed mask. scores: N * 16 floats.
// out: row i of the output at out + i * out_row.
template <int D>  // D even
IART_AVX512 void attend_16_queries(const Head& hd, const float* mask_t, int64_t nq, int64_t n, int64_t i0,
                                   float scale, float* scores, float* out, int64_t out_row) {
  __m512 qt[D];  // qt[d] = scale * q[i0..i0+15, d]
  {
    alignas(64) float tile[D][16];
    for (int r = 0; r < 16; ++r)
      for (int d = 0; d < D; ++d) tile[d][r] = hd.q[(i0 + r) * hd.q_row + d] * scale;
    for (int d = 0; d < D; ++d) qt[d] = _mm512_load_ps(tile[d]);
  }
  // scores[j] = mask[:, j] + sum_d k[j, d] qt[d], four keys at a time with two chains each (FMA latency);
  // written out for even D (every compiled D is), which the compiler keeps in registers
  __m512 row_max = _mm512_set1_ps(-INFINITY);
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const float* k0 = hd.k + j * hd.k_row;
    const float* k1 = k0 + hd.k_row;
    const float* k2 = k1 + hd.k_row;
    const float* k3 = k2 + hd.k_row;
    __m512 a0 = _mm512_loadu_ps(mask_t + j * nq + i0), a1 = _mm512_loadu_ps(mask_t + (j + 1) * nq + i0);
    __m512 a2 = _mm512_loadu_ps(mask_t + (j + 2) * nq + i0), a3 = _mm512_loadu_ps(mask_t + (j + 3) * nq + i0);
    __m512 b0 = _mm512_setzero_ps(), b1 = b0, b2 = b0, b3 = b0;
#pragma GCC unroll 16
    for (int d = 0; d < D; d += 2) {
      a0 = _mm512_fmadd_ps(_mm512_set1_ps(k0[d]), qt[d], a0);
      a1 = _mm512_fmadd_ps(_mm512_set1_ps(k1[d]), qt[d], a1);
      a2 = _mm512_fmadd_ps(_mm512_set1_ps(k2[d]), qt[d], a2);
      a3 = _mm512_fmadd_ps(_mm512_set1_ps(k3[d]), qt[d], a3);
      b0 = _mm512_fmadd_ps(_mm512_set1_ps(k0[d + 1]), qt[d + 1], b0);
      b1 = _mm512_fmadd_ps(_mm512_set1_ps(k1[d + 1]), qt[d + 1], b1);
      b2 = _mm512_fmadd_ps(_mm512_set1_ps(k2[d + 1]), qt[d + 1], b2);
      b3 = _mm512_fmadd_ps(_mm512_set1_ps(k3[d + 1]), qt[d + 1], b3);
    }
    a0 = _mm512_add_ps(a0, b0);
    a1 = _mm512_add_ps(a1, b1);
    a2 = _mm512_add_ps(a2, b2);
    a3 = _mm512_add_ps(a3, b3);
    _mm512_storeu_ps(scores + j * 16, a0);
    _mm512_storeu_ps(scores + (j + 1) * 16, a1);
    _mm512_storeu_ps(scores + (j + 2) * 16, a2);
    _mm512_storeu_ps(scores + (j + 3) * 16, a3);
    row_max = _mm512_max_ps(row_max, _mm512_max_ps(_mm512_max_ps(a0, a1), _mm512_max_ps(a2, a3)));
  }
  for (; j < n; ++j) {
    __m512 a = _mm512_loadu_ps(mask_t + j * nq + i0);
    for (int d = 0; d < D; ++d) a = _mm512_fmadd_ps(_mm512_set1_ps(hd.k[j * hd.k_row + d]), qt[d], a);
    _mm512_storeu_ps(scores + j * 16, a);
    row_max = _mm512_max_ps(row_max, a);
  }
  // p[j] = exp(scores[j] - max), in place, and their sum
  __m512 sum = _mm512_setzero_ps();
  for (j = 0; j < n; ++j) {
    const __m512 p = exp_nonpositive(_mm512_sub_ps(_mm512_loadu_ps(scores + j * 16), row_max));
    _mm512_storeu_ps(scores + j * 16, p);
    sum = _mm512_add_ps(sum, p);
  }
  // o[d] = sum_j p[j] v[j, d]: D accumulators in registers (the loops unrolled so that they stay there)
  __m512 o[D];
#pragma GCC unroll 32
  for (int d = 0; d < D; ++d) o[d] = _mm512_setzero_ps();
  for (j = 0; j < n; ++j) {
    const __m512 p = _mm512_loadu_ps(scores + j * 16);
    const float* vj = hd.v + j * hd.v_row;
#pragma GCC unroll 32
    for (int d = 0; d < D; ++d) o[d] = _mm512_fmadd_ps(_mm512_set1_ps(vj[d]), p, o[d]);
  }
  const __m512 inv = _mm512_div_ps(_mm512_set1_ps(1.0f), sum);
  alignas(64) float tile[D][16];
  for (int d = 0; d < D; ++d) _mm512_store_ps(tile[d], _mm512_mul_ps(o[d], inv));
  for (int r = 0; r < 16; ++r)
    for (int d = 0; d < D; ++d) out[(i0 + r) * out_row + d] = tile[d][r];
}

template <int D>
void run(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask_t, double scale,
         at::Tensor& out) {
  const int64_t windows = q.size(0), heads = q.size(1), nq = q.size(2), n = k.size(2);
  const int64_t blocks = nq / 16;
  const float* qp = q.data_ptr<float>();
  const float* kp = k.data_ptr<float>();
  const float* vp = v.data_ptr<float>();
  const float* mp = mask_t.data_ptr<float>();
  float* op = out.data_ptr<float>();
  const int64_t mask_head = mask_t.size(0) == 1 ? 0 : n * nq;
  const auto qs = q.strides(), ks = k.strides(), vs = v.strides(), os = out.strides();
  at::parallel_for(0, windows * heads * blocks, 1, [&](int64_t begin, int64_t end) {
    std::vector<float> scores(n * 16), kv(2 * n * D);
    int64_t packed = -1;
    for (int64_t task = begin; task < end; ++task) {
      const int64_t wh = task / blocks, w = wh / heads, h = wh % heads;
      if (wh != packed) {  // k and v rows of this (window, head), contiguous: streamed, not strided, reads
        const float* kw = kp + w * ks[0] + h * ks[1];
        const float* vw = vp + w * vs[0] + h * vs[1];
        for (int64_t j = 0; j < n; ++j) {
          std::copy(kw + j * ks[2], kw + j * ks[2] + D, kv.data() + j * D);
          std::copy(vw + j * vs[2], vw + j * vs[2] + D, kv.data() + (n + j) * D);
        }
        packed = wh;
      }
      const Head hd{qp + w * qs[0] + h * qs[1], kv.data(), kv.data() + n * D, qs[2], D, D};
      attend_16_queries<D>(hd, mp + h * mask_head, nq, n, task % blocks * 16, static_cast<float>(scale),
                           scores.data(), op + w * os[0] + h * os[2], os[1]);
    }
  });
}

bool supported() { return __builtin_cpu_supports("avx512f"); }

// q (W, H, Nq, D), k and v (W, H, N, D), float32 on CPU with unit stride on D; mask_t (1 or H, N, Nq) contiguous,
// the additive mask transposed; out (W, Nq, H, D) with unit stride on D, written in place.
void window_attention_(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask_t,
                       double scale, at::Tensor out) {
  TORCH_CHECK(supported(), "iart_mm.window_attention_: this CPU lacks AVX-512F");
  for (const at::Tensor* t : {&q, &k, &v, &mask_t, static_cast<const at::Tensor*>(&out)}) {
    TORCH_CHECK(t->device().is_cpu() && t->scalar_type() == at::kFloat,
                "iart_mm.window_attention_: expects float32 CPU tensors");
  }
  TORCH_CHECK(q.dim() == 4 && k.dim() == 4 && v.dim() == 4 && out.dim() == 4 && mask_t.dim() == 3,
              "iart_mm.window_attention_: expects 4-d q, k, v, out and a 3-d mask");
  const int64_t windows = q.size(0), heads = q.size(1), nq = q.size(2), d = q.size(3), n = k.size(2);
  TORCH_CHECK(k.sizes() == v.sizes() && k.size(0) == windows && k.size(1) == heads && k.size(3) == d,
              "iart_mm.window_attention_: k and v must be (W, H, N, D) like q");
  TORCH_CHECK(out.size(0) == windows && out.size(1) == nq && out.size(2) == heads && out.size(3) == d,
              "iart_mm.window_attention_: out must be (W, Nq, H, D)");
  TORCH_CHECK((mask_t.size(0) == 1 || mask_t.size(0) == heads) && mask_t.size(1) == n && mask_t.size(2) == nq &&
                  mask_t.is_contiguous(),
              "iart_mm.window_attention_: mask_t must be a contiguous (1 or H, N, Nq) tensor");
  TORCH_CHECK(nq % 16 == 0, "iart_mm.window_attention_: Nq must be a multiple of 16");
  TORCH_CHECK(q.stride(3) == 1 && k.stride(3) == 1 && v.stride(3) == 1 && out.stride(3) == 1,
              "iart_mm.window_attention_: the last dim of q, k, v and out must have unit stride");
  switch (d) {
    case 8: return run<8>(q, k, v, mask_t, scale, out);
    case 12: return run<12>(q, k, v, mask_t, scale, out);
    case 16: return run<16>(q, k, v, mask_t, scale, out);
    case 20: return run<20>(q, k, v, mask_t, scale, out);
    case 24: return run<24>(q, k, v, mask_t, scale, out);
    case 32: return run<32>(q, k, v, mask_t, scale, out);
    default: TORCH_CHECK(false, "iart_mm.window_attention_: head dim ", d, " not compiled (8, 12, 16, 20, 24, 32)");
  }
}

}  // namespace

TORCH_LIBRARY(iart_mm, m) {
  m.def("window_attention_(Tensor q, Tensor k, Tensor v, Tensor mask_t, float scale, Tensor(a!) out) -> ()");
  m.def("window_attention_supported() -> bool", &supported);
}

TORCH_LIBRARY_IMPL(iart_mm, CPU, m) { m.impl("window_attention_", window_attention_); }
