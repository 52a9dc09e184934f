// SPDX-License-Identifier: MIT
// LlmTokenizer: the interface a local Llama-family LLM runtime uses to turn text into ids and
// back, whatever file the tokenizer came from, and load_llm_tokenizer, which picks the
// implementation from the path (a Hugging Face tokenizer.json or a llama2.c tokenizer.bin).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bbpt::tokenizer {

/// Text <-> token ids for an LLM. Implementations are immutable after loading: every method is
/// safe to call concurrently.
class LlmTokenizer {
 public:
  virtual ~LlmTokenizer() = default;

  /// Token ids of text (UTF-8). add_bos puts what the reference adds for a plain encode in front
  /// (Hugging Face: the post-processor's template, for Llama-3 `<|begin_of_text|>`; llama2.c:
  /// id 1). Special tokens written in the text become their ids where the format has them.
  virtual std::vector<int32_t> encode(std::string_view text, bool add_bos) const = 0;

  /// The text of ids, special tokens included as their text (details per implementation).
  /// Throws ConfigError naming an id outside [0, vocab_size()).
  virtual std::string decode(const std::vector<int32_t>& ids) const = 0;

  /// Id encode(text, true) puts first, or nullopt when the format adds none.
  virtual std::optional<int32_t> bos_id() const = 0;

  /// Ids that end a sequence (stop generation at any of them), as the tokenizer files name them;
  /// the model's generation_config.json may add more. May be empty.
  virtual std::vector<int32_t> eos_ids() const = 0;

  /// True for ids that are control tokens, not text (Hugging Face: added tokens marked special;
  /// llama2.c: BOS and EOS): what decode(skip_special_tokens=True) leaves out.
  virtual bool is_special(int32_t id) const = 0;
  /// Number of ids: every id encode returns is in [0, vocab_size()).
  virtual int vocab_size() const = 0;

  /// Id of a token given by its exact text (e.g. "<|eot_id|>"), or nullopt when there is none.
  virtual std::optional<int32_t> token_id(std::string_view token_text) const = 0;
};

/// Loads the tokenizer at path: a directory (a Hugging Face checkpoint: its tokenizer.json, with
/// tokenizer_config.json for the eos token when present), a `*.json` file (tokenizer.json), or
/// any other file, read as a llama2.c tokenizer.bin. Throws IoError naming the file and what is
/// wrong when it is missing, malformed or of a kind bbpt does not support.
std::unique_ptr<LlmTokenizer> load_llm_tokenizer(const std::string& path);

}  // namespace bbpt::tokenizer
