// The schema of a config: every allowed key with its type, default, one-line doc and rules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/value.h"

namespace clipscale::config {

/// One allowed key. Keys are dotted paths of bare TOML keys ("optim.lr", "model.vision.width");
/// everything before the last dot is the key's section ([optim], [model.vision]).
struct KeySpec {
  std::string key;
  ValueType type = ValueType::kString;
  /// nullopt: the key is required.
  std::optional<Value> default_value;
  /// One line for the user; it is the HINT of errors about this key, so say what the value means
  /// and its unit ("peak learning rate after warm-up").
  std::string doc;
  /// Numeric bounds (kInt, kFloat).
  std::optional<double> min, max;
  bool min_exclusive = false;
  bool max_exclusive = false;
  /// Allowed values (kString; for kStringList every item); empty = any.
  std::vector<std::string> one_of;
  /// kList: the type every item must have (an int item of a float list is stored as a float);
  /// nullopt = items of any type. min and max then bound every numeric item.
  std::optional<ValueType> element_type;

  /// The rule as the user reads it: "optim.lr > 0", "0 <= optim.beta2 < 1",
  /// "model.loss in ["clip", "siglip"]", "each eval.tasks item in ["a", "b"]"; "" when the
  /// key has no rule.
  std::string rule() const;
  /// True when `value` (which must have this key's type) satisfies min, max and one_of (for a
  /// list, every item does, and has element_type). NaN satisfies no bound.
  bool satisfied_by(const Value& value) const;
  bool required() const { return !default_value.has_value(); }
  /// The key's section, "" for top-level keys.
  std::string_view section() const;
};

/// The set of allowed keys, in declaration order (which is also the order of to_toml output).
/// Declaring a key twice, a malformed key, a default of the wrong type or one that breaks the
/// key's own rule is a programming error (core::Error).
///
///   Schema schema;
///   schema.add_float("optim.lr", 1e-3, "peak learning rate", /*min=*/0.0, {}, /*min_exclusive=*/true)
///         .add_int("train.global_batch_size", 256, "images per optimizer step, all ranks", /*min=*/1)
///         .add_string("model.config", std::nullopt, "OpenCLIP model JSON");   // required
class Schema {
 public:
  Schema& add(KeySpec spec);

  Schema& add_bool(std::string key, std::optional<bool> default_value, std::string doc);
  Schema& add_int(std::string key, std::optional<int64_t> default_value, std::string doc,
                  std::optional<double> min = std::nullopt, std::optional<double> max = std::nullopt);
  Schema& add_float(std::string key, std::optional<double> default_value, std::string doc,
                    std::optional<double> min = std::nullopt, std::optional<double> max = std::nullopt,
                    bool min_exclusive = false);
  Schema& add_string(std::string key, std::optional<std::string> default_value, std::string doc,
                     std::vector<std::string> one_of = {});
  Schema& add_string_list(std::string key, std::optional<std::vector<std::string>> default_value, std::string doc,
                          std::vector<std::string> one_of = {});
  /// A list of `element_type` items (kBool, kInt, kFloat or kString), e.g. [1e15, 1e16].
  Schema& add_list(std::string key, ValueType element_type, std::optional<ValueList> default_value, std::string doc,
                   std::optional<double> min = std::nullopt, std::optional<double> max = std::nullopt);

  /// An open table: every key below `name` ([axes] model.config = [...] is "model.config" of
  /// table "axes") is accepted as written, with the natural type of its TOML value, and kept in
  /// file order for the caller to check (Document::table). `doc` is the hint of errors about it.
  Schema& add_table(std::string name, std::string doc);
  /// A file whose top-level tables must all be sections or tables of the schema: an unknown one is
  /// reported once ("unknown section or key 'axis'. HINT: did you mean [axes]?") instead of once
  /// per key inside it.
  Schema& close_sections();

  /// The spec of `key`, nullptr when the key is not declared.
  const KeySpec* find(std::string_view key) const;
  /// All specs in declaration order.
  const std::vector<KeySpec>& keys() const { return keys_; }
  /// All key names in declaration order.
  std::vector<std::string> key_names() const;
  /// Sections in order of their first key ("" for top-level keys comes first when present).
  std::vector<std::string> sections() const;
  /// True when `name` is a section or a parent of one ("model" when "model.vision.width" exists).
  bool is_section(std::string_view name) const;
  /// The open tables, in declaration order (name, doc).
  const std::vector<std::pair<std::string, std::string>>& tables() const { return tables_; }
  /// True when `name` is an open table.
  bool is_table(std::string_view name) const;
  bool sections_closed() const { return sections_closed_; }

 private:
  std::vector<KeySpec> keys_;
  std::map<std::string, std::size_t, std::less<>> index_;
  std::set<std::string, std::less<>> prefixes_;  // every proper dotted prefix of a key
  std::vector<std::pair<std::string, std::string>> tables_;
  bool sections_closed_ = false;
};

}  // namespace clipscale::config
