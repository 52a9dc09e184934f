// SPDX-License-Identifier: MIT
// Contrastive (InfoNCE, learned temperature) pretraining of a small OpenAI-layout CLIP on labelled
// images with captions built from per-dataset caption styles. Multi-positive: every caption of an
// image's class is a positive for it, and every image of a caption's class for the caption.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "bbpt/data/dataset_registry.h"
#include "bbpt/model/clip_model.h"
#include "bbpt/pretrain/pretrain_config.h"
#include "bbpt/tokenizer/clip_tokenizer.h"

namespace bbpt::pretrain {

/// One dataset's train split in memory, preprocessed once, with its captions tokenised.
struct PretrainData {
  std::string name;
  torch::Tensor images;          // [N, 3, R, R] float32, CLIP-normalised (eval transform)
  torch::Tensor labels;          // [N] int64
  torch::Tensor caption_tokens;  // [U, L] int64, U = classes x styles, zero-padded
  torch::Tensor caption_class;   // [U] int64, class of each caption
  bool flip = false;
};

/// Decodes and preprocesses the train split of `dataset` (via data::open_dataset) at `resolution`.
PretrainData load_pretrain_data(const PretrainDataset& dataset,
                                const data::DataOptions& data_options,
                                const tokenizer::ClipTokenizer& tokenizer,
                                int64_t resolution,
                                int64_t context_length);

/// The ClipConfig of the model a PretrainConfig describes.
model::ClipConfig clip_config_for(const PretrainModelOptions& options, int64_t vocab_size);

/// One log record per train.log_every steps (and the last step).
struct PretrainLogRecord {
  int64_t step = 0;
  std::string dataset;
  double loss = 0;  // mean over the logged steps
  double learning_rate = 0;
  double logit_scale = 0;  // exp(logit_scale)
  double images_per_second = 0;
  double elapsed_s = 0;
};

/// Trains from the config's seed; calls on_log for every record (progress, log files).
model::ClipModel train_clip(const PretrainConfig& config,
                            const std::vector<PretrainData>& datasets,
                            int64_t vocab_size,
                            const std::function<void(const PretrainLogRecord&)>& on_log);

/// The multi-positive InfoNCE loss: image_features [B, E], caption_features [U, E] (both
/// unnormalised), labels [B], caption_class [U]; mean of the image->text and text->image terms
/// (captions with no image of their class in the batch are left out of the second).
torch::Tensor multi_positive_clip_loss(const torch::Tensor& image_features,
                                       const torch::Tensor& caption_features,
                                       const torch::Tensor& logit_scale,
                                       const torch::Tensor& labels,
                                       const torch::Tensor& caption_class);

}  // namespace bbpt::pretrain
