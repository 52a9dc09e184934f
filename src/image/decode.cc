// SPDX-License-Identifier: MIT
// Implements JPEG (libjpeg) and PNG (libpng) decoding into 8-bit RGB. Both libraries report
// errors by longjmp; the functions that call setjmp hold only trivially destructible locals and
// write into caller-owned buffers, so no C++ destructor is ever skipped. Errors become IoError
// naming the input after the C libraries are cleaned up.
#include "bbpt/image/decode.h"

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <new>
#include <vector>

// jpeglib.h needs FILE and size_t declared before it.
#include <jerror.h>
#include <jpeglib.h>
#include <png.h>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"

namespace bbpt::image {
namespace {

// Largest decoded buffer accepted (2 GiB): bigger is a hostile or corrupt header.
constexpr uint64_t kMaxDecodedBytes = uint64_t{1} << 31;
constexpr size_t kMaxErrorChars = 256;

// Decoder output before conversion to RGB. channels: 1 gray, 3 RGB, 4 CMYK (JPEG only).
struct RawPixels {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<uint8_t> data;   // [H, W, channels]
  std::vector<uint8_t*> rows;  // row pointers into data (libpng wants them)
  char error[kMaxErrorChars] = {};
};

// Sizes the caller-owned buffers. noexcept: it runs between setjmp and a possible longjmp, where
// an exception would leak the C library's state.
bool allocate_raw(RawPixels* raw, uint32_t width, uint32_t height, int channels) noexcept {
  const uint64_t num_bytes = uint64_t{width} * height * static_cast<uint64_t>(channels);
  if (width == 0 || height == 0 || num_bytes > kMaxDecodedBytes) {
    std::snprintf(raw->error, sizeof(raw->error), "image size %ux%u is out of range", width,
                  height);
    return false;
  }
  try {
    raw->data.assign(static_cast<size_t>(num_bytes), 0);
    raw->rows.resize(height);
  } catch (const std::bad_alloc&) {
    std::snprintf(raw->error, sizeof(raw->error), "out of memory for a %ux%u image", width, height);
    return false;
  }
  const size_t row_bytes = size_t{width} * static_cast<size_t>(channels);
  for (uint32_t y = 0; y < height; ++y) raw->rows[y] = raw->data.data() + y * row_bytes;
  raw->width = static_cast<int>(width);
  raw->height = static_cast<int>(height);
  raw->channels = channels;
  return true;
}

// ---- JPEG ------------------------------------------------------------------------------------

struct JpegErrorManager {
  jpeg_error_mgr pub;  // first member: libjpeg sees a jpeg_error_mgr*
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_fatal(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// libjpeg only warns at end of input and pads with a fake EOI; PIL raises "image file is
// truncated" there, so bbpt makes that one warning fatal and ignores the others like PIL does.
void jpeg_message(j_common_ptr cinfo, int msg_level) {
  if (msg_level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) jpeg_fatal(cinfo);
}

bool decode_jpeg_raw(const uint8_t* data, size_t size, RawPixels* raw) {
  jpeg_decompress_struct cinfo;
  std::memset(&cinfo, 0, sizeof(cinfo));  // lets jpeg_destroy run even if create failed
  JpegErrorManager jerr;
  cinfo.err = jpeg_std_error(&jerr.pub);
  jerr.pub.error_exit = jpeg_fatal;
  jerr.pub.emit_message = jpeg_message;
  jerr.message[0] = '\0';
  if (setjmp(jerr.jump)) {
    std::snprintf(raw->error, sizeof(raw->error), "libjpeg: %s", jerr.message);
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  // Same output spaces as PIL's JpegImagePlugin: L, RGB, or CMYK (from CMYK and YCCK).
  switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
      cinfo.out_color_space = JCS_GRAYSCALE;
      break;
    case JCS_CMYK:
    case JCS_YCCK:
      cinfo.out_color_space = JCS_CMYK;
      break;
    default:
      cinfo.out_color_space = JCS_RGB;
      break;
  }
  jpeg_start_decompress(&cinfo);
  if (!allocate_raw(raw, cinfo.output_width, cinfo.output_height, cinfo.output_components)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = raw->rows[cinfo.output_scanline];
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  // Every scanline is in; a missing EOI marker after them is tolerated (PIL does too), so the
  // decoder is released without jpeg_finish_decompress.
  jpeg_destroy_decompress(&cinfo);
  return true;
}

// ---- PNG -------------------------------------------------------------------------------------

struct PngInput {
  const uint8_t* data;
  size_t size;
  size_t pos;
};

void png_fatal(png_structp png, png_const_charp message) {
  auto* raw = static_cast<RawPixels*>(png_get_error_ptr(png));
  std::snprintf(raw->error, sizeof(raw->error), "libpng: %s", message);
  png_longjmp(png, 1);
}

void png_ignore_warning(png_structp /*png*/, png_const_charp /*message*/) {}

void png_read_bytes(png_structp png, png_bytep out, png_size_t num_bytes) {
  auto* in = static_cast<PngInput*>(png_get_io_ptr(png));
  if (num_bytes > in->size - in->pos) png_error(png, "unexpected end of file");
  std::memcpy(out, in->data + in->pos, num_bytes);
  in->pos += num_bytes;
}

bool decode_png_raw(const uint8_t* data, size_t size, RawPixels* raw) {
  png_structp png =
      png_create_read_struct(PNG_LIBPNG_VER_STRING, raw, png_fatal, png_ignore_warning);
  if (png == nullptr) {
    std::snprintf(raw->error, sizeof(raw->error), "libpng: cannot create a reader");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    std::snprintf(raw->error, sizeof(raw->error), "libpng: cannot create a reader");
    return false;
  }
  PngInput input{data, size, 0};
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_set_read_fn(png, &input, png_read_bytes);
  png_read_info(png, info);
  const int color_type = png_get_color_type(png, info);
  const int bit_depth = png_get_bit_depth(png, info);
  // PIL's convert("RGB"): 16-bit samples keep the high byte, palettes become their colours,
  // low-bit gray is scaled to 0..255, alpha (including tRNS) is dropped without compositing.
  if (bit_depth == 16) png_set_strip_16(png);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  png_set_strip_alpha(png);
  if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) {
    png_set_gray_to_rgb(png);
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  if (png_get_channels(png, info) != 3 || png_get_bit_depth(png, info) != 8) {
    std::snprintf(raw->error, sizeof(raw->error),
                  "unsupported PNG layout (color type %d, bit depth %d)", color_type, bit_depth);
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  if (!allocate_raw(raw, png_get_image_width(png, info), png_get_image_height(png, info), 3)) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_read_image(png, raw->rows.data());
  // Chunks after the pixel data (text, IEND) are not read: PIL tolerates their absence too.
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

// ---- conversion to RGB -----------------------------------------------------------------------

// PIL's cmyk2rgb on Adobe-inverted CMYK ("CMYK;I" raw mode): ink = 255 - stored byte.
// ref: https://github.com/python-pillow/Pillow/blob/main/src/libImaging/Convert.c (cmyk2rgb)
uint8_t cmyk_channel(int ink, int not_black) {
  const int tmp = ink * not_black + 128;
  const int v = not_black - (((tmp >> 8) + tmp) >> 8);
  return static_cast<uint8_t>(v < 0 ? 0 : v);
}

Image to_rgb(const RawPixels& raw) {
  Image img = make_image(raw.width, raw.height);
  const size_t n = img.num_pixels();
  const uint8_t* src = raw.data.data();
  uint8_t* dst = img.rgb.data();
  switch (raw.channels) {
    case 1:
      for (size_t i = 0; i < n; ++i) dst[3 * i] = dst[3 * i + 1] = dst[3 * i + 2] = src[i];
      break;
    case 3:
      std::memcpy(dst, src, n * 3);
      break;
    case 4:
      for (size_t i = 0; i < n; ++i) {
        const uint8_t* p = src + 4 * i;
        const int not_black = p[3];  // 255 - k with k = 255 - p[3]
        for (int c = 0; c < 3; ++c) dst[3 * i + c] = cmyk_channel(255 - p[c], not_black);
      }
      break;
    default:
      BBPT_ASSERT(false, "decoder produced " << raw.channels << " channels");
  }
  return img;
}

bool starts_with(const std::string& bytes, const char* magic, size_t n) {
  return bytes.size() >= n && std::memcmp(bytes.data(), magic, n) == 0;
}

// A hint for the error message when the bytes are a known but unsupported format.
const char* describe_other_format(const std::string& bytes) {
  if (bytes.empty()) return " (the file is empty)";
  if (starts_with(bytes, "GIF8", 4)) return " (this looks like a GIF)";
  if (starts_with(bytes, "BM", 2)) return " (this looks like a BMP)";
  if (bytes.size() >= 12 && starts_with(bytes, "RIFF", 4) && bytes.compare(8, 4, "WEBP") == 0) {
    return " (this looks like a WebP)";
  }
  if (starts_with(bytes, "II*\0", 4) || starts_with(bytes, "MM\0*", 4)) {
    return " (this looks like a TIFF)";
  }
  return "";
}

}  // namespace

Image decode_image_bytes(const std::string& bytes, const std::string& name_for_errors) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  const bool is_jpeg = starts_with(bytes, "\xFF\xD8\xFF", 3);
  const bool is_png = starts_with(bytes, "\x89PNG\r\n\x1A\n", 8);
  BBPT_CHECK(is_jpeg || is_png, IoError,
             name_for_errors << ": expected a JPEG or PNG image" << describe_other_format(bytes));
  RawPixels raw;
  if (is_jpeg) {
    BBPT_CHECK(decode_jpeg_raw(data, bytes.size(), &raw), IoError,
               name_for_errors << ": corrupt or truncated JPEG image (" << raw.error << ")");
  } else {
    BBPT_CHECK(decode_png_raw(data, bytes.size(), &raw), IoError,
               name_for_errors << ": corrupt or truncated PNG image (" << raw.error << ")");
  }
  return to_rgb(raw);
}

Image decode_image_file(const std::string& path) {
  return decode_image_bytes(core::read_file(path), path);
}

}  // namespace bbpt::image
