/*
 * Test helper: run a shell command and collect what it prints (for the CLI
 * and example programs, driven end to end).
 */
#ifndef TSK_TEST_RUNCMD_H
#define TSK_TEST_RUNCMD_H

/* Run cmd with popen; *out gets its whole stdout, NUL-terminated (caller
 * frees). Returns the exit status, or -1 when it did not exit normally.
 * Fails the running Check test when the command cannot be started. */
int tsk_test_run(const char *cmd, char **out);

#endif
