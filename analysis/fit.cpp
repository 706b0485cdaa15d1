#include "analysis/fit.h"

#include <ceres/ceres.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "analysis/parallel_for.h"
#include "core/error.h"

namespace clipscale::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kExponentUpperBound = 10.0;
// Relative distance to the best objective within which a start counts as having reached it.
constexpr double kSameOptimum = 1e-6;

// ---- internal coordinates ----
//
// Inputs are centred on the mean of their logs: u = ln x − mean ln x (or ln n − mean ln n), and
// v = ln d − mean ln d. θ holds logs of the positive coefficients, so that
//   power       ln Ê = θ0 + θ1·u                      θ = (ln beta + alpha·mean, alpha)
//   saturating  ln Ê = LSE(θ0, θ1 − θ2·u)             θ = (ln e_inf, ln a − alpha·mean, alpha)
//   joint       ln Ê = LSE(θ0, θ1 − θ3·u, θ2 − θ4·v)  θ = (ln e, ln a − alpha·mean_n,
//                                                          ln b − beta·mean_d, alpha, beta)

struct Centre {
  double u = 0;  // mean ln x (or ln n)
  double v = 0;  // mean ln d
};

struct PointData {
  double u = 0;
  double v = 0;
  double log_error = 0;
};

Centre centre_of(const std::vector<FitPoint>& points, LawForm form) {
  Centre c;
  for (const FitPoint& p : points) {
    c.u += std::log(form == LawForm::kJoint ? p.input.n : p.input.x);
    c.v += form == LawForm::kJoint ? std::log(p.input.d) : 0.0;
  }
  c.u /= static_cast<double>(points.size());
  c.v /= static_cast<double>(points.size());
  return c;
}

std::vector<PointData> point_data(const std::vector<FitPoint>& points, LawForm form, const Centre& c) {
  std::vector<PointData> data;
  data.reserve(points.size());
  for (const FitPoint& p : points) {
    PointData d;
    d.u = std::log(form == LawForm::kJoint ? p.input.n : p.input.x) - c.u;
    d.v = form == LawForm::kJoint ? std::log(p.input.d) - c.v : 0.0;
    d.log_error = std::log(p.error);
    data.push_back(d);
  }
  return data;
}

double safe_log(double value) { return std::log(std::max(value, std::numeric_limits<double>::min())); }

std::vector<double> to_internal(const Law& law, const Centre& c) {
  const std::vector<double>& p = law.params;
  switch (law.form) {
    case LawForm::kPower: return {safe_log(p[0]) + p[1] * c.u, p[1]};
    case LawForm::kSaturating: return {safe_log(p[0]), safe_log(p[1]) - p[2] * c.u, p[2]};
    case LawForm::kJoint: return {safe_log(p[0]), safe_log(p[1]) - p[3] * c.u, safe_log(p[2]) - p[4] * c.v, p[3], p[4]};
  }
  return {};
}

Law to_natural(const std::vector<double>& t, LawForm form, const Centre& c) {
  Law law;
  law.form = form;
  switch (form) {
    case LawForm::kPower: law.params = {std::exp(t[0] - t[1] * c.u), t[1]}; break;
    case LawForm::kSaturating: law.params = {std::exp(t[0]), std::exp(t[1] + t[2] * c.u), t[2]}; break;
    case LawForm::kJoint:
      law.params = {std::exp(t[0]), std::exp(t[1] + t[3] * c.u), std::exp(t[2] + t[4] * c.v), t[3], t[4]};
      break;
  }
  return law;
}

// ---- residuals (templated for Ceres' automatic derivatives) ----

template <typename T>
T log_sum_exp2(const T& a, const T& b) {
  using std::exp;
  using std::log;
  const T top = a > b ? a : b;
  return top + log(exp(a - top) + exp(b - top));
}

template <typename T>
T log_sum_exp3(const T& a, const T& b, const T& c) {
  using std::exp;
  using std::log;
  T top = a > b ? a : b;
  top = top > c ? top : c;
  return top + log(exp(a - top) + exp(b - top) + exp(c - top));
}

struct PowerResidual {
  PointData p;
  template <typename T>
  bool operator()(const T* t, T* r) const {
    r[0] = t[0] + t[1] * p.u - p.log_error;
    return true;
  }
};

struct SaturatingResidual {
  PointData p;
  template <typename T>
  bool operator()(const T* t, T* r) const {
    r[0] = log_sum_exp2(t[0], t[1] - t[2] * p.u) - p.log_error;
    return true;
  }
};

struct JointResidual {
  PointData p;
  template <typename T>
  bool operator()(const T* t, T* r) const {
    r[0] = log_sum_exp3(t[0], t[1] - t[3] * p.u, t[2] - t[4] * p.v) - p.log_error;
    return true;
  }
};

double residual(LawForm form, const PointData& p, const double* t) {
  double r = 0;
  switch (form) {
    case LawForm::kPower: PowerResidual{p}(t, &r); break;
    case LawForm::kSaturating: SaturatingResidual{p}(t, &r); break;
    case LawForm::kJoint: JointResidual{p}(t, &r); break;
  }
  return r;
}

double loss_of(double r, const FitOptions& o) {
  if (o.loss == LossKind::kSquared) return 0.5 * r * r;
  const double a = std::abs(r);
  return a <= o.huber_delta ? 0.5 * r * r : o.huber_delta * (a - 0.5 * o.huber_delta);
}

double objective_of(const std::vector<PointData>& data, LawForm form, const double* t, const FitOptions& o) {
  double sum = 0;
  for (const PointData& p : data) sum += loss_of(residual(form, p, t), o);
  return sum;
}

ceres::CostFunction* make_cost(LawForm form, const PointData& p) {
  switch (form) {
    case LawForm::kPower: return new ceres::AutoDiffCostFunction<PowerResidual, 1, 2>(new PowerResidual{p});
    case LawForm::kSaturating:
      return new ceres::AutoDiffCostFunction<SaturatingResidual, 1, 3>(new SaturatingResidual{p});
    case LawForm::kJoint: return new ceres::AutoDiffCostFunction<JointResidual, 1, 5>(new JointResidual{p});
  }
  return nullptr;
}

// Indices of the exponents in θ that are bounded to [0, kExponentUpperBound].
std::vector<int> bounded_exponents(LawForm form) {
  switch (form) {
    case LawForm::kPower: return {};
    case LawForm::kSaturating: return {2};
    case LawForm::kJoint: return {3, 4};
  }
  return {};
}

struct Outcome {
  std::vector<double> theta;
  double objective = kNaN;
  bool converged = false;
  bool ok = false;
};

// One Ceres problem over the points, solved from as many starts as needed.
class LocalSolver {
 public:
  LocalSolver(const std::vector<PointData>& data, LawForm form, const FitOptions& options)
      : form_(form), theta_(law_parameter_count(form), 0.0) {
    for (const PointData& p : data) {
      ceres::LossFunction* loss =
          options.loss == LossKind::kHuber ? new ceres::HuberLoss(options.huber_delta) : nullptr;
      problem_.AddResidualBlock(make_cost(form, p), loss, theta_.data());
    }
    for (const int i : bounded_exponents(form)) {
      problem_.SetParameterLowerBound(theta_.data(), i, 0.0);
      problem_.SetParameterUpperBound(theta_.data(), i, kExponentUpperBound);
    }
    solver_.linear_solver_type = ceres::DENSE_QR;
    solver_.max_num_iterations = options.max_iterations;
    // Relative rules: a loss summed or averaged over points stops at the same place.
    solver_.function_tolerance = 1e-12;
    solver_.gradient_tolerance = 1e-14;
    solver_.parameter_tolerance = 1e-12;
    solver_.logging_type = ceres::SILENT;
    solver_.minimizer_progress_to_stdout = false;
    solver_.num_threads = 1;
  }

  Outcome solve(std::vector<double> start) {
    for (const int i : bounded_exponents(form_)) {
      start[static_cast<size_t>(i)] = std::clamp(start[static_cast<size_t>(i)], 0.0, kExponentUpperBound);
    }
    std::copy(start.begin(), start.end(), theta_.begin());
    ceres::Solver::Summary summary;
    ceres::Solve(solver_, &problem_, &summary);
    Outcome out;
    out.theta = theta_;
    out.ok = summary.IsSolutionUsable() && std::isfinite(summary.final_cost) &&
             std::all_of(theta_.begin(), theta_.end(), [](double v) { return std::isfinite(v); });
    out.objective = out.ok ? summary.final_cost : kNaN;
    out.converged = summary.termination_type == ceres::CONVERGENCE;
    return out;
  }

 private:
  LawForm form_;
  std::vector<double> theta_;
  ceres::Problem problem_;
  ceres::Solver::Options solver_;
};

// ---- starts ----

std::vector<double> geometric_grid(double lo, double hi, int count) {
  std::vector<double> grid(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) grid[static_cast<size_t>(i)] = lo * std::pow(hi / lo, i / double(count - 1));
  return grid;
}

// min_c sum_i w_i (y_i − Σ_k c_k X_ik)² subject to c >= 0, by trying every subset of free
// columns (k <= 3). Returns the coefficients (0 for columns left out).
Eigen::VectorXd nonnegative_least_squares(const Eigen::MatrixXd& x, const Eigen::VectorXd& y,
                                          const Eigen::VectorXd& w) {
  const int k = static_cast<int>(x.cols());
  const Eigen::VectorXd sqrt_w = w.array().sqrt();
  const Eigen::MatrixXd xw = x.array().colwise() * sqrt_w.array();
  const Eigen::VectorXd yw = y.array() * sqrt_w.array();
  Eigen::VectorXd best = Eigen::VectorXd::Zero(k);
  double best_sse = yw.squaredNorm();
  for (int mask = 1; mask < (1 << k); ++mask) {
    std::vector<int> cols;
    for (int j = 0; j < k; ++j) {
      if (mask & (1 << j)) cols.push_back(j);
    }
    Eigen::MatrixXd sub(x.rows(), static_cast<Eigen::Index>(cols.size()));
    for (size_t j = 0; j < cols.size(); ++j) sub.col(static_cast<Eigen::Index>(j)) = xw.col(cols[j]);
    const Eigen::VectorXd c = sub.colPivHouseholderQr().solve(yw);
    if ((c.array() < 0).any() || !c.allFinite()) continue;
    const double sse = (yw - sub * c).squaredNorm();
    if (sse < best_sse) {
      best_sse = sse;
      best.setZero();
      for (size_t j = 0; j < cols.size(); ++j) best(cols[j]) = c(static_cast<Eigen::Index>(j));
    }
  }
  return best;
}

// Grid over the exponents; the linear coefficients come from non-negative least squares.
std::vector<std::vector<double>> variable_projection_starts(const std::vector<PointData>& data, LawForm form,
                                                            const FitOptions& options) {
  const Eigen::Index n = static_cast<Eigen::Index>(data.size());
  Eigen::VectorXd y(n), w(n);
  double min_error = std::numeric_limits<double>::infinity();
  for (Eigen::Index i = 0; i < n; ++i) {
    y(i) = std::exp(data[static_cast<size_t>(i)].log_error);
    w(i) = 1.0 / (y(i) * y(i));
    min_error = std::min(min_error, y(i));
  }
  const double floor = 1e-8 * min_error;  // stands in for a coefficient NNLS set to 0
  const auto lg = [&](double c) { return std::log(std::max(c, floor)); };
  std::vector<std::pair<double, std::vector<double>>> scored;
  if (form == LawForm::kSaturating) {
    for (const double alpha : geometric_grid(0.005, 4.0, 40)) {
      Eigen::MatrixXd x(n, 2);
      for (Eigen::Index i = 0; i < n; ++i) x.row(i) << 1.0, std::exp(-alpha * data[static_cast<size_t>(i)].u);
      const Eigen::VectorXd c = nonnegative_least_squares(x, y, w);
      std::vector<double> t = {lg(c(0)), lg(c(1)), alpha};
      scored.emplace_back(objective_of(data, form, t.data(), options), t);
    }
  } else {
    const std::vector<double> grid = geometric_grid(0.01, 3.0, 20);
    for (const double alpha : grid) {
      for (const double beta : grid) {
        Eigen::MatrixXd x(n, 3);
        for (Eigen::Index i = 0; i < n; ++i) {
          const PointData& p = data[static_cast<size_t>(i)];
          x.row(i) << 1.0, std::exp(-alpha * p.u), std::exp(-beta * p.v);
        }
        const Eigen::VectorXd c = nonnegative_least_squares(x, y, w);
        std::vector<double> t = {lg(c(0)), lg(c(1)), lg(c(2)), alpha, beta};
        scored.emplace_back(objective_of(data, form, t.data(), options), t);
      }
    }
  }
  std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) {
    return a.first < b.first || (std::isfinite(a.first) && !std::isfinite(b.first));
  });
  std::vector<std::vector<double>> starts;
  for (size_t i = 0; i < scored.size() && starts.size() < static_cast<size_t>(options.refine_starts); ++i) {
    starts.push_back(scored[i].second);
  }
  return starts;
}

std::vector<std::vector<double>> hoffmann_starts(const Centre& c) {
  std::vector<std::vector<double>> starts;
  for (int ia = 0; ia <= 4; ++ia) {
    for (int ib = 0; ib <= 4; ++ib) {
      for (int ie = 0; ie <= 4; ++ie) {
        for (int ja = 0; ja <= 5; ++ja) {
          for (int jb = 0; jb <= 5; ++jb) {
            const double alpha = 0.5 * ia, beta = 0.5 * ib, e = -1.0 + 0.5 * ie, a = 5.0 * ja, b = 5.0 * jb;
            starts.push_back({e, a - alpha * c.u, b - beta * c.v, alpha, beta});
          }
        }
      }
    }
  }
  return starts;
}

FitResult closed_form_power_fit(const std::vector<PointData>& data, const Centre& c) {
  double mean_u = 0, mean_y = 0;
  for (const PointData& p : data) {
    mean_u += p.u;
    mean_y += p.log_error;
  }
  mean_u /= static_cast<double>(data.size());
  mean_y /= static_cast<double>(data.size());
  double suu = 0, suy = 0;
  for (const PointData& p : data) {
    suu += (p.u - mean_u) * (p.u - mean_u);
    suy += (p.u - mean_u) * (p.log_error - mean_y);
  }
  FitResult result;
  const double slope = suu > 0 ? suy / suu : kNaN;
  const std::vector<double> theta = {mean_y - slope * mean_u, slope};
  result.law = to_natural(theta, LawForm::kPower, c);
  result.starts = 1;
  result.starts_at_best = 1;
  result.converged = std::isfinite(slope);
  return result;
}

void finish(FitResult* result, const std::vector<FitPoint>& points, const FitOptions& options) {
  result->residuals.clear();
  for (const FitPoint& p : points) result->residuals.push_back(result->law.log_value(p.input) - std::log(p.error));
  result->objective = 0;
  for (const double r : result->residuals) result->objective += loss_of(r, options);
}

FitResult failed_fit(LawForm form) {
  FitResult result;
  result.law.form = form;
  result.law.params.assign(law_parameter_count(form), kNaN);
  result.objective = kNaN;
  return result;
}

}  // namespace

std::string loss_name(LossKind loss) { return loss == LossKind::kSquared ? "squared" : "huber"; }

LossKind parse_loss(const std::string& text, const std::string& flag) {
  if (text == "squared") return LossKind::kSquared;
  if (text == "huber") return LossKind::kHuber;
  throw core::UserError(flag + " = '" + text + "' is not a loss. HINT: use squared (least squares on log E) or " +
                        "huber (Huber on log residuals, δ from --huber-delta; Hoffmann et al. use 1e-3).");
}

std::string start_rule_name(StartRule rule) { return rule == StartRule::kAuto ? "auto" : "hoffmann"; }

StartRule parse_start_rule(const std::string& text, const std::string& flag) {
  if (text == "auto") return StartRule::kAuto;
  if (text == "hoffmann") return StartRule::kHoffmannGrid;
  throw core::UserError(flag + " = '" + text + "' is not a start rule. HINT: use auto (variable-projection grid " +
                        "over the exponents) or hoffmann (the 4,500-point grid of Hoffmann et al.; joint law only).");
}

bool FitOptions::is_valid(const std::string& prefix, std::string* error) const {
  if (loss == LossKind::kHuber && !(huber_delta > 0 && std::isfinite(huber_delta))) {
    *error = fmt::format("{}huber-delta = {} violates delta > 0. HINT: Hoffmann et al. use 1e-3.", prefix, huber_delta);
    return false;
  }
  if (refine_starts < 1) {
    *error =
        fmt::format("{}refine-starts = {} violates refine_starts >= 1. HINT: the default is 8.", prefix, refine_starts);
    return false;
  }
  if (max_iterations < 1) {
    *error = fmt::format("{}max-iterations = {} violates max_iterations >= 1. HINT: the default is 500.", prefix,
                         max_iterations);
    return false;
  }
  if (starts == StartRule::kHoffmannGrid && law != LawForm::kJoint) {
    *error = fmt::format(
        "{}starts = hoffmann needs --law joint (the grid is over a, b, e, alpha, beta), not {}. "
        "HINT: use --starts auto.",
        prefix, law_name(law));
    return false;
  }
  return true;
}

std::string FitOptions::describe() const {
  if (law == LawForm::kPower && loss == LossKind::kSquared) {
    return "least squares on ln E: ordinary least squares of ln E on ln x (closed form)";
  }
  const std::string loss_text = loss == LossKind::kSquared
                                    ? "least squares on ln E"
                                    : fmt::format("Huber (delta = {:g}) on ln-residuals", huber_delta);
  std::string starts_text;
  if (law == LawForm::kPower) {
    starts_text = "started from the least-squares line (the problem is convex)";
  } else if (starts == StartRule::kAuto) {
    starts_text = fmt::format(
        "started from the best {} points of a variable-projection grid over the exponents "
        "(non-negative least squares for the coefficients), best final objective kept",
        refine_starts);
  } else {
    starts_text = "started from each of the 4,500 points of Hoffmann et al.'s grid, best final objective kept";
  }
  return fmt::format("{}; Ceres Levenberg-Marquardt in log parameters, {}", loss_text, starts_text);
}

size_t min_points(LawForm form) { return law_parameter_count(form) + 1; }

size_t distinct_inputs(const std::vector<FitPoint>& points, LawForm form) {
  std::set<std::pair<double, double>> inputs;
  for (const FitPoint& p : points) {
    inputs.insert(form == LawForm::kJoint ? std::make_pair(p.input.n, p.input.d) : std::make_pair(p.input.x, 0.0));
  }
  return inputs.size();
}

double fit_objective(const Law& law, const std::vector<FitPoint>& points, const FitOptions& options) {
  double sum = 0;
  for (const FitPoint& p : points) sum += loss_of(law.log_value(p.input) - std::log(p.error), options);
  return sum;
}

FitResult fit_law(const std::vector<FitPoint>& points, const FitOptions& options) {
  const LawForm form = options.law;
  CLIPSCALE_CHECK(points.size() >= min_points(form) && distinct_inputs(points, form) >= law_parameter_count(form))
      << points.size() << " points are too few for a " << law_name(form) << " law";
  const Centre centre = centre_of(points, form);
  const std::vector<PointData> data = point_data(points, form, centre);
  if (form == LawForm::kPower && options.loss == LossKind::kSquared) {
    FitResult result = closed_form_power_fit(data, centre);
    finish(&result, points, options);
    return result;
  }
  std::vector<std::vector<double>> starts;
  if (form == LawForm::kPower) {
    starts.push_back(to_internal(closed_form_power_fit(data, centre).law, centre));
  } else if (options.starts == StartRule::kHoffmannGrid) {
    starts = hoffmann_starts(centre);
  } else {
    starts = variable_projection_starts(data, form, options);
  }
  std::vector<Outcome> outcomes(starts.size());
  parallel_for(starts.size(), options.threads, [&](size_t begin, size_t end, int /*worker*/) {
    LocalSolver solver(data, form, options);
    for (size_t i = begin; i < end; ++i) outcomes[i] = solver.solve(starts[i]);
  });
  const Outcome* best = nullptr;
  for (const Outcome& o : outcomes) {
    if (o.ok && (best == nullptr || o.objective < best->objective)) best = &o;
  }
  if (best == nullptr) return failed_fit(form);
  FitResult result;
  result.law = to_natural(best->theta, form, centre);
  result.starts = static_cast<int>(starts.size());
  result.converged = best->converged;
  for (const Outcome& o : outcomes) {
    if (o.ok && o.objective <= best->objective + kSameOptimum * std::abs(best->objective)) ++result.starts_at_best;
  }
  finish(&result, points, options);
  return result;
}

FitResult refine_law(const std::vector<FitPoint>& points, const FitOptions& options, const Law& start) {
  const LawForm form = options.law;
  if (points.size() < min_points(form) || distinct_inputs(points, form) < law_parameter_count(form)) {
    return failed_fit(form);
  }
  const Centre centre = centre_of(points, form);
  const std::vector<PointData> data = point_data(points, form, centre);
  FitResult result;
  if (form == LawForm::kPower && options.loss == LossKind::kSquared) {
    result = closed_form_power_fit(data, centre);
  } else {
    LocalSolver solver(data, form, options);
    const Outcome o = solver.solve(to_internal(start, centre));
    if (!o.ok) return failed_fit(form);
    result.law = to_natural(o.theta, form, centre);
    result.starts = 1;
    result.starts_at_best = 1;
    result.converged = o.converged;
  }
  finish(&result, points, options);
  return result;
}

}  // namespace clipscale::analysis
