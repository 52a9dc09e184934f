# bbpt_options: the INTERFACE target that carries language level, warnings and sanitizers.
# Every bbpt target links it PRIVATE; nothing goes into global CMAKE_CXX_FLAGS.
add_library(bbpt_options INTERFACE)
target_compile_features(bbpt_options INTERFACE cxx_std_17)
target_compile_options(bbpt_options INTERFACE -Wall -Wextra -Wno-unused-parameter)
if(BBPT_ENABLE_WERROR)
  target_compile_options(bbpt_options INTERFACE -Werror)
endif()
if(BBPT_SANITIZE)
  target_compile_options(bbpt_options INTERFACE -fsanitize=${BBPT_SANITIZE} -fno-omit-frame-pointer)
  target_link_options(bbpt_options INTERFACE -fsanitize=${BBPT_SANITIZE})
endif()
target_compile_definitions(bbpt_options INTERFACE BBPT_VERSION="${PROJECT_VERSION}")
