# Golden test of the tokenizer: ids vs clip.tokenize on the strings in tokenizer_reference.json.
# Included from tests/golden/CMakeLists.txt.
bbpt_add_test(NAME tokenizer_golden_test LABEL golden
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/tokenizer_golden_test.cc
  LIBS bbpt::tokenizer nlohmann_json::nlohmann_json)
