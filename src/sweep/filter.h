// The skip rules of a sweep file's [filter] section. A rule is one line of text:
//
//   expression := comparison ("and" comparison)*
//   comparison := operand OP operand            OP: == != < <= > >=
//   operand    := NAME | number | "string" | 'string' | true | false
//
// NAME is a run-config key (train.samples_seen, model.config, data.variant, ...) or a quantity
// derived from the resolved run: params, params_image, params_text, flops_per_sample, compute
// (3 × flops_per_sample × train.samples_seen), model (the model JSON's stem), ranks_per_run,
// threads_per_rank. A run is skipped when any rule holds:
//
//   skip_if = ["train.samples_seen < data.data_size",
//              "model == \"clip-w256-l6\" and train.samples_seen <= 64000",
//              "compute > 2e15"]
//
// Numbers compare as numbers (int keys included); strings and booleans only with == and !=.
// Names and types are checked when the sweep file is read, so a rule can't fail later.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace clipscale::sweep {

/// The value of a name in a filter rule: number, string or boolean.
using FilterValue = std::variant<double, std::string, bool>;

/// What a name in a rule is; a string list key reads as its canonical TOML text.
enum class FilterType { kNumber, kString, kBool };

/// Derived names and their types (the list in the header comment).
const std::map<std::string, FilterType>& derived_filter_names();

class FilterRule {
 public:
  /// Parses and type-checks `text`. `types` gives the type of every name a rule may use.
  /// Throws core::UserError starting with `where` (e.g. "sweeps/x.toml:14: filter.skip_if[2]")
  /// that shows the rule, the problem (syntax with its column, an unknown name with a
  /// did-you-mean, a comparison of mismatched types) and a HINT.
  static FilterRule parse(std::string_view text, const std::string& where,
                          const std::map<std::string, FilterType>& types);

  /// True when every comparison holds; `lookup` gives the value of a name (of the type the rule
  /// was checked against).
  bool holds(const std::function<FilterValue(const std::string&)>& lookup) const;

  const std::string& text() const { return text_; }
  /// The names the rule reads, in order of first use.
  const std::vector<std::string>& names() const { return names_; }

 private:
  struct Operand {
    bool is_name = false;
    std::string name;   // is_name
    FilterValue value;  // otherwise
  };
  struct Comparison {
    Operand left;
    std::string op;
    Operand right;
  };
  std::string text_;
  std::vector<Comparison> comparisons_;
  std::vector<std::string> names_;
};

}  // namespace clipscale::sweep
