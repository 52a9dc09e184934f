# Golden tests of the Llama runtime: tiny_llama (Hugging Face layout) against its PyTorch
# reference, aidreams260K (llama2.c layout) against run.c's greedy ids.
bbpt_add_test(NAME lm_golden_test LABEL golden
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/lm_golden_test.cc
  LIBS bbpt::lm)
bbpt_add_test(NAME lm_local_test LABEL golden
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/lm_local_test.cc
  LIBS bbpt::lm nlohmann_json::nlohmann_json)
