// SPDX-License-Identifier: MIT
// Implements locate_asset: the folder search, the checksum-verified download into the cache
// (temporary file + rename in the same folder), and the one-line report of everything tried.
#include "bbpt/assets/asset_locator.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "bbpt/core/error.h"
#include "bbpt/core/log.h"
#include "bbpt/core/sha256.h"
#include "download.h"

namespace bbpt::assets {
namespace {

namespace fs = std::filesystem;

std::string join(const std::string& dir, const std::string& file_name) {
  return (fs::path(dir) / file_name).string();
}

/// Why path (inside dir) cannot be used, or "" when it is a regular file.
std::string why_unusable(const std::string& dir, const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return "no such folder";
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) return "no such file";
  if (!fs::is_regular_file(status)) return "not a regular file";
  return "";
}

std::string to_lower_ascii(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

/// A new, empty, uniquely named file in dir (so concurrent downloads never share one).
std::string make_temp_file(const std::string& dir, const std::string& file_name) {
  std::string name = join(dir, "." + file_name + ".download-XXXXXX");
  const int fd = mkstemp(name.data());
  BBPT_CHECK(fd >= 0, IoError, "cannot create a file in " << dir << ": " << std::strerror(errno));
  fchmod(fd, 0644);  // mkstemp's 0600 would hide a shared cache from other users
  close(fd);
  return name;
}

/// Downloads spec.url into cache_dir, verifies it, renames it into place and returns the final
/// path. Throws IoError with the reason; nothing is left behind on failure.
std::string download_verified(const AssetSpec& spec, const std::string& cache_dir, int timeout_s) {
  std::error_code ec;
  fs::create_directories(cache_dir, ec);
  BBPT_CHECK(!ec, IoError, "cannot create the cache folder: " << ec.message());
  const std::string final_path = join(cache_dir, spec.file_name);
  const std::string temp_path = make_temp_file(cache_dir, spec.file_name);
  try {
    BBPT_LOG_INFO("downloading " << spec.url << " into " << cache_dir);
    detail::download_to_file(spec.url, temp_path, timeout_s);
    const std::string actual = core::sha256_file(temp_path);
    BBPT_CHECK(actual == to_lower_ascii(spec.sha256), IoError,
               "sha256 of the downloaded file is " << actual << ", expected " << spec.sha256
                                                   << " (deleted it)");
    fs::rename(temp_path, final_path, ec);
    BBPT_CHECK(!ec, IoError,
               "cannot rename the download to " << final_path << ": " << ec.message());
  } catch (...) {
    fs::remove(temp_path, ec);
    throw;
  }
  return final_path;
}

/// One attempt of the report: "<label> (<why>)", "<label> (not set)".
struct Attempt {
  std::string label;  // how the user knows this place: "--assets /x", "BBPT_ASSETS=/x"
  std::string dir;
};

std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  while (!text.empty() && (text.back() == ' ' || text.back() == '.')) text.pop_back();
  return text;
}

}  // namespace

std::string locate_asset(const AssetSpec& spec, const AssetOptions& options) {
  BBPT_CHECK(!spec.file_name.empty(), ConfigError, "asset spec has an empty file_name");
  const Attempt attempts[] = {
      {options.assets_dir.empty() ? "--assets" : "--assets " + options.assets_dir,
       options.assets_dir},
      {options.env_assets_dir.empty() ? "BBPT_ASSETS" : "BBPT_ASSETS=" + options.env_assets_dir,
       options.env_assets_dir},
      {options.checkout_assets_dir.empty() ? "checkout assets folder" : options.checkout_assets_dir,
       options.checkout_assets_dir},
      {options.cache_dir.empty() ? "cache" : "cache " + options.cache_dir, options.cache_dir},
  };
  std::vector<std::string> report;
  for (const Attempt& attempt : attempts) {
    if (attempt.dir.empty()) {
      report.push_back(attempt.label + " (not set)");
      continue;
    }
    const std::string path = join(attempt.dir, spec.file_name);
    const std::string why = why_unusable(attempt.dir, path);
    if (why.empty()) return path;
    report.push_back(attempt.label + " (" + why + ")");
  }

  if (!options.allow_download) {
    report.push_back("download (disabled)");
  } else if (spec.url.empty()) {
    report.push_back("download (no URL known)");
  } else if (options.cache_dir.empty()) {
    report.push_back("download " + spec.url + " (no cache folder to download into)");
  } else if (spec.sha256.empty()) {
    report.push_back("download " + spec.url + " (no sha256 to verify it with)");
  } else {
    try {
      return download_verified(spec, options.cache_dir, options.download_timeout_s);
    } catch (const IoError& e) {
      report.push_back("download " + spec.url + " failed: " + one_line(e.what()));
    }
  }

  std::string message = spec.file_name + " not found: ";
  for (size_t i = 0; i < report.size(); ++i) message += (i ? "; " : "") + report[i];
  message += ". Pass --assets DIR or set BBPT_ASSETS to a folder holding it";
  if (!spec.url.empty()) message += " (it can be downloaded from " + spec.url + ")";
  BBPT_THROW(IoError, one_line(message) << ".");
}

}  // namespace bbpt::assets
