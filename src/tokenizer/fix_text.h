// SPDX-License-Identifier: MIT
// Private: the code-point version of tokenizer::fix_text (ftfy.fix_text's deterministic steps).
#pragma once

#include <string>
#include <string_view>

namespace bbpt::tokenizer::detail {

/// ftfy.fix_text without fix_encoding; see bbpt/tokenizer/text_clean.h for the list of steps.
std::u32string fix_text(std::u32string_view text);

}  // namespace bbpt::tokenizer::detail
