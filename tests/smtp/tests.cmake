# The SMTP dialogue (chapter 05 onwards): unit tests of the command line parser, dialog scripts,
# and the chapter's server end to end: the state machine, its limits, timeouts and shutdown.
mailsteps_topic_test(smtp_unit_tests SOURCES smtp/smtp_command_test.cpp)
mailsteps_dialogs(SERVER mailserver PROTOCOL smtp)
mailsteps_topic_test(smtp_e2e_tests SOURCES smtp/smtp_session_test.cpp smtp/smtp_e2e_test.cpp SERVER mailserver)
