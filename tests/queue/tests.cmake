# The durable queue (chapter 16 onwards): a message that cannot go now waits on disk, under names
# the server makes; dialog scripts against a scripted fake MX, where our server says 250 once the
# message is queued and delivers it in the background.
mailsteps_topic_test(queue_e2e_tests SOURCES relay/queue_e2e_test.cpp dns/dnsmasq.cpp SERVER mailserver)
mailsteps_topic_test(queue_hostile_tests SOURCES relay/relay_hostile_test.cpp SERVER mailserver)
mailsteps_mx_dialogs()
