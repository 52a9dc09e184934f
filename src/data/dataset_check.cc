// SPDX-License-Identifier: MIT
// Implements the whole-dataset decode check and its clean-check markers.
#include "bbpt/data/dataset_check.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/core/sha256.h"
#include "bbpt/core/utc_time.h"
#include "bbpt/data/in_memory_dataset.h"

namespace bbpt::data {
namespace {

/// The message without a leading "<path>: ", which the report prints separately.
std::string reason_of(const std::string& message, const std::string& path) {
  const std::string prefix = path + ": ";
  return message.rfind(prefix, 0) == 0 ? message.substr(prefix.size()) : message;
}

std::string marker_path(const std::string& marker_dir, const ImageDataset& dataset) {
  const std::string key = core::sha256_hex(dataset.source() + "\n" + dataset.fingerprint());
  return (std::filesystem::path(marker_dir) / (dataset.name() + "-" + key.substr(0, 16) + ".json"))
      .string();
}

}  // namespace

bool is_in_memory(const ImageDataset& dataset) {
  return dynamic_cast<const InMemoryDataset*>(&dataset) != nullptr;
}

DatasetCheck check_dataset_images(const ImageDataset& dataset, int num_threads) {
  BBPT_CHECK(num_threads >= 1, ConfigError, "threads (= " << num_threads << ") must be >= 1");
  DatasetCheck check;
  check.name = dataset.name();
  check.num_images = dataset.size();
  check.in_memory = is_in_memory(dataset);
  std::atomic<size_t> next{0};
  std::mutex mutex;
  const auto work = [&] {
    for (size_t i = next++; i < check.num_images; i = next++) {
      std::string reason;
      try {
        dataset.load_image(i);
        continue;
      } catch (const std::exception& e) {  // IoError from the decoder, bad_alloc for a huge image
        reason = e.what();
      }
      const std::string path = dataset.location(i);
      std::lock_guard<std::mutex> lock(mutex);
      check.bad.push_back({i, path, reason_of(reason, path)});
    }
  };
  const int extra = static_cast<int>(std::min<size_t>(num_threads, check.num_images)) - 1;
  std::vector<std::thread> threads;
  for (int t = 0; t < extra; ++t) threads.emplace_back(work);
  work();
  for (auto& thread : threads) thread.join();
  std::sort(check.bad.begin(), check.bad.end(),
            [](const BadImage& a, const BadImage& b) { return a.index < b.index; });
  return check;
}

void record_clean_check(const std::string& marker_dir,
                        const ImageDataset& dataset,
                        const DatasetCheck& check) {
  BBPT_CHECK(
      check.bad.empty(), IoError,
      dataset.name() << ": " << check.bad.size() << " bad images; only a clean check is recorded");
  std::error_code ec;
  std::filesystem::create_directories(marker_dir, ec);
  BBPT_CHECK(!ec, IoError,
             marker_dir << ": cannot create the data-check folder (" << ec.message()
                        << "); pass a writable --cache-dir");
  const nlohmann::json marker = {{"dataset", dataset.name()},
                                 {"source", dataset.source()},
                                 {"fingerprint", dataset.fingerprint()},
                                 {"num_images", check.num_images},
                                 {"checked_utc", core::utc_now()}};
  core::write_file_atomic(marker_path(marker_dir, dataset), marker.dump(2) + "\n");
}

std::optional<std::string> last_clean_check(const std::string& marker_dir,
                                            const ImageDataset& dataset) {
  try {
    const std::string path = marker_path(marker_dir, dataset);
    if (!core::is_regular_file(path)) return std::nullopt;
    const auto marker = nlohmann::json::parse(core::read_file(path));
    if (marker.at("fingerprint").get<std::string>() != dataset.fingerprint() ||
        marker.at("source").get<std::string>() != dataset.source()) {
      return std::nullopt;
    }
    return marker.at("checked_utc").get<std::string>();
  } catch (const std::exception&) {  // unreadable marker, or an image gone (fingerprint throws)
    return std::nullopt;
  }
}

}  // namespace bbpt::data
