// Scaling-law forms: what is fitted, with which parameters, and how a law is evaluated.
//
//   power       E = beta · x^alpha                       params {beta, alpha}; alpha < 0 when E
//                                                        falls with x (Cherti et al. 2023)
//   saturating  E = e_inf + a · x^(-alpha)               params {e_inf, a, alpha}; alpha > 0
//   joint       E = e + a / n^alpha + b / d^beta          params {e, a, b, alpha, beta}
//                                                        (Chinchilla approach 3, Hoffmann et al.)
//
// x is any positive axis (compute, samples seen, parameters, data size); n is model size and d
// data size (tokens or samples seen). E is the metric turned into an error: 1 − top-1, 1 − R@k,
// or a loss. Every form is fitted on log E; the saturating and joint forms are evaluated as a
// log-sum-exp (log E = LSE(log e, log a − alpha·log n, log b − beta·log d)), which keeps e, a and
// b positive and is stable far outside the data.
#pragma once

#include <string>
#include <vector>

namespace clipscale::analysis {

enum class LawForm { kPower, kSaturating, kJoint };

/// "power", "saturating", "joint".
std::string law_name(LawForm form);
/// Inverse of law_name. Throws core::UserError naming `flag`, the value and the choices.
LawForm parse_law_form(const std::string& text, const std::string& flag);
/// The formula as text, e.g. "E = beta * x^alpha".
std::string law_formula(LawForm form);
/// Parameter names in the order Law::params holds them.
const std::vector<std::string>& law_parameter_names(LawForm form);
inline size_t law_parameter_count(LawForm form) { return law_parameter_names(form).size(); }

/// Where a law is evaluated: x for the power and saturating forms; n and d for the joint form.
struct LawInput {
  double x = 0;
  double n = 0;
  double d = 0;
};

/// A law with its parameters in natural units (law_parameter_names order).
struct Law {
  LawForm form = LawForm::kPower;
  std::vector<double> params;

  /// log E at `input`. Inputs must be > 0; e, a, b and beta (power) must be > 0.
  double log_value(const LawInput& input) const;
  /// E at `input`.
  double value(const LawInput& input) const;
  /// Parameter `name` (CLIPSCALE_CHECK when the form has no such parameter).
  double param(const std::string& name) const;
};

}  // namespace clipscale::analysis
