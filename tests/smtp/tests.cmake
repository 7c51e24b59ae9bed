# SMTP: chapter 02 onwards. Unit tests of the chapter's parser and DATA handling, the session
# driven in-process, dialog scripts, and end-to-end tests with real clients and Postfix.
mailsteps_topic_test(smtp_unit_tests SOURCES smtp/smtp_address_test.cpp smtp/smtp_command_test.cpp
    smtp/smtp_data_test.cpp smtp/smtp_session_test.cpp)
mailsteps_dialogs(SERVER mailserver PROTOCOL smtp)
mailsteps_topic_test(smtp_e2e_tests SOURCES smtp/smtp_e2e_test.cpp smtp/smtp_hostile_test.cpp smtp/smtp_fault_test.cpp
    smtp/postfix.cpp SERVER mailserver)

# `cmake --preset fuzz` (clang): the libFuzzer target for the command and path parser and the
# DATA reader, built from the chapter's parser sources and the shared line framing alone.
if(MAILSTEPS_FUZZ)
    set(chapter_dir ${PROJECT_SOURCE_DIR}/chapters/${MAILSTEPS_${CHAPTER}_DIR})
    add_executable(${CHAPTER}_smtp_fuzz smtp/smtp_fuzz.cpp ${chapter_dir}/smtp_address.cpp
        ${chapter_dir}/smtp_command.cpp ${chapter_dir}/smtp_data.cpp ${chapter_dir}/line_buffer.cpp
        ${chapter_dir}/spool.cpp ${chapter_dir}/durable_file.cpp)
    target_include_directories(${CHAPTER}_smtp_fuzz PRIVATE ${chapter_dir} ${PROJECT_SOURCE_DIR})
    target_compile_options(${CHAPTER}_smtp_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${CHAPTER}_smtp_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
endif()
