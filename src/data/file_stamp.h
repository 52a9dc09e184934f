// SPDX-License-Identifier: MIT
// What dataset fingerprints record of an image file without reading it: one stat() giving size,
// modification and status-change times (ns) and inode. Cheap enough for every open of a
// dataset; see docs/data.md ("The feature cache key") for what it catches and what it does not.
#pragma once

#include <string>

namespace bbpt::data {

/// A file as stat() sees it (symbolic links followed).
struct FileStamp {
  /// Whether stat() succeeded; when not, `error` says why and `text` is "stat failed".
  bool ok = false;
  /// strerror of a failed stat(), e.g. "No such file or directory" for a dangling link.
  std::string error;
  /// Whether it is a regular file.
  bool regular = false;
  /// "<size>\t<mtime ns>\t<ctime ns>\t<inode>": changes when the file is rewritten, even at the
  /// same size and with its mtime set back (ctime cannot be set back), or replaced by a rename.
  std::string text;
};

/// stat() of `path`; never throws (see FileStamp::ok).
FileStamp stamp_file(const std::string& path);

/// The absolute path with symbolic links and "." / ".." resolved (as far as the path exists), so
/// that one folder reached two ways is one dataset and two folders of the same name are two.
std::string resolved_path(const std::string& path);

}  // namespace bbpt::data
