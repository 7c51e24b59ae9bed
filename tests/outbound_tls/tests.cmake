# Outbound TLS (chapter 30 onwards): the relay's STARTTLS against the chapter's own server,
# aiosmtpd with working, broken and refused TLS, and Postfix with a certificate (which needs
# root, as every private Postfix does: without it that test skips).
mailsteps_topic_test(outbound_tls_e2e_tests SOURCES outbound_tls/outbound_tls_e2e_test.cpp dns/dnsmasq.cpp
    smtp/postfix.cpp SERVER mailserver)
