// SPDX-License-Identifier: MIT
// PNG encoding (decoded back bit for bit) and base64 (RFC 4648 test vectors).
#include "bbpt/image/encode.h"

#include <gtest/gtest.h>

#include "bbpt/core/error.h"
#include "bbpt/image/decode.h"

namespace bbpt::image {
namespace {

TEST(Encode, PngRoundTripsExactly) {
  Image image;
  image.width = 5;
  image.height = 3;
  for (size_t i = 0; i < 3 * image.num_pixels(); ++i)
    image.rgb.push_back(static_cast<uint8_t>(i * 17 % 256));
  const auto decoded = decode_image_bytes(encode_png(image), "round trip");
  EXPECT_EQ(decoded.width, 5);
  EXPECT_EQ(decoded.height, 3);
  EXPECT_EQ(decoded.rgb, image.rgb);
}

TEST(Encode, Base64MatchesRfc4648) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foob"), "Zm9vYg==");
  EXPECT_EQ(base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64(std::string("\xff\x00\x10", 3)), "/wAQ");
}

TEST(Encode, DataUrlAndBadImages) {
  Image image;
  image.width = 1;
  image.height = 1;
  image.rgb = {1, 2, 3};
  EXPECT_EQ(png_data_url(image).rfind("data:image/png;base64,iVBORw0KGgo", 0),
            0u);  // the PNG signature
  image.rgb.pop_back();
  EXPECT_THROW(encode_png(image), bbpt::IoError);
}

}  // namespace
}  // namespace bbpt::image
