# DATA (chapter 07 onwards): unit tests of SIZE and BODY and of the DATA reader (dot-stuffing,
# the end of data, the limits, SMTP smuggling), dialog scripts, and the same end to end.
mailsteps_topic_test(data_unit_tests SOURCES data/data_command_test.cpp data/smtp_data_test.cpp)
mailsteps_dialogs(SERVER mailserver PROTOCOL smtp)
mailsteps_topic_test(data_e2e_tests SOURCES data/data_e2e_test.cpp SERVER mailserver)
