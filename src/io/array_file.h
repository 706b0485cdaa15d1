// A plain HDF5 file of named arrays and attributes, for exchanging tensors with Python (h5py):
// embeddings, inputs, golden values. Not for run files (see run_file.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace clipscale::io {

class ArrayFileWriter {
 public:
  /// Creates (truncates) `path`; parent directories are created. core::UserError when it cannot.
  explicit ArrayFileWriter(const std::string& path);
  ~ArrayFileWriter();
  ArrayFileWriter(const ArrayFileWriter&) = delete;
  ArrayFileWriter& operator=(const ArrayFileWriter&) = delete;

  /// Row-major arrays of the given shape; the data holds product(shape) elements.
  void write_f32(const std::string& name, const std::vector<int64_t>& shape, const float* data);
  void write_i64(const std::string& name, const std::vector<int64_t>& shape, const int64_t* data);
  /// A 1-D array of variable-length UTF-8 strings.
  void write_strings(const std::string& name, const std::vector<std::string>& values);
  /// Root attributes; setting one again replaces its value.
  void set_attribute(const std::string& name, const std::string& value);
  void set_attribute(const std::string& name, double value);
  void set_attribute(const std::string& name, int64_t value);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace clipscale::io
