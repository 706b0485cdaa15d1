#include "train/checkpoint.h"

#include <torch/torch.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/failpoint.h"
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
  for (const auto& item : model.named_parameters())
    records.push_back(to_record(item.key(), item.value().to(to_scalar_type(*target))));
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

namespace {

void check_finite(model::ClipModelImpl& model, const std::string& dir) {
  torch::NoGradGuard no_grad;
  for (const auto& item : model.named_parameters()) {
    if (!torch::isfinite(item.value()).all().item<bool>())
      throw core::UserError("refusing to write checkpoint " + dir + ": parameter " + item.key() +
                            " holds non-finite values (the run diverged). HINT: lower optim.lr, raise " +
                            "optim.warmup_samples, or set optim.grad_clip_norm = 1.0.");
  }
}

std::vector<io::TensorRecord> optimizer_records(model::ClipModelImpl& model, torch::optim::Optimizer& optimizer) {
  std::vector<io::TensorRecord> records;
  auto& state = optimizer.state();
  for (const auto& item : model.named_parameters()) {
    const auto it = state.find(c10::guts::to_string(item.value().unsafeGetTensorImpl()));
    if (it == state.end()) continue;  // no step taken yet
    auto& adamw = static_cast<torch::optim::AdamWParamState&>(*it->second);
    records.push_back(to_record(item.key() + ".exp_avg", adamw.exp_avg()));
    records.push_back(to_record(item.key() + ".exp_avg_sq", adamw.exp_avg_sq()));
    records.push_back(to_record(item.key() + ".step", torch::tensor(adamw.step(), torch::kLong)));
  }
  return records;
}

at::Tensor tensor_of(const io::TensorRecord& record) {
  return torch::from_blob(const_cast<uint8_t*>(record.data.data()), record.shape,
                          torch::dtype(to_scalar_type(record.dtype)))
      .clone();
}

}  // namespace

void save_checkpoint(const std::string& dir, model::ClipModelImpl& model, const text::BpeTokenizer& tokenizer,
                     const std::string& run_config_toml, const CheckpointMeta& meta,
                     const std::optional<TrainingStateRefs>& training) {
  check_finite(model, dir);
  const fs::path final_dir(dir);
  const fs::path tmp = final_dir.parent_path() / ("." + final_dir.filename().string() + ".tmp");
  try {
    fs::remove_all(tmp);
    fs::create_directories(tmp);
  } catch (const fs::filesystem_error& e) {
    throw core::UserError("cannot write checkpoint " + dir + ": " + e.what() +
                          ". HINT: check free space and permissions of the results directory.");
  }
  try {
    export_safetensors(model, (tmp / "model.safetensors").string(), "F32",
                       {{"format", "pt"}, {"producer", "clipscale"}, {"run_id", meta.run_id}});
    io::write_file_atomic((tmp / "model_config.json").string(), model.config().to_json() + "\n");
    tokenizer.save((tmp / "vocab.txt.gz").string());
    io::write_file_atomic((tmp / "run_config.toml").string(), run_config_toml);
    nlohmann::json m = {
        {"schema_version", meta.schema_version}, {"run_id", meta.run_id},       {"step", meta.step},
        {"samples_seen", meta.samples_seen},     {"precision", meta.precision}, {"model", model.config().name}};
    if (training) {
      io::write_safetensors((tmp / "optimizer.safetensors").string(), optimizer_records(model, training->optimizer));
      std::vector<io::TensorRecord> rng;
      for (size_t r = 0; r < training->rng_states.size(); ++r)
        rng.push_back(to_record("rank" + std::to_string(r), training->rng_states[r]));
      io::write_safetensors((tmp / "rng.safetensors").string(), rng);
      m["loader_position"] = meta.loader_position;
      m["nonfinite_steps"] = meta.nonfinite_steps;
      m["world_size"] = meta.world_size;
      m["last_loss"] = meta.last_loss;
    }
    io::write_file_atomic((tmp / "meta.json").string(), m.dump(2) + "\n");
    core::failpoint("checkpoint_write");
    io::write_file_atomic((tmp / "DONE").string(), "complete\n");
    io::rename_dir_atomic(tmp.string(), final_dir.string());
  } catch (const core::UserError& e) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw core::UserError("cannot write checkpoint " + dir + ": " + e.what() +
                          " The previous checkpoint is untouched.");
  } catch (const std::exception& e) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw core::UserError("cannot write checkpoint " + dir + ": " + e.what() +
                          ". HINT: check free space and permissions of the results directory; the previous " +
                          "checkpoint is untouched.");
  }
}

CheckpointMeta read_checkpoint_meta(const std::string& dir) {
  const fs::path root(dir);
  if (!fs::exists(root / "DONE"))
    throw core::UserError("checkpoint " + dir + " has no DONE marker, so it is incomplete. " +
                          "HINT: it was interrupted while being written; use an earlier checkpoint.");
  const std::string meta_path = (root / "meta.json").string();
  CheckpointMeta meta;
  try {
    const nlohmann::json m = nlohmann::json::parse(io::read_file(meta_path));
    meta.schema_version = m.at("schema_version").get<int64_t>();
    meta.run_id = m.at("run_id").get<std::string>();
    meta.step = m.at("step").get<int64_t>();
    meta.samples_seen = m.at("samples_seen").get<int64_t>();
    meta.precision = m.at("precision").get<std::string>();
    meta.model = m.value("model", std::string());
    meta.has_training_state = m.contains("loader_position");
    meta.loader_position = m.value("loader_position", uint64_t{0});
    meta.nonfinite_steps = m.value("nonfinite_steps", int64_t{0});
    meta.world_size = m.value("world_size", int64_t{1});
    meta.last_loss = m.value("last_loss", 0.0);
  } catch (const nlohmann::json::exception& e) {
    throw core::UserError(meta_path + ": " + e.what() + ". HINT: the checkpoint is damaged; use another one.");
  }
  if (meta.schema_version != kCheckpointSchemaVersion)
    throw core::UserError(meta_path + ": schema_version " + std::to_string(meta.schema_version) + ", expected " +
                          std::to_string(kCheckpointSchemaVersion) + ". HINT: written by another clipscale version.");
  return meta;
}

void verify_training_checkpoint(const std::string& dir) {
  const fs::path root(dir);
  const CheckpointMeta meta = read_checkpoint_meta(dir);
  if (!meta.has_training_state)
    throw core::UserError("checkpoint " + dir + " holds weights only (no optimizer or loader state). " +
                          "HINT: it cannot continue a run.");
  for (const char* name : {"model.safetensors", "optimizer.safetensors", "rng.safetensors"})
    io::read_safetensors((root / name).string());
  for (const char* name : {"model_config.json", "vocab.txt.gz", "run_config.toml"})
    if (!fs::is_regular_file(root / name))
      throw core::UserError("checkpoint " + dir + " lacks " + name + ". HINT: the checkpoint is damaged.");
}

CheckpointMeta restore_training_state(const std::string& dir, model::ClipModelImpl& model,
                                      torch::optim::Optimizer& optimizer, int rank) {
  const fs::path root(dir);
  const CheckpointMeta meta = read_checkpoint_meta(dir);
  if (!meta.has_training_state)
    throw core::UserError("checkpoint " + dir + " holds weights only (no optimizer or loader state). " +
                          "HINT: it cannot continue a run; train from scratch or use a training checkpoint.");
  // Read and check everything first, so a damaged checkpoint changes nothing.
  const std::string weights_path = (root / "model.safetensors").string();
  const io::SafetensorsFile weights = io::read_safetensors(weights_path);
  const std::string optimizer_path = (root / "optimizer.safetensors").string();
  const io::SafetensorsFile moments = io::read_safetensors(optimizer_path);
  const std::string rng_path = (root / "rng.safetensors").string();
  const io::SafetensorsFile rng = io::read_safetensors(rng_path);
  const io::TensorRecord* rng_state = rng.find("rank" + std::to_string(rank));
  if (rng_state == nullptr) rng_state = rng.find("rank0");
  if (rng_state == nullptr)
    throw core::UserError(rng_path + ": no generator state (rank0). HINT: the checkpoint is damaged; use another one.");
  for (const auto& item : model.named_parameters()) {
    const io::TensorRecord* avg = moments.find(item.key() + ".exp_avg");
    const io::TensorRecord* sq = moments.find(item.key() + ".exp_avg_sq");
    const io::TensorRecord* step = moments.find(item.key() + ".step");
    if ((avg == nullptr) != (sq == nullptr) || (avg == nullptr) != (step == nullptr))
      throw core::UserError(optimizer_path + ": the state of '" + item.key() + "' is incomplete. " +
                            "HINT: the checkpoint is damaged; use another one.");
    const std::vector<int64_t> shape(item.value().sizes().begin(), item.value().sizes().end());
    if (avg != nullptr && (avg->shape != shape || sq->shape != shape))
      throw core::UserError(optimizer_path + ": the state of '" + item.key() + "' has shape " + shape_text(avg->shape) +
                            ", expected " + shape_text(item.value().sizes()) +
                            ". HINT: the checkpoint belongs to a different model.");
  }
  load_weights(model, weights, weights_path);
  auto& state = optimizer.state();
  for (const auto& item : model.named_parameters()) {
    const io::TensorRecord* avg = moments.find(item.key() + ".exp_avg");
    const std::string key = c10::guts::to_string(item.value().unsafeGetTensorImpl());
    if (avg == nullptr) {
      state.erase(key);
      continue;
    }
    auto adamw = std::make_unique<torch::optim::AdamWParamState>();
    adamw->exp_avg(tensor_of(*avg).to(item.value().options()));
    adamw->exp_avg_sq(tensor_of(*moments.find(item.key() + ".exp_avg_sq")).to(item.value().options()));
    adamw->step(tensor_of(*moments.find(item.key() + ".step")).item<int64_t>());
    state[key] = std::move(adamw);
  }
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(tensor_of(*rng_state));
  return meta;
}

std::string step_checkpoint_name(int64_t step) { return fmt::format("step-{:09d}", step); }

std::vector<std::string> complete_checkpoints(const std::string& run_checkpoint_dir) {
  std::vector<std::pair<int64_t, std::string>> found;
  std::error_code ec;
  if (!fs::is_directory(run_checkpoint_dir, ec)) return {};
  for (const auto& entry : fs::directory_iterator(run_checkpoint_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name.empty() || name[0] == '.') continue;
    if (name != "final" && name.rfind("step-", 0) != 0) continue;
    try {
      const CheckpointMeta meta = read_checkpoint_meta(entry.path().string());
      found.emplace_back(meta.step, entry.path().string());
    } catch (const core::UserError& e) {
      spdlog::warn("skipping checkpoint {}: {}", entry.path().string(), e.what());
    }
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> out;
  for (const auto& [step, path] : found) out.push_back(path);
  return out;
}

void prune_checkpoints(const std::string& run_checkpoint_dir, int64_t keep) {
  int64_t kept = 0;
  for (const std::string& path : complete_checkpoints(run_checkpoint_dir)) {
    if (fs::path(path).filename().string().rfind("step-", 0) != 0) continue;
    if (kept++ < keep) continue;
    std::error_code ec;
    fs::remove_all(path, ec);
    if (ec) spdlog::warn("could not delete old checkpoint {}: {}", path, ec.message());
  }
}

LoadedCheckpoint load_checkpoint(const std::string& dir) {
  const fs::path root(dir);
  if (!fs::is_directory(root))
    throw core::UserError("checkpoint " + dir + " is not a directory. HINT: pass a checkpoint directory such as " +
                          "results/<sweep>/checkpoints/<run_id>/final.");
  LoadedCheckpoint loaded;
  loaded.meta = read_checkpoint_meta(dir);
  spec::ClipConfig config = spec::ClipConfig::from_file((root / "model_config.json").string());
  if (!loaded.meta.model.empty()) config.name = loaded.meta.model;
  loaded.model = model::ClipModel(config);
  const std::string weights = (root / "model.safetensors").string();
  load_weights(*loaded.model, io::read_safetensors(weights), weights);
  loaded.tokenizer =
      std::make_shared<text::BpeTokenizer>(text::BpeTokenizer::from_file((root / "vocab.txt.gz").string()));
  loaded.run_config_toml = io::read_file((root / "run_config.toml").string());
  return loaded;
}

}  // namespace clipscale::train
