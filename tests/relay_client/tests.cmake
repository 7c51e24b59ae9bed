# The relay's SMTP client (chapter 15 onwards): the client against a scripted server, aiosmtpd
# and the chapter's own mailserver; relaying end to end (dnsmasq, a second mailserver, Postfix on
# 127.0.0.0/8); dialog scripts played against a scripted fake MX.
mailsteps_topic_test(relay_client_unit_tests SOURCES relay/smtp_client_test.cpp PROGRAM mailserver)
mailsteps_topic_test(relay_client_e2e_tests SOURCES relay/relay_client_e2e_test.cpp dns/dnsmasq.cpp smtp/postfix.cpp
    SERVER mailserver)
mailsteps_mx_dialogs()
