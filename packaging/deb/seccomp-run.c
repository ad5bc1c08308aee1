/* seccomp-run: runs a command under a system call allow list: the test's
 * stand-in for the unit's SystemCallFilter= where systemd is not PID 1
 * (packaging/deb/test.sh). The caller sets no_new_privs first (setpriv).
 *   seccomp-run LISTFILE COMMAND [ARG...]
 * LISTFILE holds one system call name a line; names this architecture does
 * not have are skipped. Any other call kills the process (SIGSYS): stricter
 * than the unit's SystemCallErrorNumber=EPERM, so a call missing from the
 * list shows as a dead server instead of a quiet failure.
 * Exit: 2 on bad usage or a filter that cannot be loaded; else exec's. */
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: seccomp-run LISTFILE COMMAND [ARG...]\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx) {
		fprintf(stderr, "seccomp-run: seccomp_init failed\n");
		return 2;
	}
	char name[128];
	int allowed = 0;
	while (fgets(name, sizeof name, f)) {
		name[strcspn(name, " \t\r\n")] = 0;
		if (!*name)
			continue;
		int nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR || nr < 0)
			continue; /* not a system call of this architecture */
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) == 0)
			allowed++;
	}
	fclose(f);
	if (seccomp_load(ctx)) {
		fprintf(stderr, "seccomp-run: cannot load the filter (no_new_privs not set?)\n");
		return 2;
	}
	seccomp_release(ctx);
	fprintf(stderr, "seccomp-run: %d system calls allowed\n", allowed);
	execv(argv[2], argv + 2);
	perror(argv[2]);
	return 2;
}
