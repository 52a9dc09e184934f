// SPDX-License-Identifier: MIT
// Private helpers of the LLM tokenizers for Hugging Face's JSON files: parsing with an error that
// names the file, and the token fields of tokenizer_config.json.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace bbpt::tokenizer::detail {

/// Parses text as a JSON object. Throws IoError naming source when it is not JSON or not an
/// object; expected says what the file should be ("a Hugging Face tokenizer.json").
nlohmann::json parse_json_object(std::string_view text,
                                 const std::string& source,
                                 std::string_view expected);

/// A tokenizer_config.json token field (bos_token, eos_token): its text when it is a string or
/// {"content": string}, "" when it is missing or null. Throws IoError naming source and field for
/// any other value.
std::string read_token_field(const nlohmann::json& config,
                             const std::string& field,
                             const std::string& source);

}  // namespace bbpt::tokenizer::detail
