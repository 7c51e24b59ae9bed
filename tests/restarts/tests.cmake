# Restarts (chapter 17 onwards): the envelope file read back strictly, Queue::load() and its
# quarantine, kill -9 and restarts end to end, and messages for local and remote recipients at
# once, as dialog scripts against a scripted fake MX.
mailsteps_topic_test(restarts_unit_tests SOURCES relay/queue_entry_test.cpp relay/queue_test.cpp PROGRAM mailserver)
mailsteps_topic_test(restarts_e2e_tests SOURCES relay/restarts_e2e_test.cpp dns/dnsmasq.cpp SERVER mailserver)
mailsteps_mx_dialogs()
