# Maildir (chapter 08 onwards): unit tests of the Maildir writer, dialog scripts, and end to end
# what lands on disk: from real clients, from a hostile one, under load, and when the disk fails.
# Postfix handing mail over and a really full disk (a tmpfs mounted for the test) need root:
# without it they skip, and the label `root` keeps them apart.
mailsteps_topic_test(maildir_unit_tests SOURCES maildir/maildir_test.cpp)
mailsteps_dialogs(SERVER mailserver PROTOCOL smtp)
mailsteps_topic_test(maildir_e2e_tests SOURCES maildir/maildir_e2e_test.cpp maildir/maildir_hostile_test.cpp
    maildir/maildir_fault_test.cpp SERVER mailserver)
mailsteps_topic_test(maildir_root_tests SOURCES maildir/maildir_postfix_test.cpp maildir/maildir_full_disk_test.cpp
    smtp/postfix.cpp SERVER mailserver LABELS root)
