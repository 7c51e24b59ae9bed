# Bounces and loops (chapter 18 onwards): the DSN and the queue's envelope file as units, the
# relay end to end (two mailservers, aiosmtpd, Postfix, dnsmasq on 127.0.0.0/8), hostile
# addresses, and dialog scripts against a scripted fake MX.
mailsteps_topic_test(bounces_unit_tests SOURCES relay/bounce_test.cpp relay/queue_entry_test.cpp relay/queue_test.cpp
    PROGRAM mailserver)
mailsteps_topic_test(bounces_e2e_tests SOURCES relay/relay_e2e_test.cpp dns/dnsmasq.cpp smtp/postfix.cpp
    SERVER mailserver)
mailsteps_topic_test(bounces_hostile_tests SOURCES relay/relay_hostile_test.cpp SERVER mailserver)
mailsteps_mx_dialogs()
