// SPDX-License-Identifier: MIT
// Decoding must give PIL's convert("RGB") pixels for every PNG/JPEG layout a dataset may hold,
// and every bad input must fail with an IoError that names the file, never with exit() from
// inside libjpeg/libpng. The test images are encoded here with libpng/libjpeg.
#include "bbpt/image/decode.h"

#include <gtest/gtest.h>
#include <jpeglib.h>
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bbpt/core/error.h"

namespace bbpt::image {
namespace {

// ---- encoders ------------------------------------------------------------------------------

void append_bytes(png_structp png, png_bytep data, png_size_t n) {
  static_cast<std::string*>(png_get_io_ptr(png))->append(reinterpret_cast<char*>(data), n);
}

struct PngSpec {
  int width = 0;
  int height = 0;
  int color_type = PNG_COLOR_TYPE_RGB;
  int bit_depth = 8;
  bool interlaced = false;
  std::vector<png_color> palette;      // PNG_COLOR_TYPE_PALETTE only
  std::vector<uint8_t> palette_alpha;  // optional tRNS for palettes
  std::vector<uint8_t> samples;        // packed rows as PNG stores them (big-endian 16-bit)
};

std::string encode_png(const PngSpec& spec) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  const size_t row_bytes = spec.samples.size() / spec.height;
  std::vector<png_bytep> rows(spec.height);
  for (int y = 0; y < spec.height; ++y) {
    rows[y] = const_cast<png_bytep>(spec.samples.data()) + y * row_bytes;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    ADD_FAILURE() << "libpng failed to encode the test image";
    return {};
  }
  png_set_write_fn(png, &out, append_bytes, nullptr);
  png_set_IHDR(png, info, spec.width, spec.height, spec.bit_depth, spec.color_type,
               spec.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (!spec.palette.empty()) {
    png_set_PLTE(png, info, spec.palette.data(), static_cast<int>(spec.palette.size()));
  }
  if (!spec.palette_alpha.empty()) {
    png_set_tRNS(png, info, spec.palette_alpha.data(), static_cast<int>(spec.palette_alpha.size()),
                 nullptr);
  }
  png_write_info(png, info);
  png_write_image(png, rows.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

std::string encode_jpeg(int width, int height, int components, const std::vector<uint8_t>& px) {
  jpeg_compress_struct cinfo;
  jpeg_error_mgr jerr;
  cinfo.err = jpeg_std_error(&jerr);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = components;
  cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 100, TRUE);
  // No chroma subsampling, so the round trip error stays at a couple of levels.
  cinfo.comp_info[0].h_samp_factor = 1;
  cinfo.comp_info[0].v_samp_factor = 1;
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(px.data()) + cinfo.next_scanline * width * components;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::string out(reinterpret_cast<char*>(buffer), size);
  std::free(buffer);
  return out;
}

// A smooth 16x8 RGB test pattern (smooth so that JPEG at quality 100 stays within a few levels).
std::vector<uint8_t> gradient_rgb(int width, int height) {
  std::vector<uint8_t> px;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      px.push_back(static_cast<uint8_t>(16 * x));
      px.push_back(static_cast<uint8_t>(32 * y));
      px.push_back(static_cast<uint8_t>(100));
    }
  }
  return px;
}

// Runs fn, expecting an IoError whose message contains every fragment.
template <typename Fn>
void expect_io_error(Fn fn, const std::vector<std::string>& fragments) {
  try {
    fn();
    ADD_FAILURE() << "expected IoError";
  } catch (const IoError& e) {
    const std::string message = e.what();
    for (const auto& fragment : fragments) {
      EXPECT_NE(message.find(fragment), std::string::npos) << message << " lacks " << fragment;
    }
    EXPECT_EQ(message.find('\n'), std::string::npos) << "error must be one line: " << message;
  }
}

// ---- PNG -------------------------------------------------------------------------------------

TEST(DecodePng, RgbRoundTripsExactly) {
  PngSpec spec{16, 8, PNG_COLOR_TYPE_RGB, 8, false, {}, {}, gradient_rgb(16, 8)};
  const Image img = decode_image_bytes(encode_png(spec), "rgb.png");
  EXPECT_EQ(img.width, 16);
  EXPECT_EQ(img.height, 8);
  EXPECT_EQ(img.rgb, spec.samples);
}

TEST(DecodePng, InterlacedGivesSamePixels) {
  PngSpec spec{16, 8, PNG_COLOR_TYPE_RGB, 8, true, {}, {}, gradient_rgb(16, 8)};
  EXPECT_EQ(decode_image_bytes(encode_png(spec), "adam7.png").rgb, spec.samples);
}

TEST(DecodePng, RgbaDropsAlphaWithoutCompositing) {
  // PIL's convert("RGB") discards alpha: a fully transparent red pixel stays red.
  PngSpec spec{2, 1, PNG_COLOR_TYPE_RGB_ALPHA, 8, false, {}, {}, {255, 0, 0, 0, 10, 20, 30, 128}};
  const Image img = decode_image_bytes(encode_png(spec), "rgba.png");
  EXPECT_EQ(img.rgb, (std::vector<uint8_t>{255, 0, 0, 10, 20, 30}));
}

TEST(DecodePng, GrayAndGrayAlphaReplicateToRgb) {
  PngSpec gray{3, 1, PNG_COLOR_TYPE_GRAY, 8, false, {}, {}, {0, 128, 255}};
  EXPECT_EQ(decode_image_bytes(encode_png(gray), "g.png").rgb,
            (std::vector<uint8_t>{0, 0, 0, 128, 128, 128, 255, 255, 255}));
  PngSpec gray_alpha{2, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 8, false, {}, {}, {7, 0, 200, 255}};
  EXPECT_EQ(decode_image_bytes(encode_png(gray_alpha), "ga.png").rgb,
            (std::vector<uint8_t>{7, 7, 7, 200, 200, 200}));
}

TEST(DecodePng, OneBitGrayScalesToFullRange) {
  // 1-bit rows are packed MSB first: 0b10100000 -> pixels 1, 0, 1.
  PngSpec spec{3, 1, PNG_COLOR_TYPE_GRAY, 1, false, {}, {}, {0xA0}};
  EXPECT_EQ(decode_image_bytes(encode_png(spec), "bw.png").rgb,
            (std::vector<uint8_t>{255, 255, 255, 0, 0, 0, 255, 255, 255}));
}

TEST(DecodePng, PaletteWithTransparencyTakesPaletteColours) {
  PngSpec spec{3, 1, PNG_COLOR_TYPE_PALETTE, 8, false, {}, {}, {1, 0, 1}};
  spec.palette = {{10, 20, 30}, {40, 50, 60}};
  spec.palette_alpha = {0, 255};  // entry 0 fully transparent
  EXPECT_EQ(decode_image_bytes(encode_png(spec), "pal.png").rgb,
            (std::vector<uint8_t>{40, 50, 60, 10, 20, 30, 40, 50, 60}));
}

TEST(DecodePng, SixteenBitKeepsHighByte) {
  // Big-endian samples 0x12AB, 0x34CD, 0x56EF -> 0x12, 0x34, 0x56 (PIL's "RGB;16B").
  PngSpec spec{1, 1, PNG_COLOR_TYPE_RGB, 16, false, {}, {}, {0x12, 0xAB, 0x34, 0xCD, 0x56, 0xEF}};
  EXPECT_EQ(decode_image_bytes(encode_png(spec), "deep.png").rgb,
            (std::vector<uint8_t>{0x12, 0x34, 0x56}));
}

TEST(DecodePng, TruncatedFileNamesTheFile) {
  PngSpec spec{16, 8, PNG_COLOR_TYPE_RGB, 8, false, {}, {}, gradient_rgb(16, 8)};
  const std::string bytes = encode_png(spec);
  for (size_t keep : {size_t{12}, size_t{40}, bytes.size() / 2}) {
    expect_io_error([&] { decode_image_bytes(bytes.substr(0, keep), "cut.png"); },
                    {"cut.png", "PNG"});
  }
}

// ---- JPEG ------------------------------------------------------------------------------------

TEST(DecodeJpeg, RgbIsCloseToSource) {
  const std::vector<uint8_t> px = gradient_rgb(16, 8);
  const Image img = decode_image_bytes(encode_jpeg(16, 8, 3, px), "rgb.jpg");
  ASSERT_EQ(img.width, 16);
  ASSERT_EQ(img.height, 8);
  ASSERT_EQ(img.rgb.size(), px.size());
  for (size_t i = 0; i < px.size(); ++i) EXPECT_NEAR(img.rgb[i], px[i], 3) << "byte " << i;
}

TEST(DecodeJpeg, GrayscaleReplicatesToRgb) {
  std::vector<uint8_t> gray(8 * 8);
  for (size_t i = 0; i < gray.size(); ++i) gray[i] = static_cast<uint8_t>(4 * i);
  const Image img = decode_image_bytes(encode_jpeg(8, 8, 1, gray), "gray.jpg");
  ASSERT_EQ(img.rgb.size(), 3 * gray.size());
  for (size_t i = 0; i < gray.size(); ++i) {
    EXPECT_EQ(img.rgb[3 * i], img.rgb[3 * i + 1]);
    EXPECT_EQ(img.rgb[3 * i], img.rgb[3 * i + 2]);
    EXPECT_NEAR(img.rgb[3 * i], gray[i], 4);
  }
}

TEST(DecodeJpeg, TruncatedFileNamesTheFile) {
  const std::string bytes = encode_jpeg(16, 8, 3, gradient_rgb(16, 8));
  for (size_t keep : {size_t{3}, size_t{100}, bytes.size() - 40}) {
    expect_io_error([&] { decode_image_bytes(bytes.substr(0, keep), "cut.jpg"); },
                    {"cut.jpg", "JPEG"});
  }
}

// ---- errors and files ------------------------------------------------------------------------

TEST(Decode, NotAnImageNamesTheFileAndTheExpectedFormats) {
  expect_io_error([] { decode_image_bytes("hello, world", "notes.txt"); },
                  {"notes.txt", "expected a JPEG or PNG image"});
  expect_io_error([] { decode_image_bytes("", "empty.jpg"); },
                  {"empty.jpg", "expected a JPEG or PNG image", "empty"});
  expect_io_error([] { decode_image_bytes("GIF89a....", "anim.gif"); },
                  {"anim.gif", "expected a JPEG or PNG image", "GIF"});
}

TEST(Decode, FileFromDiskAndMissingFile) {
  const std::string path =
      (std::filesystem::path(BBPT_BINARY_DIR) / "decode_test_rgb.png").string();
  PngSpec spec{16, 8, PNG_COLOR_TYPE_RGB, 8, false, {}, {}, gradient_rgb(16, 8)};
  std::ofstream(path, std::ios::binary) << encode_png(spec);
  EXPECT_EQ(decode_image_file(path).rgb, spec.samples);
  std::filesystem::remove(path);
  expect_io_error([&] { decode_image_file(path); }, {path});
}

}  // namespace
}  // namespace bbpt::image
