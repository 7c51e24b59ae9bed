# Aliases: chapter 31 onwards. The aliases file read, its loops refused, and where an address
# leads (unit tests); the real server with smtplib, swaks, curl, and aiosmtpd behind the relay.
mailsteps_topic_test(aliases_unit_tests SOURCES aliases/aliases_test.cpp)
mailsteps_topic_test(aliases_e2e_tests SOURCES aliases/aliases_e2e_test.cpp dns/dnsmasq.cpp SERVER mailserver)
