// The one precompiled header: LibTorch's full C++ frontend. Targets reuse it through
// clipscale_use_torch_pch(); headers of ours never include it (see STYLE.md 16).
#pragma once
#include <torch/torch.h>
