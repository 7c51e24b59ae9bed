# Submission (chapter 28 onwards): SMTP AUTH's base64 and PLAIN parsing, and the submission
# ports end to end with real clients, logins checked against the users file and throttled
# together with POP3's.
mailsteps_topic_test(submission_unit_tests SOURCES submission/sasl_test.cpp)
mailsteps_topic_test(submission_e2e_tests SOURCES submission/submission_e2e_test.cpp SERVER mailserver)

# `cmake --preset fuzz` (clang): the libFuzzer target for what an AUTH exchange carries.
if(MAILSTEPS_FUZZ)
    set(chapter_dir ${PROJECT_SOURCE_DIR}/chapters/${MAILSTEPS_${CHAPTER}_DIR})
    add_executable(${CHAPTER}_sasl_fuzz submission/sasl_fuzz.cpp ${chapter_dir}/sasl.cpp)
    target_include_directories(${CHAPTER}_sasl_fuzz PRIVATE ${chapter_dir} ${PROJECT_SOURCE_DIR})
    target_compile_options(${CHAPTER}_sasl_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${CHAPTER}_sasl_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
endif()
