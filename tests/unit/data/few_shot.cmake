# Few-shot sampling and its index files; included from tests/unit/data/CMakeLists.txt.
bbpt_add_test(NAME few_shot_test LABEL unit
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/few_shot_test.cc
  LIBS bbpt::data nlohmann_json::nlohmann_json)

# PythonRandom and the Dassl sampler against /usr/bin/python3 (tests/unit/data/dassl_reference.py).
bbpt_add_test(NAME dassl_few_shot_test LABEL unit
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/dassl_few_shot_test.cc
  LIBS bbpt::data nlohmann_json::nlohmann_json ZLIB::ZLIB)
target_compile_definitions(dassl_few_shot_test PRIVATE BBPT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
