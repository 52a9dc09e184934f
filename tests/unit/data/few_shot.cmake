# Few-shot sampling and its index files; included from tests/unit/data/CMakeLists.txt.
bbpt_add_test(NAME few_shot_test LABEL unit
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/few_shot_test.cc
  LIBS bbpt::data nlohmann_json::nlohmann_json)
