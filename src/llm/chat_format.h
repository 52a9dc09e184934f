// SPDX-License-Identifier: MIT
// The JSON of the OpenAI chat completions API as ChatClient uses it: the request body, the
// canonical request (the cache key's input and the cache entry's "request"), and the parsing of a
// reply. No I/O here.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bbpt/llm/chat_client.h"

namespace bbpt::llm::detail {

/// {"model", "messages", "temperature", "top_p", "max_tokens", "n", "seed", "sample_index"}; an
/// nlohmann::json object, so dump() sorts the keys and is canonical.
nlohmann::json canonical_request(const std::string& model,
                                 const std::vector<ChatMessage>& messages,
                                 const SamplingOptions& sampling,
                                 int64_t sample_index);

/// The POST body: {"model", "messages", "temperature", "top_p", "max_tokens", "n"} and "seed"
/// when sampling.seed >= 0.
std::string request_body(const std::string& model,
                         const std::vector<ChatMessage>& messages,
                         const SamplingOptions& sampling);

struct ParsedReply {
  std::vector<std::string> texts;  // choices[i].message.content, ordered by choices[i].index
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

/// Parses a chat.completion body. nullopt, with `why` set, when it is not JSON, has no choices,
/// or a choice has no message content string (null content counts as "").
std::optional<ParsedReply> parse_reply(const std::string& body, std::string* why);

}  // namespace bbpt::llm::detail
