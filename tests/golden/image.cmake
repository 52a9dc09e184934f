# Golden test of the image module: CLIP eval preprocessing vs the Python reference buffers.
# Included from tests/golden/CMakeLists.txt.
bbpt_add_test(NAME image_golden_test LABEL golden
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/image_golden_test.cc
  LIBS bbpt::image bbpt::torch nlohmann_json::nlohmann_json)
