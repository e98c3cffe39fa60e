/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fail-nth sweeps: run a scenario of uAPI calls again and again, making the
 * Nth fault-injection point the kernel meets fail, for N = 1, 2, ... until
 * the scenario runs without meeting an injected failure.
 *
 * On a kernel with fault injection (CONFIG_FAULT_INJECTION with FAILSLAB,
 * FAIL_PAGE_ALLOC and FAULT_INJECTION_USERCOPY), writing N to
 * /proc/thread-self/fail-nth makes the Nth injection point met by this
 * thread fail; reading it back gives 0 once the failure was injected and
 * the remaining count otherwise.  The driver sets the injection
 * attributes so that sleeping allocations fail too.  On other kernels the
 * file does not exist and a sweep reports SKIP.
 *
 * A scenario returns 0 when every call succeeded, or the negative errno of
 * the first call that failed, after releasing everything it created.  A
 * scenario that cannot run at all (it needs the conformance test interface
 * and there is none) returns -ENODEV on its first, uninjected run, and the
 * sweep is skipped.  It
 * must not log or assert while injection is armed (any system call may be
 * the one that fails); it checks its own invariants and returns -EBADE
 * when one is broken.  After each injected run the sweep checks that:
 *  - a failed call failed with ENOMEM or EFAULT, the errors of a failed
 *    allocation and a failed user copy (REQ-ERR-RESOURCE);
 *  - the same scenario then runs cleanly, so nothing was left behind that
 *    changes later behaviour (REQ-ARG-NOCHANGE).
 * Kernel reports (KASAN, lockdep, WARN) and leaks (kmemleak, scanned after
 * the run) are caught by the driver.
 */
#ifndef IOASID_FAIL_NTH_H
#define IOASID_FAIL_NTH_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "ioasid_test.h"

/* More injection points than any scenario meets: a sweep that reaches
 * this bound is reported as a failure rather than looping for ever. */
#define FAIL_NTH_MAX	10000

typedef int (*fail_nth_scenario_t)(void);

static inline int fail_nth_write(int fd, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(fd, buf, len, 0) == len ? 0 : -errno;
}

/*
 * Disarm injection and tell whether a failure was injected since it was
 * armed.  Reading the file is itself a user copy that may be the injection
 * point; if it fails that way, the scenario did not meet the failure.
 */
static inline bool fail_nth_disarm(int fd)
{
	char buf[16];
	ssize_t len = pread(fd, buf, sizeof(buf) - 1, 0);

	if (len <= 0)
		return false;	/* the read itself took the failure */
	buf[len] = '\0';
	if (strtoul(buf, NULL, 10) == 0)
		return true;
	/*
	 * Still armed: writing 0 disarms it.  If that write's own user copy
	 * takes the failure instead, the count has run out all the same.
	 */
	fail_nth_write(fd, 0);
	return false;
}

static inline void fail_nth_sweep(struct __test_metadata *_metadata,
				  const char *name,
				  fail_nth_scenario_t scenario)
{
	unsigned int n, injected = 0;
	int fd, ret;

	fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		SKIP(return, "no fault injection on this kernel (/proc/thread-self/fail-nth: %s)",
		     strerror(errno));

	ret = scenario();
	if (ret == -ENODEV)
		SKIP(return, "%s: needs the conformance test interface", name);
	ASSERT_EQ(0, ret) TH_LOG("%s fails without injection", name);
	for (n = 1; n <= FAIL_NTH_MAX; n++) {
		ASSERT_EQ(0, fail_nth_write(fd, n));
		ret = scenario();
		if (!fail_nth_disarm(fd)) {
			ASSERT_EQ(0, ret)
				TH_LOG("%s: no failure injected at %u, yet it failed: %s",
				       name, n, strerror(-ret));
			break;
		}
		injected++;
		if (ret) {
			ASSERT_TRUE(ret == -ENOMEM || ret == -EFAULT)
				TH_LOG("%s: injected failure %u gave %s",
				       name, n, strerror(-ret));
		}
		ASSERT_EQ(0, scenario())
			TH_LOG("%s: does not recover after injected failure %u",
			       name, n);
	}
	ASSERT_GE(FAIL_NTH_MAX, n) TH_LOG("%s: sweep did not end", name);
	ksft_print_msg("FAIL-NTH: %s %u injected\n", name, injected);
	close(fd);
}

/*
 * FAIL_NTH_TEST(name, "REQ-..., ...") { scenario body returning 0 or -errno }
 */
#define FAIL_NTH_TEST(name, reqs)					\
	static int fail_nth_scenario_##name(void);			\
	TEST(fail_nth_##name)						\
	{								\
		ksft_print_msg("REQ: %s\n", reqs);			\
		fail_nth_sweep(_metadata, #name,			\
			       fail_nth_scenario_##name);		\
	}								\
	static int fail_nth_scenario_##name(void)

#endif /* IOASID_FAIL_NTH_H */
