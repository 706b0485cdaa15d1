// The one precompiled header: LibTorch's full C++ frontend. Targets reuse it through
// clipscale_use_torch_pch(); headers of ours never include it
// (<torch/torch.h> costs about 10 s per translation unit; headers use ATen/core/Tensor.h).
#pragma once
#include <torch/torch.h>
