// The per-run HDF5 file, results/<sweep>/runs/<run_id>.h5: everything a run reports, readable with
// h5py (or read_run_file) while the run is still writing it (SWMR: single writer, many readers).
//
// Layout (schema_version 1):
//   /                          attributes: schema_version (int64), run_id, config_toml, git_sha,
//                              variant (strings), params_image, params_text, params_total,
//                              samples_seen_target, data_size, seed, world_size (int64),
//                              flops_per_sample (float64), status ("running" | "done" | "failed" |
//                              "preempted"), finished_utc (ISO 8601, once finished), plus the
//                              header's extra attributes (strings, float64)
//   /train/<series>            1-D, extendible, chunked: step, samples_seen (int64); loss, lr,
//                              logit_scale, samples_per_s, data_wait_s (float64); one entry per
//                              append_train call
//   /eval/<task>/samples_seen  1-D int64, one entry per evaluation of the task
//   /eval/<task>/<metric>      1-D float64, aligned with samples_seen
//   /eval/<task>               attributes <metric> (float64): the final values, NaN until finish()
//
// Strings are variable-length UTF-8 (h5py reads them as str). Python, while the run writes:
//   f = h5py.File(path, "r", libver="latest", swmr=True); f["train/loss"].refresh()
// A reader that does not ask for SWMR fails while the writer is active ("file is already open
// for write"), and so does one that opens a file whose writer was killed; read_run_file handles
// both.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace clipscale::io {

/// Bumped whenever the layout above changes; read_run_file refuses other versions.
inline constexpr int64_t kRunFileSchemaVersion = 1;

/// Values of the root attribute "status".
inline constexpr const char* kRunStatusRunning = "running";
inline constexpr const char* kRunStatusDone = "done";
inline constexpr const char* kRunStatusFailed = "failed";
inline constexpr const char* kRunStatusPreempted = "preempted";

/// What a run is; written as root attributes before SWMR starts, never changed afterwards.
struct RunHeader {
  std::string run_id;
  std::string config_toml;  ///< the resolved config, with provenance comments
  std::string git_sha;
  std::string variant;  ///< data variant (curation method) name
  int64_t params_image = 0;
  int64_t params_text = 0;
  int64_t params_total = 0;
  double flops_per_sample = 0;  ///< forward FLOPs per image-text pair, both towers
  int64_t samples_seen_target = 0;
  int64_t data_size = 0;  ///< unique samples in the training pool
  int64_t seed = 0;
  int64_t world_size = 1;
  /// More root attributes, e.g. {"model": "vit-s16"}, {"sweep": "tiny"}. Names must not clash
  /// with the ones above (or schema_version, status, finished_utc).
  std::map<std::string, std::string> extra_string_attrs;
  /// E.g. {"compute_flops": 3.1e15}. Same naming rule.
  std::map<std::string, double> extra_number_attrs;
};

/// One row of /train.
struct TrainRecord {
  int64_t step = 0;
  int64_t samples_seen = 0;
  double loss = 0;
  double lr = 0;
  double logit_scale = 0;    ///< exp of the learned temperature parameter
  double samples_per_s = 0;  ///< global throughput over the last logging interval
  double data_wait_s = 0;    ///< seconds the step waited for data
};

/// The series an eval task records, e.g. {"zeroshot_shape", {"top1", "top5"}}.
struct EvalTaskLayout {
  std::string task;                  ///< group name under /eval; no '/'
  std::vector<std::string> metrics;  ///< dataset names; unique, not "samples_seen"
};

/// Writes one run file. Not thread-safe: one thread of one process (rank 0) owns it.
/// HDF5 failures while creating the file throw core::Error naming the file and object; misuse
/// (an unknown task or metric, a bad status) fails a CLIPSCALE_CHECK.
///
/// Write failures of append_train, append_eval and finish() (a full disk, a quota) throw
/// core::UserError naming the file, the dataset or step, the row and HDF5's reason, with a HINT
/// to free space or move run.output_dir. What is then guaranteed:
///  * every row whose append returned is on disk, and reads back (read_run_file, h5py with
///    swmr=True) also after the writer is gone or its process was killed;
///  * the failed row is undone in every series of its group, so each holds exactly the rows
///    appended before (where HDF5 refuses to undo it, read_run_file still drops the partial row);
///  * the writer stays usable: the append may be retried, or finish() called;
///  * finish() first ends SWMR writing, which closes the file cleanly, and records the status
///    only with 16 KiB free on the file system; until it does, the file reads as status "running"
///    with every row appended, like one whose writer was killed. A failed finish() may be called
///    again (once space is freed), and picks up where it stopped.
/// Not guaranteed: if the file itself cannot be flushed on closing (the disk filled since the last
/// append), HDF5 1.10 cannot close it cleanly. The file then stays as of the last row appended
/// (readable as above), but HDF5 may crash the process at exit.
class RunWriter {
 public:
  /// Creates (or truncates) `path` and its parent directories; writes schema_version, the header
  /// attributes and status "running"; lays out /train and /eval/<task> for `eval_tasks` (the
  /// final-value attributes start as NaN); then starts SWMR writing. Throws core::UserError when
  /// the file can't be created (permissions, or another process holds it open).
  RunWriter(const std::string& path, const RunHeader& header, const std::vector<EvalTaskLayout>& eval_tasks);
  /// A run that continues from a checkpoint: the new file starts with `previous`'s /train rows
  /// and eval points (the caller keeps those up to the checkpoint), so no row is missing or
  /// duplicated. It is written under a temporary name and renamed over `path` once those rows
  /// are in, so a crash meanwhile leaves the old file as it was.
  RunWriter(const std::string& path, const RunHeader& header, const std::vector<EvalTaskLayout>& eval_tasks,
            const std::vector<TrainRecord>& previous_train,
            const std::map<std::string, std::map<std::string, std::vector<double>>>& previous_eval);
  RunWriter(RunWriter&&) noexcept;
  RunWriter& operator=(RunWriter&&) noexcept;
  RunWriter(const RunWriter&) = delete;
  RunWriter& operator=(const RunWriter&) = delete;
  /// Closes the file. If finish() was never called (or did not complete), first tries
  /// finish("failed"); errors are swallowed, so a crashed run, or one on a full disk, may be left
  /// at "running".
  ~RunWriter();

  /// Appends one row to every /train series and flushes it, so SWMR readers see it at once.
  /// core::UserError when it can't be written (see above): then no series keeps the row.
  void append_train(const TrainRecord& record);

  /// Appends one evaluation of `task` at `samples_seen`. `metrics` maps metric names of the task's
  /// layout to values; a layout metric missing from the map is recorded as NaN. An unknown task
  /// or metric fails a CLIPSCALE_CHECK; a write failure is a core::UserError, as for append_train.
  void append_eval(const std::string& task, int64_t samples_seen, const std::map<std::string, double>& metrics);

  /// Ends the run: leaves SWMR mode (closes the file), reopens it read-write, writes the final
  /// metric values (task -> metric -> value) as attributes of /eval/<task>, sets status to
  /// `status` ("done", "failed" or "preempted") and finished_utc, and closes it. Once it has
  /// completed it may not be called again, and no append is allowed after the first call.
  /// Unknown tasks or metrics fail a CLIPSCALE_CHECK; write failures and a file system with less
  /// than 16 KiB free throw core::UserError, after which finish() may be called again.
  /// Readers hold shared locks that block the reopen (SWMR readers included); it is retried for
  /// 2 s, then done without the lock. Only attributes change, so the file stays sound, but a
  /// reader that stays open across finish() may fail to read the changed attributes until it
  /// reopens the file. read_run_file waits (up to 1 s) rather than fail on finish()'s lock.
  void finish(const std::string& status, const std::map<std::string, std::map<std::string, double>>& final_metrics);

  const std::string& path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// A whole run file in memory.
struct RunFile {
  RunHeader header;
  int64_t schema_version = 0;
  std::string status;
  std::string finished_utc;  ///< empty while running
  std::vector<TrainRecord> train;
  /// task -> series name ("samples_seen" and each metric) -> values, all of one length.
  std::map<std::string, std::map<std::string, std::vector<double>>> eval_series;
  /// task -> metric -> final value (NaN until the run finishes).
  std::map<std::string, std::map<std::string, double>> eval_final;
};

/// Reads `path`, also while a RunWriter (in any process) is writing it, or after its writer was
/// killed. Series caught mid-append are cut to the rows every series of the group already has.
/// Throws core::UserError naming the file and member, expected vs found, with a HINT, when the
/// file is missing, is not HDF5, lacks a member, or has a schema_version other than
/// kRunFileSchemaVersion.
RunFile read_run_file(const std::string& path);

}  // namespace clipscale::io
