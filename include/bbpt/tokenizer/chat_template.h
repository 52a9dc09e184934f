// SPDX-License-Identifier: MIT
// ChatTemplate: a model's chat format, recognised from tokenizer_config.json's Jinja
// chat_template by the special tokens it writes, and rendered in C++ exactly as that template
// renders (no Jinja engine). Known: Llama-3 (and Llama-3.1's variant with the knowledge-date
// system header) and ChatML. Tools, images and any other template are rejected by name.
// ref: https://huggingface.co/meta-llama/Meta-Llama-3-8B-Instruct/blob/main/tokenizer_config.json
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bbpt/tokenizer/llm_tokenizer.h"

namespace bbpt::tokenizer {

/// Chat formats bbpt can render.
enum class ChatFormat {
  kLlama3,   ///< <|start_header_id|>role<|end_header_id|>\n\n content <|eot_id|> (Llama-3.0)
  kLlama31,  ///< kLlama3 plus the system header with "Cutting Knowledge Date" (Llama-3.1/3.2)
  kChatMl,   ///< <|im_start|>role\n content <|im_end|>\n (Qwen, many others)
};

/// "llama3", "llama3.1" or "chatml".
std::string to_string(ChatFormat format);

/// One message of a conversation.
struct ChatTurn {
  /// "system", "user" or "assistant" (any text is written as is).
  std::string role;
  /// The message text (UTF-8).
  std::string content;
};

/// A recognised chat template. Immutable; cheap to copy.
class ChatTemplate {
 public:
  /// Reads tokenizer_config.json: its "chat_template" (a string, or a list of {name, template}
  /// whose "default" entry is used) and "bos_token" (a string or {"content": ...}). Throws
  /// IoError naming the file when it is missing, not JSON, has no chat_template, or has a
  /// template that is none of the known formats (the message lists them).
  static ChatTemplate from_tokenizer_config(const std::string& path);

  /// Recognises template_text (Jinja). bos_token is what the template's bos_token renders as;
  /// source names the template in errors.
  static ChatTemplate from_template_text(std::string_view template_text,
                                         std::string bos_token,
                                         const std::string& source);

  ChatFormat format() const { return format_; }

  /// The text the template renders for messages (apply_chat_template(tokenize=False)), with the
  /// assistant header at the end when add_generation_prompt. Llama-3: bos_token, then per
  /// message "<|start_header_id|>" role "<|end_header_id|>\n\n" content.strip() "<|eot_id|>".
  /// ChatML: "<|im_start|>" role "\n" content "<|im_end|>\n" (plus the template's default
  /// system message when it has one and the first message is not a system message).
  std::string render(const std::vector<ChatTurn>& messages, bool add_generation_prompt) const;

  /// apply_chat_template(tokenize=True): render(...) encoded without adding BOS (the template
  /// writes it), special tokens matched in the text.
  std::vector<int32_t> encode(const LlmTokenizer& tokenizer,
                              const std::vector<ChatTurn>& messages,
                              bool add_generation_prompt) const;

  /// Texts of the tokens that end an assistant turn in this format (Llama-3: "<|eot_id|>",
  /// ChatML: "<|im_end|>"); stop generation at their ids too.
  std::vector<std::string> end_of_turn_tokens() const;

  /// Ids of end_of_turn_tokens() in tokenizer; throws ConfigError naming a token it lacks.
  std::vector<int32_t> end_of_turn_ids(const LlmTokenizer& tokenizer) const;

 private:
  ChatTemplate(ChatFormat format,
               std::string bos_token,
               std::string default_system,
               std::string date_string);

  ChatFormat format_;
  std::string bos_token_;
  /// ChatML templates (Qwen-2) that add a system message when the first is not one: its text.
  std::string default_system_;
  /// Llama-3.1: the "Today Date" the template falls back to (its date_string), e.g. "26 Jul 2024".
  std::string date_string_;
};

}  // namespace bbpt::tokenizer
