// SPDX-License-Identifier: MIT
// Implements ChatTemplate: recognising the known formats in a Jinja chat_template by their
// special tokens and the few details that change the output (bos_token, trim, a default system
// message, Llama-3.1's date header), and rendering them as the templates do.
// ref: https://huggingface.co/meta-llama/Llama-3.1-8B-Instruct/blob/main/tokenizer_config.json
// ref: https://huggingface.co/Qwen/Qwen2-7B-Instruct/blob/main/tokenizer_config.json
#include "bbpt/tokenizer/chat_template.h"

#include <nlohmann/json.hpp>
#include <regex>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "json_util.h"
#include "unicode_util.h"

namespace bbpt::tokenizer {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kKnownFormats =
    "bbpt knows Llama-3 (<|start_header_id|>, <|end_header_id|>, <|eot_id|>), Llama-3.1 (the "
    "same with \"Cutting Knowledge Date\") and ChatML (<|im_start|>, <|im_end|>)";

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

/// Jinja's trim filter (Python str.strip()): whitespace removed at both ends.
std::string strip(std::string_view text) {
  const std::u32string code_points = detail::decode_utf8(text);
  size_t begin = 0;
  size_t end = code_points.size();
  while (begin < end && detail::is_python_space(code_points[begin])) ++begin;
  while (end > begin && detail::is_python_space(code_points[end - 1])) --end;
  return detail::encode_utf8(std::u32string_view(code_points).substr(begin, end - begin));
}

/// Text of a Jinja string literal's escapes (\n, \t, \', \", \\) as rendered.
std::string unescape_jinja(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    const char c = text[++i];
    out += c == 'n' ? '\n' : c == 't' ? '\t' : c;
  }
  return out;
}

/// ChatML templates that write a fixed system message when the first message is not a system
/// message (Qwen-2): that message's text, else "".
std::string chatml_default_system(std::string_view template_text) {
  static const std::regex kDefault(R"(<\|im_start\|>system(?:\n|\\n)([^'"+]*?)<\|im_end\|>)");
  const std::string text(template_text);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kDefault);
       it != std::sregex_iterator(); ++it) {
    const std::string body = (*it)[1].str();
    if (!body.empty()) return unescape_jinja(body);
  }
  return "";
}

/// Llama-3.1's `set date_string = "..."` fallback (used when the caller passes no date).
std::string llama31_date(std::string_view template_text) {
  static const std::regex kDate(R"(set date_string = ["']([^"']+)["'])");
  std::smatch match;
  const std::string text(template_text);
  return std::regex_search(text, match, kDate) ? match[1].str() : "26 Jul 2024";
}

}  // namespace

ChatTemplate::ChatTemplate(ChatFormat format,
                           std::string bos_token,
                           std::string default_system,
                           std::string date_string)
    : format_(format),
      bos_token_(std::move(bos_token)),
      default_system_(std::move(default_system)),
      date_string_(std::move(date_string)) {}

std::string to_string(ChatFormat format) {
  switch (format) {
    case ChatFormat::kLlama3:
      return "llama3";
    case ChatFormat::kLlama31:
      return "llama3.1";
    case ChatFormat::kChatMl:
      return "chatml";
  }
  return "unknown";
}

ChatTemplate ChatTemplate::from_tokenizer_config(const std::string& path) {
  const Json root = detail::parse_json_object(core::read_file(path), path,
                                              "a Hugging Face tokenizer_config.json");
  BBPT_CHECK(root.contains("chat_template"), IoError,
             path << ": field 'chat_template' is missing; the model has no chat format (a base "
                     "model?); "
                  << kKnownFormats);
  const Json& value = root["chat_template"];
  std::string template_text;
  if (value.is_string()) {
    template_text = value.get<std::string>();
  } else if (value.is_array()) {
    for (const Json& entry : value) {
      if (entry.is_object() && entry.value("name", "") == "default" && entry.contains("template") &&
          entry["template"].is_string()) {
        template_text = entry["template"].get<std::string>();
      }
    }
    BBPT_CHECK(!template_text.empty(), IoError,
               path << ": field 'chat_template' is a list without a {\"name\": \"default\", "
                       "\"template\": ...} entry");
  } else {
    BBPT_THROW(IoError, path << ": field 'chat_template' is " << value.type_name()
                             << "; expected a Jinja template string");
  }
  return from_template_text(template_text, detail::read_token_field(root, "bos_token", path),
                            path + " (field 'chat_template')");
}

ChatTemplate ChatTemplate::from_template_text(std::string_view template_text,
                                              std::string bos_token,
                                              const std::string& source) {
  if (contains(template_text, "<|start_header_id|>") &&
      contains(template_text, "<|end_header_id|>") && contains(template_text, "<|eot_id|>")) {
    BBPT_CHECK(contains(template_text, "bos_token"), IoError,
               source << ": a Llama-3 template that does not write bos_token; bbpt renders the "
                         "released Llama-3 templates only");
    BBPT_CHECK(!bos_token.empty(), IoError,
               source << ": the Llama-3 template writes bos_token, but no bos_token is given");
    if (contains(template_text, "Cutting Knowledge Date")) {
      return ChatTemplate(ChatFormat::kLlama31, std::move(bos_token), "",
                          llama31_date(template_text));
    }
    return ChatTemplate(ChatFormat::kLlama3, std::move(bos_token), "", "");
  }
  if (contains(template_text, "<|im_start|>") && contains(template_text, "<|im_end|>")) {
    return ChatTemplate(ChatFormat::kChatMl, std::move(bos_token),
                        chatml_default_system(template_text), "");
  }
  std::string start(template_text.substr(0, 80));
  for (char& c : start) c = c == '\n' ? ' ' : c;
  BBPT_THROW(IoError, source << ": a chat template bbpt does not know (it starts \"" << start
                             << (template_text.size() > 80 ? "...\"" : "\"") << "); "
                             << kKnownFormats);
}

std::string ChatTemplate::render(const std::vector<ChatTurn>& messages,
                                 bool add_generation_prompt) const {
  std::string text;
  const auto llama_message = [&](const std::string& role, const std::string& content) {
    text += "<|start_header_id|>" + role + "<|end_header_id|>\n\n" + strip(content) + "<|eot_id|>";
  };
  switch (format_) {
    case ChatFormat::kLlama3:
      // bos_token goes in front of the first message only: no messages, no BOS.
      for (size_t i = 0; i < messages.size(); ++i) {
        if (i == 0) text += bos_token_;
        llama_message(messages[i].role, messages[i].content);
      }
      if (add_generation_prompt) text += "<|start_header_id|>assistant<|end_header_id|>\n\n";
      break;
    case ChatFormat::kLlama31: {
      // The system header always comes, with the first message's text when it is a system one.
      const bool has_system = !messages.empty() && messages[0].role == "system";
      text += bos_token_ + "<|start_header_id|>system<|end_header_id|>\n\n";
      text += "Cutting Knowledge Date: December 2023\nToday Date: " + date_string_ + "\n\n";
      text += (has_system ? strip(messages[0].content) : std::string()) + "<|eot_id|>";
      for (size_t i = has_system ? 1 : 0; i < messages.size(); ++i) {
        llama_message(messages[i].role, messages[i].content);
      }
      if (add_generation_prompt) text += "<|start_header_id|>assistant<|end_header_id|>\n\n";
      break;
    }
    case ChatFormat::kChatMl:
      if (!default_system_.empty() && (messages.empty() || messages[0].role != "system")) {
        text += "<|im_start|>system\n" + default_system_ + "<|im_end|>\n";
      }
      for (const ChatTurn& m : messages) {
        text += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
      }
      if (add_generation_prompt) text += "<|im_start|>assistant\n";
      break;
  }
  return text;
}

std::vector<int32_t> ChatTemplate::encode(const LlmTokenizer& tokenizer,
                                          const std::vector<ChatTurn>& messages,
                                          bool add_generation_prompt) const {
  return tokenizer.encode(render(messages, add_generation_prompt), /*add_bos=*/false);
}

std::vector<std::string> ChatTemplate::end_of_turn_tokens() const {
  if (format_ == ChatFormat::kChatMl) return {"<|im_end|>"};
  return {"<|eot_id|>"};
}

std::vector<int32_t> ChatTemplate::end_of_turn_ids(const LlmTokenizer& tokenizer) const {
  std::vector<int32_t> ids;
  for (const std::string& token : end_of_turn_tokens()) {
    const auto id = tokenizer.token_id(token);
    BBPT_CHECK(id.has_value(), ConfigError,
               "the tokenizer has no token \"" << token << "\", which the " << to_string(format_)
                                               << " chat format ends a turn with");
    ids.push_back(*id);
  }
  return ids;
}

}  // namespace bbpt::tokenizer
