#include "spec/model_config.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/error.h"

namespace clipscale::spec {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& origin, const std::string& message, const std::string& hint) {
  throw core::UserError(origin + ": " + message + ". HINT: " + hint);
}

template <typename T>
void read_field(const json& object, const char* key, T& out, const std::string& origin, const std::string& prefix) {
  auto it = object.find(key);
  if (it == object.end()) return;
  const bool ok = std::is_floating_point_v<T> ? it->is_number() : it->is_number_integer() || it->is_boolean();
  if (!ok || (std::is_same_v<T, bool> != it->is_boolean()))
    fail(origin, prefix + key + " = " + it->dump() + " has the wrong type",
         std::string("expected ") + (std::is_same_v<T, bool>       ? "true or false"
                                     : std::is_floating_point_v<T> ? "a number"
                                                                   : "an integer"));
  out = it->get<T>();
}

void reject_unknown(const json& object, const std::set<std::string>& known, const std::string& origin,
                    const std::string& prefix) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (known.count(it.key())) continue;
    fail(origin, "field " + prefix + it.key() + " is not supported by clipscale's native ViT CLIP",
         "remove it; clipscale builds the OpenCLIP ViT layout (no timm/HF towers, LayerScale, "
         "attentional pooling or custom attention)");
  }
}

}  // namespace

ClipConfig ClipConfig::from_json(const std::string& json_text, const std::string& origin, const std::string& name) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::parse_error& e) {
    fail(origin, std::string("is not valid JSON (") + e.what() + ")", "check the file is an OpenCLIP model config");
  }
  if (!root.is_object() || !root.contains("embed_dim") || !root.contains("vision_cfg") || !root.contains("text_cfg"))
    fail(origin, "is not an OpenCLIP model config", "it needs embed_dim, vision_cfg and text_cfg");
  reject_unknown(root, {"embed_dim", "vision_cfg", "text_cfg", "quick_gelu", "init_logit_scale", "init_logit_bias"},
                 origin, "");
  ClipConfig config;
  config.name = name;
  read_field(root, "embed_dim", config.embed_dim, origin, "");
  read_field(root, "quick_gelu", config.quick_gelu, origin, "");
  read_field(root, "init_logit_scale", config.init_logit_scale, origin, "");
  if (root.contains("init_logit_bias")) {
    double bias = 0;
    read_field(root, "init_logit_bias", bias, origin, "");
    config.init_logit_bias = bias;
  }
  const json& v = root["vision_cfg"];
  const json& t = root["text_cfg"];
  if (!v.is_object() || !t.is_object())
    fail(origin, "vision_cfg and text_cfg must be objects", "see OpenCLIP's ViT-B-32.json");
  if (v.contains("layers") && v["layers"].is_array())
    fail(origin, "vision_cfg.layers is a list (a ModifiedResNet tower)",
         "use a ViT config with an integer layer count");
  reject_unknown(v, {"image_size", "patch_size", "width", "layers", "head_width", "mlp_ratio"}, origin, "vision_cfg.");
  reject_unknown(t, {"context_length", "vocab_size", "width", "heads", "layers", "mlp_ratio"}, origin, "text_cfg.");
  read_field(v, "image_size", config.vision.image_size, origin, "vision_cfg.");
  read_field(v, "patch_size", config.vision.patch_size, origin, "vision_cfg.");
  read_field(v, "width", config.vision.width, origin, "vision_cfg.");
  read_field(v, "layers", config.vision.layers, origin, "vision_cfg.");
  read_field(v, "head_width", config.vision.head_width, origin, "vision_cfg.");
  read_field(v, "mlp_ratio", config.vision.mlp_ratio, origin, "vision_cfg.");
  read_field(t, "context_length", config.text.context_length, origin, "text_cfg.");
  read_field(t, "vocab_size", config.text.vocab_size, origin, "text_cfg.");
  read_field(t, "width", config.text.width, origin, "text_cfg.");
  read_field(t, "heads", config.text.heads, origin, "text_cfg.");
  read_field(t, "layers", config.text.layers, origin, "text_cfg.");
  read_field(t, "mlp_ratio", config.text.mlp_ratio, origin, "text_cfg.");
  std::string error;
  if (!config.is_valid(&error)) fail(origin, error, "fix the model shape");
  return config;
}

ClipConfig ClipConfig::from_file(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw core::UserError("model config " + path + " cannot be read. HINT: model.config takes a JSON file such as " +
                          "experiments/models/clip-w128-l4.json");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return from_json(buffer.str(), path, std::filesystem::path(path).stem().string());
}

std::string ClipConfig::to_json() const {
  json root;
  root["embed_dim"] = embed_dim;
  if (quick_gelu) root["quick_gelu"] = true;
  if (init_logit_scale != kInitLogitScale) root["init_logit_scale"] = init_logit_scale;
  if (init_logit_bias) root["init_logit_bias"] = *init_logit_bias;
  root["vision_cfg"] = {{"image_size", vision.image_size}, {"patch_size", vision.patch_size},
                        {"width", vision.width},           {"layers", vision.layers},
                        {"head_width", vision.head_width}, {"mlp_ratio", vision.mlp_ratio}};
  root["text_cfg"] = {{"context_length", text.context_length},
                      {"vocab_size", text.vocab_size},
                      {"width", text.width},
                      {"heads", text.heads},
                      {"layers", text.layers},
                      {"mlp_ratio", text.mlp_ratio}};
  return root.dump(2);
}

bool ClipConfig::is_valid(std::string* error) const {
  auto bad = [&](const std::string& message) {
    if (error) *error = message;
    return false;
  };
  for (auto [key, value] : {std::pair<const char*, int64_t>{"embed_dim", embed_dim},
                            {"vision_cfg.image_size", vision.image_size},
                            {"vision_cfg.patch_size", vision.patch_size},
                            {"vision_cfg.width", vision.width},
                            {"vision_cfg.layers", vision.layers},
                            {"vision_cfg.head_width", vision.head_width},
                            {"text_cfg.context_length", text.context_length},
                            {"text_cfg.vocab_size", text.vocab_size},
                            {"text_cfg.width", text.width},
                            {"text_cfg.heads", text.heads},
                            {"text_cfg.layers", text.layers}}) {
    if (value <= 0) return bad(std::string(key) + " = " + std::to_string(value) + " violates " + key + " > 0");
  }
  if (vision.image_size % vision.patch_size != 0)
    return bad("vision_cfg.image_size = " + std::to_string(vision.image_size) +
               " violates image_size % patch_size == 0 (patch_size " + std::to_string(vision.patch_size) + ")");
  if (vision.width % vision.head_width != 0)
    return bad("vision_cfg.width = " + std::to_string(vision.width) + " violates width % head_width == 0 (head_width " +
               std::to_string(vision.head_width) + ")");
  if (text.width % text.heads != 0)
    return bad("text_cfg.width = " + std::to_string(text.width) + " violates width % heads == 0 (heads " +
               std::to_string(text.heads) + ")");
  if (vision.mlp_ratio <= 0 || text.mlp_ratio <= 0) return bad("mlp_ratio must be > 0");
  if (text.context_length < 2)
    return bad("text_cfg.context_length = " + std::to_string(text.context_length) +
               " violates context_length >= 2 (start and end tokens)");
  if (!(init_logit_scale >= 0 && init_logit_scale <= kMaxLogitScale))
    return bad("init_logit_scale = " + std::to_string(init_logit_scale) +
               " violates 0 <= init_logit_scale <= ln(100) (it is stored before exp and clamped to that range)");
  if (init_logit_bias && !std::isfinite(*init_logit_bias)) return bad("init_logit_bias must be a finite number");
  return true;
}

}  // namespace clipscale::spec
