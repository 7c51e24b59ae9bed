# SMTP: chapter 02 onwards. Unit tests of the chapter's parser and DATA handling, the session
# driven in-process, dialog scripts, and end-to-end tests with real clients.
mailsteps_topic_test(smtp_unit_tests SOURCES smtp/smtp_address_test.cpp smtp/smtp_command_test.cpp)
mailsteps_dialogs(PROGRAM mailserver PROTOCOL smtp)
