#include "sweep/shell_quote.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "support/process.h"
#include "support/scratch_dir.h"

namespace clipscale::sweep {
namespace {

namespace fs = std::filesystem;

/// Names a hostile user (or an unlucky one) might give a sweep or a folder; each would run
/// `touch <dir>/INJECTED` if a shell evaluated it.
std::vector<std::string> hostile_values(const std::string& dir) {
  const std::string touch = "touch '" + dir + "/INJECTED'";
  return {"my sweep",
          "it's",
          "\"double\" quotes",
          "$(" + touch + ")",
          "`" + touch + "`",
          "a; " + touch,
          "a && " + touch + " || true",
          "x' ; " + touch + " ; echo '",
          "$HOME ${PATH} $((1+1)) ~ *",
          "back\\slash\\",
          "new\nline",
          "tab\there",
          "-n",
          "",
          "'",
          "''",
          "\\'",
          "%d %s %% {a,b} [ab] !event #comment"};
}

TEST(ShellQuote, LeavesPlainWordsAlone) {
  EXPECT_EQ(shell_quote("run-1"), "run-1");
  EXPECT_EQ(shell_quote("results/quick_start/runs/clip-w64-l2-0123456789ab.h5"),
            "results/quick_start/runs/clip-w64-l2-0123456789ab.h5");
  EXPECT_EQ(shell_quote("train.samples_seen=32000"), "train.samples_seen=32000");
}

TEST(ShellQuote, SingleQuotesEverythingElse) {
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("$(rm -rf ~)"), "'$(rm -rf ~)'");
  EXPECT_EQ(shell_quote("model.config=\"a.json\""), "'model.config=\"a.json\"'");
}

TEST(ShellQuote, HostileValuesReachBashAsOneLiteralWord) {
  testing::ScratchDir scratch;
  const std::string dir = scratch.path().string();
  for (const std::string& value : hostile_values(dir)) {
    // printf prints its one argument verbatim, and "|" marks where each argument ends.
    const std::string script = "printf '%s|' " + shell_quote(value);
    const auto r = testing::run_command("bash -c " + shell_quote(script));
    EXPECT_EQ(r.exit_code, 0) << value;
    EXPECT_EQ(r.output, value + "|") << "quoted as " << shell_quote(value);
  }
  EXPECT_FALSE(fs::exists(scratch.path() / "INJECTED")) << "a quoted value ran a command";
}

TEST(RenderScript, QuotesEveryValueOfATemplate) {
  testing::ScratchDir scratch;
  const std::string dir = scratch.path().string();
  const std::string script_path = scratch.file("script.sh");
  for (const std::string& value : hostile_values(dir)) {
    const std::string text =
        render_script("#!/bin/bash\nname=@NAME@\nprintf '%s|' \"$name\" @NAME@\n", {{"NAME", value}}, "test.in");
    testing::write_text(script_path, text);
    const auto r = testing::run_command("bash " + shell_quote(script_path));
    EXPECT_EQ(r.exit_code, 0) << text;
    EXPECT_EQ(r.output, value + "|" + value + "|") << text;
  }
  EXPECT_FALSE(fs::exists(scratch.path() / "INJECTED")) << "a rendered value ran a command";
}

TEST(RenderScript, UnknownPlaceholderNamesOriginLineAndTheKnownNames) {
  try {
    render_script("a\nb @SWEEP@ @NOPE@\n", {{"SWEEP", "x"}, {"LOG_DIR", "y"}}, "slurm/array.sbatch.in");
    FAIL() << "expected a UserError";
  } catch (const core::UserError& e) {
    EXPECT_EQ(std::string(e.what()),
              "slurm/array.sbatch.in:2: unknown placeholder @NOPE@. HINT: the placeholders this template can use are "
              "@LOG_DIR@, @SWEEP@ (write @@ for a literal @).");
  }
}

TEST(RenderScript, DoubleAtIsALiteralAndLoneAtsStay) {
  EXPECT_EQ(render_script("mail me@example.org @@X@@ @A@", {{"A", "a b"}}, "t"), "mail me@example.org @X@ 'a b'");
  EXPECT_EQ(render_script("--signal=B:USR1@@120", {}, "t"), "--signal=B:USR1@120");
}

}  // namespace
}  // namespace clipscale::sweep
