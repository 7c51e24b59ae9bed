# Bounces of a list's posts: chapter 36 onwards. Failed recipients read from DSNs in Postfix's
# form and the relay's own, and the count over days (unit tests); the real server counting the
# relay's DSN for a member aiosmtpd refuses, and a Postfix-form DSN from smtplib removing one.
mailsteps_topic_test(list_bounces_unit_tests SOURCES list_bounces/list_bounces_test.cpp)
mailsteps_topic_test(list_bounces_e2e_tests SOURCES list_bounces/list_bounces_e2e_test.cpp dns/dnsmasq.cpp
    SERVER mailserver)
