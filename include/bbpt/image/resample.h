// SPDX-License-Identifier: MIT
// Pillow's separable convolution resampler (bicubic, a = -0.5) for 8-bit RGB, reproduced bit for
// bit so that CLIP's preprocessing gives the same pixels as the Python reference. Other filters
// (bilinear, Lanczos, ...) and non-8-bit modes are deliberately not implemented.
#pragma once

#include "bbpt/image/image.h"

namespace bbpt::image {

/// Resizes img to out_width x out_height exactly like Pillow's
/// Image.resize((out_width, out_height), Image.BICUBIC) on an "RGB" image:
/// antialiasing support scaled by max(in / out, 1), fixed-point coefficients with 22 fractional
/// bits, horizontal pass first, each pass rounding and clipping to uint8. A pass whose dimension
/// is unchanged is skipped; equal sizes return a copy.
/// ref: https://github.com/python-pillow/Pillow/blob/main/src/libImaging/Resample.c
/// Throws ConfigError when an output dimension is < 1 or img is empty.
Image resize_bicubic(const Image& img, int out_width, int out_height);

}  // namespace bbpt::image
