/*
 * test_statelock.c — one holder per state directory.
 */
#include "appliance/store/statelock.h"
#include "tap.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
	char dir[] = "/tmp/ferry-statelock-XXXXXX", sub[128], want[512], lockf[160], buf[64];
	struct statelock *a = NULL, *b = NULL;
	struct ferr err;
	int busy = -1;
	FILE *fp;

	ok(mkdtemp(dir) != NULL, "a scratch directory");
	snprintf(sub, sizeof(sub), "%s/state/deeper", dir);
	snprintf(lockf, sizeof(lockf), "%s/ferry.lock", sub);

	ok(statelock_take(sub, &a, &busy, &err) == 0,
	   "the first taker locks (creating the directory)");
	is_int(busy, 0, "and is not told busy");
	fp = fopen(lockf, "r");
	ok(fp && fgets(buf, sizeof(buf), fp), "the lock file holds a line");
	if (fp)
		fclose(fp);
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	is(buf, want, "the holder's pid");

	/* flock locks belong to an open file description: a second open in
	 * the same process conflicts as another process would */
	ok(statelock_take(sub, &b, &busy, &err) == -1, "a second taker is refused");
	is_int(busy, 1, "as busy");
	snprintf(want, sizeof(want),
		 "state directory %s is in use by another ferryd (pid %ld holds %s)", sub,
		 (long)getpid(), lockf);
	is(err.msg, want, "naming the directory, the holder's pid and the lock file");

	statelock_release(a);
	ok(access(lockf, F_OK) == 0, "release leaves the file");
	ok(statelock_take(sub, &b, &busy, &err) == 0, "once released, the next one locks");
	statelock_release(b);
	statelock_release(NULL);

	ok(statelock_take("/proc/ferry-no/state", &a, &busy, &err) == -1,
	   "an uncreatable directory");
	is_int(busy, 0, "is not busy");
	like(err.msg, "cannot create /proc/ferry-no", "and names the directory");

	unlink(lockf);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/state", dir);
	rmdir(sub);
	rmdir(dir);
	return done_testing();
}
