# Lines (chapter 02 onwards): the framing every protocol reads with. Unit tests of LineBuffer,
# and the echo server's lines, limit and framing end to end.
mailsteps_topic_test(line_tests SOURCES lines/line_buffer_test.cpp)
mailsteps_dialogs(SERVER echo_server PROTOCOL echo)
mailsteps_topic_test(echo_line_tests SOURCES lines/echo_lines_test.cpp SERVER echo_server)

# `cmake --preset fuzz` (clang): the libFuzzer target for the line framing.
if(MAILSTEPS_FUZZ)
    set(chapter_dir ${PROJECT_SOURCE_DIR}/chapters/${MAILSTEPS_${CHAPTER}_DIR})
    add_executable(${CHAPTER}_line_buffer_fuzz lines/line_buffer_fuzz.cpp ${chapter_dir}/line_buffer.cpp)
    target_include_directories(${CHAPTER}_line_buffer_fuzz PRIVATE ${chapter_dir} ${PROJECT_SOURCE_DIR})
    target_compile_options(${CHAPTER}_line_buffer_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${CHAPTER}_line_buffer_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
endif()
