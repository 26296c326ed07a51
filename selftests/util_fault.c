// SPDX-License-Identifier: GPL-2.0
/*
 * Selftest fault injection: fail-nth, failslab, fail_page_alloc and
 * fail_usercopy knobs.  See util.h.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "util.h"

/* ---- Fault injection: fail-nth, failslab, fail_page_alloc, fail_usercopy ---- */

const struct shmbus_fi_knob shmbus_fi_knobs[SHMBUS_FI_NR_KNOBS] = {
	{ "failslab/ignore-gfp-wait", "N" },
	{ "failslab/verbose", "0" },
	{ "failslab/probability", "0" },
	{ "failslab/interval", "1" },
	{ "failslab/times", "-1" },
	{ "failslab/space", "0" },
	{ "failslab/task-filter", "N" },
	{ "fail_page_alloc/ignore-gfp-wait", "N" },
	{ "fail_page_alloc/ignore-gfp-highmem", "N" },
	{ "fail_page_alloc/min-order", "0" },
	{ "fail_page_alloc/verbose", "0" },
	{ "fail_page_alloc/probability", "0" },
	{ "fail_page_alloc/interval", "1" },
	{ "fail_page_alloc/times", "-1" },
	{ "fail_page_alloc/space", "0" },
	{ "fail_page_alloc/task-filter", "N" },
	{ "fail_usercopy/verbose", "0" },
	{ "fail_usercopy/probability", "0" },
};

const char *shmbus_fi_unavailable(void)
{
	if (geteuid() != 0)
		return "needs root";
	if (!path_exists(SHMBUS_FAIL_NTH))
		return "no " SHMBUS_FAIL_NTH " (CONFIG_FAULT_INJECTION)";
	if (!path_exists(SHMBUS_FAULTS "failslab") || !path_exists(SHMBUS_FAULTS "fail_page_alloc"))
		return "no " SHMBUS_FAULTS "{failslab,fail_page_alloc} (CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_DEBUG_FS)";
	return NULL;
}

int shmbus_fi_set_knob(const char *name, const char *value)
{
	char path[128];

	snprintf(path, sizeof(path), SHMBUS_FAULTS "%s", name);
	return write_text(path, value);
}

void shmbus_fi_nth_arm(int nth, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(nth, buf, len, 0) != len)
		abort();
}

bool shmbus_fi_nth_fired(int nth)
{
	char buf[16] = "";
	bool fired = pread(nth, buf, sizeof(buf) - 1, 0) > 0 && !strtoul(buf, NULL, 10);

	/* An injected copy of this write leaves the count at 0 as well. */
	if (pwrite(nth, "0", 1, 0) != 1 && errno != EFAULT)
		abort();
	return fired;
}

bool shmbus_fi_injected_ok(long ret, unsigned long long errs)
{
	return ret >= 0 || (-ret < 64 && (errs & (1ULL << -ret)));
}
