# DNS messages: chapter 11 onwards. The parser on the captured packets of tests/dns/packets/ and
# on hostile ones; queries built and parsed back.
mailsteps_topic_test(dns_message_tests SOURCES dns_messages/dns_message_test.cpp)
