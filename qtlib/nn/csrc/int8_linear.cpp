// qtlib's fused dynamic int8 linear for CPU, registered as torch.ops.qtlib.*.
//
// Same numbers as the readable path in qtlib/nn/_int8.py (quantize_per_token_int8 + int8_linear):
//   scale[m] = max(max_k |x[m, k]| / 127, eps)            (float32)
//   q[m, k]  = nearbyint(x[m, k] * (1 / scale[m]))        (float32 reciprocal, half-to-even)
//   acc      = q @ w.T                                    (int32, at::_int_mm: oneDNN VNNI/AMX)
//   y[m, n]  = acc[m, n] * scale[m] * w_scale[n] + bias[n] (float32)
// One pass over x (row max, then quantize while the row is in cache), the int8 GEMM, and one
// pass over the int32 result: three passes over memory instead of ~12 separate torch ops.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/library.h>

#include <cfloat>
#include <cmath>
#include <algorithm>
#include <cstdint>
#include <tuple>

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

at::Tensor dynamic_int8_linear(const at::Tensor& x_in, const at::Tensor& w,
                               const at::Tensor& w_scale, const std::optional<at::Tensor>& bias) {
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
  at::Tensor q = at::empty({M, K}, x.options().dtype(at::kChar));
  at::Tensor scale = at::empty({M}, x.options());
  quantize_rows(x.data_ptr<float>(), q.data_ptr<int8_t>(), scale.data_ptr<float>(), M, K);
  const at::Tensor acc = at::_int_mm(q, w.t());  // int32 [M, N]
  at::Tensor y = at::empty({M, N}, x.options());
  const int32_t* a = acc.data_ptr<int32_t>();
  const float* sx = scale.data_ptr<float>();
  const float* sw = w_scale.data_ptr<float>();
  float* out = y.data_ptr<float>();
  at::parallel_for(0, M, grain_rows(N), [&](int64_t begin, int64_t end) {
    for (int64_t m = begin; m < end; ++m) {
      const int32_t* arow = a + m * N;
      float* orow = out + m * N;
      const float s = sx[m];
      if (b != nullptr) {
#pragma omp simd
        for (int64_t n = 0; n < N; ++n) {
          orow[n] = static_cast<float>(arow[n]) * s * sw[n] + b[n];
        }
      } else {
#pragma omp simd
        for (int64_t n = 0; n < N; ++n) {
          orow[n] = static_cast<float>(arow[n]) * s * sw[n];
        }
      }
    }
  });
  return y;
}

// The same linear with the int8 GEMM done by oneDNN on a weight prepacked once
// (torch.ops.onednn.qlinear_prepack): signed int8 activations with zero-point 0 and activation
// scale 1, per-channel weight scales, float32 output. oneDNN returns acc[m, n] * w_scale[n]
// (int32 accumulation, then float32); the per-token scale and the bias are applied here in one
// pass, in place: y = (acc * w_scale) * scale[m] + bias. Saves _int_mm's per-call weight reorder
// and the int32 temporary.
at::Tensor dynamic_int8_linear_packed(const at::Tensor& x_in, const at::Tensor& packed,
                                      const at::Tensor& w_scale, const at::Tensor& w_zero_point,
                                      const std::optional<at::Tensor>& bias) {
  check_x(x_in);
  const at::Tensor x = x_in.contiguous();
  const int64_t M = x.size(0), K = x.size(1), N = w_scale.numel();
  TORCH_CHECK(K >= 2, "qtlib int8 kernels: need K >= 2");
  TORCH_CHECK(w_scale.scalar_type() == at::kFloat && w_scale.is_contiguous(),
              "qtlib int8 kernels: weight_scale must be a contiguous float32 [N] tensor");
  const float* b = nullptr;
  if (bias.has_value() && bias->defined()) {
    TORCH_CHECK(bias->scalar_type() == at::kFloat && bias->numel() == N && bias->is_contiguous(),
                "qtlib int8 kernels: bias must be a contiguous float32 [N] tensor");
    b = bias->data_ptr<float>();
  }
  at::Tensor q = at::empty({M, K}, x.options().dtype(at::kChar));
  at::Tensor scale = at::empty({M}, x.options());
  quantize_rows(x.data_ptr<float>(), q.data_ptr<int8_t>(), scale.data_ptr<float>(), M, K);
  static const c10::OperatorHandle op =
      c10::Dispatcher::singleton().findSchemaOrThrow("onednn::qlinear_pointwise", "");
  torch::jit::Stack stack;
  stack.reserve(13);
  stack.emplace_back(q);
  stack.emplace_back(1.0);
  stack.emplace_back(static_cast<int64_t>(0));
  stack.emplace_back(packed);
  stack.emplace_back(w_scale);
  stack.emplace_back(w_zero_point);
  stack.emplace_back(c10::IValue());
  stack.emplace_back(1.0);
  stack.emplace_back(static_cast<int64_t>(0));
  stack.emplace_back(at::kFloat);
  stack.emplace_back(std::string("none"));
  stack.emplace_back(c10::List<std::optional<at::Scalar>>());
  stack.emplace_back(std::string(""));
  op.callBoxed(&stack);
  at::Tensor y = stack.back().toTensor();
  TORCH_CHECK(y.scalar_type() == at::kFloat && y.is_contiguous() && y.size(0) == M &&
                  y.size(1) == N,
              "qtlib int8 kernels: unexpected oneDNN output");
  const float* sx = scale.data_ptr<float>();
  float* out = y.data_ptr<float>();
  at::parallel_for(0, M, grain_rows(N), [&](int64_t begin, int64_t end) {
    for (int64_t m = begin; m < end; ++m) {
      float* orow = out + m * N;
      const float s = sx[m];
      if (b != nullptr) {
#pragma omp simd
        for (int64_t n = 0; n < N; ++n) {
          orow[n] = orow[n] * s + b[n];
        }
      } else {
#pragma omp simd
        for (int64_t n = 0; n < N; ++n) {
          orow[n] = orow[n] * s;
        }
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

}  // namespace

TORCH_LIBRARY(qtlib, m) {
  m.def("quantize_per_token_int8(Tensor x) -> (Tensor, Tensor)");
  m.def("dynamic_int8_linear(Tensor x, Tensor weight_int8, Tensor weight_scale, Tensor? bias)"
        " -> Tensor");
  m.def("int4_weight_only_linear(Tensor x, Tensor packed_weight, int group_size,"
        " Tensor scales_and_zeros, Tensor? bias) -> Tensor");
  m.def("dynamic_int8_linear_packed(Tensor x, Tensor packed_weight, Tensor weight_scale,"
        " Tensor weight_zero_point, Tensor? bias) -> Tensor");
}

TORCH_LIBRARY_IMPL(qtlib, CPU, m) {
  m.impl("quantize_per_token_int8", &quantize_per_token);
  m.impl("dynamic_int8_linear", &dynamic_int8_linear);
  m.impl("int4_weight_only_linear", &int4_weight_only_linear);
}

// The prepacked oneDNN weight is an MkldnnCPU tensor, so this op dispatches on that key.
TORCH_LIBRARY_IMPL(qtlib, MkldnnCPU, m) {
  m.impl("dynamic_int8_linear_packed", &dynamic_int8_linear_packed);
}
