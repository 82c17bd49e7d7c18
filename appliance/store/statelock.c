/*
 * statelock.c — the state directory's lock file.
 */
#include "appliance/store/statelock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "appliance/log.h"
#include "appliance/store/state.h"

struct statelock {
	int fd;
};

/* The pid the holder wrote, or "" (it may not have written it yet: it
 * locks first, then writes, so a few tries are given). */
static void holder_pid(int fd, char *out, size_t outsz)
{
	for (int tries = 0; tries < 20; tries++) {
		char buf[32];
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		char *end;
		long pid;

		if (n > 0) {
			buf[n] = '\0';
			errno = 0;
			pid = strtol(buf, &end, 10);
			if (errno == 0 && end != buf && pid > 0 && (*end == '\n' || *end == '\0')) {
				snprintf(out, outsz, "%ld", pid);
				return;
			}
		}
		// NOLINTNEXTLINE(bugprone-implicit-widening-of-multiplication-result): 1e7 fits
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000000 }, NULL);
	}
	out[0] = '\0';
}

int statelock_take(const char *dir, struct statelock **out, int *busy, struct ferr *err)
{
	struct statelock *l;
	char path[4096], pid[32];
	int fd, len;

	*busy = 0;
	if (state_dir_create(dir, err))
		return -1;
	if ((size_t)snprintf(path, sizeof(path), "%s/ferry.lock", dir) >= sizeof(path))
		return ferr_set(err, "state directory path is too long");
	/* O_CLOEXEC: a child that inherited the descriptor would hold the lock
	 * after ferryd is gone */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0)
		return ferr_set(err, "%s: cannot open the lock file: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;

		if (e == EWOULDBLOCK) {
			*busy = 1;
			holder_pid(fd, pid, sizeof(pid));
			close(fd);
			if (pid[0])
				return ferr_set(err,
						"state directory %s is in use by another ferryd "
						"(pid %s holds %s)",
						dir, pid, path);
			return ferr_set(err,
					"state directory %s is in use by another ferryd "
					"(a process holds %s)",
					dir, path);
		}
		close(fd);
		return ferr_set(err, "%s: cannot lock: %s", path, strerror(e));
	}
	/* the pid is for the next one's message, the lock is what protects:
	 * on a full file system ferryd starts with the file left empty (the
	 * truncation first, so no earlier holder's pid is left to mislead) */
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	errno = 0;
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len)
		log_warn("%s: cannot write ferryd's pid into it: %s; locked all the same", path,
			 errno ? strerror(errno) : "short write");
	l = malloc(sizeof(*l));
	if (!l) {
		close(fd);
		return ferr_set(err, "out of memory");
	}
	l->fd = fd;
	*out = l; /* the caller owns the lock until statelock_release() */
	return 0;
}

void statelock_release(struct statelock *l)
{
	if (!l)
		return;
	close(l->fd); /* drops the flock */
	free(l);
}
