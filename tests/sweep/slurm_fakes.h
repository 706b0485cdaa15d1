// Stand-ins for SLURM's programs and for `clipscale train` in the sweep tests: bash scripts in a
// scratch bin/ folder that record their arguments (NUL-separated) under $FAKE_DIR and behave as
// $FAKE_MODE says (ok, fail, user, preempted, wait-usr1; or sequence: the next line of
// $FAKE_DIR/modes.<run.seed>), so the array script and the launchers are tested without a cluster.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "support/process.h"

namespace clipscale::testing {

class SlurmFakes {
 public:
  /// Writes the fakes and sets FAKE_DIR for this process, so fakes run in-process (sbatch,
  /// squeue, a launched clipscale) find it.
  explicit SlurmFakes(const std::filesystem::path& dir) : dir_(dir) {
    std::filesystem::create_directories(dir_ / "bin");
    ::setenv("FAKE_DIR", dir_.c_str(), 1);
    // The training program: records its arguments, then acts as FAKE_MODE says.
    write_program("clipscale", R"(#!/bin/bash
printf '%s\0' "$@" > "$FAKE_DIR/args.${SLURM_ARRAY_TASK_ID:-local}"
touch "$FAKE_DIR/started"
mode=${FAKE_MODE:-ok}
if [ "$mode" = sequence ]; then
  # modes.<run.seed>: the mode of each attempt of that run, one per line.
  seed=$(printf '%s\n' "$@" | sed -n 's/^run.seed=//p')
  mode=$(head -n 1 "$FAKE_DIR/modes.$seed")
  sed -i 1d "$FAKE_DIR/modes.$seed"
fi
case "$mode" in
  ok) echo "training ok"; exit 0 ;;
  fail) echo "error: the loss diverged"; exit 1 ;;
  user) echo "error: bad config"; exit 2 ;;
  preempted) echo "preempted"; exit 75 ;;
  wait-usr1) trap 'echo "checkpointed"; exit 75' USR1 TERM
             for i in $(seq 1 200); do sleep 0.05; done; exit 0 ;;
esac
)");
    write_program("srun", R"(#!/bin/bash
printf '%s\0' "$@" > "$FAKE_DIR/srun.args"
while [ "${1#--}" != "$1" ]; do shift; done
exec "$@"
)");
    write_program("scontrol", "#!/bin/bash\necho \"$*\" >> \"$FAKE_DIR/scontrol.log\"\n");
    write_program("sbatch", R"(#!/bin/bash
n=$(( $(cat "$FAKE_DIR/next_id" 2>/dev/null || echo 100) + 1 ))
echo "$n" > "$FAKE_DIR/next_id"
printf '%s\0' "$@" > "$FAKE_DIR/sbatch.$n"
echo "$n;local"
)");
    write_program("squeue", "#!/bin/bash\ncat \"$FAKE_DIR/squeue.out\" 2>/dev/null\nexit 0\n");
  }

  ~SlurmFakes() { ::unsetenv("FAKE_DIR"); }
  SlurmFakes(const SlurmFakes&) = delete;
  SlurmFakes& operator=(const SlurmFakes&) = delete;

  std::string bin(const std::string& name) const { return (dir_ / "bin" / name).string(); }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }

  /// `VAR=value ... ` for a command line: FAKE_DIR, FAKE_MODE and PATH with the fakes first.
  std::string env(const std::string& mode) const {
    return "FAKE_DIR='" + dir_.string() + "' FAKE_MODE=" + mode + " PATH='" + (dir_ / "bin").string() + "':\"$PATH\" ";
  }

  /// The NUL-separated arguments a fake recorded in `name`.
  std::vector<std::string> recorded_args(const std::string& name) const {
    std::ifstream in(dir_ / name, std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t end; (end = text.find('\0', start)) != std::string::npos; start = end + 1)
      out.push_back(text.substr(start, end - start));
    return out;
  }

  std::string read(const std::string& name) const {
    std::ifstream in(dir_ / name, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

 private:
  void write_program(const std::string& name, const std::string& text) {
    write_text(dir_ / "bin" / name, text);
    ::chmod((dir_ / "bin" / name).c_str(), 0755);
  }
  std::filesystem::path dir_;
};

}  // namespace clipscale::testing
