// SPDX-License-Identifier: MIT
// Unit tests of ChatTemplate: the released templates' texts are recognised and rendered
// character for character as Jinja renders them; an unknown template is refused by name.
#include "bbpt/tokenizer/chat_template.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../llm/temp_dir.h"
#include "bbpt/core/error.h"
#include "expect_error.h"

namespace bbpt::tokenizer {
namespace {

/// Meta-Llama-3-8B-Instruct's chat_template.
constexpr const char* kLlama3Template =
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
    "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | "
    "trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% "
    "endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ "
    "'<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

/// The part of Llama-3.1-8B-Instruct's chat_template that recognition looks at.
constexpr const char* kLlama31Template =
    "{{- bos_token }}\n{%- if not date_string is defined %}\n    {%- set date_string = \"26 Jul "
    "2024\" %}\n{%- endif %}\n{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}\n{{- "
    "\"Cutting Knowledge Date: December 2023\\n\" }}\n{{- \"Today Date: \" + date_string + "
    "\"\\n\\n\" }}{{- system_message }}\n{{- \"<|eot_id|>\" }}";

/// Qwen2-7B-Instruct's chat_template (a default system message when none is given).
constexpr const char* kQwen2Template =
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ "
    "'<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif "
    "%}{{'<|im_start|>' "
    "+ message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if "
    "add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/// A plain ChatML template without a default system message.
constexpr const char* kChatMlTemplate =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] "
    "+ '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' "
    "}}{% endif %}";

const std::vector<ChatTurn> kMessages = {{"system", " Be brief. "}, {"user", "hi\n"}};

TEST(ChatTemplate, RendersLlama3AsItsTemplate) {
  const ChatTemplate t = ChatTemplate::from_template_text(kLlama3Template, "<|bos|>", "test");
  EXPECT_EQ(t.format(), ChatFormat::kLlama3);
  const std::string body =
      "<|bos|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>";
  EXPECT_EQ(t.render(kMessages, false), body);
  EXPECT_EQ(t.render(kMessages, true), body + "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(t.render({}, true), "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(t.end_of_turn_tokens(), std::vector<std::string>{"<|eot_id|>"});
}

TEST(ChatTemplate, RendersLlama31WithItsSystemHeader) {
  const ChatTemplate t = ChatTemplate::from_template_text(kLlama31Template, "<|bos|>", "test");
  EXPECT_EQ(t.format(), ChatFormat::kLlama31);
  const std::string header =
      "<|bos|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December "
      "2023\nToday Date: 26 Jul 2024\n\n";
  EXPECT_EQ(t.render(kMessages, true),
            header +
                "Be brief.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>"
                "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(t.render({{"user", "hi"}}, false),
            header + "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>");
}

TEST(ChatTemplate, RendersChatMl) {
  const ChatTemplate plain = ChatTemplate::from_template_text(kChatMlTemplate, "", "test");
  EXPECT_EQ(plain.format(), ChatFormat::kChatMl);
  EXPECT_EQ(plain.render({{"user", " hi "}}, true),
            "<|im_start|>user\n hi <|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(plain.end_of_turn_tokens(), std::vector<std::string>{"<|im_end|>"});
  const ChatTemplate qwen = ChatTemplate::from_template_text(kQwen2Template, "", "test");
  EXPECT_EQ(qwen.render({{"user", "hi"}}, false),
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
            "<|im_start|>user\nhi<|im_end|>\n");
  EXPECT_EQ(qwen.render(kMessages, false),
            "<|im_start|>system\n Be brief. <|im_end|>\n<|im_start|>user\nhi\n<|im_end|>\n");
}

TEST(ChatTemplate, ReadsTokenizerConfig) {
  const llm::TempDir dir;
  const std::string path = dir.path() + "/tokenizer_config.json";
  const auto write = [&](const nlohmann::json& config) { std::ofstream(path) << config.dump(); };
  write({{"bos_token", {{"content", "<|bos|>"}}},
         {"chat_template",
          nlohmann::json::array({{{"name", "tool_use"}, {"template", "x"}},
                                 {{"name", "default"}, {"template", kLlama3Template}}})}});
  EXPECT_EQ(ChatTemplate::from_tokenizer_config(path).render({{"user", "a"}}, false),
            "<|bos|><|start_header_id|>user<|end_header_id|>\n\na<|eot_id|>");

  write({{"bos_token", "<s>"}, {"chat_template", "{{ messages[0]['content'] }} [INST]"}});
  expect_error_naming<IoError>(
      [&] { ChatTemplate::from_tokenizer_config(path); },
      {path, "chat_template", "does not know", "Llama-3", "ChatML", "[INST]"});
  write({{"bos_token", "<s>"}});
  expect_error_naming<IoError>([&] { ChatTemplate::from_tokenizer_config(path); },
                               {path, "'chat_template' is missing"});
  write({{"chat_template", kLlama3Template}});
  expect_error_naming<IoError>([&] { ChatTemplate::from_tokenizer_config(path); },
                               {path, "bos_token"});
  std::ofstream(path) << "{\"chat_template\": ";
  expect_error_naming<IoError>([&] { ChatTemplate::from_tokenizer_config(path); },
                               {path, "not valid JSON"});
  expect_error_naming<IoError>(
      [&] { ChatTemplate::from_tokenizer_config(dir.path() + "/missing.json"); },
      {dir.path() + "/missing.json"});
}

}  // namespace
}  // namespace bbpt::tokenizer
