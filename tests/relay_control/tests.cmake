# Relay control (chapter 20 onwards): the SMTP client's EHLO extensions and HELO fallback against
# a scripted server and aiosmtpd; 8BITMIME, crash safety around QUIT, faults (a full disk, a bad
# name server), shutdown and the attempt's time limit end to end; dialog scripts against a
# scripted fake MX.
mailsteps_topic_test(relay_control_unit_tests SOURCES relay/smtp_client_extensions_test.cpp PROGRAM mailserver)
mailsteps_topic_test(relay_control_e2e_tests SOURCES relay/relay_control_e2e_test.cpp relay/relay_fault_test.cpp
    dns/dnsmasq.cpp SERVER mailserver)
mailsteps_mx_dialogs()
