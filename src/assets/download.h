// SPDX-License-Identifier: MIT
// Private: fetching one URL into one file with libcurl. Knows nothing of checksums or caches.
#pragma once

#include <string>

namespace bbpt::assets::detail {

/// Writes the body of url to path (created or truncated), following redirects and failing on
/// HTTP errors (>= 400) and after timeout_s seconds. Throws IoError carrying libcurl's reason
/// ("Couldn't resolve host name", "The requested URL returned error: 404", ...); path may then
/// hold a partial body, which the caller deletes.
void download_to_file(const std::string& url, const std::string& path, int timeout_s);

}  // namespace bbpt::assets::detail
