bbpt_add_test(NAME model_golden_test LABEL golden
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/model_golden_test.cc
  LIBS bbpt::model)
