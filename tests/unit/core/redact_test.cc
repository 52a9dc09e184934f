// SPDX-License-Identifier: MIT
// redact_url / redact_urls: no credential of a URL survives into what is shown or stored, and
// everything that is not a credential (scheme, host, port, path, harmless query values, the text
// around a URL) survives unchanged, so a redacted message still says where bbpt tried to connect.
#include "bbpt/core/redact.h"

#include <gtest/gtest.h>

namespace {
using bbpt::core::has_url_credentials;
using bbpt::core::redact_url;
using bbpt::core::redact_urls;

TEST(RedactUrl, HidesUserinfo) {
  EXPECT_EQ(redact_url("http://user:pass@host:8000/v1"), "http://***@host:8000/v1");
  EXPECT_EQ(redact_url("https://sk-token@api.example.com/v1/"), "https://***@api.example.com/v1/");
  EXPECT_EQ(redact_url("user:p%40ss@host/v1"), "***@host/v1");  // no scheme: curl accepts it
  // The last '@' of the authority ends the userinfo (a password may contain '@' unencoded).
  EXPECT_EQ(redact_url("http://u:p@ss@host/v1"), "http://***@host/v1");
}

TEST(RedactUrl, HidesSecretQueryValuesOnly) {
  EXPECT_EQ(redact_url("http://h/v1?api_key=abc&model=x"), "http://h/v1?api_key=***&model=x");
  EXPECT_EQ(redact_url("http://h/v1?key=abc"), "http://h/v1?key=***");
  EXPECT_EQ(redact_url("http://h/v1?token=abc#frag"), "http://h/v1?token=***#frag");
  EXPECT_EQ(redact_url("http://h/v1?Access_Token=a&X-Api-Key=b&sig=c&client_secret=d"),
            "http://h/v1?Access_Token=***&X-Api-Key=***&sig=***&client_secret=***");
  EXPECT_EQ(redact_url("http://h/v1?page=2&flag"), "http://h/v1?page=2&flag");
}

TEST(RedactUrl, LeavesUrlsWithoutCredentialsAlone) {
  for (const char* url :
       {"http://127.0.0.1:8000/v1", "https://api.openai.com/v1", "http://h", "", "host:8000"}) {
    EXPECT_EQ(redact_url(url), url);
    EXPECT_FALSE(has_url_credentials(url)) << url;
  }
}

TEST(RedactUrls, FindsUrlsInText) {
  EXPECT_EQ(
      redact_urls(
          "http://u:p@h:1/v1/chat/completions (model m): HTTP 503; see 'http://a:b@x?token=t'"),
      "http://***@h:1/v1/chat/completions (model m): HTTP 503; see 'http://***@x?token=***'");
  EXPECT_EQ(redact_urls("no url here: user:pass@host"), "no url here: user:pass@host");
  EXPECT_TRUE(has_url_credentials("--set llm_base_url=http://u:p@h/v1"));
  // Idempotent: a redacted text stays as it is.
  const std::string once = redact_urls("x http://u:p@h/v1?key=k y");
  EXPECT_EQ(redact_urls(once), once);
  EXPECT_FALSE(has_url_credentials(once));
}

}  // namespace
