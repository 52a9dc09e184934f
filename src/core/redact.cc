// SPDX-License-Identifier: MIT
// Implements the URL redaction (redact.h): the authority's userinfo and secret query values.
#include "bbpt/core/redact.h"

#include <algorithm>
#include <cctype>

namespace bbpt::core {
namespace {

bool is_scheme_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
}

// Characters that end a URL quoted in free text.
bool ends_url(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0 || c == '"' || c == '\'' || c == '<' ||
         c == '>' || c == '`';
}

// Query parameter names that carry credentials (compared lower-case, '-' read as '_'); a name that
// contains one of these words is secret too (x_api_key, client_secret, refresh_token).
bool is_secret_name(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
    return c == '-' ? '_' : static_cast<char>(std::tolower(c));
  });
  if (name == "key" || name == "sig" || name == "signature" || name == "code" || name == "pass" ||
      name == "pwd" || name == "auth") {
    return true;
  }
  for (const char* word : {"key", "token", "secret", "password", "passwd", "credential", "session",
                           "auth", "signature"}) {
    if (name.find(word) != std::string::npos) return true;
  }
  return false;
}

std::string redact_query(std::string_view query) {
  std::string out;
  size_t begin = 0;
  while (begin <= query.size()) {
    const size_t end = std::min(query.find('&', begin), query.size());
    const std::string_view param = query.substr(begin, end - begin);
    const size_t eq = param.find('=');
    if (eq != std::string_view::npos && eq + 1 < param.size() &&
        is_secret_name(std::string(param.substr(0, eq)))) {
      out.append(param.substr(0, eq + 1)).append(kRedacted);
    } else {
      out.append(param);
    }
    if (end == query.size()) break;
    out += '&';
    begin = end + 1;
  }
  return out;
}

}  // namespace

std::string redact_url(std::string_view url) {
  size_t authority = 0;
  const size_t scheme_end = url.find("://");
  if (scheme_end != std::string_view::npos && scheme_end > 0 &&
      std::all_of(url.begin(), url.begin() + static_cast<std::ptrdiff_t>(scheme_end),
                  is_scheme_char)) {
    authority = scheme_end + 3;
  }
  const size_t authority_end = std::min(url.find_first_of("/?#", authority), url.size());
  std::string out(url.substr(0, authority));
  const std::string_view host_part = url.substr(authority, authority_end - authority);
  const size_t at = host_part.rfind('@');
  if (at != std::string_view::npos) {
    out.append(kRedacted).append("@").append(host_part.substr(at + 1));
  } else {
    out.append(host_part);
  }
  const std::string_view rest = url.substr(authority_end);
  const size_t question = rest.find('?');
  if (question == std::string_view::npos) return out.append(rest);
  const size_t hash = std::min(rest.find('#', question), rest.size());
  out.append(rest.substr(0, question + 1));
  out.append(redact_query(rest.substr(question + 1, hash - question - 1)));
  out.append(rest.substr(hash));
  return out;
}

std::string redact_urls(std::string_view text) {
  std::string out;
  size_t copied = 0;
  size_t search = 0;
  while (true) {
    const size_t sep = text.find("://", search);
    if (sep == std::string_view::npos) break;
    size_t begin = sep;
    while (begin > copied && is_scheme_char(text[begin - 1])) --begin;
    size_t end = sep + 3;
    while (end < text.size() && !ends_url(text[end])) ++end;
    if (begin == sep) {  // "://" without a scheme: not a URL
      search = sep + 3;
      continue;
    }
    out.append(text.substr(copied, begin - copied));
    out.append(redact_url(text.substr(begin, end - begin)));
    copied = end;
    search = end;
  }
  out.append(text.substr(copied));
  return out;
}

bool has_url_credentials(std::string_view text) { return redact_urls(text) != text; }

}  // namespace bbpt::core
