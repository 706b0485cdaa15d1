#include "io/run_file.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "core/error.h"
#include "core/failpoint.h"
#include "io/hdf5_toolkit.h"
#include "io/table_file.h"

namespace clipscale::io {
namespace {

using hdf5::Handle;
using hdf5::Series;
using hdf5::Site;

// Rows per chunk of every series: one chunk holds ~256 log steps (2 KiB), so appends rarely
// allocate and a reader touches few chunks.
constexpr hsize_t kSeriesChunkRows = 256;

// finish() reopens the file after leaving SWMR mode. Readers hold shared locks on it (SWMR
// readers too), which block that reopen; it is retried for 2 s (20 × 100 ms) before going ahead
// without the lock. read_run_file retries the same way while finish() holds the file (≤ 1 s).
constexpr int kReopenAttempts = 20;
constexpr std::chrono::milliseconds kReopenDelay{100};
constexpr int kReadOpenAttempts = 20;
constexpr std::chrono::milliseconds kReadOpenDelay{50};

// finish() reopens the file for the final attributes only when its file system has this much
// room. Those writes need about 4 KiB (a new heap block for the strings); were they to fail, the
// reopened file could not be closed cleanly (hdf5::flush_and_close), whereas a file left closed
// is sound and reads as a run that is still running.
constexpr uint64_t kFinishRoomBytes = 16 * 1024;

constexpr const char* kSchemaVersionAttr = "schema_version";
constexpr const char* kStatusAttr = "status";
constexpr const char* kFinishedAttr = "finished_utc";
constexpr const char* kFlopsAttr = "flops_per_sample";
constexpr const char* kSamplesSeenSeries = "samples_seen";

struct HeaderString {
  const char* name;
  std::string RunHeader::*member;
};
struct HeaderInt64 {
  const char* name;
  int64_t RunHeader::*member;
};
constexpr HeaderString kHeaderStrings[] = {{"run_id", &RunHeader::run_id},
                                           {"config_toml", &RunHeader::config_toml},
                                           {"git_sha", &RunHeader::git_sha},
                                           {"variant", &RunHeader::variant}};
constexpr HeaderInt64 kHeaderInt64s[] = {
    {"params_image", &RunHeader::params_image}, {"params_text", &RunHeader::params_text},
    {"params_total", &RunHeader::params_total}, {"samples_seen_target", &RunHeader::samples_seen_target},
    {"data_size", &RunHeader::data_size},       {"seed", &RunHeader::seed},
    {"world_size", &RunHeader::world_size}};

struct TrainInt64 {
  const char* name;
  int64_t TrainRecord::*member;
};
struct TrainFloat64 {
  const char* name;
  double TrainRecord::*member;
};
constexpr TrainInt64 kTrainInt64s[] = {{"step", &TrainRecord::step}, {"samples_seen", &TrainRecord::samples_seen}};
constexpr TrainFloat64 kTrainFloat64s[] = {{"loss", &TrainRecord::loss},
                                           {"lr", &TrainRecord::lr},
                                           {"logit_scale", &TrainRecord::logit_scale},
                                           {"samples_per_s", &TrainRecord::samples_per_s},
                                           {"data_wait_s", &TrainRecord::data_wait_s}};

// Root attribute names the header owns; extra attributes may not reuse them.
std::set<std::string> reserved_root_attrs() {
  std::set<std::string> names = {kSchemaVersionAttr, kStatusAttr, kFinishedAttr, kFlopsAttr};
  for (const HeaderString& f : kHeaderStrings) names.insert(f.name);
  for (const HeaderInt64& f : kHeaderInt64s) names.insert(f.name);
  return names;
}

bool is_final_status(const std::string& status) {
  return status == kRunStatusDone || status == kRunStatusFailed || status == kRunStatusPreempted;
}

Site run_site(const std::string& path, Site::Mode mode) { return Site("run file", path, mode); }

std::string folder_of(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

// The HINT of a write that failed: a full or over-quota disk is what makes appends fail.
std::string space_hint(const std::string& path) {
  return fmt::format(
      "HINT: free space on the file system holding '{}' or move run.output_dir; the rows already "
      "written are intact and the run resumes from its last checkpoint.",
      folder_of(path));
}

[[noreturn]] void throw_write_error(const std::string& path, const std::string& doing, const hdf5::Failure& failure) {
  throw core::UserError(fmt::format("run file '{}': cannot {}: {} failed ({}). {}", path, doing, failure.action(),
                                    failure.detail(), space_hint(path)));
}

// One value of a row: the series it goes to and where it is.
struct Cell {
  const Series* series;
  hid_t memory_type;
  const void* value;
};

// Appends `cells` as row `row` of their series, each flushed before the next, so SWMR readers
// see a row series by series (read_run_file keeps the rows that every series has). When a write
// fails (a full disk), every series is cut back to `row` rows: the file then holds exactly the
// rows appended before, where it would otherwise keep a longer series whose last row was never
// written and reads as 0.
void append_to_all(const std::vector<Cell>& cells, hsize_t row, const std::string& what, const Site& site) {
  try {
    for (const Cell& cell : cells) {
      hdf5::append_row(*cell.series, row, cell.memory_type, cell.value, site);
      core::failpoint("run_file_flush");
    }
  } catch (const hdf5::Failure& failure) {
    for (const Cell& cell : cells) hdf5::truncate_series(*cell.series, row);
    throw_write_error(site.path(), "append " + what, failure);
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// RunWriter

struct RunWriter::Impl {
  struct EvalTask {
    std::vector<std::string> metrics;
    Series samples_seen;
    std::vector<Series> values;  // parallel to metrics
    hsize_t rows = 0;
  };

  Impl(const std::string& path, const RunHeader& header, const std::vector<EvalTaskLayout>& eval_tasks);
  ~Impl();
  void append_train(const TrainRecord& record);
  void append_eval(const std::string& task, int64_t samples_seen, const std::map<std::string, double>& metrics);
  void finish(const std::string& status, const std::map<std::string, std::map<std::string, double>>& final_metrics);
  const EvalTask& task(const std::string& name) const;
  void reopen();

  Site site;
  Handle file;                         // declared before the datasets, so it closes after them
  std::vector<Series> train_int64s;    // parallel to kTrainInt64s
  std::vector<Series> train_float64s;  // parallel to kTrainFloat64s
  hsize_t train_rows = 0;
  std::map<std::string, EvalTask> eval;
  bool finished = false;        ///< finish() completed
  bool appends_closed = false;  ///< finish() has closed the series (appends are over)
  bool swmr_closed = false;     ///< finish() has closed the SWMR session
};

namespace {

void check_layout(const std::string& path, const RunHeader& header, const std::vector<EvalTaskLayout>& eval_tasks) {
  const std::set<std::string> reserved = reserved_root_attrs();
  for (const auto& [name, value] : header.extra_string_attrs) {
    CLIPSCALE_CHECK(!name.empty() && reserved.count(name) == 0)
        << "run file " << path << ": extra string attribute '" << name << "' is empty or reserved";
  }
  for (const auto& [name, value] : header.extra_number_attrs) {
    CLIPSCALE_CHECK(!name.empty() && reserved.count(name) == 0 && header.extra_string_attrs.count(name) == 0)
        << "run file " << path << ": extra number attribute '" << name << "' is empty, reserved or also a string";
  }
  std::set<std::string> tasks;
  for (const EvalTaskLayout& layout : eval_tasks) {
    CLIPSCALE_CHECK(!layout.task.empty() && layout.task != "." && layout.task.find('/') == std::string::npos)
        << "run file " << path << ": eval task name '" << layout.task << "' must be non-empty and contain no '/'";
    CLIPSCALE_CHECK(tasks.insert(layout.task).second)
        << "run file " << path << ": eval task '" << layout.task << "' is listed twice";
    std::set<std::string> metrics;
    for (const std::string& metric : layout.metrics) {
      CLIPSCALE_CHECK(!metric.empty() && metric != "." && metric.find('/') == std::string::npos &&
                      metric != kSamplesSeenSeries)
          << "run file " << path << ": eval task '" << layout.task << "' has a bad metric name '" << metric
          << "' (empty, containing '/', or \"samples_seen\")";
      CLIPSCALE_CHECK(metrics.insert(metric).second)
          << "run file " << path << ": eval task '" << layout.task << "' lists metric '" << metric << "' twice";
    }
  }
}

}  // namespace

RunWriter::Impl::Impl(const std::string& path, const RunHeader& header, const std::vector<EvalTaskLayout>& eval_tasks)
    : site(run_site(path, Site::Mode::kWrite)) {
  check_layout(path, header, eval_tasks);

  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      throw core::UserError(
          fmt::format("run file '{}': cannot create directory '{}': {}. HINT: check that the "
                      "results directory is writable.",
                      path, parent.string(), ec.message()));
    }
  }
  const Handle fapl = hdf5::latest_format_fapl(site);
  file = hdf5::create_file(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
  if (!file.valid()) {
    throw core::UserError(fmt::format(
        "run file '{}': cannot be created ({}). HINT: check that the directory is writable and that no other "
        "process (an h5py session, say) has the file open.",
        path, hdf5::take_error()));
  }

  const hid_t root = file.get();
  hdf5::write_attr(root, "/", kSchemaVersionAttr, kRunFileSchemaVersion, site);
  for (const HeaderString& f : kHeaderStrings) hdf5::write_attr(root, "/", f.name, header.*f.member, site);
  for (const HeaderInt64& f : kHeaderInt64s) hdf5::write_attr(root, "/", f.name, header.*f.member, site);
  hdf5::write_attr(root, "/", kFlopsAttr, header.flops_per_sample, site);
  for (const auto& [name, value] : header.extra_string_attrs) hdf5::write_attr(root, "/", name, value, site);
  for (const auto& [name, value] : header.extra_number_attrs) hdf5::write_attr(root, "/", name, value, site);
  hdf5::write_attr(root, "/", kStatusAttr, std::string(kRunStatusRunning), site);

  {
    const Handle train = hdf5::create_group(root, "/", "train", site);
    for (const TrainInt64& f : kTrainInt64s) {
      train_int64s.push_back(hdf5::create_series(train.get(), "/train", f.name, H5T_STD_I64LE, kSeriesChunkRows, site));
    }
    for (const TrainFloat64& f : kTrainFloat64s) {
      train_float64s.push_back(
          hdf5::create_series(train.get(), "/train", f.name, H5T_IEEE_F64LE, kSeriesChunkRows, site));
    }
  }
  {
    const Handle eval_group = hdf5::create_group(root, "/", "eval", site);
    for (const EvalTaskLayout& layout : eval_tasks) {
      const std::string group_path = hdf5::child_path("/eval", layout.task);
      const Handle group = hdf5::create_group(eval_group.get(), "/eval", layout.task, site);
      EvalTask& task = eval[layout.task];
      task.metrics = layout.metrics;
      task.samples_seen =
          hdf5::create_series(group.get(), group_path, kSamplesSeenSeries, H5T_STD_I64LE, kSeriesChunkRows, site);
      for (const std::string& metric : layout.metrics) {
        task.values.push_back(
            hdf5::create_series(group.get(), group_path, metric, H5T_IEEE_F64LE, kSeriesChunkRows, site));
        hdf5::write_attr(group.get(), group_path, metric, std::numeric_limits<double>::quiet_NaN(), site);
      }
    }
  }
  // From here on no object or attribute may be created; datasets stay open for appending.
  site.ok(H5Fstart_swmr_write(file.get()), "starting SWMR writing");
}

RunWriter::Impl::~Impl() {
  if (finished) return;
  try {
    finish(kRunStatusFailed, {});
  } catch (...) {
    // Best effort: a destructor must not throw, and a run that dies this way may stay "running".
  }
}

const RunWriter::Impl::EvalTask& RunWriter::Impl::task(const std::string& name) const {
  const auto it = eval.find(name);
  if (it == eval.end()) {
    std::string known;
    for (const auto& [task_name, t] : eval) known += (known.empty() ? "" : ", ") + task_name;
    CLIPSCALE_CHECK(false) << "run file " << site.path() << ": unknown eval task '" << name
                           << "'; the layout has: " << (known.empty() ? "(none)" : known);
  }
  return it->second;
}

void RunWriter::Impl::append_train(const TrainRecord& record) {
  CLIPSCALE_CHECK(!finished && !appends_closed) << "run file " << site.path() << ": append_train after finish()";
  std::vector<Cell> cells;
  for (size_t i = 0; i < train_int64s.size(); ++i) {
    cells.push_back({&train_int64s[i], H5T_NATIVE_INT64, &(record.*kTrainInt64s[i].member)});
  }
  for (size_t i = 0; i < train_float64s.size(); ++i) {
    cells.push_back({&train_float64s[i], H5T_NATIVE_DOUBLE, &(record.*kTrainFloat64s[i].member)});
  }
  append_to_all(cells, train_rows, fmt::format("the /train row of step {}", record.step), site);
  ++train_rows;
}

void RunWriter::Impl::append_eval(const std::string& task_name, int64_t samples_seen,
                                  const std::map<std::string, double>& metrics) {
  CLIPSCALE_CHECK(!finished && !appends_closed) << "run file " << site.path() << ": append_eval after finish()";
  task(task_name);  // fails a check when the layout has no such task
  EvalTask& t = eval.at(task_name);
  for (const auto& [metric, value] : metrics) {
    CLIPSCALE_CHECK(std::find(t.metrics.begin(), t.metrics.end(), metric) != t.metrics.end())
        << "run file " << site.path() << ": eval task '" << task_name << "' has no metric '" << metric << "'";
  }
  std::vector<double> values(t.metrics.size());
  std::vector<Cell> cells = {{&t.samples_seen, H5T_NATIVE_INT64, &samples_seen}};
  for (size_t i = 0; i < t.metrics.size(); ++i) {
    const auto it = metrics.find(t.metrics[i]);
    values[i] = it != metrics.end() ? it->second : std::numeric_limits<double>::quiet_NaN();
    cells.push_back({&t.values[i], H5T_NATIVE_DOUBLE, &values[i]});
  }
  append_to_all(cells, t.rows, fmt::format("the /eval/{} row at samples_seen {}", task_name, samples_seen), site);
  ++t.rows;
}

// Opens the file read-write again after SWMR writing ended, waiting for readers' locks.
void RunWriter::Impl::reopen() {
  const Handle fapl = hdf5::latest_format_fapl(site);
  for (int attempt = 1; attempt <= kReopenAttempts && !file.valid(); ++attempt) {
    if (attempt > 1) std::this_thread::sleep_for(kReopenDelay);
    file = hdf5::open_file(site.path(), H5F_ACC_RDWR, fapl.get());
  }
  if (!file.valid() && hdf5::disable_file_locking(fapl.get())) {
    // A reader keeps the file open (a dashboard polling with swmr=True, say) and waiting could take
    // forever. Only attributes change from here on, which leaves the file sound; that reader may
    // fail to read them (their new heap blocks lie past the end it knows) until it reopens.
    file = hdf5::open_file(site.path(), H5F_ACC_RDWR, fapl.get());
  }
  if (!file.valid()) site.fail("reopening the file read-write to record the final status");
}

void RunWriter::Impl::finish(const std::string& status,
                             const std::map<std::string, std::map<std::string, double>>& final_metrics) {
  CLIPSCALE_CHECK(!finished) << "run file " << site.path() << ": finish() called twice";
  CLIPSCALE_CHECK(is_final_status(status))
      << "run file " << site.path() << ": status '" << status << "' is not one of done, failed, preempted";
  for (const auto& [task_name, metrics] : final_metrics) {
    const EvalTask& t = task(task_name);
    for (const auto& [metric, value] : metrics) {
      CLIPSCALE_CHECK(std::find(t.metrics.begin(), t.metrics.end(), metric) != t.metrics.end())
          << "run file " << site.path() << ": final metrics name '" << metric << "', which eval task '" << task_name
          << "' does not have";
    }
  }
  // Leave SWMR mode. The file only really closes once every object in it is closed, so the
  // series close first and the file's own close is the real one, whose result counts. A finish()
  // that failed may be retried (e.g. with status "failed"): each step that completed is skipped.
  if (!swmr_closed) {
    appends_closed = true;
    for (auto& [name, t] : eval) {
      t.samples_seen.dataset.close();
      for (Series& s : t.values) s.dataset.close();
    }
    train_int64s.clear();
    train_float64s.clear();
    try {
      hdf5::flush_and_close(file, site, "closing the file to end SWMR writing");
    } catch (const hdf5::Failure& failure) {
      throw_write_error(site.path(), "end SWMR writing", failure);
    }
    swmr_closed = true;
  }

  if (!file.valid()) {  // valid when an earlier finish() failed after reopening
    const std::optional<uint64_t> room = hdf5::free_bytes(folder_of(site.path()));
    if (room && *room < kFinishRoomBytes) {
      throw core::UserError(fmt::format(
          "run file '{}': cannot record status \"{}\": {} bytes are free on its file system, and finishing needs {}. "
          "The file stays as it is, reading as a run that is still running. {}",
          site.path(), status, *room, kFinishRoomBytes, space_hint(site.path())));
    }
    reopen();
  }
  try {
    {
      const Handle eval_group = hdf5::open_group(file.get(), "/", "eval", site);
      for (const auto& [task_name, metrics] : final_metrics) {
        const std::string group_path = hdf5::child_path("/eval", task_name);
        const Handle group = hdf5::open_group(eval_group.get(), "/eval", task_name, site);
        for (const auto& [metric, value] : metrics) hdf5::write_attr(group.get(), group_path, metric, value, site);
      }
    }
    hdf5::write_attr(file.get(), "/", kStatusAttr, status, site);
    hdf5::write_attr(file.get(), "/", kFinishedAttr, utc_timestamp(), site);
    hdf5::flush_and_close(file, site, "closing the file");
  } catch (const hdf5::Failure& failure) {
    throw_write_error(site.path(), fmt::format("record status \"{}\"", status), failure);
  }
  finished = true;
}

RunWriter::RunWriter(const std::string& path, const RunHeader& header, const std::vector<EvalTaskLayout>& eval_tasks) {
  const hdf5::QuietErrors quiet;
  impl_ = std::make_unique<Impl>(path, header, eval_tasks);
}

RunWriter::RunWriter(const std::string& path, const RunHeader& header, const std::vector<EvalTaskLayout>& eval_tasks,
                     const std::vector<TrainRecord>& previous_train,
                     const std::map<std::string, std::map<std::string, std::vector<double>>>& previous_eval) {
  const hdf5::QuietErrors quiet;
  const std::string tmp = path + ".resume.tmp";
  impl_ = std::make_unique<Impl>(tmp, header, eval_tasks);
  for (const TrainRecord& record : previous_train) impl_->append_train(record);
  for (const auto& [task, series] : previous_eval) {
    if (impl_->eval.count(task) == 0) continue;  // a task this run no longer evaluates
    const auto samples = series.find(kSamplesSeenSeries);
    if (samples == series.end()) continue;
    for (size_t row = 0; row < samples->second.size(); ++row) {
      std::map<std::string, double> metrics;
      for (const std::string& metric : impl_->eval.at(task).metrics) {
        const auto values = series.find(metric);
        if (values != series.end() && row < values->second.size()) metrics[metric] = values->second[row];
      }
      impl_->append_eval(task, static_cast<int64_t>(samples->second[row]), metrics);
    }
  }
  // The open file follows the rename (same inode); finish() reopens it by its final name.
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    throw core::Error(fmt::format("run file '{}': cannot replace it with the resumed file '{}': {}", path, tmp,
                                  std::strerror(errno)));
  }
  impl_->site.set_path(path);
}

RunWriter::RunWriter(RunWriter&&) noexcept = default;
RunWriter& RunWriter::operator=(RunWriter&&) noexcept = default;

RunWriter::~RunWriter() {
  if (!impl_) return;
  const hdf5::QuietErrors quiet;
  impl_.reset();
}

void RunWriter::append_train(const TrainRecord& record) {
  CLIPSCALE_CHECK(impl_ != nullptr) << "append_train on a moved-from RunWriter";
  const hdf5::QuietErrors quiet;
  impl_->append_train(record);
}

void RunWriter::append_eval(const std::string& task, int64_t samples_seen,
                            const std::map<std::string, double>& metrics) {
  CLIPSCALE_CHECK(impl_ != nullptr) << "append_eval on a moved-from RunWriter";
  const hdf5::QuietErrors quiet;
  impl_->append_eval(task, samples_seen, metrics);
}

void RunWriter::finish(const std::string& status,
                       const std::map<std::string, std::map<std::string, double>>& final_metrics) {
  CLIPSCALE_CHECK(impl_ != nullptr) << "finish on a moved-from RunWriter";
  const hdf5::QuietErrors quiet;
  impl_->finish(status, final_metrics);
}

const std::string& RunWriter::path() const {
  CLIPSCALE_CHECK(impl_ != nullptr) << "path() on a moved-from RunWriter";
  return impl_->site.path();
}

// ---------------------------------------------------------------------------------------------
// read_run_file

RunFile read_run_file(const std::string& path) {
  const hdf5::QuietErrors quiet;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw core::UserError(
        fmt::format("run file '{}' not found. HINT: check the path; run files are written to "
                    "results/<sweep>/runs/<run_id>.h5.",
                    path));
  }
  const Site site = run_site(path, Site::Mode::kRead);

  // SWMR read works both while a writer is active and after a writer was killed (when a plain
  // open is refused); a plain open is the fallback for files not in the latest format.
  const Handle fapl = hdf5::latest_format_fapl(site);
  Handle file;
  bool swmr = false;
  std::string open_error;
  for (int attempt = 1; attempt <= kReadOpenAttempts; ++attempt) {
    if (attempt > 1) std::this_thread::sleep_for(kReadOpenDelay);
    file = hdf5::open_file(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl.get());
    swmr = file.valid();
    if (!file.valid()) file = hdf5::open_file(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file.valid()) break;
    open_error = hdf5::take_error();
    // Only a lock held by a finishing writer is worth waiting for.
    if (open_error.find("lock") == std::string::npos) break;
  }
  if (!file.valid()) {
    throw core::UserError(fmt::format(
        "run file '{}' cannot be opened as HDF5 ({}). HINT: check that the path names a run file written by "
        "clipscale (results/<sweep>/runs/<run_id>.h5) and that it was not cut short while copying.",
        path, open_error));
  }
  const hid_t root = file.get();

  RunFile run;
  if (!hdf5::has_attr(root, "/", kSchemaVersionAttr, site)) {
    site.bad_member(hdf5::attr_member("/", kSchemaVersionAttr),
                    fmt::format("is missing, expected {}", kRunFileSchemaVersion));
  }
  run.schema_version = hdf5::read_int64_attr(root, "/", kSchemaVersionAttr, site);
  if (run.schema_version != kRunFileSchemaVersion) {
    std::string git_sha = "unknown";
    try {
      if (hdf5::has_attr(root, "/", "git_sha", site)) git_sha = hdf5::read_string_attr(root, "/", "git_sha", site);
    } catch (const core::Error&) {
      // Only decorates the message below.
    }
    throw core::UserError(fmt::format(
        "run file '{}': {} is {}, expected {}. HINT: the file was written by {} clipscale (git_sha {}); read it "
        "with that version, or re-run to rewrite it.",
        path, hdf5::attr_member("/", kSchemaVersionAttr), run.schema_version, kRunFileSchemaVersion,
        run.schema_version > kRunFileSchemaVersion ? "a newer" : "an older", git_sha));
  }

  for (const HeaderString& f : kHeaderStrings) run.header.*f.member = hdf5::read_string_attr(root, "/", f.name, site);
  for (const HeaderInt64& f : kHeaderInt64s) run.header.*f.member = hdf5::read_int64_attr(root, "/", f.name, site);
  run.header.flops_per_sample = hdf5::read_double_attr(root, "/", kFlopsAttr, site);
  run.status = hdf5::read_string_attr(root, "/", kStatusAttr, site);
  const std::set<std::string> reserved = reserved_root_attrs();
  for (const std::string& name : hdf5::attr_names(root, "/", site)) {
    if (name == kFinishedAttr) {
      run.finished_utc = hdf5::read_string_attr(root, "/", name, site);
      continue;
    }
    if (reserved.count(name) != 0) continue;
    const hdf5::Attr a = hdf5::open_attr(root, "/", name, site);
    if (a.type_class == H5T_STRING) {
      run.header.extra_string_attrs[name] = hdf5::read_string(a, site);
    } else if (a.type_class == H5T_INTEGER || a.type_class == H5T_FLOAT) {
      run.header.extra_number_attrs[name] = hdf5::read_double(a, site);
    }
  }

  // A reader can catch the writer between two series of one append; keep the complete rows.
  {
    const Handle train = hdf5::open_group(root, "/", "train", site);
    std::vector<std::vector<int64_t>> int64s;
    std::vector<std::vector<double>> float64s;
    size_t rows = std::numeric_limits<size_t>::max();
    for (const TrainInt64& f : kTrainInt64s) {
      int64s.push_back(hdf5::read_named_values<int64_t>(train.get(), "/train", f.name, H5T_NATIVE_INT64, swmr, site));
      rows = std::min(rows, int64s.back().size());
    }
    for (const TrainFloat64& f : kTrainFloat64s) {
      float64s.push_back(hdf5::read_named_values<double>(train.get(), "/train", f.name, H5T_NATIVE_DOUBLE, swmr, site));
      rows = std::min(rows, float64s.back().size());
    }
    run.train.resize(rows);
    for (size_t r = 0; r < rows; ++r) {
      for (size_t i = 0; i < int64s.size(); ++i) run.train[r].*kTrainInt64s[i].member = int64s[i][r];
      for (size_t i = 0; i < float64s.size(); ++i) run.train[r].*kTrainFloat64s[i].member = float64s[i][r];
    }
  }

  const Handle eval_group = hdf5::open_group(root, "/", "eval", site);
  for (const std::string& task_name : hdf5::link_names(eval_group.get(), "/eval", site)) {
    const std::string group_path = hdf5::child_path("/eval", task_name);
    const Handle object = hdf5::open_object(eval_group.get(), "/eval", task_name, site);
    if (H5Iget_type(object.get()) != H5I_GROUP) continue;  // not a task; tolerated for forward compatibility

    std::map<std::string, std::vector<double>> series;
    series[kSamplesSeenSeries] =
        hdf5::read_named_values<double>(object.get(), group_path, kSamplesSeenSeries, H5T_NATIVE_DOUBLE, swmr, site);
    size_t rows = series[kSamplesSeenSeries].size();
    for (const std::string& name : hdf5::link_names(object.get(), group_path, site)) {
      if (name == kSamplesSeenSeries) continue;
      const std::string member = hdf5::child_path(group_path, name);
      const Handle child = hdf5::open_object(object.get(), group_path, name, site);
      if (H5Iget_type(child.get()) != H5I_DATASET) continue;
      series[name] = hdf5::read_values<double>(child.get(), member, H5T_NATIVE_DOUBLE, swmr, site);
      rows = std::min(rows, series[name].size());
    }
    for (auto& [name, values] : series) values.resize(rows);
    run.eval_series[task_name] = std::move(series);

    std::map<std::string, double>& finals = run.eval_final[task_name];
    for (const std::string& name : hdf5::attr_names(object.get(), group_path, site)) {
      const hdf5::Attr a = hdf5::open_attr(object.get(), group_path, name, site);
      if (a.type_class == H5T_INTEGER || a.type_class == H5T_FLOAT) finals[name] = hdf5::read_double(a, site);
    }
  }
  return run;
}

}  // namespace clipscale::io
