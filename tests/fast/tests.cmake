# Making it fast (chapter 26): file work and crypt(3) on disk threads, and what run() promises
# about them; sizes in Maildir names, written at delivery and read by the maildrop; answers to
# pipelined commands written together.
mailsteps_topic_test(server_disk_tests SOURCES fast/server_disk_test.cpp)
mailsteps_topic_test(maildir_names_tests SOURCES fast/maildir_names_test.cpp fast/maildrop_sizes_test.cpp)
mailsteps_topic_test(fast_e2e_tests SOURCES fast/pop3_login_test.cpp fast/burst_kill_test.cpp SERVER mailserver)
mailsteps_topic_test(write_soon_tests SOURCES fast/write_soon_test.cpp)
