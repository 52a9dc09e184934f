// SPDX-License-Identifier: MIT
// Reply parsing: texts must come back in choice order with the server's token counts, and every
// body that is not a usable completion must be rejected (ChatClient retries those) rather than
// turned into empty proposals.
#include "chat_format.h"

#include <gtest/gtest.h>

namespace bbpt::llm::detail {
namespace {

TEST(ChatFormat, ParsesChoicesInIndexOrderAndUsage) {
  const std::string body = R"({"choices":[
      {"index":1,"message":{"role":"assistant","content":"second"}},
      {"index":0,"message":{"role":"assistant","content":"first"}}],
    "usage":{"prompt_tokens":12,"completion_tokens":34}})";
  std::string why;
  const std::optional<ParsedReply> reply = parse_reply(body, &why);
  ASSERT_TRUE(reply.has_value()) << why;
  EXPECT_EQ(reply->texts, (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(reply->prompt_tokens, 12);
  EXPECT_EQ(reply->completion_tokens, 34);
}

TEST(ChatFormat, MissingUsageIsZeroAndNullContentIsEmpty) {
  std::string why;
  const auto reply =
      parse_reply(R"({"choices":[{"message":{"role":"assistant","content":null}}]})", &why);
  ASSERT_TRUE(reply.has_value()) << why;
  EXPECT_EQ(reply->texts, std::vector<std::string>{""});
  EXPECT_EQ(reply->prompt_tokens, 0);
  EXPECT_EQ(reply->completion_tokens, 0);
}

TEST(ChatFormat, RejectsBodiesThatAreNotCompletions) {
  for (const char* body : {"", "not json", "[]", R"({"choices":[]})", R"({"object":"error"})",
                           R"({"choices":[{"text":"legacy completion"}]})",
                           R"({"choices":[{"message":{"content":42}}]})"}) {
    std::string why;
    EXPECT_FALSE(parse_reply(body, &why).has_value()) << body;
    EXPECT_FALSE(why.empty()) << body;
  }
}

TEST(ChatFormat, BodySendsSeedOnlyWhenSet) {
  SamplingOptions sampling;
  sampling.seed = -1;
  const auto without = nlohmann::json::parse(request_body("m", {{"user", "hi"}}, sampling));
  EXPECT_FALSE(without.contains("seed"));
  EXPECT_FALSE(without.contains("sample_index"));
  sampling.seed = 0;
  const auto with = nlohmann::json::parse(request_body("m", {{"user", "hi"}}, sampling));
  EXPECT_EQ(with.at("seed"), 0);
}

}  // namespace
}  // namespace bbpt::llm::detail
