// SPDX-License-Identifier: MIT
// Domain shifts: deterministic pixel transforms that move a dataset's images away from what the
// embedded model was pretrained on (issue #17), so that downstream tasks built from them leave
// room for prompt tuning. Each is a pure function of the image, the kind and a seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bbpt/image/image.h"

namespace bbpt::image {

/// The kinds apply_domain_shift knows:
///   invert        every byte v -> 255 - v (white background, dark object for the digit sets);
///   rotate90      a quarter turn clockwise (width and height swap);
///   rotate180     a half turn;
///   low_contrast  v -> 128 + (v - 128) / 4, rounded half away from zero (a gray haze);
///   recolour      the luminance L of each pixel mapped onto a ramp between two colours drawn per
///                 image (background colour at L = 0, foreground at L = 255; their luminances
///                 differ by at least 96 so the object stays visible);
///   blur          a 5x5 box blur, edges clamped (integer mean, rounded half up);
///   noise         independent Gaussian noise of standard deviation 48 on every byte, clamped.
const std::vector<std::string>& domain_shift_names();

/// Applies `kind` to `img`. The random kinds (recolour, noise) draw from core::Rng(seed) only, so
/// the same (img, kind, seed) gives the same bytes on every machine; the others ignore the seed.
/// Throws ConfigError naming the kind and the known ones when `kind` is not one of them.
Image apply_domain_shift(const Image& img, const std::string& kind, uint64_t seed);

}  // namespace bbpt::image
