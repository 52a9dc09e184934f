// SPDX-License-Identifier: MIT
// Private: the hash-map key of a BPE merge, shared by the CLIP and Hugging Face BPE tokenizers.
#pragma once

#include <cstdint>

namespace bbpt::tokenizer::detail {

/// The key of the BPE merge (first id, second id) in a hash map of merges.
inline uint64_t merge_pair_key(int32_t first, int32_t second) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(first)) << 32) |
         static_cast<uint32_t>(second);
}

}  // namespace bbpt::tokenizer::detail
