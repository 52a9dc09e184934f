// SPDX-License-Identifier: MIT
// CLIP's evaluation transform and the Dassl/CoOp training transform on 8-bit RGB images, with
// torchvision's geometry rules (Resize, CenterCrop, RandomResizedCrop, RandomHorizontalFlip)
// and ToTensor + Normalize in float32. Outputs are plain float buffers: no libtorch here.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "bbpt/core/rng.h"
#include "bbpt/image/image.h"

namespace bbpt::image {

/// CLIP's per-channel normalisation constants (RGB), as float32 like torchvision's Normalize.
/// ref: https://github.com/openai/CLIP/blob/main/clip/clip.py (_transform)
inline constexpr std::array<float, 3> kClipMean = {0.48145466f, 0.4578275f, 0.40821073f};
inline constexpr std::array<float, 3> kClipStd = {0.26862954f, 0.26130258f, 0.27577711f};

/// Test-time preprocessing: CLIP's _transform(n_px) (also Dassl's test transform).
struct EvalTransformOptions {
  /// Output side R in pixels (the model's input_resolution: 224 for ViT-B/32, B/16 and RN50).
  int resolution = 224;
  /// Per-channel mean subtracted after scaling to [0, 1], RGB order.
  std::array<float, 3> mean = kClipMean;
  /// Per-channel standard deviation divided by after the mean, RGB order.
  std::array<float, 3> std = kClipStd;
};

/// Few-shot training augmentation of Dassl/CoOp: RandomResizedCrop(resolution, scale, ratio,
/// bicubic), RandomHorizontalFlip(0.5), ToTensor, Normalize.
/// ref: https://github.com/KaiyangZhou/Dassl.pytorch (dassl/data/transforms/transforms.py)
struct TrainTransformOptions {
  /// Output side R in pixels.
  int resolution = 224;
  /// Smallest crop area, as a fraction of the image area.
  double scale_min = 0.08;
  /// Largest crop area, as a fraction of the image area.
  double scale_max = 1.0;
  /// Smallest crop aspect ratio (width / height).
  double ratio_min = 3.0 / 4.0;
  /// Largest crop aspect ratio (width / height).
  double ratio_max = 4.0 / 3.0;
  /// Mirror the crop left to right with probability 0.5.
  bool horizontal_flip = true;
  /// Per-channel mean subtracted after scaling to [0, 1], RGB order.
  std::array<float, 3> mean = kClipMean;
  /// Per-channel standard deviation divided by after the mean, RGB order.
  std::array<float, 3> std = kClipStd;
};

/// A crop window in pixel coordinates of the source image.
struct CropBox {
  /// First row of the window.
  int top = 0;
  /// First column of the window.
  int left = 0;
  /// Rows in the window.
  int height = 0;
  /// Columns in the window.
  int width = 0;
};

/// Python's round() on a double: nearest integer, ties to even (round(2.5) == 2).
int round_half_even(double x);

/// torchvision Resize(size) with an int size: the shorter side becomes size and the longer one
/// int(size * long / short) (truncated); an image whose shorter side already equals size is
/// returned unchanged. Resampling is resize_bicubic (PIL BICUBIC).
Image resize_shorter_side(const Image& img, int size);

/// torchvision CenterCrop(size) (square): an image smaller than size is first zero-padded
/// (left/top get (size - dim) / 2, right/bottom the rest), then the window starts at
/// round((dim - size) / 2.0) with Python's ties-to-even rounding.
Image center_crop(const Image& img, int size);

/// torchvision RandomResizedCrop.get_params for an image_width x image_height image. Draws, in
/// this order, from rng: up to 10 attempts of {area fraction ~ U[scale_min, scale_max),
/// log aspect ~ U[log ratio_min, log ratio_max)}; on the first attempt whose rounded
/// w = round(sqrt(area * aspect)), h = round(sqrt(area / aspect)) fit (0 < w <= W, 0 < h <= H),
/// top ~ uniform_int(H - h + 1) then left ~ uniform_int(W - w + 1). When no attempt fits, the
/// central crop with the aspect ratio clamped to [ratio_min, ratio_max] is returned (no draw).
/// The box always lies inside the image. The draws are fixed by core::Rng; the box also goes
/// through std::log/exp, so a libm that differs in the last bit could change it, but only when
/// a side lands exactly on a .5 rounding tie.
CropBox random_resized_crop_box(int image_width,
                                int image_height,
                                const TrainTransformOptions& options,
                                core::Rng& rng);

/// ToTensor + Normalize: [H, W, 3] bytes -> [3, H, W] floats, (x / 255 - mean[c]) / std_dev[c],
/// computed in float32 like torchvision.
std::vector<float> to_normalized_chw(const Image& img,
                                     const std::array<float, 3>& mean,
                                     const std::array<float, 3>& std_dev);

/// CLIP's test transform: resize_shorter_side(R), center_crop(R), to_normalized_chw.
/// @return [3, R, R] floats, channel-major (R = options.resolution).
std::vector<float> apply_eval_transform(const Image& img, const EvalTransformOptions& options);

/// The training augmentation: random_resized_crop_box, crop, resize_bicubic to R x R, then (when
/// options.horizontal_flip) one draw u = rng.uniform01() and a flip when u < 0.5, then
/// to_normalized_chw. Same rng state and image => same output on every platform.
/// @return [3, R, R] floats, channel-major.
std::vector<float> apply_train_transform(const Image& img,
                                         const TrainTransformOptions& options,
                                         core::Rng& rng);

/// Decodes the JPEG/PNG at path and applies the eval transform: the one call behind
/// `bbpt preprocess`. Throws IoError naming the file when it cannot be decoded.
/// @return [3, R, R] floats, channel-major.
std::vector<float> preprocess_image_file(const std::string& path,
                                         const EvalTransformOptions& options);

}  // namespace bbpt::image
