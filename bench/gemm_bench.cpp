// GEMM peak of this machine as LibTorch reaches it: torch::mm of square fp32 or bf16 matrices of
// several sizes (the best is the practical peak a training step can be held to), plus the
// theoretical peak of the ISA the CPU reports (cores × clock × FLOPs per cycle per core).
//   clipscale_bench_gemm --threads 2 --precision fp32|bf16 [--seconds 1] [--sizes 256,512,1024,2048]
// Prints one line per size and a summary:
//   peak_gflops=<float> best_size=<int> precision=<p> theoretical_gflops=<float> isa=<name>
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace {

// FLOPs per cycle per core of the widest path the CPU has for `bf16` or fp32 matmuls (two FMA
// pipes assumed, as on every x86 server core of the last decade): AVX2 FMA 2×8×2 = 32 fp32;
// AVX-512 2×16×2 = 64; AVX512-BF16 doubles that for bf16 (dot products of pairs); AMX-BF16 1024.
struct Isa {
  std::string name;
  double flops_per_cycle = 0;
};

Isa isa_of(bool bf16) {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, flags;
  while (std::getline(cpuinfo, line))
    if (line.rfind("flags", 0) == 0) {
      flags = " " + line.substr(line.find(':') + 1) + " ";
      break;
    }
  const auto has = [&](const char* f) { return flags.find(std::string(" ") + f + " ") != std::string::npos; };
  if (bf16 && has("amx_bf16")) return {"amx-bf16", 1024};
  if (bf16 && has("avx512_bf16")) return {"avx512-bf16", 128};
  if (has("avx512f")) return {bf16 ? "avx512f (bf16 converted)" : "avx512f", 64};
  if (has("avx2") && has("fma")) return {bf16 ? "avx2-fma (bf16 emulated)" : "avx2-fma", 32};
  return {"sse", 8};
}

double clock_ghz() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line))
    if (line.rfind("cpu MHz", 0) == 0) return std::stod(line.substr(line.find(':') + 1)) / 1000.0;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2;
  double seconds = 1.0;
  std::string precision = "fp32", sizes_text = "256,512,1024,2048";
  CLI::App app{"GEMM peak (torch::mm)"};
  app.add_option("--threads", threads);
  app.add_option("--seconds", seconds, "time per size");
  app.add_option("--precision", precision)->check(CLI::IsMember({"fp32", "bf16"}));
  app.add_option("--sizes", sizes_text, "comma-separated square sizes");
  CLI11_PARSE(app, argc, argv);
  torch::set_num_threads(threads);
  const auto dtype = precision == "bf16" ? torch::kBFloat16 : torch::kFloat32;
  double best = 0;
  int64_t best_size = 0;
  std::stringstream sizes(sizes_text);
  for (std::string item; std::getline(sizes, item, ',');) {
    const int64_t n = std::stoll(item);
    const at::Tensor a = torch::randn({n, n}).to(dtype), b = torch::randn({n, n}).to(dtype);
    at::Tensor c = torch::mm(a, b);  // warm-up: thread pool, packing buffers
    int64_t calls = 0;
    const auto start = std::chrono::steady_clock::now();
    double elapsed = 0;
    while (elapsed < seconds) {
      torch::mm_out(c, a, b);
      ++calls;
      elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    const double gflops = 2.0 * static_cast<double>(n * n * n) * static_cast<double>(calls) / elapsed / 1e9;
    std::printf("size=%lld gflops=%.1f\n", static_cast<long long>(n), gflops);
    if (gflops > best) best = gflops, best_size = n;
  }
  const Isa isa = isa_of(precision == "bf16");
  const int cores = std::min<int>(threads, static_cast<int>(std::thread::hardware_concurrency()));
  std::printf("peak_gflops=%.1f best_size=%lld precision=%s theoretical_gflops=%.1f isa=%s clock_ghz=%.2f cores=%d\n",
              best, static_cast<long long>(best_size), precision.c_str(), cores * clock_ghz() * isa.flops_per_cycle,
              isa.name.c_str(), clock_ghz(), cores);
  return 0;
}
