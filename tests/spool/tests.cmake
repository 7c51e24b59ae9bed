# The spool (chapter 09 onwards): unit tests of Spool, and a message arriving in DATA kept on
# disk rather than in the server's memory, end to end.
mailsteps_topic_test(spool_unit_tests SOURCES spool/spool_test.cpp)
mailsteps_topic_test(spool_e2e_tests SOURCES spool/spool_e2e_test.cpp SERVER mailserver)

# `cmake --preset fuzz` (clang): the libFuzzer target for the command and path parser and the
# DATA reader, built from the chapter's parser sources and its line framing and spool alone.
if(MAILSTEPS_FUZZ)
    set(chapter_dir ${PROJECT_SOURCE_DIR}/chapters/${MAILSTEPS_${CHAPTER}_DIR})
    add_executable(${CHAPTER}_smtp_fuzz smtp/smtp_fuzz.cpp ${chapter_dir}/smtp_address.cpp
        ${chapter_dir}/smtp_command.cpp ${chapter_dir}/smtp_data.cpp ${chapter_dir}/line_buffer.cpp
        ${chapter_dir}/spool.cpp ${chapter_dir}/durable_file.cpp)
    target_include_directories(${CHAPTER}_smtp_fuzz PRIVATE ${chapter_dir} ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
    target_compile_options(${CHAPTER}_smtp_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${CHAPTER}_smtp_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
endif()
