# Addresses (chapter 06 onwards): unit tests of the path grammar of MAIL FROM and RCPT TO and of
# their parameters, dialog scripts, and which domains are ours, end to end.
mailsteps_topic_test(address_unit_tests SOURCES addresses/smtp_address_test.cpp addresses/address_command_test.cpp)
mailsteps_dialogs(SERVER mailserver PROTOCOL smtp)
mailsteps_topic_test(address_e2e_tests SOURCES addresses/addresses_e2e_test.cpp SERVER mailserver)
