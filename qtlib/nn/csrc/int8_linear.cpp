// qtlib's fused dynamic int8 linear for CPU, registered as torch.ops.qtlib.*.
//
// Same numbers as the readable path in qtlib/nn/_int8.py (quantize_per_token_int8 + int8_linear):
//   scale[m] = max(max_k |x[m, k]| / 127, eps)            (float32)
//   q[m, k]  = nearbyint(x[m, k] * (1 / scale[m]))        (float32 reciprocal, half-to-even)
//   acc      = q @ w.T                                    (int32: at::_int_mm, or oneDNN's GEMM
//                                                          on a weight prepacked once)
//   y[m, n]  = acc[m, n] * scale[m] * w_scale[n] + bias[n] (float32)
// One pass over x (row max, then quantize while the row is in cache), the int8 GEMM, and one
// pass over the result: three passes over memory instead of ~12 separate torch ops. The op
// takes only ordinary tensors (the prepacked weight is cached here, keyed by the weight), so it
// has a shape-only fake and torch.compile keeps a quantized model in one graph.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <c10/util/intrusive_ptr.h>
#include <torch/library.h>

#include <cfloat>
#include <cmath>
#include <algorithm>
#include <cstdint>
#include <cstring>
#if defined(__AVX512BW__)
#include <immintrin.h>
#endif
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace {

void check_x(const at::Tensor& x) {
  TORCH_CHECK(x.device().is_cpu(), "qtlib int8 kernels: x must be a CPU tensor");
  TORCH_CHECK(x.scalar_type() == at::kFloat, "qtlib int8 kernels: x must be float32, got ",
              x.scalar_type());
  TORCH_CHECK(x.dim() == 2, "qtlib int8 kernels: x must be 2-D [M, K], got ", x.dim(), "-D");
}

// Rows per parallel task: about 32K elements, so small inputs stay on one thread (a fork-join
// costs more than the work) and large ones use every thread.
int64_t grain_rows(int64_t cols) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, cols)); }

// q [M, K] int8 and scale [M] float32 from x [M, K] float32 (contiguous). The loops are written
// for the compiler's vectorizer (omp simd; nearbyintf becomes a vector round-to-nearest-even).
void quantize_rows(const float* x, int8_t* q, float* scale, int64_t M, int64_t K) {
  at::parallel_for(0, M, grain_rows(K), [&](int64_t begin, int64_t end) {
    for (int64_t m = begin; m < end; ++m) {
      const float* row = x + m * K;
      float amax = 0.0f;
#pragma omp simd reduction(max : amax)
      for (int64_t k = 0; k < K; ++k) {
        amax = std::max(amax, std::fabs(row[k]));
      }
      float s = amax / 127.0f;
      s = s > FLT_EPSILON ? s : FLT_EPSILON;
      const float inv = 1.0f / s;
      int8_t* qrow = q + m * K;
#pragma omp simd
      for (int64_t k = 0; k < K; ++k) {
        qrow[k] = static_cast<int8_t>(static_cast<int32_t>(std::nearbyintf(row[k] * inv)));
      }
      scale[m] = s;
    }
  });
}

std::tuple<at::Tensor, at::Tensor> quantize_per_token(const at::Tensor& x_in) {
  check_x(x_in);
  const at::Tensor x = x_in.contiguous();
  const int64_t M = x.size(0), K = x.size(1);
  at::Tensor q = at::empty({M, K}, x.options().dtype(at::kChar));
  at::Tensor scale = at::empty({M, 1}, x.options());
  quantize_rows(x.data_ptr<float>(), q.data_ptr<int8_t>(), scale.data_ptr<float>(), M, K);
  return {q, scale};
}

// oneDNN's prepacked copy of an int8 weight, kept per weight tensor. The key is the weight's
// TensorImpl, held weakly (a freed weight's entry expires and is dropped, its address can never
// alias a new weight's), plus its data pointer and version counter (an in-place change such as
// load_state_dict's copy_ repacks). Inference tensors have no version counter: never cached.
struct PackedWeight {
  c10::weak_intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl> owner;
  const void* data;
  int64_t version;
  at::Tensor packed;
  at::Tensor zero_points;
};

std::mutex g_pack_mutex;
std::unordered_map<const c10::TensorImpl*, PackedWeight> g_packed;

std::optional<c10::OperatorHandle> onednn_op(const char* name) {
  try {
    return c10::Dispatcher::singleton().findSchemaOrThrow(name, "");
  } catch (const c10::Error&) {
    return std::nullopt;  // torch built without oneDNN: _int_mm only
  }
}

// (packed weight, int64 zero-points [N]) for w, packing on first use; nullopt when oneDNN is
// missing or w cannot be keyed (an inference tensor).
std::optional<std::pair<at::Tensor, at::Tensor>> packed_weight(const at::Tensor& w) {
  static const std::optional<c10::OperatorHandle> prepack = onednn_op("onednn::qlinear_prepack");
  if (!prepack.has_value() || w.is_inference()) {
    return std::nullopt;
  }
  const c10::TensorImpl* impl = w.unsafeGetTensorImpl();
  const int64_t version = static_cast<int64_t>(impl->version_counter().current_version());
  std::lock_guard<std::mutex> lock(g_pack_mutex);
  auto found = g_packed.find(impl);
  if (found != g_packed.end() && !found->second.owner.expired() &&
      found->second.data == w.data_ptr() && found->second.version == version) {
    return std::make_pair(found->second.packed, found->second.zero_points);
  }
  for (auto it = g_packed.begin(); it != g_packed.end();) {  // drop entries of freed weights
    it = it->second.owner.expired() ? g_packed.erase(it) : std::next(it);
  }
  torch::jit::Stack stack;
  stack.emplace_back(w);
  stack.emplace_back(c10::IValue());
  prepack->callBoxed(&stack);
  PackedWeight entry{c10::weak_intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl>(
                         w.getIntrusivePtr()),
                     w.data_ptr(), version, stack.back().toTensor(),
                     at::zeros({w.size(0)}, w.options().dtype(at::kLong))};
  g_packed.erase(impl);
  g_packed.emplace(impl, entry);
  return std::make_pair(entry.packed, entry.zero_points);
}

// acc[m, n] * w_scale[n] as float32 [M, N] from oneDNN's int8 GEMM on a prepacked weight
// (signed int8 activations, zero-point 0, activation scale 1, per-channel weight scales).
at::Tensor onednn_scaled_gemm(const at::Tensor& q, const at::Tensor& packed,
                              const at::Tensor& w_scale, const at::Tensor& zero_points) {
  static const std::optional<c10::OperatorHandle> op = onednn_op("onednn::qlinear_pointwise");
  TORCH_CHECK(op.has_value(), "qtlib int8 kernels: oneDNN's qlinear_pointwise is missing");
  torch::jit::Stack stack;
  stack.reserve(13);
  stack.emplace_back(q);
  stack.emplace_back(1.0);
  stack.emplace_back(static_cast<int64_t>(0));
  stack.emplace_back(packed);
  stack.emplace_back(w_scale);
  stack.emplace_back(zero_points);
  stack.emplace_back(c10::IValue());
  stack.emplace_back(1.0);
  stack.emplace_back(static_cast<int64_t>(0));
  stack.emplace_back(at::kFloat);
  stack.emplace_back(std::string("none"));
  stack.emplace_back(c10::List<std::optional<at::Scalar>>());
  stack.emplace_back(std::string(""));
  op->callBoxed(&stack);
  at::Tensor y = stack.back().toTensor();
  TORCH_CHECK(y.scalar_type() == at::kFloat && y.is_contiguous() && y.size(0) == q.size(0) &&
                  y.size(1) == w_scale.numel(),
              "qtlib int8 kernels: unexpected oneDNN output");
  return y;
}

// Which int8 GEMM: measured on MiniLM's linear shapes (one layer's four 384x384 and two
// 384<->1536 linears, the fused op with each GEMM, 2 threads; bench/int8_minilm.py): _int_mm is
// faster below 48 rows (oneDNN has a higher per-call cost), the two are even up to 96 and
// oneDNN's prepacked GEMM is faster from 128 rows on (1.6x at 512 rows on the 1536x384 shape).
bool use_onednn(const std::string& gemm, int64_t M) {
  if (gemm == "int_mm") return false;
  if (gemm == "onednn") return true;
  TORCH_CHECK(gemm == "auto", "qtlib int8 kernels: gemm must be 'auto', 'int_mm' or 'onednn', got '",
              gemm, "'");
  return M >= 64;
}

at::Tensor dynamic_int8_linear(const at::Tensor& x_in, const at::Tensor& w,
                               const at::Tensor& w_scale, const std::optional<at::Tensor>& bias,
                               c10::string_view gemm_name) {
  check_x(x_in);
  TORCH_CHECK(w.scalar_type() == at::kChar && w.dim() == 2 && w.is_contiguous(),
              "qtlib int8 kernels: weight must be a contiguous int8 [N, K] tensor");
  const at::Tensor x = x_in.contiguous();
  const int64_t M = x.size(0), K = x.size(1), N = w.size(0);
  TORCH_CHECK(w.size(1) == K, "qtlib int8 kernels: weight is [", N, ", ", w.size(1),
              "] but x has K = ", K);
  TORCH_CHECK(K >= 2, "qtlib int8 kernels: need K >= 2 (torch._int_mm is wrong for K == 1)");
  TORCH_CHECK(w_scale.scalar_type() == at::kFloat && w_scale.numel() == N &&
                  w_scale.is_contiguous(),
              "qtlib int8 kernels: weight_scale must be a contiguous float32 [N] tensor");
  const float* b = nullptr;
  if (bias.has_value() && bias->defined()) {
    TORCH_CHECK(bias->scalar_type() == at::kFloat && bias->numel() == N && bias->is_contiguous(),
                "qtlib int8 kernels: bias must be a contiguous float32 [N] tensor");
    b = bias->data_ptr<float>();
  }
  const std::string gemm(gemm_name);
  at::Tensor q = at::empty({M, K}, x.options().dtype(at::kChar));
  at::Tensor scale = at::empty({M}, x.options());
  quantize_rows(x.data_ptr<float>(), q.data_ptr<int8_t>(), scale.data_ptr<float>(), M, K);
  const float* sx = scale.data_ptr<float>();
  if (M > 0 && use_onednn(gemm, M)) {
    const auto packed = packed_weight(w);
    TORCH_CHECK(packed.has_value() || gemm == "auto",
                "qtlib int8 kernels: gemm='onednn' needs oneDNN and a weight that is not an "
                "inference tensor");
    if (packed.has_value()) {
      // y = (acc * w_scale) * scale[m] + bias, in place on oneDNN's output
      at::Tensor y = onednn_scaled_gemm(q, packed->first, w_scale, packed->second);
      float* out = y.data_ptr<float>();
      at::parallel_for(0, M, grain_rows(N), [&](int64_t begin, int64_t end) {
        for (int64_t m = begin; m < end; ++m) {
          float* orow = out + m * N;
          const float s = sx[m];
          if (b != nullptr) {
#pragma omp simd
            for (int64_t n = 0; n < N; ++n) orow[n] = orow[n] * s + b[n];
          } else {
#pragma omp simd
            for (int64_t n = 0; n < N; ++n) orow[n] = orow[n] * s;
          }
        }
      });
      return y;
    }
  }
  const at::Tensor acc = at::_int_mm(q, w.t());  // int32 [M, N]
  at::Tensor y = at::empty({M, N}, x.options());
  const int32_t* a = acc.data_ptr<int32_t>();
  const float* sw = w_scale.data_ptr<float>();
  float* out = y.data_ptr<float>();
  at::parallel_for(0, M, grain_rows(N), [&](int64_t begin, int64_t end) {
    for (int64_t m = begin; m < end; ++m) {
      const int32_t* arow = a + m * N;
      float* orow = out + m * N;
      const float s = sx[m];
      if (b != nullptr) {
#pragma omp simd
        for (int64_t n = 0; n < N; ++n) orow[n] = static_cast<float>(arow[n]) * s * sw[n] + b[n];
      } else {
#pragma omp simd
        for (int64_t n = 0; n < N; ++n) orow[n] = static_cast<float>(arow[n]) * s * sw[n];
      }
    }
  });
  return y;
}

// Weight-only int4 (qtlib.nn.WeightOnlyLinear's fast path) in one call from Python:
// x float32 [M, K] -> bfloat16, torch's CPU int4 kernel (packed by
// _convert_weight_to_int4pack_for_cpu, bfloat16 scales_and_zeros [K / group, N, 2]), then
// float32 and the float32 bias. Saves four Python-level dispatches per linear, which is most of
// the time at TinyGPT's sizes.
at::Tensor int4_weight_only_linear(const at::Tensor& x, const at::Tensor& packed,
                                   int64_t group_size, const at::Tensor& scales_and_zeros,
                                   const std::optional<at::Tensor>& bias) {
  TORCH_CHECK(x.dim() == 2 && x.is_floating_point(),
              "qtlib int4 kernel: x must be a 2-D floating-point tensor [M, K]");
  at::Tensor y = at::_weight_int4pack_mm_for_cpu(x.to(at::kBFloat16), packed, group_size,
                                                 scales_and_zeros)
                     .to(at::kFloat);
  if (bias.has_value() && bias->defined()) {
    y.add_(*bias);
  }
  return y;
}

// float32 -> bfloat16 bits, round to nearest even (finite inputs: the scales are finite).
inline uint16_t bfloat16_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  u += 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

// Weight-only int4 for many rows: dequantize qtlib's packed codes (uint8 [N, ceil(K / 2)], code
// k in the low nibble of byte k / 2 when k is even, the high nibble when odd, signed 4-bit) times
// the per-group scales (float32 [N, K / group]) into a bfloat16 [N, K] temporary, then one
// bfloat16 GEMM (oneDNN, AMX / AVX-512 BF16 where the CPU has them), float32 out plus the float32
// bias. The weight stays int4 at rest; the temporary lives for one call. At a few rows torch's
// int4 kernel (above) is faster; from about 16 rows on this one is (qtlib.nn.weight_only).
at::Tensor int4_dequant_linear(const at::Tensor& x, const at::Tensor& weight_packed,
                               const at::Tensor& weight_scale, int64_t group_size,
                               const std::optional<at::Tensor>& bias) {
  TORCH_CHECK(x.dim() == 2 && x.is_floating_point(),
              "qtlib int4 kernel: x must be a 2-D floating-point tensor [M, K]");
  TORCH_CHECK(weight_packed.scalar_type() == at::kByte && weight_packed.dim() == 2 &&
                  weight_packed.is_contiguous(),
              "qtlib int4 kernel: weight_packed must be a contiguous uint8 [N, ceil(K / 2)] tensor");
  const int64_t K = x.size(1), N = weight_packed.size(0), width = weight_packed.size(1);
  TORCH_CHECK(width == (K + 1) / 2, "qtlib int4 kernel: weight_packed is [", N, ", ", width,
              "] but x has K = ", K);
  TORCH_CHECK(group_size >= 1 && K % group_size == 0,
              "qtlib int4 kernel: group_size must divide K");
  TORCH_CHECK(weight_scale.scalar_type() == at::kFloat && weight_scale.is_contiguous() &&
                  weight_scale.numel() == N * (K / group_size),
              "qtlib int4 kernel: weight_scale must be a contiguous float32 [N, K / group_size]");
  at::Tensor w = at::empty({N, K}, x.options().dtype(at::kBFloat16));
  const uint8_t* src = weight_packed.data_ptr<uint8_t>();
  const float* scale = weight_scale.data_ptr<float>();
  c10::BFloat16* dst = w.data_ptr<c10::BFloat16>();
  const int64_t groups = K / group_size;
  // Per group, the 16 possible weights code * scale (code -8..7) rounded to bfloat16 once; each
  // byte then gives two weights by two table reads (no per-element multiply or rounding).
  at::parallel_for(0, N, grain_rows(K), [&](int64_t begin, int64_t end) {
    uint16_t lut[16];
    for (int64_t n = begin; n < end; ++n) {
      const uint8_t* row = src + n * width;
      const float* srow = scale + n * groups;
      uint16_t* out = reinterpret_cast<uint16_t*>(dst + n * K);
      for (int64_t g = 0; g < groups; ++g) {
#pragma omp simd
        for (int32_t nibble = 0; nibble < 16; ++nibble) {
          lut[nibble] = bfloat16_bits(static_cast<float>((nibble ^ 8) - 8) * srow[g]);
        }
        const int64_t k0 = g * group_size, k1 = k0 + group_size;
        int64_t k = k0;
#if defined(__AVX512BW__)
        // 32 codes (16 bytes) at a time: widen the nibbles to 16-bit indices in code order and
        // look the 32 weights up in the 16-entry table with one permute.
        if ((k & 1) == 0) {
          const __m512i table = _mm512_castsi256_si512(
              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(lut)));
          const __m256i low4 = _mm256_set1_epi16(0xF);
          for (; k + 32 <= k1; k += 32) {
            const __m256i b16 = _mm256_cvtepu8_epi16(
                _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + (k >> 1))));
            const __m256i pairs = _mm256_or_si256(_mm256_and_si256(b16, low4),
                                                  _mm256_slli_epi16(_mm256_srli_epi16(b16, 4), 8));
            const __m512i idx = _mm512_cvtepu8_epi16(pairs);
            _mm512_storeu_si512(out + k, _mm512_permutexvar_epi16(idx, table));
          }
        }
#endif
        if ((k & 1) == 0) {
          for (; k + 1 < k1; k += 2) {
            const uint8_t byte = row[k >> 1];
            out[k] = lut[byte & 0xF];
            out[k + 1] = lut[byte >> 4];
          }
        }
        for (; k < k1; ++k) {  // odd group sizes: one nibble at a time
          out[k] = lut[(row[k >> 1] >> ((k & 1) * 4)) & 0xF];
        }
      }
    }
  });
  at::Tensor y = at::linear(x.to(at::kBFloat16), w).to(at::kFloat);
  if (bias.has_value() && bias->defined()) {
    y.add_(*bias);
  }
  return y;
}

}  // namespace

TORCH_LIBRARY(qtlib, m) {
  m.def("quantize_per_token_int8(Tensor x) -> (Tensor, Tensor)");
  m.def("dynamic_int8_linear(Tensor x, Tensor weight_int8, Tensor weight_scale, Tensor? bias,"
        " str gemm='auto') -> Tensor");
  m.def("int4_weight_only_linear(Tensor x, Tensor packed_weight, int group_size,"
        " Tensor scales_and_zeros, Tensor? bias) -> Tensor");
  m.def("int4_dequant_linear(Tensor x, Tensor weight_packed, Tensor weight_scale, int group_size,"
        " Tensor? bias) -> Tensor");
}

TORCH_LIBRARY_IMPL(qtlib, CPU, m) {
  m.impl("quantize_per_token_int8", &quantize_per_token);
  m.impl("dynamic_int8_linear", &dynamic_int8_linear);
  m.impl("int4_weight_only_linear", &int4_weight_only_linear);
  m.impl("int4_dequant_linear", &int4_dequant_linear);
}
