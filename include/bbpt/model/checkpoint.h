// SPDX-License-Identifier: MIT
// Reading CLIP checkpoints: the TorchScript archives OpenAI releases (ViT-B-16.pt, RN50.pt, ...)
// and plain state dicts saved with torch.save (open_clip style: optional "state_dict" key, optional
// "module." prefix). The legacy pre-1.6 torch.save format is rejected with advice.
#pragma once

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

#include "bbpt/model/clip_model.h"

namespace bbpt::model {

enum class CheckpointFormat { kTorchScript, kStateDict };
std::string to_string(CheckpointFormat format);

/// Entry name -> tensor, in file order, names normalised (no "module." prefix) and non-weight
/// entries (input_resolution, context_length, vocab_size) removed.
struct StateDict {
  CheckpointFormat format = CheckpointFormat::kTorchScript;
  std::vector<std::pair<std::string, torch::Tensor>> entries;
  ShapeMap shapes() const;
};

/// Reads every tensor of a checkpoint onto the CPU in its stored dtype. Throws IoError for a
/// missing, truncated or non-PyTorch file and ModelError for an archive that holds no tensor
/// dictionary; each error is one line naming the file and what was expected.
StateDict read_state_dict(const std::string& path);

struct ClipLoadOptions {
  /// Where the model runs: "cpu" or "cuda" / "cuda:N" (only when libtorch was built with CUDA).
  std::string device = "cpu";
  /// Compute dtype: "float32", or on CUDA also "float16" / "bfloat16" (LayerNorms stay float32).
  std::string dtype = "float32";
};

/// Parses ClipLoadOptions into torch values; throws ConfigError naming the bad value.
torch::Device parse_device(const std::string& device);
torch::Dtype parse_dtype(const std::string& dtype, const torch::Device& device);

/// Builds the model the checkpoint describes (configuration inferred from shapes), copies every
/// weight (casting fp16 to the compute dtype) and returns it in inference mode.
ClipModel load_clip(const std::string& path, const ClipLoadOptions& options = {});

/// Writes every parameter and buffer under its OpenAI name as a torch.save-format state dict
/// (fp32, CPU), atomically. load_clip() and Python's torch.load both read it.
void save_state_dict(ClipModel& model, const std::string& path);

/// Writes a [1, 3, R, R] float32 image tensor (channel-major values `chw`) in torch.save format,
/// atomically (Python's torch.load reads it); returns the mean of the values.
double save_image_tensor(const std::vector<float>& chw,
                         int64_t resolution,
                         const std::string& path);

/// Builds a model from an in-memory state dict; `source` names it in errors.
ClipModel build_clip(const StateDict& state,
                     const std::string& source,
                     const ClipLoadOptions& options);

}  // namespace bbpt::model
