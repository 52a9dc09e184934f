// SPDX-License-Identifier: MIT
// Implements CLIP's eval transform and the Dassl training transform with torchvision's geometry:
// Resize (shorter side), CenterCrop (zero pad + ties-to-even centre), RandomResizedCrop.get_params
// on core::Rng, RandomHorizontalFlip, ToTensor + Normalize in float32.
// ref: https://github.com/pytorch/vision/blob/main/torchvision/transforms/functional.py
// ref: https://github.com/pytorch/vision/blob/main/torchvision/transforms/transforms.py
#include "bbpt/image/transforms.h"

#include <algorithm>
#include <cmath>

#include "bbpt/core/error.h"
#include "bbpt/image/decode.h"
#include "bbpt/image/resample.h"

namespace bbpt::image {
namespace {

// torchvision RandomResizedCrop tries this many random boxes before its central fallback.
constexpr int kRandomCropAttempts = 10;

void check_resolution(int resolution) {
  BBPT_CHECK(resolution >= 1, ConfigError,
             "image resolution (= " << resolution << ") must be at least 1 pixel");
}

void check_nonempty(const Image& img) {
  BBPT_CHECK(img.width >= 1 && img.height >= 1, ConfigError,
             "cannot transform an empty " << img.width << "x" << img.height << " image");
}

void check_train_options(const TrainTransformOptions& o) {
  check_resolution(o.resolution);
  BBPT_CHECK(o.scale_min > 0.0 && o.scale_min <= o.scale_max, ConfigError,
             "crop scale range [" << o.scale_min << ", " << o.scale_max
                                  << "] must satisfy 0 < scale_min <= scale_max");
  BBPT_CHECK(o.ratio_min > 0.0 && o.ratio_min <= o.ratio_max, ConfigError,
             "crop ratio range [" << o.ratio_min << ", " << o.ratio_max
                                  << "] must satisfy 0 < ratio_min <= ratio_max");
}

}  // namespace

int round_half_even(double x) {
  const double lower = std::floor(x);
  const double frac = x - lower;
  double r = lower;
  if (frac > 0.5 || (frac == 0.5 && std::fmod(lower, 2.0) != 0.0)) r = lower + 1.0;
  return static_cast<int>(r);
}

Image resize_shorter_side(const Image& img, int size) {
  check_resolution(size);
  check_nonempty(img);
  const int w = img.width;
  const int h = img.height;
  const int short_side = std::min(w, h);
  const int long_side = std::max(w, h);
  if (short_side == size) return img;
  // Python: int(size * long / short): exact integer product, one correctly rounded division,
  // truncation. Doubles reproduce that bit for bit for any image size that fits in memory.
  const int new_long = static_cast<int>(static_cast<double>(int64_t{size} * long_side) /
                                        static_cast<double>(short_side));
  const int new_w = w <= h ? size : new_long;
  const int new_h = w <= h ? new_long : size;
  return resize_bicubic(img, new_w, new_h);
}

Image center_crop(const Image& img, int size) {
  check_resolution(size);
  // torchvision pads images smaller than the crop: left/top get (size - dim) // 2, right/bottom
  // get (size - dim + 1) // 2; the crop is then taken from the padded image.
  const int pad_left = size > img.width ? (size - img.width) / 2 : 0;
  const int pad_top = size > img.height ? (size - img.height) / 2 : 0;
  const int pad_right = size > img.width ? (size - img.width + 1) / 2 : 0;
  const int pad_bottom = size > img.height ? (size - img.height + 1) / 2 : 0;
  const int padded_w = img.width + pad_left + pad_right;
  const int padded_h = img.height + pad_top + pad_bottom;
  const int top = round_half_even((padded_h - size) / 2.0);
  const int left = round_half_even((padded_w - size) / 2.0);
  // crop_image zero-fills outside img, which is exactly the padding.
  return crop_image(img, top - pad_top, left - pad_left, size, size);
}

CropBox random_resized_crop_box(int image_width,
                                int image_height,
                                const TrainTransformOptions& options,
                                core::Rng& rng) {
  check_train_options(options);
  BBPT_CHECK(image_width >= 1 && image_height >= 1, ConfigError,
             "cannot crop an empty " << image_width << "x" << image_height << " image");
  const double area = static_cast<double>(image_width) * image_height;
  const double log_ratio_min = std::log(options.ratio_min);
  const double log_ratio_max = std::log(options.ratio_max);
  for (int attempt = 0; attempt < kRandomCropAttempts; ++attempt) {
    const double target_area = area * rng.uniform(options.scale_min, options.scale_max);
    const double aspect_ratio = std::exp(rng.uniform(log_ratio_min, log_ratio_max));
    const int w = round_half_even(std::sqrt(target_area * aspect_ratio));
    const int h = round_half_even(std::sqrt(target_area / aspect_ratio));
    if (0 < w && w <= image_width && 0 < h && h <= image_height) {
      CropBox box;
      box.height = h;
      box.width = w;
      box.top = static_cast<int>(rng.uniform_int(static_cast<uint64_t>(image_height - h + 1)));
      box.left = static_cast<int>(rng.uniform_int(static_cast<uint64_t>(image_width - w + 1)));
      return box;
    }
  }
  // Fallback: the whole image, or its central part trimmed to the nearest allowed ratio.
  const double in_ratio = static_cast<double>(image_width) / image_height;
  CropBox box;
  box.width = image_width;
  box.height = image_height;
  if (in_ratio < options.ratio_min) {
    box.height = round_half_even(box.width / options.ratio_min);
  } else if (in_ratio > options.ratio_max) {
    box.width = round_half_even(box.height * options.ratio_max);
  }
  box.top = (image_height - box.height) / 2;
  box.left = (image_width - box.width) / 2;
  return box;
}

std::vector<float> to_normalized_chw(const Image& img,
                                     const std::array<float, 3>& mean,
                                     const std::array<float, 3>& std_dev) {
  for (int c = 0; c < 3; ++c) {
    BBPT_CHECK(std_dev[c] != 0.0f, ConfigError, "normalisation std[" << c << "] must not be zero");
  }
  const size_t n = img.num_pixels();
  std::vector<float> out(3 * n);
  for (int c = 0; c < 3; ++c) {
    float* plane = out.data() + c * n;  // [H, W, 3] -> [3, H, W]
    for (size_t i = 0; i < n; ++i) {
      // ToTensor divides in float32; Normalize subtracts then divides in float32.
      const float x = static_cast<float>(img.rgb[3 * i + c]) / 255.0f;
      plane[i] = (x - mean[c]) / std_dev[c];
    }
  }
  return out;
}

std::vector<float> apply_eval_transform(const Image& img, const EvalTransformOptions& options) {
  check_resolution(options.resolution);
  const Image resized = resize_shorter_side(img, options.resolution);
  const Image cropped = center_crop(resized, options.resolution);
  return to_normalized_chw(cropped, options.mean, options.std);
}

std::vector<float> apply_train_transform(const Image& img,
                                         const TrainTransformOptions& options,
                                         core::Rng& rng) {
  check_nonempty(img);
  const CropBox box = random_resized_crop_box(img.width, img.height, options, rng);
  Image out = resize_bicubic(crop_image(img, box.top, box.left, box.height, box.width),
                             options.resolution, options.resolution);
  // RandomHorizontalFlip: torch.rand(1) < p with p = 0.5.
  if (options.horizontal_flip && rng.uniform01() < 0.5) out = flip_horizontal(out);
  return to_normalized_chw(out, options.mean, options.std);
}

std::vector<float> preprocess_image_file(const std::string& path,
                                         const EvalTransformOptions& options) {
  return apply_eval_transform(decode_image_file(path), options);
}

}  // namespace bbpt::image
