// SPDX-License-Identifier: MIT
// Implements the chat completions JSON: request building and reply parsing.
#include "chat_format.h"

#include <algorithm>
#include <utility>

namespace bbpt::llm::detail {
namespace {

nlohmann::json messages_json(const std::vector<ChatMessage>& messages) {
  nlohmann::json out = nlohmann::json::array();
  for (const ChatMessage& m : messages) {
    if (m.image_urls.empty()) {
      out.push_back({{"role", m.role}, {"content", m.content}});
      continue;
    }
    nlohmann::json parts = nlohmann::json::array({{{"type", "text"}, {"text", m.content}}});
    for (const auto& url : m.image_urls)
      parts.push_back({{"type", "image_url"}, {"image_url", {{"url", url}}}});
    out.push_back({{"role", m.role}, {"content", parts}});
  }
  return out;
}

int64_t token_count(const nlohmann::json& usage, const char* field) {
  if (!usage.is_object()) return 0;
  const auto it = usage.find(field);
  return it != usage.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

}  // namespace

nlohmann::json canonical_request(const std::string& model,
                                 const std::vector<ChatMessage>& messages,
                                 const SamplingOptions& sampling,
                                 int64_t sample_index) {
  return {{"model", model},
          {"messages", messages_json(messages)},
          {"temperature", sampling.temperature},
          {"top_p", sampling.top_p},
          {"max_tokens", sampling.max_tokens},
          {"n", sampling.n},
          {"seed", sampling.seed},
          {"sample_index", sample_index}};
}

std::string request_body(const std::string& model,
                         const std::vector<ChatMessage>& messages,
                         const SamplingOptions& sampling) {
  nlohmann::json body = {{"model", model},
                         {"messages", messages_json(messages)},
                         {"temperature", sampling.temperature},
                         {"top_p", sampling.top_p},
                         {"max_tokens", sampling.max_tokens},
                         {"n", sampling.n}};
  if (sampling.seed >= 0) body["seed"] = sampling.seed;
  return body.dump();
}

std::optional<ParsedReply> parse_reply(const std::string& body, std::string* why) {
  const nlohmann::json reply = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (reply.is_discarded()) {
    *why = "the body is not JSON";
    return std::nullopt;
  }
  const auto choices = reply.is_object() ? reply.find("choices") : reply.end();
  if (choices == reply.end() || !choices->is_array() || choices->empty()) {
    *why = "the reply has no choices";
    return std::nullopt;
  }
  // (index, text); servers send choices in index order, but the API does not promise it.
  std::vector<std::pair<int64_t, std::string>> indexed;
  for (size_t i = 0; i < choices->size(); ++i) {
    const nlohmann::json& choice = (*choices)[i];
    const auto message = choice.is_object() ? choice.find("message") : choice.end();
    if (message == choice.end() || !message->is_object()) {
      *why = "choices[" + std::to_string(i) + "] has no message";
      return std::nullopt;
    }
    const auto content = message->find("content");
    std::string text;
    if (content != message->end() && content->is_string()) {
      text = content->get<std::string>();
    } else if (content == message->end() || !content->is_null()) {
      *why = "choices[" + std::to_string(i) + "].message.content is not a string";
      return std::nullopt;
    }
    const auto index = choice.find("index");
    const int64_t order = index != choice.end() && index->is_number_integer()
                              ? index->get<int64_t>()
                              : static_cast<int64_t>(i);
    indexed.emplace_back(order, std::move(text));
  }
  std::stable_sort(indexed.begin(), indexed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  ParsedReply parsed;
  for (auto& [order, text] : indexed) parsed.texts.push_back(std::move(text));
  const auto usage = reply.find("usage");
  if (usage != reply.end()) {
    parsed.prompt_tokens = token_count(*usage, "prompt_tokens");
    parsed.completion_tokens = token_count(*usage, "completion_tokens");
  }
  return parsed;
}

}  // namespace bbpt::llm::detail
