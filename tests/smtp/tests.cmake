# SMTP: chapter 02 onwards. Unit tests of the chapter's parser and DATA handling, the session
# driven in-process, dialog scripts, and end-to-end tests with real clients.
mailsteps_topic_test(smtp_unit_tests SOURCES smtp/smtp_address_test.cpp smtp/smtp_command_test.cpp
    smtp/smtp_data_test.cpp smtp/smtp_session_test.cpp)
mailsteps_dialogs(PROGRAM mailserver PROTOCOL smtp)
mailsteps_topic_test(smtp_e2e_tests SOURCES smtp/smtp_e2e_test.cpp PROGRAM mailserver)
