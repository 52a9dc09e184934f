// SPDX-License-Identifier: MIT
// Implements resize_bicubic as a line-by-line port of Pillow's Resample.c for 8-bit images with
// 3 bands: precompute_coeffs, normalize_coeffs_8bpc, ImagingResampleHorizontal/Vertical_8bpc and
// the pass selection of ImagingResampleInner. Floating-point expressions keep Pillow's operation
// order on purpose: reordering them changes coefficients in the last bit and hence pixels.
// ref: https://github.com/python-pillow/Pillow/blob/main/src/libImaging/Resample.c
#include "bbpt/image/resample.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "bbpt/core/error.h"

namespace bbpt::image {
namespace {

// 8 bits for the result, 2 for overflow of filters with negative lobes (sums < 0 or > 1.0).
constexpr int kPrecisionBits = 32 - 8 - 2;
// Support radius of the bicubic kernel at scale 1.
constexpr double kBicubicSupport = 2.0;

// Keys' cubic convolution kernel with a = -0.5, written as in Pillow.
double bicubic_filter(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// Pillow's clip8: drop the fraction bits (arithmetic shift, i.e. floor) and saturate to a byte.
inline uint8_t clip8(int32_t in) {
  const int32_t v = in >> kPrecisionBits;  // floor division for negative sums too
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

// The filter windows of one axis: output index i reads inputs [bounds[2i], bounds[2i] +
// bounds[2i+1]) with weights coeffs[i * ksize + j], in fixed point.
struct AxisCoeffs {
  int ksize = 0;
  std::vector<int> bounds;      // [out_size, 2]: (first input, count)
  std::vector<int32_t> coeffs;  // [out_size, ksize]
};

// precompute_coeffs + normalize_coeffs_8bpc for the box [0, in_size) mapped onto out_size.
AxisCoeffs precompute_coeffs(int in_size, int out_size) {
  const double in0 = 0.0;
  const double in1 = static_cast<double>(in_size);
  double filterscale = (in1 - in0) / out_size;
  const double scale = filterscale;
  if (filterscale < 1.0) filterscale = 1.0;
  // Downscaling widens the kernel by the scale factor: that is Pillow's antialiasing.
  const double support = kBicubicSupport * filterscale;
  AxisCoeffs out;
  out.ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  out.bounds.assign(static_cast<size_t>(out_size) * 2, 0);
  out.coeffs.assign(static_cast<size_t>(out_size) * out.ksize, 0);

  std::vector<double> k(static_cast<size_t>(out.ksize));
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = in0 + (xx + 0.5) * scale;
    double ww = 0.0;
    const double ss = 1.0 / filterscale;
    // (int) truncates toward zero, exactly as Pillow's "Round the value".
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    for (int x = 0; x < xmax; ++x) {
      const double w = bicubic_filter((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    int32_t* fixed = out.coeffs.data() + static_cast<size_t>(xx) * out.ksize;
    for (int x = 0; x < xmax; ++x) {
      const double normalized = ww != 0.0 ? k[x] / ww : k[x];
      // normalize_coeffs_8bpc: round half away from zero into 22 fraction bits.
      fixed[x] = normalized < 0 ? static_cast<int32_t>(-0.5 + normalized * (1 << kPrecisionBits))
                                : static_cast<int32_t>(0.5 + normalized * (1 << kPrecisionBits));
    }
    out.bounds[2 * xx + 0] = xmin;
    out.bounds[2 * xx + 1] = xmax;
  }
  return out;
}

// ImagingResampleHorizontal_8bpc: rows [row_offset, row_offset + out.height) of in, resampled
// along x into out (out.width columns).
void resample_horizontal(const Image& in, int row_offset, const AxisCoeffs& c, Image& out) {
  for (int yy = 0; yy < out.height; ++yy) {
    const uint8_t* src = in.rgb.data() + static_cast<size_t>(yy + row_offset) * in.width * 3;
    uint8_t* dst = out.rgb.data() + static_cast<size_t>(yy) * out.width * 3;
    for (int xx = 0; xx < out.width; ++xx) {
      const int xmin = c.bounds[2 * xx + 0];
      const int xmax = c.bounds[2 * xx + 1];
      const int32_t* k = c.coeffs.data() + static_cast<size_t>(xx) * c.ksize;
      int32_t ss0 = 1 << (kPrecisionBits - 1);
      int32_t ss1 = ss0;
      int32_t ss2 = ss0;
      for (int x = 0; x < xmax; ++x) {
        const uint8_t* p = src + static_cast<size_t>(x + xmin) * 3;
        ss0 += p[0] * k[x];
        ss1 += p[1] * k[x];
        ss2 += p[2] * k[x];
      }
      dst[3 * xx + 0] = clip8(ss0);
      dst[3 * xx + 1] = clip8(ss1);
      dst[3 * xx + 2] = clip8(ss2);
    }
  }
}

// ImagingResampleVertical_8bpc: in resampled along y into out (same width).
void resample_vertical(const Image& in, const AxisCoeffs& c, Image& out) {
  const size_t row_bytes = static_cast<size_t>(in.width) * 3;
  for (int yy = 0; yy < out.height; ++yy) {
    const int ymin = c.bounds[2 * yy + 0];
    const int ymax = c.bounds[2 * yy + 1];
    const int32_t* k = c.coeffs.data() + static_cast<size_t>(yy) * c.ksize;
    uint8_t* dst = out.rgb.data() + static_cast<size_t>(yy) * row_bytes;
    for (size_t i = 0; i < row_bytes; ++i) {
      int32_t ss = 1 << (kPrecisionBits - 1);
      for (int y = 0; y < ymax; ++y) {
        ss += in.rgb[static_cast<size_t>(y + ymin) * row_bytes + i] * k[y];
      }
      dst[i] = clip8(ss);
    }
  }
}

}  // namespace

Image resize_bicubic(const Image& img, int out_width, int out_height) {
  BBPT_CHECK(out_width >= 1 && out_height >= 1, ConfigError,
             "resize target " << out_width << "x" << out_height << " must be at least 1x1");
  BBPT_CHECK(img.width >= 1 && img.height >= 1, ConfigError,
             "cannot resize an empty " << img.width << "x" << img.height << " image");
  BBPT_ASSERT(img.rgb.size() == img.num_pixels() * 3,
              "image buffer holds " << img.rgb.size() << " bytes for " << img.width << "x"
                                    << img.height << " RGB");
  const bool need_horizontal = out_width != img.width;
  const bool need_vertical = out_height != img.height;
  if (!need_horizontal && !need_vertical) return img;

  AxisCoeffs vert = precompute_coeffs(img.height, out_height);
  // Rows of the source that the vertical pass reads; the horizontal pass only computes those.
  const int ybox_first = vert.bounds[0];
  const int ybox_last = vert.bounds[2 * out_height - 2] + vert.bounds[2 * out_height - 1];

  Image current;
  const Image* source = &img;
  if (need_horizontal) {
    const AxisCoeffs horiz = precompute_coeffs(img.width, out_width);
    for (int i = 0; i < out_height; ++i) vert.bounds[2 * i] -= ybox_first;
    current = make_image(out_width, ybox_last - ybox_first);
    resample_horizontal(img, ybox_first, horiz, current);
    source = &current;
  }
  if (!need_vertical) return current;
  Image out = make_image(source->width, out_height);
  resample_vertical(*source, vert, out);
  return out;
}

}  // namespace bbpt::image
