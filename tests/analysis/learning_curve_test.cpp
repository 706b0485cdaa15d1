// Learning-curve predictions: the schedule's closed forms against numerical integration, interval
// coverage on curves drawn from a known law, the diagnostics, the shared prior, the early-stopping
// rule and its replay, and the OpenCLIP calibration against the committed report.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "analysis/learning_curve.h"
#include "analysis/learning_curve_calibration.h"
#include "analysis/learning_curve_schedule.h"
#include "analysis/learning_curve_stopping.h"
#include "analysis/synthetic_runs.h"
#include "core/error.h"
#include "core/hash.h"
#include "io/table_file.h"

namespace clipscale::analysis {
namespace {

using testing::normal;

// ---- synthetic sweeps ----

// A cosine run of 1e9 samples with a 2% warm-up.
CurveSchedule cosine_schedule(double target = 1e9) {
  CurveSchedule s;
  s.target_samples = target;
  s.warmup_samples = 0.02 * target;
  s.kind = ScheduleKind::kCosine;
  return s;
}

// The population a synthetic sweep's shapes are drawn from.
struct Population {
  double a = 0.5, a_sd = 0.05;
  double c = 0.25, c_sd = 0.03;
  double lag = 0.3, lag_sd = 0.05;
  double noise = 0.01;
};

CurvePrior known_prior(const Population& p) {
  CurvePrior prior;
  prior.model = CurveModel::kAnnealed;
  prior.names = curve_shape_names(prior.model);
  prior.mean = {p.a, p.c, p.lag};
  prior.sd = {p.a_sd, p.c_sd, p.lag_sd};
  prior.noise = p.noise;
  prior.runs = 1000;  // a population known exactly: the draws are (almost) normal
  prior.scope = "known";
  prior.ok = true;
  return prior;
}

// One run's law: shape drawn from `p`, E∞ in [0.2, 0.4], head 0.2..0.4 above E∞ at 5% of the run.
CurveFit draw_law(const Population& p, const CurveSchedule& schedule, core::Rng& rng) {
  CurveFit law;
  law.model = CurveModel::kAnnealed;
  const double a = p.a + p.a_sd * normal(rng);
  const double tau0 = schedule.effective_samples(0.05 * schedule.target_samples);
  const double e_inf = rng.uniform(0.2, 0.4);
  const double head = rng.uniform(0.2, 0.4);
  law.params = {e_inf, head * std::pow(tau0, a), a, p.c + p.c_sd * normal(rng),
                std::max(0.01, p.lag + p.lag_sd * normal(rng))};
  return law;
}

// `evals` evaluations evenly spaced to the target, E = law(s)·exp(σz); the last one is the truth.
RunCurve draw_run(const std::string& id, const CurveFit& law, const CurveSchedule& schedule, int evals, double sigma,
                  core::Rng& rng) {
  RunCurve run;
  run.id = id;
  run.schedule = schedule;
  for (int k = 1; k <= evals; ++k) {
    const double s = schedule.target_samples * k / evals;
    run.points.push_back({s, law.value(s, schedule) * std::exp(sigma * normal(rng))});
  }
  return run;
}

std::vector<CurvePoint> up_to(const RunCurve& run, double cut) {
  std::vector<CurvePoint> kept;
  for (const CurvePoint& p : run.points) {
    if (p.samples <= cut * run.schedule.target_samples) kept.push_back(p);
  }
  return kept;
}

CurveFitOptions quick_options(int resamples, uint64_t seed) {
  CurveFitOptions o;
  o.resamples = resamples;
  o.seed = seed;
  return o;
}

// ---- schedule ----

TEST(LearningCurveSchedule, EffectiveTimeIsTheIntegralOfTheLearningRate) {
  for (const ScheduleKind kind : {ScheduleKind::kCosine, ScheduleKind::kConstant}) {
    CurveSchedule s = cosine_schedule(1000);
    s.kind = kind;
    s.warmup_samples = 100;
    s.final_lr_fraction = 0.1;
    double integral = 0;
    const int steps = 200000;
    const double h = 1200.0 / steps;  // past the target too
    for (int i = 0; i < steps; ++i) {
      integral += h * 0.5 * (s.lr_fraction(i * h) + s.lr_fraction((i + 1) * h));
      if ((i + 1) % 20000 == 0) {
        EXPECT_NEAR(s.effective_samples((i + 1) * h), integral, 1e-6 * 1200)
            << schedule_kind_name(kind) << " at " << (i + 1) * h;
      }
    }
  }
}

TEST(LearningCurveSchedule, LaggedAnnealingSolvesItsMovingAverage) {
  CurveSchedule s = cosine_schedule(1.0);
  s.warmup_samples = 0;
  s.final_lr_fraction = 0.2;
  for (const double lag : {0.05, 0.3, 1.5}) {
    // Euler steps of L·dη̃/dx = η − η̃ from η̃(0) = 1.
    double ema = 1;
    const int steps = 400000;
    for (int i = 0; i < steps; ++i) {
      const double x = (i + 0.5) / steps;
      ema += (s.lr_fraction(x) - ema) / (lag * steps);
      if ((i + 1) % 100000 == 0) {
        EXPECT_NEAR(s.annealing((i + 1.0) / steps, lag), 1 - ema, 1e-5) << "lag " << lag << " at " << x;
      }
    }
  }
  for (const double x : {0.0, 0.3, 0.7, 1.0}) EXPECT_NEAR(s.annealing(x, 0.0), 1 - s.lr_fraction(x), 1e-12);
}

TEST(LearningCurveSchedule, InvalidValuesAreReportedWithTheFieldName) {
  CurveSchedule s = cosine_schedule();
  s.warmup_samples = 2e9;
  std::string error;
  EXPECT_FALSE(s.is_valid("run.", &error));
  EXPECT_NE(error.find("run.warmup_samples = 2000000000"), std::string::npos) << error;
  EXPECT_EQ(parse_schedule_kind("const", "--schedule"), ScheduleKind::kConstant);
  EXPECT_THROW(parse_schedule_kind("linear", "--schedule"), core::UserError);
}

// ---- prediction ----

// 200 runs drawn from the known population, each predicted from its first 25% with the known
// prior: the 80% and 95% intervals cover the true (noisy) final at the nominal rate. Tolerance:
// 3.5 binomial standard deviations (200 draws: ±0.099 at 80%, ±0.054 at 95%), plus 0.02 for
// the Monte-Carlo error of 100 replicates' percentiles.
TEST(LearningCurvePredict, IntervalsCoverTheFinalAtTheNominalRate) {
  const Population population;
  const CurvePrior prior = known_prior(population);
  const CurveSchedule schedule = cosine_schedule();
  int in80 = 0, in95 = 0, predicted = 0;
  const int seeds = 200;
  for (int seed = 0; seed < seeds; ++seed) {
    core::Rng rng(core::hash_combine(42, seed));
    const CurveFit law = draw_law(population, schedule, rng);
    const RunCurve run = draw_run("run", law, schedule, 40, population.noise, rng);
    CurveFitOptions o = quick_options(100, seed);
    o.threads = 2;
    const CurvePrediction p = predict_final(up_to(run, 0.25), schedule, &prior, o);
    ASSERT_TRUE(p.ok) << p.problem;
    const double truth = run.points.back().error;
    ++predicted;
    in80 += p.lo80 <= truth && truth <= p.hi80;
    in95 += p.lo95 <= truth && truth <= p.hi95;
  }
  EXPECT_NEAR(static_cast<double>(in80) / predicted, 0.80, 0.099 + 0.02);
  EXPECT_NEAR(static_cast<double>(in95) / predicted, 0.95, 0.054 + 0.02);
}

TEST(LearningCurvePredict, IsDeterministicAndIndependentOfThreads) {
  const Population population;
  const CurvePrior prior = known_prior(population);
  const CurveSchedule schedule = cosine_schedule();
  core::Rng rng(7);
  const RunCurve run = draw_run("run", draw_law(population, schedule, rng), schedule, 40, 0.01, rng);
  CurveFitOptions one = quick_options(64, 3);
  CurveFitOptions two = one;
  two.threads = 2;
  const CurvePrediction a = predict_final(up_to(run, 0.3), schedule, &prior, one);
  const CurvePrediction b = predict_final(up_to(run, 0.3), schedule, &prior, two);
  ASSERT_TRUE(a.ok && b.ok);
  EXPECT_EQ(a.final_error, b.final_error);
  EXPECT_EQ(a.replicates, b.replicates);
  EXPECT_EQ(a.lo80, b.lo80);
  EXPECT_LT(a.lo95, a.lo80);
  EXPECT_LT(a.hi80, a.hi95);
  EXPECT_EQ(a.interval(0.8).first, a.lo80);
}

// A complete noise-free curve gives its own shape back.
TEST(LearningCurvePredict, WholeCurveFitRecoversTheLaw) {
  const CurveSchedule schedule = cosine_schedule();
  CurveFit law;
  law.model = CurveModel::kAnnealed;
  const double tau0 = schedule.effective_samples(0.05e9);
  law.params = {0.3, 0.3 * std::pow(tau0, 0.5), 0.5, 0.25, 0.3};
  core::Rng rng(1);
  const RunCurve run = draw_run("clean", law, schedule, 60, 0.0, rng);
  const RunShape shape = fit_run_shape(run, quick_options(0, 0));
  ASSERT_TRUE(shape.ok) << shape.problem;
  EXPECT_NEAR(shape.fit.param("a"), 0.5, 0.02);
  EXPECT_NEAR(shape.fit.param("c"), 0.25, 0.005);
  EXPECT_NEAR(shape.fit.param("lag"), 0.3, 0.02);
  EXPECT_NEAR(shape.fit.value(1e9, schedule), law.value(1e9, schedule), 1e-4);
  EXPECT_LT(shape.noise, 1e-4);
}

class LearningCurveProblems : public ::testing::Test {
 protected:
  static CurvePrediction predict(const std::vector<CurvePoint>& points) {
    return predict_final(points, cosine_schedule(), nullptr, quick_options(16, 0));
  }
  static void expect_problem(const CurvePrediction& p, const std::string& text) {
    EXPECT_FALSE(p.ok);
    EXPECT_NE(p.problem.find(text), std::string::npos) << p.problem;
    EXPECT_TRUE(std::isnan(p.final_error));
    EXPECT_TRUE(p.replicates.empty());
  }
};

TEST_F(LearningCurveProblems, TooFewPointsSaysHowMany) {
  expect_problem(predict({{1e8, 0.6}, {2e8, 0.5}, {3e8, 0.45}}), "too few points (3 < 4)");
}

TEST_F(LearningCurveProblems, PointsInsideTheWarmupAreCountedOut) {
  expect_problem(predict({{1e7, 0.9}, {1.5e7, 0.8}, {1e8, 0.6}, {2e8, 0.5}, {3e8, 0.45}}),
                 "too few points (3 < 4) (2 of 5 inside the warm-up");
}

TEST_F(LearningCurveProblems, EmptySeries) { expect_problem(predict({}), "empty series"); }

TEST_F(LearningCurveProblems, NonFiniteValueNamesThePoint) {
  expect_problem(predict({{1e8, 0.6}, {2e8, NAN}, {3e8, 0.45}, {4e8, 0.4}, {5e8, 0.38}}),
                 "non-finite value at point 1");
  expect_problem(predict({{1e8, 0.6}, {INFINITY, 0.5}, {3e8, 0.45}, {4e8, 0.4}}), "non-finite value at point 1");
}

TEST_F(LearningCurveProblems, NonPositiveErrorAndPointsPastTheTarget) {
  expect_problem(predict({{1e8, 0.6}, {2e8, 0.0}, {3e8, 0.45}, {4e8, 0.4}}), "non-positive value at point 1");
  expect_problem(predict({{1e8, 0.6}, {2e8, 0.5}, {3e8, 0.45}, {2e9, 0.4}}), "beyond the target length");
}

TEST_F(LearningCurveProblems, RisingMetricIsReported) {
  // An accuracy passed as an error, with one dip: the trend still rises.
  expect_problem(predict({{1e8, 0.30}, {2e8, 0.40}, {3e8, 0.35}, {4e8, 0.50}, {5e8, 0.55}}), "metric rises");
}

TEST_F(LearningCurveProblems, UnusablePriorOrPriorOfAnotherModel) {
  const std::vector<CurvePoint> points = {{1e8, 0.6}, {2e8, 0.5}, {3e8, 0.45}, {4e8, 0.42}, {5e8, 0.4}};
  CurvePrior prior = known_prior(Population{});
  CurveFitOptions o = quick_options(16, 0);
  o.model = CurveModel::kPowerOffset;
  expect_problem(predict_final(points, cosine_schedule(), &prior, o), "fitted for the annealed model, not power");
  prior.ok = false;
  prior.problem = "2 runs could be fitted (< 3)";
  expect_problem(predict_final(points, cosine_schedule(), &prior, quick_options(16, 0)), "2 runs could be fitted");
}

TEST_F(LearningCurveProblems, InvalidOptionsAreAProblemNotAnException) {
  CurveFitOptions o = quick_options(16, 0);
  o.min_points = 2;
  expect_problem(predict_final({{1e8, 0.6}}, cosine_schedule(), nullptr, o), "options.min_points = 2");
}

// ---- shared prior ----

// A sweep of 12 runs whose shapes come from one population: predicted from their first 15%, with
// a leave-one-run-out prior from the other 11 whole curves, they are at least twice as close to
// their finals as independent fits of the same points.
TEST(LearningCurvePrior, SharedPriorBeatsIndependentFitsOnShortCuts) {
  const Population population;
  const CurveSchedule schedule = cosine_schedule();
  core::Rng rng(2024);
  std::vector<RunCurve> runs;
  for (int r = 0; r < 12; ++r) {
    runs.push_back(draw_run("run" + std::to_string(r), draw_law(population, schedule, rng), schedule, 60, 0.01, rng));
  }
  const CurveFitOptions o = quick_options(0, 0);
  std::vector<RunShape> shapes;
  for (const RunCurve& run : runs) shapes.push_back(fit_run_shape(run, o));
  double hierarchical = 0, independent = 0;
  for (const RunCurve& run : runs) {
    const CurvePrior prior = pool_shapes(shapes, o.model, run.id);
    ASSERT_TRUE(prior.ok) << prior.problem;
    EXPECT_EQ(prior.runs, 11);
    const CurvePrediction with = predict_final(up_to(run, 0.15), schedule, &prior, o);
    const CurvePrediction without = predict_final(up_to(run, 0.15), schedule, nullptr, o);
    ASSERT_TRUE(with.ok && without.ok) << with.problem << without.problem;
    hierarchical += std::abs(with.final_error - run.points.back().error) / runs.size();
    independent += std::abs(without.final_error - run.points.back().error) / runs.size();
  }
  EXPECT_LT(hierarchical, 0.5 * independent) << "hierarchical MAE " << hierarchical << ", independent " << independent;
  EXPECT_LT(hierarchical, 0.02);
}

TEST(LearningCurvePrior, PoolsTheGroupFirstAndSaysWhenItCannot) {
  std::vector<RunShape> shapes;
  for (int r = 0; r < 5; ++r) {
    RunShape s;
    s.id = "run" + std::to_string(r);
    s.group = r < 3 ? "big" : "small";
    s.ok = true;
    s.fit.model = CurveModel::kAnnealed;
    s.fit.params = {0.3, 1.0, r < 3 ? 0.5 : 0.9, 0.25, 0.3};
    s.noise = 0.01;
    shapes.push_back(s);
  }
  const CurvePrior big = pool_shapes(shapes, CurveModel::kAnnealed, "", "big");
  ASSERT_TRUE(big.ok);
  EXPECT_EQ(big.scope, "group big");
  EXPECT_EQ(big.runs, 3);
  EXPECT_DOUBLE_EQ(big.mean[0], 0.5);
  const CurvePrior small = pool_shapes(shapes, CurveModel::kAnnealed, "run0", "small");
  EXPECT_EQ(small.scope, "all runs (group small has 2 < 3)");
  EXPECT_EQ(small.runs, 4);
  const CurvePrior too_few = pool_shapes({shapes[0], shapes[1]}, CurveModel::kAnnealed);
  EXPECT_FALSE(too_few.ok);
  EXPECT_NE(too_few.problem.find("2 runs could be fitted (< 3)"), std::string::npos) << too_few.problem;
}

TEST(LearningCurvePrior, UnfinishedOrShortRunsAreSkippedWithTheReason) {
  const CurveSchedule schedule = cosine_schedule();
  core::Rng rng(5);
  const RunCurve run = draw_run("r", draw_law(Population{}, schedule, rng), schedule, 40, 0.01, rng);
  RunCurve unfinished = run;
  unfinished.points = up_to(run, 0.5);
  EXPECT_NE(fit_run_shape(unfinished, quick_options(0, 0)).problem.find("not finished"), std::string::npos);
  RunCurve short_run = run;
  short_run.points.erase(short_run.points.begin(), short_run.points.end() - 10);
  EXPECT_NE(fit_run_shape(short_run, quick_options(0, 0)).problem.find("too few points for a shape (10 < 15"),
            std::string::npos);
}

// ---- early stopping ----

TEST(LearningCurveStopping, FrontierIsTheRunningMinimumInterpolatedLogLog) {
  const std::vector<FinishedRun> frontier =
      compute_frontier({{"b", 10, 0.4}, {"a", 1, 0.5}, {"dominated", 5, 0.6}, {"c", 100, 0.2}, {"tie", 10, 0.45}});
  ASSERT_EQ(frontier.size(), 3u);
  EXPECT_EQ(frontier[0].id, "a");
  EXPECT_EQ(frontier[1].id, "b");
  EXPECT_EQ(frontier[2].id, "c");
  EXPECT_TRUE(std::isinf(frontier_error_at(frontier, 0.5)));
  EXPECT_NEAR(frontier_error_at(frontier, std::sqrt(10.0)), std::sqrt(0.5 * 0.4), 1e-12);
  EXPECT_NEAR(frontier_error_at(frontier, 1000), 0.2, 1e-12);
  EXPECT_TRUE(std::isinf(frontier_error_at({}, 10)));
}

// Five cheap runs finish on E = 0.5·C^-0.1; a run in flight is judged at 30% of its length.
class LearningCurveStopRule : public ::testing::Test {
 protected:
  static std::vector<FinishedRun> finished() {
    std::vector<FinishedRun> runs;
    for (const double c : {1.0, 2.0, 4.0, 8.0, 16.0})
      runs.push_back({"c" + std::to_string(c), c, 0.5 * std::pow(c, -0.1)});
    return runs;
  }
  static StopDecision judge(double final_error, double compute) {
    const CurveSchedule schedule = cosine_schedule();
    const Population population;
    CurveFit law;
    law.model = CurveModel::kAnnealed;
    law.params = {0.0, 1.0, population.a, population.c, population.lag};
    law.params[1] = final_error / law.value(schedule.target_samples, schedule);  // scale to the wanted final
    core::Rng rng(11);
    const RunCurve run = draw_run("flight", law, schedule, 40, 0.005, rng);
    const CurvePrior prior = known_prior(population);
    StopRuleOptions o;
    o.fit = quick_options(100, 1);
    return should_stop(finished(), up_to(run, 0.3), schedule, compute / schedule.target_samples, &prior, o);
  }
};

TEST_F(LearningCurveStopRule, StopsARunThatEndsWellAboveTheFrontier) {
  const StopDecision d = judge(0.6, 8.0);  // the frontier at C = 8 is 0.406
  EXPECT_TRUE(d.stop) << d.reason;
  EXPECT_NEAR(d.frontier_error, 0.5 * std::pow(8.0, -0.1), 1e-12);
  EXPECT_GT(d.optimistic_error, d.frontier_error);
  EXPECT_NE(d.reason.find("stop: predicted final error"), std::string::npos) << d.reason;
}

TEST_F(LearningCurveStopRule, KeepsARunThatBeatsTheFrontier) {
  const StopDecision d = judge(0.35, 8.0);
  EXPECT_FALSE(d.stop) << d.reason;
  EXPECT_LT(d.optimistic_error, d.frontier_error);
}

TEST_F(LearningCurveStopRule, KeepsARunCheaperThanEveryFinishedOne) {
  const StopDecision d = judge(0.9, 0.5);
  EXPECT_FALSE(d.stop);
  EXPECT_NE(d.reason.find("below every finished run"), std::string::npos) << d.reason;
}

TEST_F(LearningCurveStopRule, KeepsARunItCannotPredict) {
  StopRuleOptions o;
  o.fit = quick_options(16, 0);
  const StopDecision d = should_stop(finished(), {{1e8, 0.6}, {2e8, 0.5}}, cosine_schedule(), 1e-8, nullptr, o);
  EXPECT_FALSE(d.stop);
  EXPECT_NE(d.reason.find("keep: no prediction (too few points"), std::string::npos) << d.reason;
}

// Six runs train side by side: four frontier runs, one dominated (its error 40% above the
// frontier at its compute), and one large run that ends as the new best. The replay stops the
// dominated run, saves compute, and stops no run that ends on the frontier.
TEST(LearningCurveReplay, StopsTheDominatedRunAndNoFrontierRun) {
  const Population population;
  core::Rng rng(3);
  std::vector<ReplayRun> runs;
  const auto add = [&](const std::string& id, double compute, double final_error) {
    const CurveSchedule schedule = cosine_schedule();
    CurveFit law = draw_law(population, schedule, rng);
    const double scale = final_error / law.value(schedule.target_samples, schedule);
    law.params[0] *= scale;
    law.params[1] *= scale;
    ReplayRun run;
    run.curve = draw_run(id, law, schedule, 40, 0.005, rng);
    run.compute_per_sample = compute / schedule.target_samples;
    runs.push_back(run);
  };
  for (const double c : {1.0, 2.0, 4.0, 8.0})
    add("frontier" + std::to_string(static_cast<int>(c)), c, 0.5 * std::pow(c, -0.1));
  add("dominated", 6.0, 1.4 * 0.5 * std::pow(6.0, -0.1));
  add("new-best", 32.0, 0.5 * std::pow(32.0, -0.1));
  ReplayOptions o;
  o.after_fraction = 0.25;
  o.rule.fit = quick_options(100, 0);
  const ReplayResult r = replay_early_stopping(runs, o);
  ASSERT_TRUE(r.problems.empty());
  ASSERT_EQ(r.runs.size(), 6u);
  const ReplayOutcome& dominated = r.runs[4];
  EXPECT_TRUE(dominated.stopped) << dominated.decision.reason;
  EXPECT_FALSE(dominated.on_final_frontier);
  EXPECT_LT(dominated.compute_used, 0.75 * dominated.compute_full);
  EXPECT_GE(dominated.stopped_at_samples, 0.25e9);
  EXPECT_FALSE(r.runs[5].stopped) << r.runs[5].decision.reason;
  EXPECT_TRUE(r.runs[5].on_final_frontier);
  EXPECT_GT(r.runs[5].checks, 0);
  EXPECT_TRUE(r.frontier_runs_stopped.empty());
  EXPECT_EQ(r.stopped, 1);
  EXPECT_GT(r.saved_fraction, 0.02);
  EXPECT_NEAR(r.saved_fraction, (dominated.compute_full - dominated.compute_used) / r.compute_full, 1e-12);
}

// ---- calibration on the OpenCLIP curves ----

std::string anchor_dir() { return std::string(CLIPSCALE_SOURCE_DIR) + "/../shared/anchors/openclip-scaling"; }
std::string committed_csv() {
  return std::string(CLIPSCALE_SOURCE_DIR) + "/results/anchors/learning-curves/calibration.csv";
}

std::vector<RunCurve> openclip_runs() {
  const std::string curves = anchor_dir() + "/imagenet_zeroshot_learning_curves.csv";
  const std::string info = anchor_dir() + "/trained_models_info.csv";
  return openclip_run_curves(io::read_csv(curves), curves, io::read_csv(info), info);
}

TEST(LearningCurveCalibration, OpenClipEpochsBecomeSamplesUnderACosineSchedule) {
  if (!std::filesystem::exists(anchor_dir())) GTEST_SKIP() << "no " << anchor_dir();
  const std::vector<RunCurve> runs = openclip_runs();
  ASSERT_EQ(runs.size(), 29u);
  size_t points = 0;
  for (const RunCurve& r : runs) points += r.points.size();
  EXPECT_EQ(points, 3359u);
  const RunCurve& b32 = runs[0];  // B/32, LAION-400M, 13B: 32 epochs of 413M, 2,000 steps of 128 x 672
  EXPECT_EQ(b32.id, "Model-B-32_Data-400M_Samples-13B_lr-1e-3_bs-86k.pt");
  EXPECT_EQ(b32.group, "400M");
  EXPECT_DOUBLE_EQ(b32.schedule.target_samples, 32 * 413e6);
  EXPECT_DOUBLE_EQ(b32.schedule.warmup_samples, 2000.0 * 128 * 672);
  EXPECT_DOUBLE_EQ(b32.points.back().samples, b32.schedule.target_samples);
  EXPECT_NEAR(b32.points.back().error, 1 - 0.6328, 1e-12);
}

// The 25% cut, recomputed, equals the committed report's (results/anchors/learning-curves/).
TEST(LearningCurveCalibration, QuarterCutMatchesTheCommittedReport) {
  if (!std::filesystem::exists(anchor_dir())) GTEST_SKIP() << "no " << anchor_dir();
  if (!std::filesystem::exists(committed_csv())) GTEST_SKIP() << "no " << committed_csv();
  CalibrationOptions options;
  options.cuts = {0.25};
  options.methods = {default_calibration_methods(400, 0).front()};
  options.threads = 2;
  const CalibrationResult now = calibrate_learning_curves(openclip_runs(), options);
  const std::string headline = options.methods[0].name;
  const CutSummary fresh = summarize_cut(now.rows, 0.25, headline, headline);
  const std::vector<CalibrationRow> committed_rows = calibration_rows(io::read_csv(committed_csv()), committed_csv());
  const CutSummary committed = summarize_cut(committed_rows, 0.25, headline, headline);
  ASSERT_GT(committed.included, 0) << "the committed report has no rows for " << headline;
  EXPECT_EQ(fresh.included, committed.included);
  EXPECT_EQ(fresh.runs, committed.runs);
  EXPECT_NEAR(fresh.mae, committed.mae, 5e-4);
  EXPECT_NEAR(fresh.coverage80, committed.coverage80, 1.0 / committed.included + 1e-9);
  EXPECT_NEAR(fresh.coverage95, committed.coverage95, 1.0 / committed.included + 1e-9);
  // The report's target is 80% intervals covering 70-90% of finals (at seed 0 they cover 67%, one run
  // short, as it says); here only that they are not far off, and that the method beats both baselines.
  EXPECT_GE(committed.coverage80, 0.60);
  EXPECT_LE(committed.coverage80, 0.95);
  EXPECT_GE(committed.coverage95, 0.80);
  const CutSummary last = summarize_cut(committed_rows, 0.25, kLastValueBaseline, headline);
  const CutSummary power = summarize_cut(committed_rows, 0.25, kPowerBaseline, headline);
  EXPECT_LT(committed.mae, last.mae);
  EXPECT_LT(committed.mae, power.mae);
}

}  // namespace
}  // namespace clipscale::analysis
