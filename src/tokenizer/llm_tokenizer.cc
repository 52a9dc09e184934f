// SPDX-License-Identifier: MIT
// Implements load_llm_tokenizer: which reader a path goes to, and the eos token of a Hugging
// Face checkpoint from its tokenizer_config.json.
#include "bbpt/tokenizer/llm_tokenizer.h"

#include <filesystem>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/tokenizer/hf_bpe_tokenizer.h"
#include "bbpt/tokenizer/llama2c_tokenizer.h"
#include "json_util.h"

namespace bbpt::tokenizer {
namespace {

namespace fs = std::filesystem;

/// tokenizer_config.json's eos_token, or "" when the file or the field is absent.
std::string read_eos_token(const fs::path& config_path) {
  const std::string path = config_path.string();
  if (!core::is_regular_file(path)) return "";
  const nlohmann::json config = detail::parse_json_object(core::read_file(path), path,
                                                          "a Hugging Face tokenizer_config.json");
  return detail::read_token_field(config, "eos_token", path);
}

}  // namespace

std::unique_ptr<LlmTokenizer> load_llm_tokenizer(const std::string& path) {
  const fs::path p(path);
  std::error_code ec;
  if (fs::is_directory(p, ec)) {
    const fs::path json_path = p / "tokenizer.json";
    BBPT_CHECK(core::is_regular_file(json_path.string()), IoError,
               path << ": has no tokenizer.json; expected a Hugging Face checkpoint directory "
                       "(tokenizer.json, tokenizer_config.json) or a llama2.c tokenizer.bin");
    return std::make_unique<HfBpeTokenizer>(
        HfBpeTokenizer::from_file(json_path.string(), read_eos_token(p / "tokenizer_config.json")));
  }
  BBPT_CHECK(core::is_regular_file(path), IoError,
             path << ": no such file or directory; expected a Hugging Face checkpoint directory, "
                     "its tokenizer.json, or a llama2.c tokenizer.bin");
  if (p.extension() == ".json") {
    return std::make_unique<HfBpeTokenizer>(
        HfBpeTokenizer::from_file(path, read_eos_token(p.parent_path() / "tokenizer_config.json")));
  }
  return std::make_unique<Llama2cTokenizer>(Llama2cTokenizer::from_file(path));
}

}  // namespace bbpt::tokenizer
