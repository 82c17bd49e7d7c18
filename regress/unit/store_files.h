/*
 * store_files.h — what the unit tests of the state store share about its
 * files: their size, a limit on how far they may grow (a full disk without
 * root), and removing a test's store (ferry.db, its WAL and shared-memory
 * files) with its directory.
 */
#ifndef FERRY_STORE_FILES_H
#define FERRY_STORE_FILES_H

#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static inline off_t file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? sb.st_size : 0;
}

/* RLIMIT_FSIZE: a write past LIM fails with EFBIG (SIGXFSZ is ignored by
 * the caller). */
static inline int set_fsize(rlim_t lim)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_FSIZE, &rl) != 0)
		return -1;
	rl.rlim_cur = lim;
	return setrlimit(RLIMIT_FSIZE, &rl);
}

/* Removes DIR's store files, then DIR (which must then be empty). */
static inline void store_files_remove(const char *dir)
{
	static const char *const names[] = { "ferry.db", "ferry.db-wal", "ferry.db-shm" };
	char path[4096];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

#endif
