// SPDX-License-Identifier: MIT
// Implements the JSON helpers of the LLM tokenizers.
#include "json_util.h"

#include "bbpt/core/error.h"

namespace bbpt::tokenizer::detail {

nlohmann::json parse_json_object(std::string_view text,
                                 const std::string& source,
                                 std::string_view expected) {
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    BBPT_THROW(IoError, source << ": not valid JSON (" << e.what() << "); expected " << expected);
  }
  BBPT_CHECK(root.is_object(), IoError,
             source << ": top level is " << root.type_name() << "; expected " << expected);
  return root;
}

std::string read_token_field(const nlohmann::json& config,
                             const std::string& field,
                             const std::string& source) {
  const auto it = config.find(field);
  if (it == config.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  const auto content = it->is_object() ? it->find("content") : it->end();
  BBPT_CHECK(it->is_object() && content != it->end() && content->is_string(), IoError,
             source << ": field '" << field << "' is " << it->dump()
                    << "; expected a string or {\"content\": string}");
  return content->get<std::string>();
}

}  // namespace bbpt::tokenizer::detail
