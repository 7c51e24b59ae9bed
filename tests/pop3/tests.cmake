# POP3 and accounts: chapter 05 onwards. Unit tests of the command parser, the message text
# on the way out, the maildrop and the users file; dialog scripts; end-to-end tests with
# real clients (Python's poplib, curl, fetchmail).
mailsteps_topic_test(pop3_unit_tests SOURCES pop3/pop3_command_test.cpp pop3/pop3_data_test.cpp
    pop3/maildrop_test.cpp pop3/users_test.cpp)
mailsteps_dialogs(PROGRAM mailserver PROTOCOL pop3)
mailsteps_topic_test(pop3_e2e_tests SOURCES pop3/pop3_e2e_test.cpp PROGRAM mailserver)
mailsteps_topic_test(pop3_clients_tests SOURCES pop3/pop3_clients_test.cpp PROGRAM mailserver)
