# POP3 over TLS (chapter 29 onwards): the STLS command, and STLS and the pop3s port end to end
# with real clients that verify the certificate, the rule for passwords outside TLS, and
# hostile clients.
mailsteps_topic_test(pop3_tls_unit_tests SOURCES pop3_tls/stls_command_test.cpp)
mailsteps_topic_test(pop3_tls_e2e_tests SOURCES pop3_tls/pop3_tls_e2e_test.cpp SERVER mailserver)
