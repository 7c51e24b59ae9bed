# Retries (chapter 18 onwards): the retry schedule, the envelope's times, the client's refusal to
# talk as units; the next MX host and retries end to end; dialog scripts against a scripted
# fake MX.
mailsteps_topic_test(retries_unit_tests SOURCES relay/retry_schedule_test.cpp relay/queue_entry_times_test.cpp
    relay/queue_times_test.cpp relay/smtp_client_refusal_test.cpp PROGRAM mailserver)
mailsteps_topic_test(retries_e2e_tests SOURCES relay/retries_e2e_test.cpp dns/dnsmasq.cpp SERVER mailserver)
mailsteps_mx_dialogs()
