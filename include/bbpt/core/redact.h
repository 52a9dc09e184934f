// SPDX-License-Identifier: MIT
// Hiding credentials in URLs before they are shown, logged or stored: the userinfo of
// "http://user:pass@host/v1" and the values of secret-looking query parameters (?api_key=...,
// ?token=...). The value used to connect keeps its credentials; only copies meant for people and
// files go through here. Does not parse URLs in general: it only finds and masks those two parts.
#pragma once

#include <string>
#include <string_view>

namespace bbpt::core {

/// What a hidden credential becomes.
inline constexpr const char* kRedacted = "***";

/// `url` with its userinfo ("user:pass@", also a lone "token@") replaced by "***@" and the value of
/// every query parameter whose name looks secret (key, api_key, token, access_token, secret,
/// password, auth, sig, ...) replaced by "***". A string without a scheme ("host:8000/v1",
/// "user:pass@host") is read as starting with its authority. Anything else is returned unchanged.
std::string redact_url(std::string_view url);

/// `text` with every URL in it ("scheme://..." up to a space or a quote) passed through
/// redact_url; the rest unchanged. For messages and records that may quote a URL.
std::string redact_urls(std::string_view text);

/// Whether redact_urls would change `text` (it holds a URL with credentials).
bool has_url_credentials(std::string_view text);

}  // namespace bbpt::core
