# Accounts: chapter 21 onwards. The users file (address:hash lines) read and re-read when it
# changes, and SMTP refusing unknown local users once the file lists accounts.
mailsteps_topic_test(accounts_unit_tests SOURCES accounts/users_test.cpp)
mailsteps_dialogs(SERVER mailserver PROTOCOL smtp)
mailsteps_topic_test(accounts_e2e_tests SOURCES accounts/accounts_e2e_test.cpp SERVER mailserver)
