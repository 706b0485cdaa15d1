// The loaded data of an evaluation task, whatever made it (the built-in synthetic tasks, task
// files over tar shards): the images and the texts they are scored against. src/eval scores them.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace clipscale::data {

/// Zero-shot classification: every image has one of C classes; each class is described by the
/// templates with its name filled in.
struct ZeroShotTask {
  std::string name;                      ///< e.g. "zeroshot_shape"
  std::vector<std::string> class_names;  ///< C names
  std::vector<std::string> templates;    ///< prompts with "{}" where the class name goes
  at::Tensor images;                     ///< [N, 3, S, S] normalised
  at::Tensor labels;                     ///< [N] int64 class indices
};

/// Image↔text retrieval over N pairs.
struct RetrievalTask {
  std::string name;                   ///< e.g. "retrieval"
  at::Tensor images;                  ///< [N, 3, S, S] normalised
  std::vector<std::string> captions;  ///< N captions; caption i describes image i
  at::Tensor groups;                  ///< [N] int64: pairs with identical captions share a group
};

}  // namespace clipscale::data
