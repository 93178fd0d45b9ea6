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

}  // namespace

TORCH_LIBRARY(qtlib, m) {
  m.def("quantize_per_token_int8(Tensor x) -> (Tensor, Tensor)");
  m.def("dynamic_int8_linear(Tensor x, Tensor weight_int8, Tensor weight_scale, Tensor? bias)"
        " -> Tensor");
}

TORCH_LIBRARY_IMPL(qtlib, CPU, m) {
  m.impl("quantize_per_token_int8", &quantize_per_token);
  m.impl("dynamic_int8_linear", &dynamic_int8_linear);
}
