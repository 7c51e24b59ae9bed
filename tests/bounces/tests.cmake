# Bounces and loops (chapter 19 onwards): the DSN and the envelope's failures as units; bounces,
# loops and Postfix's refusals end to end (dnsmasq, fake_mx.py, Postfix on 127.0.0.0/8); dialog
# scripts against a scripted fake MX.
mailsteps_topic_test(bounces_unit_tests SOURCES relay/bounce_test.cpp relay/queue_entry_bounce_test.cpp
    PROGRAM mailserver)
mailsteps_topic_test(bounces_e2e_tests SOURCES relay/bounces_e2e_test.cpp dns/dnsmasq.cpp smtp/postfix.cpp
    SERVER mailserver)
mailsteps_mx_dialogs()
