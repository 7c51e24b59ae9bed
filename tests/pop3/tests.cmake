# POP3: chapter 24 onwards. Unit tests of the command parser and of logging in (crypt(3)
# verification, Users::authenticate); dialog scripts; end-to-end tests with real clients
# (Python's poplib, curl, fetchmail, mutt) and hostile ones.
mailsteps_topic_test(pop3_unit_tests SOURCES pop3/pop3_command_test.cpp pop3/login_test.cpp)
mailsteps_dialogs(SERVER mailserver PROTOCOL pop3)
mailsteps_topic_test(pop3_e2e_tests SOURCES pop3/pop3_e2e_test.cpp pop3/pop3_hostile_test.cpp SERVER mailserver)
mailsteps_topic_test(pop3_clients_tests SOURCES pop3/pop3_clients_test.cpp SERVER mailserver)

# `cmake --preset fuzz` (clang): the libFuzzer target for the command parser and the message
# text on the way out, built from the chapter's sources for them alone.
if(MAILSTEPS_FUZZ)
    set(chapter_dir ${PROJECT_SOURCE_DIR}/chapters/${MAILSTEPS_${CHAPTER}_DIR})
    add_executable(${CHAPTER}_pop3_fuzz pop3/pop3_fuzz.cpp ${chapter_dir}/pop3_command.cpp
        ${chapter_dir}/pop3_data.cpp)
    target_include_directories(${CHAPTER}_pop3_fuzz PRIVATE ${chapter_dir} ${PROJECT_SOURCE_DIR})
    target_compile_options(${CHAPTER}_pop3_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${CHAPTER}_pop3_fuzz PRIVATE -fsanitize=fuzzer,address,undefined)
endif()
