#include "analysis/fits_file.h"

#include <limits>

#include <fmt/format.h>

#include "core/error.h"
#include "io/table_file.h"

namespace clipscale::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

template <typename Row, typename F>
std::vector<double> numbers_of(const std::vector<Row>& rows, const F& f) {
  std::vector<double> out;
  for (const Row& r : rows) out.push_back(f(r));
  return out;
}

template <typename Row, typename F>
std::vector<std::string> strings_of(const std::vector<Row>& rows, const F& f) {
  std::vector<std::string> out;
  for (const Row& r : rows) out.push_back(f(r));
  return out;
}

template <typename Row, typename F>
std::vector<int64_t> flags_of(const std::vector<Row>& rows, const F& f) {
  std::vector<int64_t> out;
  for (const Row& r : rows) out.push_back(f(r) ? 1 : 0);
  return out;
}

// value, lo, hi, se columns of an Estimate member, named <prefix>, <prefix>_lo, ...
template <typename Row>
void add_estimate(io::Table* t, const std::string& prefix, const std::vector<Row>& rows, Estimate Row::*member,
                  bool with_se) {
  t->add_float64(prefix, numbers_of(rows, [&](const Row& r) { return (r.*member).value; }));
  t->add_float64(prefix + "_lo", numbers_of(rows, [&](const Row& r) { return (r.*member).lo; }));
  t->add_float64(prefix + "_hi", numbers_of(rows, [&](const Row& r) { return (r.*member).hi; }));
  if (with_se) t->add_float64(prefix + "_se", numbers_of(rows, [&](const Row& r) { return (r.*member).se; }));
}

void write_fit(io::TableFileWriter* w, const std::string& group, const FitSummary& f) {
  const SeriesInfo& i = f.info;
  w->set_attributes(group, {{"name", i.name},
                            {"variant", i.variant},
                            {"source", i.source},
                            {"metric", i.metric},
                            {"one_minus", int64_t{i.one_minus ? 1 : 0}},
                            {"x_column", i.x_column},
                            {"x_unit", i.x_unit},
                            {"n_column", i.n_column},
                            {"d_column", i.d_column},
                            {"selection", i.selection},
                            {"law", law_name(f.law)},
                            {"formula", law_formula(f.law)},
                            {"estimator", f.estimator},
                            {"points_rule", f.points_rule},
                            {"n_runs", int64_t{f.n_runs}},
                            {"objective", f.objective},
                            {"rms_log_residual", f.rms_log_residual},
                            {"starts", int64_t{f.starts}},
                            {"starts_at_best", int64_t{f.starts_at_best}},
                            {"converged", int64_t{f.converged ? 1 : 0}},
                            {"resamples", int64_t{f.resamples}},
                            {"failed_resamples", int64_t{f.failed_resamples}},
                            {"seed", static_cast<int64_t>(f.seed)},
                            {"level", f.level},
                            {"compute_per_nd", f.compute_per_nd}});
  io::Table params;
  params.add_string("name", strings_of(f.parameters, [](const ParameterRow& r) { return r.name; }));
  params.add_float64("value", numbers_of(f.parameters, [](const ParameterRow& r) { return r.estimate.value; }));
  params.add_float64("lo", numbers_of(f.parameters, [](const ParameterRow& r) { return r.estimate.lo; }));
  params.add_float64("hi", numbers_of(f.parameters, [](const ParameterRow& r) { return r.estimate.hi; }));
  params.add_float64("se", numbers_of(f.parameters, [](const ParameterRow& r) { return r.estimate.se; }));
  w->write_table(group + "/parameters", params);

  io::Table boot;
  const std::vector<std::string>& names = law_parameter_names(f.law);
  for (size_t j = 0; j < names.size(); ++j) {
    boot.add_float64(names[j], numbers_of(f.replicates, [j](const std::vector<double>& r) { return r.at(j); }));
  }
  w->write_table(group + "/bootstrap", boot);

  io::Table runs;
  runs.add_string("id", strings_of(f.runs, [](const ObservationRow& r) { return r.id; }));
  runs.add_float64("x", numbers_of(f.runs, [](const ObservationRow& r) { return r.x; }));
  runs.add_float64("n", numbers_of(f.runs, [](const ObservationRow& r) { return r.n; }));
  runs.add_float64("d", numbers_of(f.runs, [](const ObservationRow& r) { return r.d; }));
  runs.add_float64("error", numbers_of(f.runs, [](const ObservationRow& r) { return r.error; }));
  runs.add_int64("on_frontier", flags_of(f.runs, [](const ObservationRow& r) { return r.on_frontier; }));
  runs.add_float64("fitted", numbers_of(f.runs, [](const ObservationRow& r) { return r.fitted; }));
  w->write_table(group + "/runs", runs);

  io::Table points;
  points.add_string("id", strings_of(f.points, [](const PointRow& r) { return r.id; }));
  points.add_float64("x", numbers_of(f.points, [](const PointRow& r) { return r.x; }));
  points.add_float64("error", numbers_of(f.points, [](const PointRow& r) { return r.error; }));
  points.add_float64("residual", numbers_of(f.points, [](const PointRow& r) { return r.residual; }));
  w->write_table(group + "/points", points);

  io::Table curve;
  curve.add_float64("x", numbers_of(f.curve, [](const CurveRow& r) { return r.x; }));
  curve.add_float64("error", numbers_of(f.curve, [](const CurveRow& r) { return r.error; }));
  curve.add_float64("lo", numbers_of(f.curve, [](const CurveRow& r) { return r.lo; }));
  curve.add_float64("hi", numbers_of(f.curve, [](const CurveRow& r) { return r.hi; }));
  w->write_table(group + "/curve", curve);

  io::Table predictions;
  predictions.add_float64("x", numbers_of(f.predictions, [](const PredictionRow& r) { return r.x; }));
  add_estimate(&predictions, "error", f.predictions, &PredictionRow::error, true);
  add_estimate(&predictions, "n", f.predictions, &PredictionRow::n, false);
  add_estimate(&predictions, "d", f.predictions, &PredictionRow::d, false);
  w->write_table(group + "/predictions", predictions);

  const HoldoutCheck& h = f.holdout;
  io::Table holdout;
  holdout.add_string("id", strings_of(h.rows, [](const HoldoutRow& r) { return r.id; }));
  holdout.add_float64("x", numbers_of(h.rows, [](const HoldoutRow& r) { return r.x; }));
  holdout.add_float64("observed", numbers_of(h.rows, [](const HoldoutRow& r) { return r.observed; }));
  holdout.add_float64("predicted", numbers_of(h.rows, [](const HoldoutRow& r) { return r.predicted; }));
  holdout.add_float64("predicted_full", numbers_of(h.rows, [](const HoldoutRow& r) { return r.predicted_full; }));
  w->write_table(group + "/holdout", holdout);
  io::Attributes holdout_attrs = {{"held_out", int64_t{h.held_out}},
                                  {"fitted", int64_t{h.fitted ? 1 : 0}},
                                  {"note", h.note},
                                  {"rms_log_error", h.rms_log_error},
                                  {"rms_log_error_full", h.rms_log_error_full}};
  for (size_t j = 0; j < h.params.size() && j < names.size(); ++j) holdout_attrs["param_" + names[j]] = h.params[j];
  w->set_attributes(group + "/holdout", holdout_attrs);
}

void write_comparison(io::TableFileWriter* w, const Comparison& c) {
  w->set_attributes("/comparison", {{"reference", c.reference},
                                    {"rank_correlation_mean", c.rank_correlation_mean},
                                    {"rank_correlation_min", c.rank_correlation_min},
                                    {"rank_levels", int64_t{c.rank_levels}}});
  io::Table variants;
  variants.add_string("variant", c.variants);
  w->write_table("/comparison/variants", variants);

  io::Table diffs;
  diffs.add_string("variant", strings_of(c.differences, [](const DifferenceRow& r) { return r.variant; }));
  diffs.add_string("parameter", strings_of(c.differences, [](const DifferenceRow& r) { return r.parameter; }));
  add_estimate(&diffs, "value", c.differences, &DifferenceRow::difference, true);
  diffs.add_float64("share_positive",
                    numbers_of(c.differences, [](const DifferenceRow& r) { return r.share_positive; }));
  w->write_table("/comparison/differences", diffs);

  io::Table pred;
  using P = PredictionDifferenceRow;
  pred.add_string("variant", strings_of(c.prediction_differences, [](const P& r) { return r.variant; }));
  pred.add_float64("x", numbers_of(c.prediction_differences, [](const P& r) { return r.x; }));
  add_estimate(&pred, "value", c.prediction_differences, &P::difference, true);
  pred.add_float64("share_positive", numbers_of(c.prediction_differences, [](const P& r) { return r.share_positive; }));
  w->write_table("/comparison/prediction_differences", pred);

  io::Table cross;
  cross.add_string("a", strings_of(c.crossings, [](const CrossingRow& r) { return r.a; }));
  cross.add_string("b", strings_of(c.crossings, [](const CrossingRow& r) { return r.b; }));
  cross.add_int64("crosses", flags_of(c.crossings, [](const CrossingRow& r) { return r.crosses; }));
  add_estimate(&cross, "x", c.crossings, &CrossingRow::x, false);
  cross.add_float64("share_crossing", numbers_of(c.crossings, [](const CrossingRow& r) { return r.share_crossing; }));
  cross.add_float64("range_lo", numbers_of(c.crossings, [](const CrossingRow& r) { return r.range_lo; }));
  cross.add_float64("range_hi", numbers_of(c.crossings, [](const CrossingRow& r) { return r.range_hi; }));
  w->write_table("/comparison/crossings", cross);

  io::Table equal;
  equal.add_float64("x", numbers_of(c.equal_compute, [](const EqualComputeRow& r) { return r.x; }));
  for (size_t v = 0; v < c.variants.size(); ++v) {
    equal.add_float64(fmt::format("observed_{}", v),
                      numbers_of(c.equal_compute, [v](const EqualComputeRow& r) { return r.observed.at(v); }));
    equal.add_float64(fmt::format("predicted_{}", v),
                      numbers_of(c.equal_compute, [v](const EqualComputeRow& r) { return r.predicted.at(v); }));
    std::vector<int64_t> ranks;
    for (const EqualComputeRow& r : c.equal_compute) ranks.push_back(r.rank.at(v));
    equal.add_int64(fmt::format("rank_{}", v), ranks);
  }
  w->write_table("/comparison/equal_compute", equal);
}

// ---- reading ----

class FitsReader {
 public:
  explicit FitsReader(const std::string& path) : path_(path), file_(path) {}

  io::Attributes attributes(const std::string& group) const { return file_.attributes(group); }
  std::vector<std::string> child_groups(const std::string& group) const { return file_.child_groups(group); }
  bool has_group(const std::string& group) const { return file_.has_group(group); }

  /// A table with every column in `columns` present.
  io::Table table(const std::string& group, const std::vector<std::string>& columns) const {
    io::Table t = file_.read_table(group);
    for (const std::string& c : columns) {
      if (!t.has(c)) fail(group, "has no column '" + c + "'");
    }
    return t;
  }

  std::string text(const io::Attributes& a, const std::string& name) const {
    return io::attribute_string(a, name, path_);
  }
  double number(const io::Attributes& a, const std::string& name) const {
    return io::attribute_number(a, name, path_, kNaN);
  }

  [[noreturn]] void fail(const std::string& member, const std::string& problem) const {
    throw core::UserError(
        fmt::format("{}: {} {}. HINT: the file was not written by this clipscale, or is damaged; "
                    "re-run `clipscale fit` to re-create it.",
                    path_, member, problem));
  }

 private:
  std::string path_;
  io::TableFileReader file_;
};

Estimate estimate_at(const io::Table& t, const std::string& prefix, size_t row) {
  Estimate e;
  e.value = t.numbers(prefix)[row];
  e.lo = t.numbers(prefix + "_lo")[row];
  e.hi = t.numbers(prefix + "_hi")[row];
  e.se = t.has(prefix + "_se") ? t.numbers(prefix + "_se")[row] : kNaN;
  return e;
}

FitSummary read_fit(const FitsReader& r, const std::string& group) {
  const io::Attributes a = r.attributes(group);
  FitSummary f;
  SeriesInfo& i = f.info;
  i.name = r.text(a, "name");
  i.variant = r.text(a, "variant");
  i.source = r.text(a, "source");
  i.metric = r.text(a, "metric");
  i.one_minus = r.number(a, "one_minus") != 0;
  i.x_column = r.text(a, "x_column");
  i.x_unit = r.text(a, "x_unit");
  i.n_column = r.text(a, "n_column");
  i.d_column = r.text(a, "d_column");
  i.selection = r.text(a, "selection");
  const std::string law = r.text(a, "law");
  try {
    f.law = parse_law_form(law, group + " attribute law");
  } catch (const core::UserError&) {
    r.fail(group, "has law '" + law + "', expected power, saturating or joint");
  }
  f.estimator = r.text(a, "estimator");
  f.points_rule = r.text(a, "points_rule");
  f.n_runs = static_cast<int>(r.number(a, "n_runs"));
  f.objective = r.number(a, "objective");
  f.rms_log_residual = r.number(a, "rms_log_residual");
  f.starts = static_cast<int>(r.number(a, "starts"));
  f.starts_at_best = static_cast<int>(r.number(a, "starts_at_best"));
  f.converged = r.number(a, "converged") != 0;
  f.resamples = static_cast<int>(r.number(a, "resamples"));
  f.failed_resamples = static_cast<int>(r.number(a, "failed_resamples"));
  f.seed = static_cast<uint64_t>(r.number(a, "seed"));
  f.level = r.number(a, "level");
  f.compute_per_nd = r.number(a, "compute_per_nd");

  const io::Table params = r.table(group + "/parameters", {"name", "value", "lo", "hi", "se"});
  const std::vector<std::string>& names = law_parameter_names(f.law);
  for (size_t row = 0; row < params.rows(); ++row) {
    f.parameters.push_back({params.strings("name")[row],
                            {params.numbers("value")[row], params.numbers("lo")[row], params.numbers("hi")[row],
                             params.numbers("se")[row]}});
  }
  for (size_t j = 0; j < names.size(); ++j) {
    if (j >= f.parameters.size() || f.parameters[j].name != names[j]) {
      r.fail(group + "/parameters", "does not start with the parameters of a " + law + " law");
    }
  }

  const io::Table boot = r.table(group + "/bootstrap", names);
  f.replicates.assign(boot.rows(), std::vector<double>(names.size()));
  for (size_t j = 0; j < names.size(); ++j) {
    const std::vector<double> column = boot.numbers(names[j]);
    for (size_t b = 0; b < boot.rows(); ++b) f.replicates[b][j] = column[b];
  }

  const io::Table runs = r.table(group + "/runs", {"id", "x", "n", "d", "error", "on_frontier", "fitted"});
  for (size_t row = 0; row < runs.rows(); ++row) {
    f.runs.push_back({runs.strings("id")[row], runs.numbers("x")[row], runs.numbers("n")[row], runs.numbers("d")[row],
                      runs.numbers("error")[row], runs.numbers("on_frontier")[row] != 0, runs.numbers("fitted")[row]});
  }
  const io::Table points = r.table(group + "/points", {"id", "x", "error", "residual"});
  for (size_t row = 0; row < points.rows(); ++row) {
    f.points.push_back({points.strings("id")[row], points.numbers("x")[row], points.numbers("error")[row],
                        points.numbers("residual")[row]});
  }
  const io::Table curve = r.table(group + "/curve", {"x", "error", "lo", "hi"});
  for (size_t row = 0; row < curve.rows(); ++row) {
    f.curve.push_back(
        {curve.numbers("x")[row], curve.numbers("error")[row], curve.numbers("lo")[row], curve.numbers("hi")[row]});
  }
  const io::Table pred = r.table(group + "/predictions", {"x", "error", "error_lo", "error_hi", "error_se", "n", "n_lo",
                                                          "n_hi", "d", "d_lo", "d_hi"});
  for (size_t row = 0; row < pred.rows(); ++row) {
    f.predictions.push_back({pred.numbers("x")[row], estimate_at(pred, "error", row), estimate_at(pred, "n", row),
                             estimate_at(pred, "d", row)});
  }

  const std::string hgroup = group + "/holdout";
  const io::Attributes ha = r.attributes(hgroup);
  HoldoutCheck& h = f.holdout;
  h.held_out = static_cast<int>(r.number(ha, "held_out"));
  h.fitted = r.number(ha, "fitted") != 0;
  h.note = r.text(ha, "note");
  h.rms_log_error = r.number(ha, "rms_log_error");
  h.rms_log_error_full = r.number(ha, "rms_log_error_full");
  if (h.fitted) {
    for (const std::string& name : names) h.params.push_back(r.number(ha, "param_" + name));
  }
  const io::Table hold = r.table(hgroup, {"id", "x", "observed", "predicted", "predicted_full"});
  for (size_t row = 0; row < hold.rows(); ++row) {
    h.rows.push_back({hold.strings("id")[row], hold.numbers("x")[row], hold.numbers("observed")[row],
                      hold.numbers("predicted")[row], hold.numbers("predicted_full")[row]});
  }
  return f;
}

Comparison read_comparison(const FitsReader& r) {
  Comparison c;
  const io::Attributes a = r.attributes("/comparison");
  c.reference = r.text(a, "reference");
  c.rank_correlation_mean = r.number(a, "rank_correlation_mean");
  c.rank_correlation_min = r.number(a, "rank_correlation_min");
  c.rank_levels = static_cast<int>(r.number(a, "rank_levels"));
  c.variants = r.table("/comparison/variants", {"variant"}).strings("variant");

  const io::Table diffs =
      r.table("/comparison/differences", {"variant", "parameter", "value", "value_lo", "value_hi", "share_positive"});
  for (size_t row = 0; row < diffs.rows(); ++row) {
    c.differences.push_back({diffs.strings("variant")[row], diffs.strings("parameter")[row],
                             estimate_at(diffs, "value", row), diffs.numbers("share_positive")[row]});
  }
  const io::Table pred = r.table("/comparison/prediction_differences",
                                 {"variant", "x", "value", "value_lo", "value_hi", "share_positive"});
  for (size_t row = 0; row < pred.rows(); ++row) {
    c.prediction_differences.push_back({pred.strings("variant")[row], pred.numbers("x")[row],
                                        estimate_at(pred, "value", row), pred.numbers("share_positive")[row]});
  }
  const io::Table cross = r.table("/comparison/crossings",
                                  {"a", "b", "crosses", "x", "x_lo", "x_hi", "share_crossing", "range_lo", "range_hi"});
  for (size_t row = 0; row < cross.rows(); ++row) {
    c.crossings.push_back({cross.strings("a")[row], cross.strings("b")[row], cross.numbers("crosses")[row] != 0,
                           estimate_at(cross, "x", row), cross.numbers("share_crossing")[row],
                           cross.numbers("range_lo")[row], cross.numbers("range_hi")[row]});
  }
  std::vector<std::string> columns = {"x"};
  for (size_t v = 0; v < c.variants.size(); ++v) {
    for (const char* kind : {"observed", "predicted", "rank"}) columns.push_back(fmt::format("{}_{}", kind, v));
  }
  const io::Table equal = r.table("/comparison/equal_compute", columns);
  for (size_t row = 0; row < equal.rows(); ++row) {
    EqualComputeRow e;
    e.x = equal.numbers("x")[row];
    for (size_t v = 0; v < c.variants.size(); ++v) {
      e.observed.push_back(equal.numbers(fmt::format("observed_{}", v))[row]);
      e.predicted.push_back(equal.numbers(fmt::format("predicted_{}", v))[row]);
      e.rank.push_back(static_cast<int>(equal.numbers(fmt::format("rank_{}", v))[row]));
    }
    c.equal_compute.push_back(e);
  }
  return c;
}

}  // namespace

void write_fits_file(const std::string& path, const FitsDocument& document) {
  io::TableFileWriter w(path);
  w.set_attributes("/", {{"schema_version", kFitsFileSchemaVersion},
                         {"kind", std::string(kFitsFileKind)},
                         {"title", document.title},
                         {"command", document.command},
                         {"created_utc", document.created_utc.empty() ? io::utc_timestamp() : document.created_utc}});
  for (size_t i = 0; i < document.fits.size(); ++i) write_fit(&w, fmt::format("/fits/{}", i), document.fits[i]);
  if (document.comparison) write_comparison(&w, *document.comparison);
  w.commit();
}

FitsDocument read_fits_file(const std::string& path) {
  const FitsReader r(path);
  const io::Attributes root = r.attributes("/");
  const std::string kind = io::attribute_string(root, "kind", path);
  if (kind != kFitsFileKind) {
    throw core::UserError(
        fmt::format("{}: root attribute 'kind' is '{}', expected '{}'. HINT: pass the fits.h5 that "
                    "`clipscale fit` or `clipscale compare` wrote.",
                    path, kind, kFitsFileKind));
  }
  const double version = io::attribute_number(root, "schema_version", path, -1);
  if (version != static_cast<double>(kFitsFileSchemaVersion)) {
    throw core::UserError(
        fmt::format("{}: schema_version is {}, this clipscale reads {}. HINT: re-run `clipscale fit` "
                    "with this version.",
                    path, version, kFitsFileSchemaVersion));
  }
  FitsDocument doc;
  doc.title = r.text(root, "title");
  doc.command = r.text(root, "command");
  doc.created_utc = r.text(root, "created_utc");
  if (r.has_group("/fits")) {
    for (const std::string& child : r.child_groups("/fits")) doc.fits.push_back(read_fit(r, "/fits/" + child));
  }
  if (doc.fits.empty()) r.fail("group /fits", "holds no fit");
  if (r.has_group("/comparison")) doc.comparison = read_comparison(r);
  return doc;
}

}  // namespace clipscale::analysis
