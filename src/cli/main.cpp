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
  // Large activations would otherwise go through mmap/munmap on every step and page-fault
  // (reference/platform.md P9): keep them on the heap.
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);

  CLI::App app{"clipscale: scaling-law research on CLIP-style contrastive image-text models"};
  app.set_version_flag("--version",
                       std::string(clipscale::core::build_version()) + " (" + clipscale::core::build_git_sha() + ")");
  app.require_subcommand(1);
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  clipscale::cli::setup_train(app);
  clipscale::cli::setup_tokenize(app);
  clipscale::cli::setup_embed(app);
  clipscale::cli::setup_export(app);
  clipscale::cli::setup_data(app);
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
