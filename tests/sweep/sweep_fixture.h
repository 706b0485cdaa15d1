// The common set-up of the sweep tests: a scratch folder, the fake resolver, a base run config
// (model m/small.json, D = 100, S = 64, results in <scratch>/results; its path holds a space) and
// plans of sweep files written on the fly.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "fake_resolver.h"
#include "support/process.h"
#include "support/scratch_dir.h"
#include "sweep/plan.h"
#include "sweep/sweep_spec.h"

namespace clipscale::testing {

class SweepFixture : public ::testing::Test {
 protected:
  SweepFixture() {
    write_text(base_, "[run]\noutput_dir = \"" + results_ +
                          "\"\n[model]\nconfig = \"m/small.json\"\n"
                          "[data]\ndata_size = 100\n[train]\nsamples_seen = 64\n");
  }

  /// Writes <scratch>/sweep.toml ([sweep] name and base, then `body`) and plans it.
  sweep::Plan plan_sweep(const std::string& name, const std::string& body, const std::string& output_dir = "") {
    write_text(sweep_file_, "[sweep]\nname = " + config::format_string(name) +
                                "\nbase = " + config::format_string(base_) + "\n" + body);
    return sweep::make_plan(sweep::load_sweep_spec(sweep_file_, resolver_.schema()), resolver_, output_dir);
  }

  ScratchDir scratch_;
  FakeResolver resolver_;
  const std::string base_ = scratch_.file("base config.toml");
  const std::string results_ = scratch_.file("results");
  const std::string sweep_file_ = scratch_.file("sweep.toml");
};

}  // namespace clipscale::testing
