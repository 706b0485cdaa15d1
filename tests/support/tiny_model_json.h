// The smallest OpenCLIP-schema model JSON the end-to-end tests train (about 41k parameters, 16-px
// images, 16-token texts): a run of a few hundred samples takes seconds on one core.
#pragma once

namespace clipscale::testing {

inline constexpr const char* kTinyModelJson = R"({
  "embed_dim": 32,
  "vision_cfg": {"image_size": 16, "patch_size": 4, "width": 32, "layers": 1, "head_width": 16, "mlp_ratio": 2.0},
  "text_cfg": {"context_length": 16, "vocab_size": 600, "width": 32, "heads": 2, "layers": 1, "mlp_ratio": 2.0}
})";

}  // namespace clipscale::testing
