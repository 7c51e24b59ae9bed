# STARTTLS (chapter 27 onwards): the certificate the server makes or is given, and SMTP over
# TLS with real clients that verify it, and with hostile ones.
mailsteps_topic_test(starttls_e2e_tests SOURCES starttls/starttls_e2e_test.cpp starttls/certificate_test.cpp
    SERVER mailserver)
