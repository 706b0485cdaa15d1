#include "io/safetensors.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <set>
#include <tuple>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/atomic_file.h"

namespace clipscale::io {
namespace {

// The reference implementation refuses headers above 100 MB; so do we, before allocating.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

constexpr std::array<DType, 8> kAllDTypes = {DType::kF32, DType::kF64, DType::kF16, DType::kBF16,
                                             DType::kI64, DType::kI32, DType::kU8,  DType::kBool};

constexpr const char* kCorruptHint =
    "HINT: the file is truncated or corrupt; write it again (Python: "
    "safetensors.torch.save_file, or clipscale).";

// numel * element size, or nullopt on overflow or a negative dimension.
std::optional<uint64_t> byte_size(const std::vector<int64_t>& shape, DType dtype) {
  uint64_t bytes = dtype_size(dtype);
  for (int64_t d : shape) {
    if (d < 0) return std::nullopt;
    if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(d), &bytes)) return std::nullopt;
  }
  return bytes;
}

std::string shape_text(const std::vector<int64_t>& shape) { return fmt::format("[{}]", fmt::join(shape, ", ")); }

// A tensor entry of the header, before its bytes are read.
struct Entry {
  TensorRecord record;
  uint64_t begin = 0;
  uint64_t end = 0;
};

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  [[noreturn]] void fail(const std::string& problem, const char* hint = kCorruptHint) const {
    throw core::UserError(fmt::format("safetensors file '{}': {}. {}", path_, problem, hint));
  }

  [[noreturn]] void fail_tensor(const std::string& name, const std::string& problem,
                                const char* hint = kCorruptHint) const {
    fail(fmt::format("tensor '{}': {}", name, problem), hint);
  }

  uint64_t unsigned_field(const std::string& name, const char* field, const nlohmann::json& value) const {
    if (!value.is_number_unsigned()) {
      fail_tensor(name, fmt::format("\"{}\" must hold non-negative integers, found {}", field, value.dump()));
    }
    return value.get<uint64_t>();
  }

  Entry parse_entry(const std::string& name, const nlohmann::json& info, uint64_t data_size) const {
    if (!info.is_object()) fail_tensor(name, fmt::format("expected a JSON object, found {}", info.dump()));
    Entry entry;
    entry.record.name = name;

    const auto dtype_it = info.find("dtype");
    if (dtype_it == info.end() || !dtype_it->is_string()) fail_tensor(name, "\"dtype\" is missing or not a string");
    const std::string dtype = dtype_it->get<std::string>();
    const std::optional<DType> parsed = dtype_from_name(dtype);
    if (!parsed) {
      fail_tensor(name, fmt::format("dtype \"{}\" is not supported", dtype),
                  "HINT: clipscale reads F32, F64, F16, BF16, I64, I32, U8 and BOOL; convert the tensor "
                  "to one of them before saving.");
    }
    entry.record.dtype = *parsed;

    const auto shape_it = info.find("shape");
    if (shape_it == info.end() || !shape_it->is_array()) fail_tensor(name, "\"shape\" is missing or not an array");
    for (const nlohmann::json& d : *shape_it) {
      const uint64_t dim = unsigned_field(name, "shape", d);
      if (dim > static_cast<uint64_t>(INT64_MAX)) fail_tensor(name, fmt::format("dimension {} is too large", dim));
      entry.record.shape.push_back(static_cast<int64_t>(dim));
    }

    const auto offsets_it = info.find("data_offsets");
    if (offsets_it == info.end() || !offsets_it->is_array() || offsets_it->size() != 2) {
      fail_tensor(name, "\"data_offsets\" must be an array [begin, end]");
    }
    entry.begin = unsigned_field(name, "data_offsets", (*offsets_it)[0]);
    entry.end = unsigned_field(name, "data_offsets", (*offsets_it)[1]);
    if (entry.begin > entry.end) {
      fail_tensor(name, fmt::format("data_offsets [{}, {}] end before they begin", entry.begin, entry.end));
    }
    if (entry.end > data_size) {
      fail_tensor(name, fmt::format("data_offsets [{}, {}] reach past the data section, expected end <= {} "
                                    "(the file holds {} data bytes)",
                                    entry.begin, entry.end, data_size, data_size));
    }
    const std::optional<uint64_t> expected = byte_size(entry.record.shape, entry.record.dtype);
    if (!expected || *expected != entry.end - entry.begin) {
      fail_tensor(name, fmt::format("dtype {} with shape {} needs {} bytes, found data_offsets [{}, {}] "
                                    "spanning {} bytes",
                                    dtype, shape_text(entry.record.shape),
                                    expected ? fmt::to_string(*expected) : std::string("too many"), entry.begin,
                                    entry.end, entry.end - entry.begin));
    }
    return entry;
  }

  std::map<std::string, std::string> parse_metadata(const nlohmann::json& value) const {
    if (!value.is_object()) fail(fmt::format("\"__metadata__\" must be an object, found {}", value.dump()));
    std::map<std::string, std::string> metadata;
    for (const auto& [key, v] : value.items()) {
      if (!v.is_string()) {
        fail(fmt::format("\"__metadata__\" entry \"{}\" must be a string, found {}", key, v.dump()),
             "HINT: safetensors metadata maps strings to strings; encode other values as text.");
      }
      metadata[key] = v.get<std::string>();
    }
    return metadata;
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::kF64:
    case DType::kI64: return 8;
    case DType::kF32:
    case DType::kI32: return 4;
    case DType::kF16:
    case DType::kBF16: return 2;
    case DType::kU8:
    case DType::kBool: return 1;
  }
  CLIPSCALE_CHECK(false) << "unknown DType " << static_cast<int>(dtype);
  return 0;
}

std::string dtype_name(DType dtype) {
  switch (dtype) {
    case DType::kF32: return "F32";
    case DType::kF64: return "F64";
    case DType::kF16: return "F16";
    case DType::kBF16: return "BF16";
    case DType::kI64: return "I64";
    case DType::kI32: return "I32";
    case DType::kU8: return "U8";
    case DType::kBool: return "BOOL";
  }
  CLIPSCALE_CHECK(false) << "unknown DType " << static_cast<int>(dtype);
  return "";
}

std::optional<DType> dtype_from_name(std::string_view name) {
  for (DType dtype : kAllDTypes) {
    if (dtype_name(dtype) == name) return dtype;
  }
  return std::nullopt;
}

int64_t TensorRecord::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

const TensorRecord* SafetensorsFile::find(const std::string& name) const {
  for (const TensorRecord& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

void write_safetensors(const std::string& path, const std::vector<TensorRecord>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  // ordered_json keeps the tensors' order in the header too, which makes files easy to diff.
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    nlohmann::ordered_json& meta = header["__metadata__"];
    meta = nlohmann::ordered_json::object();
    for (const auto& [key, value] : metadata) meta[key] = value;
  }
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const TensorRecord& t : tensors) {
    CLIPSCALE_CHECK(!t.name.empty()) << "writing '" << path << "': a tensor has an empty name";
    CLIPSCALE_CHECK(t.name != "__metadata__") << "writing '" << path << "': \"__metadata__\" is reserved";
    CLIPSCALE_CHECK(names.insert(t.name).second)
        << "writing '" << path << "': duplicate tensor name '" << t.name << "'";
    const std::optional<uint64_t> bytes = byte_size(t.shape, t.dtype);
    CLIPSCALE_CHECK(bytes.has_value()) << "writing '" << path << "': tensor '" << t.name << "' has a bad shape "
                                       << shape_text(t.shape);
    CLIPSCALE_CHECK_EQ(t.data.size(), *bytes)
        << "writing '" << path << "': tensor '" << t.name << "' (" << dtype_name(t.dtype) << ", shape "
        << shape_text(t.shape) << ") has the wrong number of data bytes";
    header[t.name] = {{"dtype", dtype_name(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + *bytes}}};
    offset += *bytes;
  }

  std::string json;
  try {
    json = header.dump();
  } catch (const nlohmann::json::exception& e) {
    CLIPSCALE_CHECK(false) << "writing '" << path << "': the header can't be encoded (" << e.what()
                           << "); tensor names and metadata must be valid UTF-8";
  }
  json.append((8 - json.size() % 8) % 8, ' ');
  std::array<char, 8> length{};
  for (size_t i = 0; i < 8; ++i) length[i] = static_cast<char>((json.size() >> (8 * i)) & 0xff);

  std::vector<std::string_view> pieces = {std::string_view(length.data(), length.size()), json};
  for (const TensorRecord& t : tensors) {
    pieces.emplace_back(reinterpret_cast<const char*>(t.data.data()), t.data.size());
  }
  write_file_atomic(path, pieces);
}

SafetensorsFile read_safetensors(const std::string& path) {
  const Reader reader(path);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    read_file(path);  // throws the missing-file / directory UserError
    reader.fail("not a regular file", "HINT: name the .safetensors file itself.");
  }
  const uint64_t file_size = std::filesystem::file_size(path, ec);
  if (ec) reader.fail(fmt::format("cannot get the file size: {}", ec.message()), "HINT: check the file's permissions.");
  std::ifstream in(path, std::ios::binary);
  if (!in) reader.fail("cannot open the file", "HINT: check the file's read permission.");

  if (file_size < 8) {
    reader.fail(fmt::format("file is {} bytes long, expected at least 8 (the header length)", file_size));
  }
  std::array<unsigned char, 8> length_bytes{};
  in.read(reinterpret_cast<char*>(length_bytes.data()), 8);
  uint64_t header_size = 0;
  for (size_t i = 0; i < 8; ++i) header_size |= static_cast<uint64_t>(length_bytes[i]) << (8 * i);
  if (header_size > file_size - 8) {
    reader.fail(fmt::format("header length is {} bytes, expected at most {} (file size {} minus 8)", header_size,
                            file_size - 8, file_size));
  }
  if (header_size > kMaxHeaderBytes) {
    reader.fail(fmt::format("header length is {} bytes, expected at most {}", header_size, kMaxHeaderBytes));
  }
  std::string header_text(header_size, '\0');
  in.read(header_text.data(), static_cast<std::streamsize>(header_size));
  if (!in) reader.fail("reading the header failed", "HINT: check the disk; the file system reported an error.");
  if (header_text.empty() || header_text.front() != '{') {
    reader.fail("header does not start with '{', expected a JSON object");
  }

  nlohmann::json header;
  try {
    header = nlohmann::json::parse(header_text);
  } catch (const nlohmann::json::parse_error& e) {
    reader.fail(fmt::format("header is not valid JSON ({})", e.what()));
  }
  if (!header.is_object()) reader.fail("header is not a JSON object");

  const uint64_t data_start = 8 + header_size;
  const uint64_t data_size = file_size - data_start;
  SafetensorsFile file;
  std::vector<Entry> entries;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      file.metadata = reader.parse_metadata(info);
    } else {
      entries.push_back(reader.parse_entry(name, info, data_size));
    }
  }

  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.begin, a.end, a.record.name) < std::tie(b.begin, b.end, b.record.name);
  });
  uint64_t expected_begin = 0;
  for (const Entry& e : entries) {
    if (e.begin != expected_begin) {
      reader.fail_tensor(e.record.name,
                         fmt::format("data_offsets begin at {}, expected {}: tensors must tile the data section "
                                     "without gaps or overlaps",
                                     e.begin, expected_begin));
    }
    expected_begin = e.end;
  }
  if (expected_begin != data_size) {
    reader.fail(fmt::format("the data section holds {} bytes, expected {} (the end of the last tensor)", data_size,
                            expected_begin));
  }

  file.tensors.reserve(entries.size());
  for (Entry& e : entries) {
    e.record.data.resize(e.end - e.begin);
    if (!e.record.data.empty()) {
      in.seekg(static_cast<std::streamoff>(data_start + e.begin));
      in.read(reinterpret_cast<char*>(e.record.data.data()), static_cast<std::streamsize>(e.record.data.size()));
      if (!in) {
        reader.fail_tensor(e.record.name, "reading its data failed",
                           "HINT: check the disk; the file may have been truncated while being read.");
      }
    }
    file.tensors.push_back(std::move(e.record));
  }
  return file;
}

}  // namespace clipscale::io
