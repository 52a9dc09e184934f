// SPDX-License-Identifier: MIT
// The core::Rng stream ids of every frozen random draw in the prompt module. A prompt's random
// parameters are a function of (seed, stream id) alone, so they are identical on every platform and
// can be regenerated from the seed as well as restored from a checkpoint.
//
// All ids carry "prom" (0x70726f6d) in their high 32 bits, so they never coincide with the small
// stream ids other modules draw under the same seed (few-shot sampling: the class label; feature
// augmentation: the image index).
#pragma once

#include <cstdint>

namespace bbpt::prompt {

/// Common high bits of all prompt stream ids.
constexpr uint64_t kPromptStreamBase = uint64_t{0x70726f6d} << 32;

/// ZIP p0 [M, W]: M * W draws of init_std * normal(), row-major.
constexpr uint64_t kZipContextStream = kPromptStreamBase + 0x00000;
/// ZIP initial V [d, r]: d * r draws of normal(), row-major (low-rank mode only).
constexpr uint64_t kZipInitialVStream = kPromptStreamBase + 0x00001;
/// ZIP Fastfood map of context token i uses stream kZipFastfoodStream + i (i < kMaxZipTokens);
/// draw order within the stream: Fastfood::draw (b, then pi, then g).
constexpr uint64_t kZipFastfoodStream = kPromptStreamBase + 0x10000;
/// Upper bound on M so that the Fastfood streams stay below the next block.
constexpr int64_t kMaxZipTokens = 0x10000;
/// BPT-VLM A_L [Mt * W, text_dim]: normals row-major.
constexpr uint64_t kSubspaceTextStream = kPromptStreamBase + 0x20000;
/// BPT-VLM A_V [Mv * Dv, visual_dim]: normals row-major.
constexpr uint64_t kSubspaceVisualStream = kPromptStreamBase + 0x20001;
/// BAR initial program W [3, R, R]: normals row-major.
constexpr uint64_t kBarProgramStream = kPromptStreamBase + 0x30000;

}  // namespace bbpt::prompt
