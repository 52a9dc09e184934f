// SPDX-License-Identifier: MIT
// Finding data files bbpt needs (the CLIP vocabulary, ...): a fixed search order over local
// folders, then a verified download into a cache folder. Reads no environment variables: the
// CLI resolves --assets, BBPT_ASSETS and the cache location into AssetOptions.
#pragma once

#include <string>

namespace bbpt::assets {

/// A data file bbpt can find locally or download.
struct AssetSpec {
  /// File name looked for in each folder, and the name of the cached download.
  std::string file_name;
  /// Public URL of the file (any scheme libcurl knows, file:// included); "" if none.
  std::string url;
  /// Lowercase hex SHA-256 that a downloaded copy must have; a download is refused without it.
  std::string sha256;
};

/// CLIP's byte-level BPE vocabulary (openai/CLIP, MIT licence).
inline const AssetSpec kClipVocabAsset{
    "bpe_simple_vocab_16e6.txt.gz",
    "https://github.com/openai/CLIP/raw/main/clip/bpe_simple_vocab_16e6.txt.gz",
    "924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a"};

/// Where locate_asset looks, in this order. Empty strings are skipped.
struct AssetOptions {
  /// Folder given with --assets.
  std::string assets_dir;
  /// Value of the BBPT_ASSETS environment variable (read by the CLI, never by library code).
  std::string env_assets_dir;
  /// ../shared/assets beside the source checkout (filled in by the CLI).
  std::string checkout_assets_dir;
  /// Download cache, e.g. $XDG_CACHE_HOME/bbpt or ~/.cache/bbpt (filled in by the CLI):
  /// searched for an earlier download, and where a new download is stored.
  std::string cache_dir;
  /// Download spec.url into cache_dir when no local copy is found.
  bool allow_download = true;
  /// Abandon a download after this many seconds (connecting included).
  int download_timeout_s = 300;
};

/// Returns the path of spec.file_name, trying in order options.assets_dir, env_assets_dir,
/// checkout_assets_dir and cache_dir, then (if allowed) a download of spec.url into cache_dir.
/// Local copies are used as they are (a user may keep their own copy); a download is written to
/// a temporary file in cache_dir, checked against spec.sha256, and only then renamed into place,
/// so a partial or wrong file never appears under the final name (it is deleted).
/// Throws IoError with one line listing every place tried and why each failed, ending with
/// what to do. Safe to call from several processes at once (each downloads to its own file).
std::string locate_asset(const AssetSpec& spec, const AssetOptions& options);

}  // namespace bbpt::assets
