# DATA (chapter 07 onwards): unit tests of SIZE and BODY and of the DATA reader (dot-stuffing,
# the end of data, the limits, SMTP smuggling), dialog scripts, and the same end to end.
mailsteps_topic_test(data_unit_tests SOURCES data/data_command_test.cpp data/smtp_data_test.cpp)
mailsteps_dialogs(SERVER mailserver PROTOCOL smtp)
mailsteps_topic_test(data_e2e_tests SOURCES data/data_e2e_test.cpp SERVER mailserver)

# `cmake --preset fuzz` (clang): the libFuzzer target for the command and path parser and the
# DATA reader, built from the chapter's parser sources and line framing alone (and, from
# chapter 09, the spool the DATA reader writes to).
if(MAILSTEPS_FUZZ)
    set(chapter_dir ${PROJECT_SOURCE_DIR}/chapters/${MAILSTEPS_${CHAPTER}_DIR})
    set(sources data/smtp_fuzz.cpp)
    foreach(file smtp_address.cpp smtp_command.cpp smtp_data.cpp line_buffer.cpp spool.cpp durable_file.cpp)
        if(EXISTS ${chapter_dir}/${file})
            list(APPEND sources ${chapter_dir}/${file})
        endif()
    endforeach()
    add_executable(${CHAPTER}_smtp_fuzz ${sources})
    target_include_directories(${CHAPTER}_smtp_fuzz PRIVATE ${chapter_dir} ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR})
    target_compile_options(${CHAPTER}_smtp_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${CHAPTER}_smtp_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
endif()
