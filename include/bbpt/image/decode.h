// SPDX-License-Identifier: MIT
// JPEG (libjpeg) and PNG (libpng) decoding to 8-bit RGB, with PIL's convert("RGB") semantics for
// gray, gray+alpha, palette, 16-bit and RGBA inputs. Other formats (GIF, WebP, ...) are rejected.
#pragma once

#include <string>

#include "bbpt/image/image.h"

namespace bbpt::image {

/// Reads and decodes the JPEG or PNG image at path (the format is taken from the magic bytes, not
/// the file name). Throws IoError naming the file when it is missing, is not a JPEG or PNG
/// ("expected a JPEG or PNG image"), or is truncated or corrupt.
Image decode_image_file(const std::string& path);

/// Decodes a JPEG or PNG held in memory. name_for_errors is put at the start of every error
/// message (usually the path or archive member the bytes came from).
///
/// Conversions match PIL's Image.open(...).convert("RGB"):
///  - gray (any bit depth) is repeated into R, G and B; alpha (gray+alpha, RGBA, palette tRNS) is
///    discarded without compositing;
///  - palette images take their palette colours;
///  - 16-bit samples keep their high byte (PIL's "RGB;16B" raw mode);
///  - CMYK / YCCK JPEGs (Adobe, inverted) go through PIL's cmyk2rgb formula.
/// No gamma, ICC profile or EXIF orientation is applied (PIL applies none of them either).
/// Known divergence: PIL opens 16-bit gray PNGs as mode "I;16" whose convert("RGB") clips values
/// above 255 to white; bbpt keeps the high byte instead, which preserves the picture.
Image decode_image_bytes(const std::string& bytes, const std::string& name_for_errors);

}  // namespace bbpt::image
