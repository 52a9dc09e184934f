// SPDX-License-Identifier: MIT
// PretrainConfig: everything `bbpt pretrain` depends on (model shape, optimisation, augmentation,
// datasets and their caption styles), read from a YAML file with errors naming file, key and value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bbpt::pretrain {

/// The small OpenAI-layout CLIP to train (a ViT image tower for 32x32 inputs).
struct PretrainModelOptions {
  /// Joint embedding dimension E.
  int64_t embed_dim = 128;
  /// Input side R in pixels (images are resized by the CLIP eval transform).
  int64_t image_resolution = 32;
  /// ViT patch size P (R must be a multiple).
  int64_t patch_size = 8;
  /// Image transformer width (multiple of 64: heads = width / 64) and depth.
  int64_t vision_width = 128;
  int64_t vision_layers = 4;
  /// Text transformer width (multiple of 64) and depth; the vocabulary is the real CLIP BPE.
  int64_t text_width = 128;
  int64_t text_layers = 3;
  /// Text positions (77 as in released CLIP, so prompt code is the same for every model).
  int64_t context_length = 77;
};

struct PretrainTrainOptions {
  /// Optimiser steps; each step is one batch from one dataset, datasets in turn.
  int64_t steps = 3000;
  /// Images per batch.
  int64_t batch_size = 256;
  /// AdamW peak learning rate, reached after warmup_steps of linear warm-up, then cosine to 0.
  double learning_rate = 1e-3;
  int64_t warmup_steps = 150;
  /// AdamW decoupled weight decay on matrices (not on gains, biases, embeddings, logit_scale).
  double weight_decay = 0.1;
  /// Initial softmax temperature (logit_scale = log(1 / t)); CLIP uses 0.07.
  double init_temperature = 0.07;
  /// Upper bound of exp(logit_scale), as in CLIP.
  double max_logit_scale = 100.0;
  /// Zero-padding in pixels for random-shift augmentation (0 disables it).
  int64_t shift_pad = 2;
  /// Keep the token embedding at its random initialisation. Only a few hundred of its 49408 rows
  /// ever occur in captions, but AdamW would update all of them every step (the dominant cost of a
  /// step for small models); frozen random rows still give every token a distinct input.
  bool freeze_token_embedding = true;
  /// `train.log_every`: optimizer steps between log lines.
  int64_t log_every_steps = 50;
};

/// One training dataset and how its images are captioned.
struct PretrainDataset {
  /// Registry name: fmnist, mnist, cifar10 (see data::open_dataset).
  std::string name;
  /// Caption styles with a {} slot for the class name; every style of an image's class is a
  /// positive for it (multi-positive InfoNCE).
  std::vector<std::string> captions;
  /// Random horizontal flips (off for digits).
  bool flip = false;
};

struct PretrainConfig {
  /// Seeds the weight initialisation (torch) and every draw of batches and augmentation
  /// (core::Rng).
  uint64_t seed = 1;
  PretrainModelOptions model;
  PretrainTrainOptions train;
  std::vector<PretrainDataset> datasets;
};

/// Reads and validates a YAML config; throws ConfigError naming the file, the key and the value.
PretrainConfig load_pretrain_config(const std::string& path);

/// Checks every value (called by load_pretrain_config; public for configs built in code).
void validate(const PretrainConfig& config, const std::string& source);

/// The resolved config as JSON text (stored beside the checkpoint).
std::string to_json(const PretrainConfig& config);

}  // namespace bbpt::pretrain
