# Golden test of the LLM tokenizers: tiny_llama's tokenizer.json and chat template against the
# ids in reference.json, tok512.bin against llama2.c run.c's prompt ids.
# Included from tests/golden/CMakeLists.txt.
bbpt_add_test(NAME llm_tokenizer_golden_test LABEL golden
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/llm_tokenizer_golden_test.cc
  LIBS bbpt::tokenizer nlohmann_json::nlohmann_json)
