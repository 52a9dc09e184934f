// SPDX-License-Identifier: MIT
// Encoding images for sending them elsewhere: PNG bytes (lossless, libpng) and the base64 data URL
// that OpenAI-compatible vision endpoints accept in an "image_url" content part.
#pragma once

#include <string>

#include "bbpt/image/image.h"

namespace bbpt::image {

/// The image as PNG file bytes (8-bit RGB). Throws IoError when libpng fails.
std::string encode_png(const Image& image);

/// Standard base64 (RFC 4648, with '=' padding) of bytes.
std::string base64(const std::string& bytes);

/// "data:image/png;base64,..." of the image.
std::string png_data_url(const Image& image);

}  // namespace bbpt::image
