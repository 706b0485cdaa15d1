// The built-in evaluation tasks (spec::builtin_eval_task_names()), drawn from synth:shapes' evaluation
// id range (disjoint from training ids):
//  * zero-shot shape classification: 6 classes, every object in the image has the class's shape;
//  * zero-shot colour classification: 8 classes, every object has the class's colour;
//  * image↔text retrieval: clean captions, 1:1 pairs; identical captions form one group, and a
//    retrieved item counts as a hit if it is any member of the query's group.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/eval_task_data.h"
#include "data/synth_shapes.h"

namespace clipscale::data {

/// Balanced zero-shot shape task of `count` images (class i % 6).
ZeroShotTask make_shape_task(const SynthShapes& synth, int64_t count);
/// Balanced zero-shot colour task of `count` images (class i % 8).
ZeroShotTask make_color_task(const SynthShapes& synth, int64_t count);
/// Retrieval over `count` clean pairs.
RetrievalTask make_retrieval_task(const SynthShapes& synth, int64_t count);

/// A zero-shot task by name ("zeroshot_shape" or "zeroshot_color"); unknown names throw
/// core::UserError with the list of known tasks.
ZeroShotTask make_zero_shot_task(const SynthShapes& synth, const std::string& name, int64_t count);

}  // namespace clipscale::data
