// SPDX-License-Identifier: MIT
#include "bbpt/image/encode.h"

#include <png.h>

#include "bbpt/core/error.h"

namespace bbpt::image {
std::string encode_png(const Image& image) {
  BBPT_CHECK(image.width > 0 && image.height > 0 && image.rgb.size() == 3 * image.num_pixels(),
             IoError,
             "encode_png: an image of " << image.width << " x " << image.height << " with "
                                        << image.rgb.size() << " bytes is not 8-bit RGB");
  png_image out{};  // libpng's simplified API: no setjmp
  out.version = PNG_IMAGE_VERSION;
  out.width = static_cast<png_uint_32>(image.width);
  out.height = static_cast<png_uint_32>(image.height);
  out.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  BBPT_CHECK(
      png_image_write_to_memory(&out, nullptr, &size, 0, image.rgb.data(), 0, nullptr) && size > 0,
      IoError, "encode_png: libpng could not size the PNG: " << out.message);
  std::string bytes(size, '\0');
  BBPT_CHECK(png_image_write_to_memory(&out, bytes.data(), &size, 0, image.rgb.data(), 0, nullptr),
             IoError, "encode_png: libpng failed: " << out.message);
  bytes.resize(size);
  return bytes;
}

std::string base64(const std::string& bytes) {
  static const char* const kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                       (static_cast<uint8_t>(bytes[i + 1]) << 8) |
                       static_cast<uint8_t>(bytes[i + 2]);
    for (const int shift : {18, 12, 6, 0}) out += kAlphabet[(v >> shift) & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string png_data_url(const Image& image) {
  return "data:image/png;base64," + base64(encode_png(image));
}

}  // namespace bbpt::image
