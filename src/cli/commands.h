// One subcommand per file: setup_<name>() declares the subcommand and its flags on the app and
// binds them to that command's options; the command's work is in run_<name>() in the same file.
#pragma once

namespace CLI {
class App;
}

namespace clipscale::cli {

// The LibTorch-free commands, in every build.
void setup_fit(CLI::App& app);
void setup_compare(CLI::App& app);
void setup_report(CLI::App& app);
void setup_sweep(CLI::App& app);

// The commands that need LibTorch (built with CLIPSCALE_WITH_TORCH).
void setup_train(CLI::App& app);
void setup_eval(CLI::App& app);
void setup_tokenize(CLI::App& app);
void setup_embed(CLI::App& app);
void setup_export(CLI::App& app);
void setup_data(CLI::App& app);

}  // namespace clipscale::cli
