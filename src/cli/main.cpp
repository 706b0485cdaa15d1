// clipscale: reproducible scaling-law research on CLIP-style contrastive models.
#include <malloc.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "cli/commands.h"
#include "core/env.h"
#include "core/error.h"
#include "core/log.h"

int main(int argc, char** argv) {
  // glibc serves allocations above 128 KiB with mmap and returns them with munmap, so every
  // step's activations would be mapped, page-faulted and unmapped again (measured: a large share
  // of step time on small models). Raising the thresholds keeps them on the heap for reuse.
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);

  CLI::App app{"clipscale: scaling-law research on CLIP-style contrastive image-text models"};
  app.set_version_flag("--version", std::string(clipscale::core::build_version()) + " (" +
                                        clipscale::core::build_git_sha() +
                                        (CLIPSCALE_WITH_TORCH ? ")" : ", LibTorch-free: sweep, fit, compare, report)"));
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
#if CLIPSCALE_WITH_TORCH
  clipscale::cli::setup_train(app);
  clipscale::cli::setup_eval(app);
  clipscale::cli::setup_tokenize(app);
  clipscale::cli::setup_embed(app);
  clipscale::cli::setup_export(app);
  clipscale::cli::setup_data(app);
#endif
  clipscale::cli::setup_fit(app);
  clipscale::cli::setup_compare(app);
  clipscale::cli::setup_report(app);
  clipscale::cli::setup_sweep(app);
  app.parse_complete_callback([&] { clipscale::core::init_logging(0, 1, log_level); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : clipscale::core::kUserErrorExitCode;
  } catch (const clipscale::core::UserError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return clipscale::core::kUserErrorExitCode;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "internal error: %s\n", e.what());
    return 1;
  }
  return 0;
}
