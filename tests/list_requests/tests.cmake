# Requests by mail: chapter 35 onwards. The command in a Subject: and the subscribe and
# unsubscribe round trips with their tokens (unit tests); the real server answering smtplib, the
# confirmations found in a Maildir and at aiosmtpd and answered, as a person would.
mailsteps_topic_test(list_requests_unit_tests SOURCES list_requests/list_requests_test.cpp)
mailsteps_topic_test(list_requests_e2e_tests SOURCES list_requests/list_requests_e2e_test.cpp dns/dnsmasq.cpp
    SERVER mailserver)
