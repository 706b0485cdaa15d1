#include "train/checkpoint.h"

#include <torch/torch.h>

#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/safetensors.h"
#include "text/bpe_tokenizer.h"

namespace clipscale::train {
namespace fs = std::filesystem;
namespace {

io::DType to_io_dtype(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return io::DType::kF32;
    case at::kDouble: return io::DType::kF64;
    case at::kHalf: return io::DType::kF16;
    case at::kBFloat16: return io::DType::kBF16;
    case at::kLong: return io::DType::kI64;
    case at::kInt: return io::DType::kI32;
    case at::kByte: return io::DType::kU8;
    case at::kBool: return io::DType::kBool;
    default: CLIPSCALE_CHECK(false) << "no safetensors dtype for " << type; return io::DType::kF32;
  }
}

at::ScalarType to_scalar_type(io::DType dtype) {
  switch (dtype) {
    case io::DType::kF32: return at::kFloat;
    case io::DType::kF64: return at::kDouble;
    case io::DType::kF16: return at::kHalf;
    case io::DType::kBF16: return at::kBFloat16;
    case io::DType::kI64: return at::kLong;
    case io::DType::kI32: return at::kInt;
    case io::DType::kU8: return at::kByte;
    case io::DType::kBool: return at::kBool;
  }
  return at::kFloat;
}

io::TensorRecord to_record(const std::string& name, const at::Tensor& tensor) {
  auto cpu = tensor.detach().to(torch::kCPU).contiguous();
  io::TensorRecord record;
  record.name = name;
  record.dtype = to_io_dtype(cpu.scalar_type());
  record.shape.assign(cpu.sizes().begin(), cpu.sizes().end());
  const size_t bytes = static_cast<size_t>(cpu.numel()) * cpu.element_size();
  record.data.resize(bytes);
  if (bytes) std::memcpy(record.data.data(), cpu.data_ptr(), bytes);
  return record;
}

std::string shape_text(c10::IntArrayRef shape) {
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

}  // namespace

void export_safetensors(model::ClipModelImpl& model, const std::string& path, const std::string& dtype,
                        const std::map<std::string, std::string>& metadata) {
  auto target = io::dtype_from_name(dtype);
  if (!target || (*target != io::DType::kF32 && *target != io::DType::kBF16 && *target != io::DType::kF16))
    throw core::UserError("--dtype " + dtype + " is not an export type. HINT: use F32, BF16 or F16.");
  std::vector<io::TensorRecord> records;
  for (const auto& item : model.named_parameters()) records.push_back(to_record(item.key(), item.value().to(to_scalar_type(*target))));
  io::write_safetensors(path, records, metadata);
}

void load_weights(model::ClipModelImpl& model, const io::SafetensorsFile& file, const std::string& origin) {
  torch::NoGradGuard no_grad;
  size_t matched = 0;
  for (auto& item : model.named_parameters()) {
    const io::TensorRecord* record = file.find(item.key());
    if (record == nullptr)
      throw core::UserError(origin + ": tensor '" + item.key() + "' is missing. HINT: the file must hold every " +
                            "parameter of the model config (OpenCLIP names); was it written for another model?");
    const std::vector<int64_t> expected(item.value().sizes().begin(), item.value().sizes().end());
    if (record->shape != expected)
      throw core::UserError(origin + ": tensor '" + item.key() + "' has shape " + shape_text(record->shape) +
                            ", expected " + shape_text(item.value().sizes()) +
                            ". HINT: the weights belong to a different model shape.");
    auto source = torch::from_blob(const_cast<uint8_t*>(record->data.data()), record->shape,
                                   torch::dtype(to_scalar_type(record->dtype)));
    item.value().copy_(source.to(item.value().scalar_type()));
    ++matched;
  }
  if (matched != file.tensors.size())
    throw core::UserError(origin + ": holds " + std::to_string(file.tensors.size()) + " tensors but the model has " +
                          std::to_string(matched) + " parameters. HINT: the weights belong to a different model.");
}

void save_checkpoint(const std::string& dir, model::ClipModelImpl& model, const text::BpeTokenizer& tokenizer,
                     const std::string& run_config_toml, const CheckpointMeta& meta) {
  const fs::path final_dir(dir);
  const fs::path tmp = final_dir.parent_path() / ("." + final_dir.filename().string() + ".tmp");
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  export_safetensors(model, (tmp / "model.safetensors").string(), "F32",
                     {{"format", "pt"}, {"producer", "clipscale"}, {"run_id", meta.run_id}});
  io::write_file_atomic((tmp / "model_config.json").string(), model.config().to_json() + "\n");
  tokenizer.save((tmp / "vocab.txt.gz").string());
  io::write_file_atomic((tmp / "run_config.toml").string(), run_config_toml);
  nlohmann::json m = {{"schema_version", meta.schema_version}, {"run_id", meta.run_id},
                      {"step", meta.step},                     {"samples_seen", meta.samples_seen},
                      {"precision", meta.precision},           {"model", model.config().name}};
  io::write_file_atomic((tmp / "meta.json").string(), m.dump(2) + "\n");
  io::write_file_atomic((tmp / "DONE").string(), "complete\n");
  io::rename_dir_atomic(tmp.string(), final_dir.string());
}

LoadedCheckpoint load_checkpoint(const std::string& dir) {
  const fs::path root(dir);
  if (!fs::is_directory(root))
    throw core::UserError("checkpoint " + dir + " is not a directory. HINT: pass a checkpoint directory such as " +
                          "results/<sweep>/checkpoints/<run_id>/final.");
  if (!fs::exists(root / "DONE"))
    throw core::UserError("checkpoint " + dir + " has no DONE marker, so it is incomplete. " +
                          "HINT: it was interrupted while being written; use an earlier checkpoint.");
  LoadedCheckpoint loaded;
  const std::string meta_path = (root / "meta.json").string();
  nlohmann::json m;
  try {
    m = nlohmann::json::parse(io::read_file(meta_path));
    loaded.meta.schema_version = m.at("schema_version").get<int64_t>();
    loaded.meta.run_id = m.at("run_id").get<std::string>();
    loaded.meta.step = m.at("step").get<int64_t>();
    loaded.meta.samples_seen = m.at("samples_seen").get<int64_t>();
    loaded.meta.precision = m.at("precision").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    throw core::UserError(meta_path + ": " + e.what() + ". HINT: the checkpoint is damaged; use another one.");
  }
  if (loaded.meta.schema_version != kCheckpointSchemaVersion)
    throw core::UserError(meta_path + ": schema_version " + std::to_string(loaded.meta.schema_version) + ", expected " +
                          std::to_string(kCheckpointSchemaVersion) + ". HINT: written by another clipscale version.");
  model::ClipConfig config = model::ClipConfig::from_file((root / "model_config.json").string());
  config.name = m.value("model", config.name);
  loaded.model = model::ClipModel(config);
  const std::string weights = (root / "model.safetensors").string();
  load_weights(*loaded.model, io::read_safetensors(weights), weights);
  loaded.tokenizer = std::make_shared<text::BpeTokenizer>(text::BpeTokenizer::from_file((root / "vocab.txt.gz").string()));
  loaded.run_config_toml = io::read_file((root / "run_config.toml").string());
  return loaded;
}

}  // namespace clipscale::train
