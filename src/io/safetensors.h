// The Hugging Face safetensors format, read and written without LibTorch, so weights move between
// clipscale and Python (`safetensors.torch.load_file`) unchanged.
//
// Layout (all integers little-endian):
//   bytes [0, 8)        N = length of the header, uint64
//   bytes [8, 8 + N)    JSON header, UTF-8, padded with spaces so that N % 8 == 0:
//                         {"__metadata__": {"key": "value", ...},            (optional)
//                          "<name>": {"dtype": "F32", "shape": [d0, d1, ...],
//                                     "data_offsets": [begin, end]}, ...}
//   bytes [8 + N, EOF)  the data section: each tensor's elements, row-major, little-endian;
//                       [begin, end) is relative to the start of the data section. The ranges
//                       tile the data section exactly: contiguous, non-overlapping, no gaps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clipscale::io {

/// Element types clipscale reads and writes (safetensors names: F32 F64 F16 BF16 I64 I32 U8 BOOL).
enum class DType { kF32, kF64, kF16, kBF16, kI64, kI32, kU8, kBool };

/// Bytes per element: 4, 8, 2, 2, 8, 4, 1, 1.
size_t dtype_size(DType dtype);

/// The safetensors name: "F32", "F64", "F16", "BF16", "I64", "I32", "U8", "BOOL".
std::string dtype_name(DType dtype);

/// The DType with safetensors name `name`, or nullopt for a name clipscale does not support.
std::optional<DType> dtype_from_name(std::string_view name);

/// One named tensor: its raw little-endian element bytes, row-major.
/// data.size() == numel() * dtype_size(dtype).
struct TensorRecord {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;  ///< empty for a scalar
  std::vector<uint8_t> data;

  /// Product of `shape` (1 for a scalar, 0 when any dimension is 0).
  int64_t numel() const;
};

/// Writes `tensors` and `metadata` to `path` atomically (see write_file_atomic). The data section
/// keeps the order of `tensors`. Throws core::Error for an empty, reserved ("__metadata__") or
/// duplicate name, a negative dimension, or data whose size is not numel * dtype_size; throws
/// core::UserError when the file can't be written.
void write_safetensors(const std::string& path, const std::vector<TensorRecord>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

/// A whole safetensors file in memory.
struct SafetensorsFile {
  std::vector<TensorRecord> tensors;  ///< in data-section order
  std::map<std::string, std::string> metadata;

  /// The tensor called `name`, or nullptr.
  const TensorRecord* find(const std::string& name) const;
};

/// Reads and validates the whole file: header length against the file size, the JSON, each entry's
/// dtype, shape and offsets, offsets against sizes, and that the tensors tile the data section.
/// Any violation throws core::UserError naming the file and the tensor (or header field), the
/// expected and found values, and a HINT.
SafetensorsFile read_safetensors(const std::string& path);

}  // namespace clipscale::io
