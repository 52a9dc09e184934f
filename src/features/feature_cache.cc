// SPDX-License-Identifier: MIT
// Implements the feature cache: computing, writing, verifying and reusing frozen image features.
#include "bbpt/features/feature_cache.h"

#include <chrono>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/core/log.h"
#include "bbpt/core/rng.h"
#include "bbpt/core/sha256.h"
#include "bbpt/image/transforms.h"

namespace bbpt::features {
namespace {

constexpr char kMagic[8] = {'B', 'B', 'P', 'T', 'F', 'E', 'A', 'T'};
constexpr size_t kPreambleBytes = 8 + 4 + 4 + 8;

template <typename T>
void append_pod(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

template <typename T>
T read_pod(const std::string& bytes, size_t offset) {
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

nlohmann::json header_to_json(const FeatureHeader& h) {
  return {{"model_fingerprint", h.model_fingerprint},
          {"dataset_fingerprint", h.dataset_fingerprint},
          {"dataset_name", h.dataset_name},
          {"dataset_source", h.dataset_source},
          {"preprocessing", h.preprocessing},
          {"views", h.views},
          {"seed", h.seed},
          {"num_images", h.num_images},
          {"num_views", h.num_views},
          {"embed_dim", h.embed_dim},
          {"class_names", h.class_names},
          {"payload_sha256", h.payload_sha256},
          {"bbpt_version", BBPT_VERSION}};
}

FeatureHeader header_from_json(const nlohmann::json& j) {
  FeatureHeader h;
  h.model_fingerprint = j.at("model_fingerprint").get<std::string>();
  h.dataset_fingerprint = j.at("dataset_fingerprint").get<std::string>();
  h.dataset_name = j.at("dataset_name").get<std::string>();
  h.dataset_source = j.at("dataset_source").get<std::string>();
  h.preprocessing = j.at("preprocessing").get<std::string>();
  h.views = j.at("views").get<int64_t>();
  h.seed = j.at("seed").get<uint64_t>();
  h.num_images = j.at("num_images").get<int64_t>();
  h.num_views = j.at("num_views").get<int64_t>();
  h.embed_dim = j.at("embed_dim").get<int64_t>();
  h.class_names = j.at("class_names").get<std::vector<std::string>>();
  h.payload_sha256 = j.at("payload_sha256").get<std::string>();
  return h;
}

// Why `cached` cannot stand in for `wanted`; empty when it can.
std::string mismatch_reason(const FeatureHeader& cached, const FeatureHeader& wanted) {
  if (cached.model_fingerprint != wanted.model_fingerprint) return "model changed";
  if (cached.dataset_source != wanted.dataset_source) {
    return "another dataset ('" + cached.dataset_source + "' -> '" + wanted.dataset_source + "')";
  }
  if (cached.dataset_fingerprint != wanted.dataset_fingerprint) {
    return "dataset images changed (an image added, removed, relabelled or rewritten: its size, "
           "mtime, ctime or inode differ)";
  }
  if (cached.preprocessing != wanted.preprocessing) {
    return "preprocessing changed ('" + cached.preprocessing + "' -> '" + wanted.preprocessing +
           "')";
  }
  if (cached.class_names != wanted.class_names) return "class names changed";
  return "";
}

}  // namespace

std::string to_string(CacheOutcome outcome) {
  switch (outcome) {
    case CacheOutcome::kReused:
      return "reused";
    case CacheOutcome::kBuilt:
      return "built";
    case CacheOutcome::kRebuiltStale:
      return "rebuilt (stale)";
    case CacheOutcome::kRebuiltCorrupt:
      return "rebuilt (corrupt)";
  }
  return "?";
}

std::string describe_preprocessing(int64_t resolution,
                                   int views,
                                   uint64_t seed,
                                   torch::Dtype compute_dtype) {
  std::ostringstream out;
  if (views == 0) {
    out << "eval:resolution=" << resolution
        << ",resize=pil-bicubic-short-side,crop=center,norm=clip";
  } else {
    out << "train:resolution=" << resolution
        << ",random-resized-crop(0.08-1,3/4-4/3,pil-bicubic),hflip=0.5,norm=clip,views=" << views
        << ",seed=" << seed;
  }
  out << ",compute=" << c10::toString(compute_dtype);
  return out.str();
}

std::string feature_cache_path(const FeatureCacheOptions& options,
                               const std::string& model_fingerprint,
                               const std::string& dataset_name,
                               const std::string& dataset_source) {
  std::filesystem::path dir(options.cache_dir);
  dir /= model_fingerprint.substr(0, 16);
  const std::string file = dataset_name + "-" + core::sha256_hex(dataset_source).substr(0, 12) +
                           "_views" + std::to_string(options.views) +
                           (options.views > 0 ? "_seed" + std::to_string(options.seed) : "") +
                           ".bbft";
  return (dir / file).string();
}

FeatureSet compute_features(model::ClipModel& model,
                            const std::string& model_fingerprint,
                            const data::ImageDataset& dataset,
                            const FeatureCacheOptions& options) {
  BBPT_CHECK(options.views >= 0, ConfigError, "--views (= " << options.views << ") must be >= 0");
  BBPT_CHECK(options.batch_size > 0, ConfigError,
             "--batch-size (= " << options.batch_size << ") must be >= 1");
  const int64_t resolution = model->config().image_resolution;
  const int64_t num_images = static_cast<int64_t>(dataset.size());
  const int64_t num_views = std::max(options.views, 1);
  const auto device = model->text_projection.device();
  const auto dtype = model->text_projection.scalar_type();

  image::EvalTransformOptions eval_options;
  eval_options.resolution = static_cast<int>(resolution);
  image::TrainTransformOptions train_options;
  train_options.resolution = static_cast<int>(resolution);

  const int64_t total = num_images * num_views;
  auto features = torch::empty({total, model->config().embed_dim});  // [N*V, E]
  const int64_t pixels = 3 * resolution * resolution;
  std::vector<float> batch_pixels;
  const auto start = std::chrono::steady_clock::now();
  auto last_report = start;
  image::Image decoded;  // the image whose views are being produced
  core::Rng rng(0);      // its augmentation stream
  torch::NoGradGuard no_grad;
  for (int64_t first = 0; first < total; first += options.batch_size) {
    const int64_t count = std::min<int64_t>(options.batch_size, total - first);
    batch_pixels.resize(static_cast<size_t>(count * pixels));
    for (int64_t row = first; row < first + count; ++row) {
      const int64_t index = row / num_views, view = row % num_views;
      if (view == 0) decoded = dataset.load_image(static_cast<size_t>(index));
      std::vector<float> chw;
      if (options.views == 0) {
        chw = image::apply_eval_transform(decoded, eval_options);
      } else {
        // One stream per image, views drawn in order: independent of batch size.
        if (view == 0) rng = core::Rng(options.seed, static_cast<uint64_t>(index));
        chw = image::apply_train_transform(decoded, train_options, rng);
      }
      std::memcpy(batch_pixels.data() + (row - first) * pixels, chw.data(), pixels * sizeof(float));
    }
    auto images = torch::from_blob(batch_pixels.data(), {count, 3, resolution, resolution});
    auto encoded = model->encode_image(images.to(device, dtype));  // [count, E]
    features.narrow(0, first, count).copy_(encoded.to(torch::kCPU, torch::kFloat));
    const auto now = std::chrono::steady_clock::now();
    if (now - last_report > std::chrono::seconds(10) || first + count == total) {
      const double elapsed = std::chrono::duration<double>(now - start).count();
      const double rate = static_cast<double>(first + count) / elapsed;
      BBPT_LOG_INFO("features " << dataset.name() << ": " << first + count << "/" << total
                                << " views, " << static_cast<int>(rate) << " views/s, ETA "
                                << static_cast<int>((total - first - count) / rate) << " s");
      last_report = now;
    }
  }

  FeatureSet set;
  set.features = features.view({num_images, num_views, -1});  // [N*V, E] -> [N, V, E]
  set.labels = torch::empty({num_images}, torch::kLong);
  for (int64_t i = 0; i < num_images; ++i) set.labels[i] = dataset.label(static_cast<size_t>(i));
  FeatureHeader& h = set.header;
  h.model_fingerprint = model_fingerprint;
  h.dataset_fingerprint = dataset.fingerprint();
  h.dataset_name = dataset.name();
  h.dataset_source = dataset.source();
  h.preprocessing = describe_preprocessing(resolution, options.views, options.seed, dtype);
  h.views = options.views;
  h.seed = options.views > 0 ? options.seed : 0;
  h.num_images = num_images;
  h.num_views = num_views;
  h.embed_dim = model->config().embed_dim;
  h.class_names = dataset.class_names();
  return set;
}

void write_feature_file(const std::string& path, const FeatureSet& set) {
  auto features = set.features.to(torch::kCPU, torch::kFloat).contiguous();
  auto labels = set.labels.to(torch::kCPU, torch::kInt).contiguous();
  std::string payload(reinterpret_cast<const char*>(features.data_ptr<float>()),
                      static_cast<size_t>(features.numel()) * sizeof(float));
  payload.append(reinterpret_cast<const char*>(labels.data_ptr<int32_t>()),
                 static_cast<size_t>(labels.numel()) * sizeof(int32_t));
  FeatureHeader header = set.header;
  header.payload_sha256 = core::sha256_hex(payload);
  const std::string header_json = header_to_json(header).dump();
  std::string bytes(kMagic, sizeof(kMagic));
  append_pod<uint32_t>(bytes, kFeatureFileVersion);
  append_pod<uint32_t>(bytes, 0);
  append_pod<uint64_t>(bytes, header_json.size());
  bytes += header_json;
  bytes += payload;
  core::write_file_atomic(path, bytes);
}

FeatureSet read_feature_file(const std::string& path) {
  const std::string bytes = core::read_file(path);
  BBPT_CHECK(bytes.size() >= kPreambleBytes && std::memcmp(bytes.data(), kMagic, 8) == 0, IoError,
             path << ": not a bbpt feature cache (bad magic); delete it or pass --rebuild");
  const auto version = read_pod<uint32_t>(bytes, 8);
  BBPT_CHECK(version == kFeatureFileVersion, IoError,
             path << ": feature cache version " << version << ", this bbpt reads version "
                  << kFeatureFileVersion << "; it will be rebuilt");
  const auto header_bytes = read_pod<uint64_t>(bytes, 16);
  BBPT_CHECK(kPreambleBytes + header_bytes <= bytes.size(), IoError,
             path << ": feature cache truncated inside its header");
  FeatureSet set;
  try {
    set.header =
        header_from_json(nlohmann::json::parse(bytes.substr(kPreambleBytes, header_bytes)));
  } catch (const nlohmann::json::exception& e) {
    BBPT_THROW(IoError, path << ": feature cache header is not valid JSON (" << e.what() << ")");
  }
  const FeatureHeader& h = set.header;
  const size_t feature_bytes =
      static_cast<size_t>(h.num_images * h.num_views * h.embed_dim) * sizeof(float);
  const size_t label_bytes = static_cast<size_t>(h.num_images) * sizeof(int32_t);
  const size_t payload_offset = kPreambleBytes + header_bytes;
  BBPT_CHECK(bytes.size() == payload_offset + feature_bytes + label_bytes, IoError,
             path << ": feature cache has " << bytes.size() - payload_offset
                  << " payload bytes, header says " << feature_bytes + label_bytes
                  << " (truncated or corrupt)");
  const std::string_view payload(bytes.data() + payload_offset, feature_bytes + label_bytes);
  BBPT_CHECK(core::sha256_hex(payload) == h.payload_sha256, IoError,
             path << ": feature cache payload fails its SHA-256 check (corrupt)");
  set.features = torch::empty({h.num_images, h.num_views, h.embed_dim});
  std::memcpy(set.features.data_ptr<float>(), payload.data(), feature_bytes);
  auto labels = torch::empty({h.num_images}, torch::kInt);
  std::memcpy(labels.data_ptr<int32_t>(), payload.data() + feature_bytes, label_bytes);
  set.labels = labels.to(torch::kLong);
  return set;
}

FeatureCacheResult load_or_build_features(model::ClipModel& model,
                                          const std::string& model_fingerprint,
                                          const data::ImageDataset& dataset,
                                          const FeatureCacheOptions& options) {
  FeatureCacheResult result;
  result.path = feature_cache_path(options, model_fingerprint, dataset.name(), dataset.source());
  FeatureHeader wanted;
  wanted.model_fingerprint = model_fingerprint;
  wanted.dataset_source = dataset.source();
  wanted.dataset_fingerprint = dataset.fingerprint();
  wanted.preprocessing = describe_preprocessing(model->config().image_resolution, options.views,
                                                options.seed, model->text_projection.scalar_type());
  wanted.class_names = dataset.class_names();

  if (core::is_regular_file(result.path) && !options.force_rebuild) {
    try {
      FeatureSet cached = read_feature_file(result.path);
      result.reason = mismatch_reason(cached.header, wanted);
      if (result.reason.empty()) {
        result.set = std::move(cached);
        result.outcome = CacheOutcome::kReused;
        return result;
      }
      result.outcome = CacheOutcome::kRebuiltStale;
    } catch (const IoError& e) {
      result.outcome = CacheOutcome::kRebuiltCorrupt;
      result.reason = e.what();
    }
    BBPT_LOG_WARN("feature cache " << result.path << " " << to_string(result.outcome) << ": "
                                   << result.reason);
  }
  result.set = compute_features(model, model_fingerprint, dataset, options);
  write_feature_file(result.path, result.set);
  return result;
}

}  // namespace bbpt::features
