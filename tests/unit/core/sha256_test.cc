// SPDX-License-Identifier: MIT
// SHA-256 must match the FIPS 180-4 test vectors: asset downloads are verified with it.
#include "bbpt/core/sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace bbpt::core {

TEST(Sha256, MatchesFipsVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, IncrementalEqualsOneShot) {
  const std::string text(1000, 'a');
  Sha256 hasher;
  for (size_t i = 0; i < text.size(); i += 7) hasher.update(text.substr(i, 7));
  EXPECT_EQ(hasher.hex_digest(), sha256_hex(text));
}

}  // namespace bbpt::core
