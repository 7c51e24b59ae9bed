# `mailserver user`: chapter 22 onwards. crypt(3) hashes, the users file rewritten under a lock,
# the subcommands on their own and the real binary editing the file of a running server.
mailsteps_topic_test(user_command_unit_tests SOURCES user_command/user_command_test.cpp)
mailsteps_topic_test(user_command_e2e_tests SOURCES user_command/user_command_e2e_test.cpp SERVER mailserver)
