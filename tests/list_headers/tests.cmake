# A list's posts: chapter 34 onwards. The List-* headers and the loop check (unit tests); the
# real server with smtplib and poplib: the headers in the members' copies, members-only lists,
# posts that have been through the list before, lists among their own members.
mailsteps_topic_test(list_headers_unit_tests SOURCES list_headers/list_post_test.cpp)
mailsteps_topic_test(list_headers_e2e_tests SOURCES list_headers/list_headers_e2e_test.cpp dns/dnsmasq.cpp
    SERVER mailserver)
