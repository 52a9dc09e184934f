// SPDX-License-Identifier: MIT
// Frozen image features computed once per (model, dataset, preprocessing, views) and stored in a
// self-describing file; later runs reuse them. A cache whose header does not match the request
// (stale) or whose payload fails its checksum (corrupt) is rebuilt, never silently reused.
// The key: the checkpoint's SHA-256, the dataset's resolved source folder and its fingerprint
// (per-file stat stamps, or the pixels of in-memory sets), the class names, and the
// preprocessing string (resolution, transform, views, seed). Why stamps and not content hashes:
// docs/data.md ("The feature cache key").
//
// File layout (.bbft, little-endian): "BBPTFEAT" | uint32 version | uint32 0 | uint64 header_bytes
// | header JSON | float32 features [N, V, E] | int32 labels [N].
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bbpt/data/image_dataset.h"
#include "bbpt/model/clip_model.h"

namespace bbpt::features {

constexpr uint32_t kFeatureFileVersion = 2;  // 2: dataset_source, source in the name

struct FeatureCacheOptions {
  /// Folder holding cache files (one sub-folder per model fingerprint).
  std::string cache_dir = ".cache/bbpt/features";
  /// 0: one view per image, the eval transform (center crop). K > 0: K augmented views per image
  /// (RandomResizedCrop + flip), view v of image i drawn from stream (seed, i).
  int views = 0;
  /// Seed of the augmentation stream (used when views > 0).
  uint64_t seed = 1;
  /// Images per encode_image forward.
  int batch_size = 128;
  /// Rebuild even when a valid cache exists.
  bool force_rebuild = false;
};

/// What a cache file describes; two caches are interchangeable iff these fields are equal.
struct FeatureHeader {
  std::string model_fingerprint;    // SHA-256 of the checkpoint file
  std::string dataset_fingerprint;  // ImageDataset::fingerprint()
  std::string dataset_name;
  std::string dataset_source;  // ImageDataset::source(): the resolved image folder
  std::string preprocessing;   // e.g. "eval:resolution=224,bicubic-pil,center-crop,clip-norm"
  int64_t views = 0;
  uint64_t seed = 0;
  int64_t num_images = 0;
  int64_t num_views = 0;  // stored views per image: max(views, 1)
  int64_t embed_dim = 0;
  std::vector<std::string> class_names;
  std::string payload_sha256;
};

struct FeatureSet {
  FeatureHeader header;
  torch::Tensor features;  // [N, V, E] float32, not normalised
  torch::Tensor labels;    // [N] int64
};

enum class CacheOutcome { kReused, kBuilt, kRebuiltStale, kRebuiltCorrupt };
std::string to_string(CacheOutcome outcome);

struct FeatureCacheResult {
  FeatureSet set;
  std::string path;
  CacheOutcome outcome = CacheOutcome::kBuilt;
  std::string reason;  // why a cache was rebuilt, empty otherwise
};

/// The preprocessing description stored in headers (part of the cache key): the transform, its
/// resolution, views and seed, and the dtype the image tower computes in (float16 features are
/// not float32 features).
std::string describe_preprocessing(int64_t resolution,
                                   int views,
                                   uint64_t seed,
                                   torch::Dtype compute_dtype = torch::kFloat);

/// Where the cache for this request lives:
/// <cache_dir>/<model fp[:16]>/<name>-<sha256(source)[:12]>_views<V>[_seed<S>].bbft, so that two
/// datasets of one name in different folders never share a file (nor overwrite each other's).
std::string feature_cache_path(const FeatureCacheOptions& options,
                               const std::string& model_fingerprint,
                               const std::string& dataset_name,
                               const std::string& dataset_source);

/// Encodes every image of the dataset (num_views views each) with the frozen image tower.
FeatureSet compute_features(model::ClipModel& model,
                            const std::string& model_fingerprint,
                            const data::ImageDataset& dataset,
                            const FeatureCacheOptions& options);

/// Writes atomically (temporary file + rename).
void write_feature_file(const std::string& path, const FeatureSet& set);
/// Reads and verifies magic, version, sizes and the payload checksum; throws IoError naming the
/// file.
FeatureSet read_feature_file(const std::string& path);

/// Returns the cached features when the file matches the request, else computes and stores them.
FeatureCacheResult load_or_build_features(model::ClipModel& model,
                                          const std::string& model_fingerprint,
                                          const data::ImageDataset& dataset,
                                          const FeatureCacheOptions& options);

}  // namespace bbpt::features
