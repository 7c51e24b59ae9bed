# Relay: chapter 11 onwards (the chapter the relay chapters 15-20 are cut from; it has every one of
# their tests). The queue, retry schedule and bounces as units; the SMTP client against a scripted
# fake server and real ones; end to end, two mailservers, aiosmtpd, Postfix and dnsmasq on
# 127.0.0.0/8.
mailsteps_topic_test(relay_unit_tests SOURCES relay/bounce_test.cpp relay/queue_entry_test.cpp
    relay/queue_entry_times_test.cpp relay/queue_entry_bounce_test.cpp relay/queue_test.cpp relay/queue_times_test.cpp
    relay/retry_schedule_test.cpp relay/smtp_client_test.cpp relay/smtp_client_refusal_test.cpp
    relay/smtp_client_extensions_test.cpp PROGRAM mailserver)
mailsteps_topic_test(relay_e2e_tests SOURCES relay/relay_client_e2e_test.cpp relay/queue_e2e_test.cpp
    relay/restarts_e2e_test.cpp relay/retries_e2e_test.cpp relay/bounces_e2e_test.cpp relay/relay_control_e2e_test.cpp
    relay/relay_fault_test.cpp dns/dnsmasq.cpp smtp/postfix.cpp SERVER mailserver)
mailsteps_topic_test(relay_hostile_tests SOURCES relay/relay_hostile_test.cpp SERVER mailserver)
