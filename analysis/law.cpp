#include "analysis/law.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace clipscale::analysis {
namespace {

double log_sum_exp(std::initializer_list<double> terms) {
  const double top = std::max(terms);
  double sum = 0;
  for (const double t : terms) sum += std::exp(t - top);
  return top + std::log(sum);
}

}  // namespace

std::string law_name(LawForm form) {
  switch (form) {
    case LawForm::kPower: return "power";
    case LawForm::kSaturating: return "saturating";
    case LawForm::kJoint: return "joint";
  }
  return "?";
}

LawForm parse_law_form(const std::string& text, const std::string& flag) {
  for (const LawForm form : {LawForm::kPower, LawForm::kSaturating, LawForm::kJoint}) {
    if (text == law_name(form)) return form;
  }
  throw core::UserError(flag + " = '" + text + "' is not a law. HINT: use power (E = beta*x^alpha), saturating " +
                        "(E = e_inf + a*x^-alpha) or joint (E = e + a/n^alpha + b/d^beta).");
}

std::string law_formula(LawForm form) {
  switch (form) {
    case LawForm::kPower: return "E = beta * x^alpha";
    case LawForm::kSaturating: return "E = e_inf + a * x^(-alpha)";
    case LawForm::kJoint: return "E = e + a / n^alpha + b / d^beta";
  }
  return "?";
}

const std::vector<std::string>& law_parameter_names(LawForm form) {
  static const std::vector<std::string> power = {"beta", "alpha"};
  static const std::vector<std::string> saturating = {"e_inf", "a", "alpha"};
  static const std::vector<std::string> joint = {"e", "a", "b", "alpha", "beta"};
  switch (form) {
    case LawForm::kPower: return power;
    case LawForm::kSaturating: return saturating;
    case LawForm::kJoint: return joint;
  }
  return power;
}

double Law::log_value(const LawInput& input) const {
  CLIPSCALE_CHECK_EQ(params.size(), law_parameter_count(form)) << "parameters of a " << law_name(form) << " law";
  const double* p = params.data();
  switch (form) {
    case LawForm::kPower: return std::log(p[0]) + p[1] * std::log(input.x);
    case LawForm::kSaturating: return log_sum_exp({std::log(p[0]), std::log(p[1]) - p[2] * std::log(input.x)});
    case LawForm::kJoint:
      return log_sum_exp(
          {std::log(p[0]), std::log(p[1]) - p[3] * std::log(input.n), std::log(p[2]) - p[4] * std::log(input.d)});
  }
  return std::nan("");
}

double Law::value(const LawInput& input) const { return std::exp(log_value(input)); }

double Law::param(const std::string& name) const {
  const auto& names = law_parameter_names(form);
  const auto it = std::find(names.begin(), names.end(), name);
  CLIPSCALE_CHECK(it != names.end()) << "a " << law_name(form) << " law has no parameter " << name;
  return params.at(static_cast<size_t>(it - names.begin()));
}

}  // namespace clipscale::analysis
