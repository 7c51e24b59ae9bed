# Relay control (chapter 20 onwards): the SMTP client against a scripted fake server and real
# ones (EHLO extensions, HELO fallback), faults, shutdown and the attempt's time limit end to
# end, and dialog scripts against a scripted fake MX.
mailsteps_topic_test(relay_control_unit_tests SOURCES relay/smtp_client_test.cpp PROGRAM mailserver)
mailsteps_topic_test(relay_control_e2e_tests SOURCES relay/relay_fault_test.cpp dns/dnsmasq.cpp SERVER mailserver)
mailsteps_mx_dialogs()
