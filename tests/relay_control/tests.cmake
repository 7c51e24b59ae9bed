# Relay control (chapter 19 onwards): faults, shutdown and the attempt's time limit end to end,
# and dialog scripts against a scripted fake MX.
mailsteps_topic_test(relay_control_e2e_tests SOURCES relay/relay_fault_test.cpp dns/dnsmasq.cpp SERVER mailserver)
mailsteps_mx_dialogs()
