/*
 * A fault for tests: loaded with LD_PRELOAD, it makes fsync(2) and fdatasync(2) fail with EIO, as a
 * dying disk or a lost network volume does, on the files whose path contains the text held in the
 * file named by $SMEM_FAULT_FILE (read at every call, so a test turns the fault on and off while
 * the process runs; absent or empty: no fault). Each failed call appends the file's path to
 * $SMEM_FAULT_FILE.log, so a test can tell the fault fired.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reads the text the failing paths contain into `needle`; its length, or 0 when there is no fault. */
static size_t fault_needle(char *needle, size_t size) {
  const char *control = getenv("SMEM_FAULT_FILE");
  if (control == NULL) return 0;
  int fd = open(control, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, needle, size - 1);
  close(fd);
  if (n <= 0) return 0;
  while (n > 0 && (needle[n - 1] == '\n' || needle[n - 1] == '\r')) n--;
  needle[n] = '\0';
  return (size_t)n;
}

/* Appends `path` to $SMEM_FAULT_FILE.log. */
static void log_failure(const char *path) {
  char log[4096];
  snprintf(log, sizeof log, "%s.log", getenv("SMEM_FAULT_FILE"));
  int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return;
  char line[4200];
  int n = snprintf(line, sizeof line, "%s\n", path);
  if (n > 0 && write(fd, line, (size_t)n) < 0) { /* the log is best effort */ }
  close(fd);
}

/* True when `fd`'s file is one the fault names (and then logs it). */
static int fails(int fd) {
  char needle[512];
  if (fault_needle(needle, sizeof needle) == 0) return 0;
  char link[64], path[4096];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n < 0) return 0;
  path[n] = '\0';
  if (strstr(path, needle) == NULL) return 0;
  log_failure(path);
  return 1;
}

typedef int (*sync_call)(int);

/* Fails the sync of `fd` when the fault names its file, else makes it with libc's `name`. */
static int sync_unless_failing(int fd, sync_call *real, const char *name) {
  if (fails(fd)) {
    errno = EIO;
    return -1;
  }
  if (*real == NULL) *real = (sync_call)dlsym(RTLD_NEXT, name);
  return (*real)(fd);
}

int fsync(int fd) {
  static sync_call real;
  return sync_unless_failing(fd, &real, "fsync");
}

int fdatasync(int fd) {
  static sync_call real;
  return sync_unless_failing(fd, &real, "fdatasync");
}
