// SPDX-License-Identifier: MIT
// Implements loading a dataset's train split into tensors for pretraining, and tokenising captions.
#include <cstring>

#include "bbpt/core/error.h"
#include "bbpt/core/log.h"
#include "bbpt/eval/class_prompts.h"
#include "bbpt/eval/zero_shot.h"
#include "bbpt/image/transforms.h"
#include "bbpt/pretrain/contrastive_trainer.h"

namespace bbpt::pretrain {

model::ClipConfig clip_config_for(const PretrainModelOptions& options, int64_t vocab_size) {
  model::ClipConfig c;
  c.embed_dim = options.embed_dim;
  c.image_resolution = options.image_resolution;
  c.vision_layers = {options.vision_layers};
  c.vision_width = options.vision_width;
  c.vision_patch_size = options.patch_size;
  c.vision_heads = options.vision_width / 64;
  c.context_length = options.context_length;
  c.vocab_size = vocab_size;
  c.transformer_width = options.text_width;
  c.transformer_heads = options.text_width / 64;
  c.transformer_layers = options.text_layers;
  return c;
}

PretrainData load_pretrain_data(const PretrainDataset& dataset,
                                const data::DataOptions& data_options,
                                const tokenizer::ClipTokenizer& tokenizer,
                                int64_t resolution,
                                int64_t context_length) {
  const auto split = data::open_dataset(dataset.name, "train", data_options);
  const auto description = data::describe_dataset(dataset.name, data_options);
  const int64_t num_images = static_cast<int64_t>(split->size());
  PretrainData out;
  out.name = dataset.name;
  out.flip = dataset.flip;
  out.images = torch::empty({num_images, 3, resolution, resolution});  // [N, 3, R, R]
  out.labels = torch::empty({num_images}, torch::kLong);
  image::EvalTransformOptions transform;
  transform.resolution = static_cast<int>(resolution);
  const int64_t pixels = 3 * resolution * resolution;
  float* dst = out.images.data_ptr<float>();
  for (int64_t i = 0; i < num_images; ++i) {
    const auto chw =
        image::apply_eval_transform(split->load_image(static_cast<size_t>(i)), transform);
    std::memcpy(dst + i * pixels, chw.data(), static_cast<size_t>(pixels) * sizeof(float));
    out.labels[i] = split->label(static_cast<size_t>(i));
  }

  const auto& class_names = description.class_names;
  std::vector<int64_t> caption_class;
  for (size_t c = 0; c < class_names.size(); ++c) {
    caption_class.insert(caption_class.end(), dataset.captions.size(), static_cast<int64_t>(c));
  }
  const auto num_captions = static_cast<int64_t>(caption_class.size());
  // Class-major like caption_class. Cut captions are warned about once per class (ClassPrompts).
  eval::ClassPrompts prompts(tokenizer, class_names, context_length);
  std::vector<torch::Tensor> per_style;  // S x [C, L]
  for (const auto& style : dataset.captions) per_style.push_back(prompts.tokenize(style));
  out.caption_tokens = torch::zeros({0, context_length}, torch::kLong);
  if (!per_style.empty()) {
    // [S, C, L] -> [C, S, L] -> [U, L]
    out.caption_tokens =
        torch::stack(per_style).permute({1, 0, 2}).reshape({num_captions, context_length});
  }
  out.caption_class = torch::tensor(caption_class, torch::kLong);  // [U]
  BBPT_LOG_INFO("pretrain data " << dataset.name << ": " << num_images << " train images, "
                                 << class_names.size() << " classes, " << num_captions
                                 << " captions");
  return out;
}

}  // namespace bbpt::pretrain
