// SPDX-License-Identifier: MIT
// CLIP's pre-tokenizer: splits cleaned text into the pieces that are BPE-encoded one by one.
// A hand-written matcher equivalent to the reference's `regex` pattern (no regex engine).
#pragma once

#include <string_view>
#include <vector>

namespace bbpt::tokenizer {

/// The pieces regex.findall finds in text (UTF-8) for CLIP's pattern, compiled with IGNORECASE:
///   <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
/// At each position the first alternative that matches wins; characters no alternative matches
/// (whitespace) are skipped. \p{L} and \p{N} are the general categories L* and N* (ICU's data),
/// \s is Unicode White_Space. IGNORECASE details of the `regex` module that are kept: 'ſ'
/// (U+017F) matches the 's' of "'s" and "<|startoftext|>", and U+0345 (a combining mark whose
/// upper case is a letter) matches no alternative, so it is dropped. Input that is not UTF-8 is
/// read as U+FFFD per bad byte sequence.
/// Returns views into text, in order; text must outlive them. ref:
/// https://github.com/openai/CLIP/blob/main/clip/simple_tokenizer.py (SimpleTokenizer.pat)
std::vector<std::string_view> pre_tokenize(std::string_view text);

}  // namespace bbpt::tokenizer
