// A resolved run config: every schema key with its value and where that value came from.
//
//   config::Schema schema;
//   schema.add_float("optim.lr", 1e-3, "peak learning rate after warm-up", 0.0, {}, /*min_exclusive=*/true);
//   auto doc = config::Document::load(schema, "experiments/tiny.toml", {"optim.lr=3e-4"});
//   double lr = doc.get_float("optim.lr");              // 0.0003
//   doc.source("optim.lr").describe();                   // "--set optim.lr=3e-4"
//   std::cout << doc.to_toml(/*with_provenance=*/true);  // what --dry-run prints
//
// Every user mistake (syntax, unknown key, wrong type, broken rule, missing required key, missing
// file) becomes one line of one core::UserError, in the house shape:
//   experiments/tiny.toml:3: optim.lr = -0.1 violates optim.lr > 0. HINT: peak learning rate after warm-up.
//   experiments/tiny.toml:4: unknown key 'optim.lrr'. HINT: did you mean 'optim.lr'?
//   experiments/tiny.toml:5: optim.wd = "high" has type string, expected float. HINT: write a float, e.g. optim.wd =
//   0.1.
//   --set optim.lr=abc: optim.lr = abc is not a float. HINT: write a float, e.g. --set optim.lr=0.001.
//   experiments/tiny.toml: missing required key 'model.config'. HINT: OpenCLIP model JSON.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/schema.h"
#include "config/source.h"
#include "config/value.h"

namespace clipscale::config {

/// One problem found while loading: its line in the config file (0 for overrides, missing keys
/// and problems of the whole file) and the message in the house shape.
struct Problem {
  int line = 0;
  std::string text;
};

/// A key of an open table (Schema::add_table) as the file wrote it.
struct TableEntry {
  std::string key;              ///< below the table: "model.config" of [axes] model.config = [...]
  Value value;                  ///< with the natural type of the TOML value (see ValueType)
  Source source;                ///< the key's line
  std::vector<int> item_lines;  ///< for a list, the line of each item
};

class Document {
 public:
  /// Reads the TOML file at `path` ("" = no file: defaults and overrides only), applies the
  /// `overrides` ("key=value", as given to --set) in order, checks every key against `schema`
  /// and fills in defaults.
  ///
  /// File values: nested tables map to dotted keys ([optim] lr = ... is "optim.lr"); integers
  /// are accepted for float keys (stored as double), floats for int keys are a type error;
  /// string lists are TOML arrays of strings.
  /// Overrides: `value` is read as a TOML value (1e-3, true, "x", ["a", "b"]); for a string key,
  /// text that does not read as a TOML string is taken verbatim (data.source=synth:shapes).
  /// A later override of the same key wins; an override beats the file.
  /// Rules (min, max, one_of) are checked on the resolved values, so a --set can fix a bad file
  /// value; syntax, type and unknown-key errors are reported wherever they occur.
  ///
  /// Throws core::UserError with one line per problem (file problems in line order, then
  /// overrides in order, then missing required keys), never just the first one.
  ///
  /// `foreign_sections` are top-level tables of the file that the caller reads itself: their
  /// keys are neither checked nor stored. The keys of the schema's open tables are stored as
  /// written (table()).
  ///
  /// With `problems`, nothing is thrown: the problems are appended in the order they would be
  /// reported, and a key without a usable value holds its default, or the zero value of its type
  /// (false, 0, "", []) when it has none, so that a caller that reports more problems of its own (a sweep file's axes)
  /// can read every key and report everything at once.
  static Document load(const Schema& schema, const std::string& path, const std::vector<std::string>& overrides = {},
                       const std::vector<std::string>& foreign_sections = {}, std::vector<Problem>* problems = nullptr);

  /// load() of TOML text instead of a file, without overrides; `origin` names the text in messages
  /// where a file path would (e.g. "checkpoint/run_config.toml").
  static Document load_text(const Schema& schema, const std::string& text, const std::string& origin,
                            std::vector<Problem>* problems = nullptr);

  /// Typed reads. Reading a key that is not in the schema, or with the wrong type, is a
  /// programming error (core::Error). get_float also reads int keys.
  bool get_bool(std::string_view key) const;
  int64_t get_int(std::string_view key) const;
  double get_float(std::string_view key) const;
  const std::string& get_string(std::string_view key) const;
  const std::vector<std::string>& get_string_list(std::string_view key) const;

  const Value& value(std::string_view key) const;
  const Source& source(std::string_view key) const;
  /// Where item `index` of a list value came from: its own line in the file when it has one, else
  /// source(key).
  Source item_source(std::string_view key, size_t index) const;

  /// The keys of open table `name` (Schema::add_table) in file order; empty when the file has
  /// none. Reading a name that is not an open table is a programming error.
  const std::vector<TableEntry>& table(std::string_view name) const;

  /// Sets a value from code (e.g. a CLI flag bound to a key). Checked like a loaded value: an
  /// unknown key, a wrong type or a broken rule throws core::UserError naming `source`. An int
  /// for a float key is stored as double.
  void set(std::string_view key, Value value, Source source);

  /// The resolved config as TOML: top-level keys, then one [section] per schema section in
  /// schema order, keys in schema order, values in canonical form (format_value), one blank
  /// line between sections. The text depends only on the values, never on how the input was
  /// written, so sha256(to_toml(false)) is a stable run id; Document::load of it gives the same
  /// values. with_provenance appends "  # <Source::describe()>" to every value line (--dry-run).
  /// `include`, when given, keeps only the keys it accepts (a section left empty is left out).
  /// Open tables are not part of the text.
  std::string to_toml(bool with_provenance,
                      const std::function<bool(const KeySpec&, const Value&)>& include = {}) const;

  /// One error line in the house shape for a rule checked outside the schema (cross-key rules
  /// checked by the caller), located at where `key`'s value came from:
  ///   experiments/tiny.toml:14: train.global_batch_size = 4000 violates global_batch_size % (world_size ×
  ///   micro_batch_size) == 0 (world_size 16, micro_batch_size 48). HINT: use 3840 or 4608.
  /// A default value is located at the config file and marked "(default)"; a value from --set
  /// at "--set key=value". `hint` gets a final period when it lacks one; "" leaves out the HINT.
  /// Collect these lines and throw core::UserError with them joined by '\n'.
  std::string violation(std::string_view key, std::string_view rule, std::string_view hint) const;

  const Schema& schema() const { return schema_; }
  /// The config path given to load ("" when there was none).
  const std::string& path() const { return path_; }

 private:
  struct Entry {
    Value value;
    Source source;
    std::vector<int> item_lines;  // lines of the items of a list value from the file
  };

  Document(Schema schema, std::string path);
  static Document load_impl(const Schema& schema, const std::string& path, const std::string* given_text,
                            const std::vector<std::string>& overrides,
                            const std::vector<std::string>& foreign_sections, std::vector<Problem>* lenient);
  const Entry& entry(std::string_view key) const;
  /// Error-line prefix for a value from `source`: "file:line", "--set key=value" or the file.
  std::string where(const Source& source) const;

  Schema schema_;
  std::string path_;
  std::map<std::string, Entry, std::less<>> entries_;
  std::map<std::string, std::vector<TableEntry>, std::less<>> tables_;
};

}  // namespace clipscale::config
