// SPDX-License-Identifier: MIT
// A local LLM: a LlamaModel with its tokenizer and chat format, answering chat requests in
// process (no server) and, for GLOV, with guidance computed from two template texts. One instance
// per process and checkpoint (open() shares it), used by every trial of a packed group.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bbpt/lm/generation.h"
#include "bbpt/lm/llama_model.h"
#include "bbpt/tokenizer/chat_template.h"
#include "bbpt/tokenizer/llm_tokenizer.h"

namespace bbpt::lm {

struct LocalLlmOptions {
  std::string model_path;  ///< Hugging Face checkpoint directory or llama2.c .bin
  std::string
      tokenizer_path;  ///< "" : the checkpoint directory's tokenizer.json (llama2.c: required)
  std::string device =
      "auto";  ///< "auto" (cuda when available, else cpu) | "cpu" | "cuda" | "cuda:N"
};

/// Sampling of a chat request (transformers' generate() semantics, bbpt's seeded streams).
struct ChatSampling {
  double temperature = 1.0;
  int64_t top_k = 0;  ///< 0 = off
  double top_p = 1.0;
  int64_t max_new_tokens = 256;
};

/// GLOV's guidance given as texts: the steering vector is computed from them (pad to one length
/// with the end-of-turn token, encode plainly with BOS, mean of layer `layer`'s output).
struct GuidanceTexts {
  std::string positive;  ///< P+: the best template so far
  std::string negative;  ///< P-: the best template of the next lower accuracy level
  int64_t layer = 17;
  double alpha = 1.0;
  GuidanceSchedule schedule = GuidanceSchedule::kConstant;
  int64_t max_new_tokens = 0;  ///< guided samples' length limit; 0: the request's max_new_tokens
};

struct ChatCompletions {
  std::vector<std::string> texts;  ///< per sample, special tokens left out
  int64_t prompt_tokens = 0;       ///< the prompt's length (its prefill is shared by the samples)
  int64_t completion_tokens = 0;   ///< generated over all samples
};

class LocalLlm {
 public:
  /// The process's instance for these options, loaded on first use.
  static std::shared_ptr<const LocalLlm> open(const LocalLlmOptions& options);
  explicit LocalLlm(const LocalLlmOptions& options);

  const LlamaModel& model() const { return model_; }
  const tokenizer::LlmTokenizer& tokenizer() const { return *tokenizer_; }
  /// True when the checkpoint ships a chat template bbpt recognises (Hugging Face directories).
  bool has_chat_template() const { return chat_ != nullptr; }

  /// The prompt ids of a conversation: the chat template's rendering when there is one; without
  /// one (llama2.c models) the messages' contents joined by blank lines, encoded with BOS.
  std::vector<int64_t> encode_chat(const std::vector<tokenizer::ChatTurn>& messages,
                                   bool add_generation_prompt) const;
  std::vector<int64_t> encode(const std::string& text, bool add_bos) const;
  /// Text of generated ids without special tokens (skip_special_tokens=True).
  std::string decode_generated(const std::vector<int64_t>& ids) const;
  /// Ids that end a generation: the model's eos ids and the chat format's end-of-turn tokens.
  std::vector<int64_t> stop_ids() const;

  /// `count` completions sharing one prefill; completion k draws from core::Rng(seed, first_index +
  /// k).
  ChatCompletions chat(const std::vector<tokenizer::ChatTurn>& messages,
                       bool add_generation_prompt,
                       const ChatSampling& sampling,
                       int64_t count,
                       uint64_t seed,
                       int64_t first_index,
                       const GuidanceTexts* guidance = nullptr) const;

  /// GLOV's steering vector for two template texts; [D] fp32 on CPU.
  torch::Tensor steering_vector(const std::string& positive,
                                const std::string& negative,
                                int64_t layer) const;

  /// What a result depends on, for trial ids: "<kind>:<sha256>" over config.json,
  /// generation_config.json, tokenizer files and the weight files' headers and sizes (not their
  /// full bytes: hashing 16 GB on every plan would be slow; a changed tensor changes a header or
  /// a size only when its shape or dtype changes, so a retrained checkpoint must get a new path).
  static std::string fingerprint(const LocalLlmOptions& options);

 private:
  LlamaModel model_;
  std::unique_ptr<tokenizer::LlmTokenizer> tokenizer_;
  std::unique_ptr<tokenizer::ChatTemplate> chat_;
  int64_t pad_id_ = -1;  // the end-of-turn token GLOV pads P+ and P- with
};

/// The torch device an options string names ("auto" resolves to cuda when it is available).
torch::Device resolve_device(const std::string& device);

}  // namespace bbpt::lm
