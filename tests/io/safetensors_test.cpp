#include "io/safetensors.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/atomic_file.h"
#include "support/process.h"
#include "support/scratch_dir.h"

namespace clipscale::io {
namespace {

std::vector<uint8_t> bytes_of(std::initializer_list<int> values) {
  std::vector<uint8_t> out;
  for (int v : values) out.push_back(static_cast<uint8_t>(v));
  return out;
}

template <typename T>
std::vector<uint8_t> raw(const std::vector<T>& values) {
  std::vector<uint8_t> out(values.size() * sizeof(T));
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

template <typename T>
std::vector<T> decode(const TensorRecord& t) {
  std::vector<T> out(t.data.size() / sizeof(T));
  std::memcpy(out.data(), t.data.data(), out.size() * sizeof(T));
  return out;
}

// A file laid out by the spec: 8-byte little-endian header length, the header padded with spaces
// to a multiple of 8, then the data section.
std::string spec_file(std::string header, const std::string& data) {
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  for (size_t i = 0; i < 8; ++i) out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + data;
}

class Safetensors : public ::testing::Test {
 protected:
  // Reading `path` throws UserError naming the file, each of `parts`, and a HINT.
  static void expect_user_error(const std::string& path, std::initializer_list<const char*> parts) {
    try {
      read_safetensors(path);
      ADD_FAILURE() << "expected a UserError reading " << path;
    } catch (const core::UserError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(path), std::string::npos) << what;
      EXPECT_NE(what.find("HINT:"), std::string::npos) << what;
      for (const char* part : parts) EXPECT_NE(what.find(part), std::string::npos) << "'" << part << "' in: " << what;
    }
  }

  testing::ScratchDir dir_;
};

TEST_F(Safetensors, DTypesHaveTheSpecNamesAndSizes) {
  const std::vector<std::pair<DType, std::pair<const char*, size_t>>> expected = {
      {DType::kF32, {"F32", 4}}, {DType::kF64, {"F64", 8}}, {DType::kF16, {"F16", 2}}, {DType::kBF16, {"BF16", 2}},
      {DType::kI64, {"I64", 8}}, {DType::kI32, {"I32", 4}}, {DType::kU8, {"U8", 1}},   {DType::kBool, {"BOOL", 1}}};
  for (const auto& [dtype, name_size] : expected) {
    EXPECT_EQ(dtype_name(dtype), name_size.first);
    EXPECT_EQ(dtype_size(dtype), name_size.second);
    EXPECT_EQ(dtype_from_name(name_size.first), dtype);
  }
  EXPECT_FALSE(dtype_from_name("F8_E4M3").has_value());
  EXPECT_FALSE(dtype_from_name("f32").has_value());
}

TEST_F(Safetensors, RoundTripKeepsOrderDtypesShapesBytesAndMetadata) {
  const std::vector<TensorRecord> tensors = {
      {"visual.proj", DType::kF32, {2, 3}, raw<float>({0.f, 0.5f, -1.f, 1.5f, 2.f, 1e-30f})},
      {"logit_scale", DType::kF64, {}, raw<double>({2.6592})},
      {"empty", DType::kBF16, {0, 4}, {}},
      {"ids", DType::kI64, {3}, raw<int64_t>({-1, 0, int64_t{1} << 40})},
      {"mask", DType::kBool, {2, 1}, bytes_of({1, 0})},
      {"half", DType::kF16, {1}, bytes_of({0x00, 0x3e})}};
  const std::map<std::string, std::string> metadata = {{"format", "pt"}, {"step", "1200"}};
  const std::string path = dir_.file("model.safetensors");
  write_safetensors(path, tensors, metadata);

  const SafetensorsFile file = read_safetensors(path);
  EXPECT_EQ(file.metadata, metadata);
  ASSERT_EQ(file.tensors.size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    SCOPED_TRACE(tensors[i].name);
    EXPECT_EQ(file.tensors[i].name, tensors[i].name);
    EXPECT_EQ(file.tensors[i].dtype, tensors[i].dtype);
    EXPECT_EQ(file.tensors[i].shape, tensors[i].shape);
    EXPECT_EQ(file.tensors[i].data, tensors[i].data);
  }
  ASSERT_NE(file.find("ids"), nullptr);
  EXPECT_EQ(decode<int64_t>(*file.find("ids"))[2], int64_t{1} << 40);
  EXPECT_EQ(file.find("nope"), nullptr);
}

TEST_F(Safetensors, WrittenFileFollowsTheSpecLayout) {
  const std::string path = dir_.file("x.safetensors");
  write_safetensors(path, {{"b", DType::kU8, {3}, bytes_of({7, 8, 9})}, {"a", DType::kI32, {1}, raw<int32_t>({-2})}});
  const std::string bytes = read_file(path);
  ASSERT_GE(bytes.size(), 8u);
  uint64_t header_size = 0;
  for (size_t i = 0; i < 8; ++i) header_size |= uint64_t{static_cast<uint8_t>(bytes[i])} << (8 * i);
  EXPECT_EQ(header_size % 8, 0u);
  ASSERT_EQ(bytes.size(), 8 + header_size + 7);
  const std::string header = bytes.substr(8, header_size);
  EXPECT_EQ(header.front(), '{');
  EXPECT_NE(header.find(R"("b":{"dtype":"U8","shape":[3],"data_offsets":[0,3]})"), std::string::npos) << header;
  EXPECT_NE(header.find(R"("a":{"dtype":"I32","shape":[1],"data_offsets":[3,7]})"), std::string::npos) << header;
  EXPECT_EQ(header.find_last_not_of(' '), header.find_last_of('}'));
  EXPECT_EQ(bytes.substr(8 + header_size), std::string("\x07\x08\x09\xfe\xff\xff\xff", 7));
}

TEST_F(Safetensors, ReadsAFileBuiltByHandFromTheSpec) {
  const std::string header = R"({"__metadata__":{"format":"pt"},)"
                             R"("w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},)"
                             R"("b":{"dtype":"I64","shape":[],"data_offsets":[0,8]}})";
  // b = 7 (int64 LE), w = {1.0f, -2.5f} (IEEE 754 LE).
  const std::string data(
      "\x07\0\0\0\0\0\0\0"
      "\0\0\x80\x3f"
      "\0\0\x20\xc0",
      16);
  const std::string path = dir_.file("hand.safetensors");
  write_file_atomic(path, spec_file(header, data));

  const SafetensorsFile file = read_safetensors(path);
  EXPECT_EQ(file.metadata, (std::map<std::string, std::string>{{"format", "pt"}}));
  ASSERT_EQ(file.tensors.size(), 2u);
  EXPECT_EQ(file.tensors[0].name, "b");  // data-section order
  EXPECT_EQ(file.tensors[0].dtype, DType::kI64);
  EXPECT_TRUE(file.tensors[0].shape.empty());
  EXPECT_EQ(decode<int64_t>(file.tensors[0]), std::vector<int64_t>{7});
  EXPECT_EQ(file.tensors[1].name, "w");
  EXPECT_EQ(file.tensors[1].shape, std::vector<int64_t>{2});
  EXPECT_EQ(decode<float>(file.tensors[1]), (std::vector<float>{1.0f, -2.5f}));
}

TEST_F(Safetensors, ReadsAFileWrittenByPython) {
  if (!testing::system_python_has("numpy")) GTEST_SKIP() << "/usr/bin/python3 with numpy not found";
  // A minimal writer following the spec the way the safetensors package does: tensors sorted by
  // name, compact JSON, "__metadata__" first, spaces to a multiple of 8.
  const std::string script = R"PY(
import json, struct, sys
import numpy as np
tensors = {
    "emb.weight": np.arange(12, dtype=np.float32).reshape(3, 4) / np.float32(8),
    "ids": np.array([5, -1, 2**40], dtype=np.int64),
    "half": np.array([1.5, -0.25], dtype=np.float16),
    "mask": np.array([True, False, True]),
    "scalar": np.array(3.25, dtype=np.float64),
}
names = {"float32": "F32", "int64": "I64", "float16": "F16", "bool": "BOOL", "float64": "F64"}
header = {"__metadata__": {"format": "np", "source": "python"}}
blobs, offset = [], 0
for name in sorted(tensors):
    a = tensors[name]  # all C-contiguous; np.ascontiguousarray would make the scalar 1-D
    b = a.astype(a.dtype.newbyteorder("<")).tobytes()
    header[name] = {"dtype": names[a.dtype.name], "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
    offset += len(b)
    blobs.append(b)
h = json.dumps(header, separators=(",", ":")).encode()
h += b" " * (-len(h) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(h)))
    f.write(h)
    for b in blobs:
        f.write(b)
)PY";
  const std::string path = dir_.file("py.safetensors");
  const testing::CommandResult result = testing::run_system_python(dir_.file("write.py"), script, {path});
  ASSERT_EQ(result.exit_code, 0) << result.output;

  const SafetensorsFile file = read_safetensors(path);
  EXPECT_EQ(file.metadata, (std::map<std::string, std::string>{{"format", "np"}, {"source", "python"}}));
  ASSERT_EQ(file.tensors.size(), 5u);
  const TensorRecord* emb = file.find("emb.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->dtype, DType::kF32);
  EXPECT_EQ(emb->shape, (std::vector<int64_t>{3, 4}));
  const std::vector<float> emb_values = decode<float>(*emb);
  for (size_t i = 0; i < 12; ++i) EXPECT_EQ(emb_values[i], static_cast<float>(i) / 8.0f) << i;
  EXPECT_EQ(decode<int64_t>(*file.find("ids")), (std::vector<int64_t>{5, -1, int64_t{1} << 40}));
  EXPECT_EQ(file.find("half")->data, bytes_of({0x00, 0x3e, 0x00, 0xb4}));  // 1.5, -0.25 in binary16
  EXPECT_EQ(file.find("mask")->dtype, DType::kBool);
  EXPECT_EQ(file.find("mask")->data, bytes_of({1, 0, 1}));
  EXPECT_TRUE(file.find("scalar")->shape.empty());
  EXPECT_EQ(decode<double>(*file.find("scalar")), std::vector<double>{3.25});
}

TEST_F(Safetensors, PythonReadsAFileWeWrote) {
  if (!testing::system_python_has("numpy")) GTEST_SKIP() << "/usr/bin/python3 with numpy not found";
  const std::string path = dir_.file("ours.safetensors");
  write_safetensors(path,
                    {{"layer.0.weight", DType::kF32, {2, 3}, raw<float>({0.f, 0.5f, 1.f, 1.5f, 2.f, 2.5f})},
                     {"step", DType::kI64, {}, raw<int64_t>({1200})},
                     {"bias", DType::kF64, {2}, raw<double>({-0.125, 4.0})}},
                    {{"note", "\xc3\xbcnicode"}});
  const std::string script = R"PY(
import json, struct, sys
import numpy as np
data = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", data[:8])[0]
assert n % 8 == 0, n
header = json.loads(data[8:8 + n])
body = data[8 + n:]
assert header.pop("__metadata__") == {"note": "\u00fcnicode"}
def get(name, dtype):
    info = header[name]
    begin, end = info["data_offsets"]
    return np.frombuffer(body[begin:end], dtype=dtype).reshape(info["shape"])
assert header["layer.0.weight"]["dtype"] == "F32"
assert get("layer.0.weight", "<f4").tolist() == [[0.0, 0.5, 1.0], [1.5, 2.0, 2.5]]
assert get("step", "<i8").tolist() == 1200
assert get("bias", "<f8").tolist() == [-0.125, 4.0]
assert max(v["data_offsets"][1] for v in header.values()) == len(body)
print("ok")
)PY";
  const testing::CommandResult result = testing::run_system_python(dir_.file("read.py"), script, {path});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(result.output, "ok\n");
}

TEST_F(Safetensors, WriterRejectsDuplicateNamesAndWritesNothing) {
  const std::string path = dir_.file("dup.safetensors");
  EXPECT_THROW(write_safetensors(path, {{"a", DType::kU8, {1}, {1}}, {"a", DType::kU8, {1}, {2}}}), core::Error);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST_F(Safetensors, WriterRejectsDataOfTheWrongSize) {
  EXPECT_THROW(write_safetensors(dir_.file("x"), {{"w", DType::kF32, {2, 2}, raw<float>({1.f, 2.f, 3.f})}}),
               core::Error);
  EXPECT_THROW(write_safetensors(dir_.file("x"), {{"w", DType::kF32, {-1}, {}}}), core::Error);
  EXPECT_THROW(write_safetensors(dir_.file("x"), {{"__metadata__", DType::kU8, {0}, {}}}), core::Error);
}

TEST_F(Safetensors, TruncatedDataIsAUserErrorNamingTheTensor) {
  const std::string path = dir_.file("cut.safetensors");
  write_safetensors(path,
                    {{"a", DType::kF32, {2}, raw<float>({1.f, 2.f})}, {"b", DType::kF64, {2}, raw<double>({1, 2})}});
  const std::string bytes = read_file(path);
  write_file_atomic(path, bytes.substr(0, bytes.size() - 3));
  expect_user_error(path, {"tensor 'b'", "data_offsets [8, 24]", "expected end <= 21"});
}

TEST_F(Safetensors, FileShorterThanTheLengthFieldIsAUserError) {
  const std::string path = dir_.file("tiny.safetensors");
  write_file_atomic(path, "abc");
  expect_user_error(path, {"3 bytes", "at least 8"});
}

TEST_F(Safetensors, HeaderLengthBeyondTheFileIsAUserError) {
  const std::string path = dir_.file("long.safetensors");
  std::string bytes = spec_file(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})", "x");
  bytes[2] = 0x10;  // header length += 1 MiB
  write_file_atomic(path, bytes);
  expect_user_error(path, {"header length"});
}

TEST_F(Safetensors, GapBetweenTensorsIsAUserError) {
  const std::string path = dir_.file("gap.safetensors");
  write_file_atomic(path, spec_file(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},)"
                                    R"("b":{"dtype":"U8","shape":[2],"data_offsets":[3,5]}})",
                                    "12345"));
  expect_user_error(path, {"tensor 'b'", "begin at 3, expected 2"});
}

TEST_F(Safetensors, OverlappingTensorsAreAUserError) {
  const std::string path = dir_.file("overlap.safetensors");
  write_file_atomic(path, spec_file(R"({"a":{"dtype":"U8","shape":[3],"data_offsets":[0,3]},)"
                                    R"("b":{"dtype":"U8","shape":[3],"data_offsets":[1,4]}})",
                                    "1234"));
  expect_user_error(path, {"tensor 'b'", "begin at 1, expected 3"});
}

TEST_F(Safetensors, TrailingBytesAfterTheLastTensorAreAUserError) {
  const std::string path = dir_.file("tail.safetensors");
  write_file_atomic(path, spec_file(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}})", "1234"));
  expect_user_error(path, {"holds 4 bytes, expected 2"});
}

TEST_F(Safetensors, OffsetsThatDisagreeWithTheShapeAreAUserError) {
  const std::string path = dir_.file("size.safetensors");
  write_file_atomic(path, spec_file(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", "12345678"));
  expect_user_error(path, {"tensor 'w'", "needs 12 bytes", "spanning 8 bytes"});
}

TEST_F(Safetensors, UnsupportedDtypeIsAUserErrorListingTheSupportedOnes) {
  const std::string path = dir_.file("f8.safetensors");
  write_file_atomic(path, spec_file(R"({"q":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}})", "x"));
  expect_user_error(path, {"tensor 'q'", "F8_E4M3", "BF16"});
}

TEST_F(Safetensors, MalformedHeadersAreUserErrors) {
  const std::string path = dir_.file("bad.safetensors");
  write_file_atomic(path, spec_file(R"({"a":{"dtype":"U8","shape":[1],)", "x"));
  expect_user_error(path, {"not valid JSON"});
  write_file_atomic(path, spec_file(R"({"__metadata__":{"n":3}})", ""));
  expect_user_error(path, {"\"__metadata__\" entry \"n\""});
  write_file_atomic(path, spec_file(R"({"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}})", ""));
  expect_user_error(path, {"tensor 'a'", "non-negative"});
  write_file_atomic(path, spec_file(R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[1,0]}})", "x"));
  expect_user_error(path, {"tensor 'a'", "end before they begin"});
}

TEST_F(Safetensors, MissingFileIsAUserError) {
  EXPECT_THROW(read_safetensors(dir_.file("missing.safetensors")), core::UserError);
}

}  // namespace
}  // namespace clipscale::io
