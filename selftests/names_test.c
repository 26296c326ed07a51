// SPDX-License-Identifier: GPL-2.0
/*
 * Region names hold only the bytes 0x21..0x7e other than '/': no space,
 * control character, DEL or byte above 0x7f, so that a name printed in
 * /proc/shmbus/regions or fdinfo can never forge a line or a column.  BIND
 * (creating or not) and UNLINK of a name with any other byte are EINVAL.
 */
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <linux/shmbus.h>

#include "kselftest_harness.h"
#include "util.h"

#define REGION_SIZE	4096
#define REPORT_LEN	1024
#define MAX_NOTED	8	/* unexpected answers a report shows */

/* Where a test puts the byte under test in a name. */
enum { AT_START, AT_MIDDLE, AT_END, NR_PLACES };

static const char *const place_names[NR_PLACES] = { "start", "middle", "end" };

/* Is @c a byte a name may never hold (NUL ends the name, '/' is tested apart)? */
static int forbidden_byte(int c)
{
	return (c >= 0x01 && c <= 0x20) || c >= 0x7f;
}

/* A name unique to this process with byte @c at @place. */
static void name_with_byte(char *name, int c, int place)
{
	char base[32];

	snprintf(base, sizeof(base), "nm%d", (int)getpid());
	switch (place) {
	case AT_START:
		snprintf(name, SHMBUS_NAME_MAX, "%c%s", c, base);
		break;
	case AT_MIDDLE:
		snprintf(name, SHMBUS_NAME_MAX, "%s%cx", base, c);
		break;
	default:
		snprintf(name, SHMBUS_NAME_MAX, "%sx%c", base, c);
		break;
	}
}

/* Append " 0xNN@place:answer" to the report, up to MAX_NOTED entries. */
static void note(char *report, int nr_noted, int c, int place, int ret)
{
	size_t len = strlen(report);

	if (nr_noted < MAX_NOTED)
		snprintf(report + len, REPORT_LEN - len, " %#04x@%s:%s", c,
			 place_names[place], ret >= 0 ? "success" : strerror(-ret));
	else if (nr_noted == MAX_NOTED)
		snprintf(report + len, REPORT_LEN - len, " ...");
}

/*
 * Call @try on every forbidden byte at every place: the number of answers
 * other than -EINVAL, each noted in @report.
 */
static int count_not_einval(int (*try)(const char *name), char *report)
{
	char name[SHMBUS_NAME_MAX];
	int c, place, ret, bad = 0;

	report[0] = '\0';
	for (c = 1; c <= 0xff; c++) {
		if (!forbidden_byte(c))
			continue;
		for (place = 0; place < NR_PLACES; place++) {
			name_with_byte(name, c, place);
			ret = try(name);
			if (ret != -EINVAL)
				note(report, bad++, c, place, ret);
		}
	}
	return bad;
}

/* BIND with @flags on a new handle: 0 or -errno; a region it made is undone. */
static int bind_and_undo(const char *name, __u32 flags)
{
	__u64 size = flags & SHMBUS_BIND_CREATE ? REGION_SIZE : 0;
	int fd = shmbus_open_bound(name, size, flags, 0600);

	if (fd < 0)
		return fd;
	close(fd);
	if (flags & SHMBUS_BIND_CREATE)
		shmbus_unlink(name);
	return 0;
}

static int try_create(const char *name)
{
	return bind_and_undo(name, SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL);
}

static int try_open(const char *name)
{
	return bind_and_undo(name, 0);
}

static int try_unlink(const char *name)
{
	return shmbus_unlink(name);
}

/* BIND with CREATE of a name holding a forbidden byte is EINVAL: nothing is made. */
TEST(bind_create_forbidden_byte_einval)
{
	char report[REPORT_LEN];

	EXPECT_EQ(0, count_not_einval(try_create, report)) TH_LOG("not EINVAL:%s", report);
}

/* BIND without CREATE of a name holding a forbidden byte is EINVAL. */
TEST(bind_open_forbidden_byte_einval)
{
	char report[REPORT_LEN];

	EXPECT_EQ(0, count_not_einval(try_open, report)) TH_LOG("not EINVAL:%s", report);
}

/* UNLINK of a name holding a forbidden byte is EINVAL. */
TEST(unlink_forbidden_byte_einval)
{
	char report[REPORT_LEN];

	EXPECT_EQ(0, count_not_einval(try_unlink, report)) TH_LOG("not EINVAL:%s", report);
}

/*
 * Every allowed byte is accepted, and a name is listed as it is: names
 * "nmPID-" followed by runs of the bytes 0x21..0x7e other than '/'.
 */
TEST(bind_accepts_every_allowed_byte)
{
	char name[SHMBUS_NAME_MAX], report[REPORT_LEN] = "";
	int c = 0x21, fd, len, bad = 0;

	while (c <= 0x7e) {
		len = snprintf(name, sizeof(name), "nm%d-", (int)getpid());
		for (; c <= 0x7e && len < SHMBUS_NAME_MAX - 1; c++)
			if (c != '/')
				name[len++] = c;
		name[len] = '\0';
		fd = shmbus_open_bound(name, REGION_SIZE,
				       SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, 0600);
		if (fd < 0 || shmbus_regions_lists(name) != 1)
			note(report, bad++, name[len - 1], AT_END, fd);
		if (fd >= 0) {
			close(fd);
			shmbus_unlink(name);
		}
	}
	EXPECT_EQ(0, bad) TH_LOG("refused or not listed as made, by last byte:%s", report);
}

/* The number of whitespace-separated fields of @line. */
static int nr_fields(const char *line)
{
	char copy[512], *save, *w;
	int n = 0;

	snprintf(copy, sizeof(copy), "%s", line);
	for (w = strtok_r(copy, " \t\n\r\v\f", &save); w; w = strtok_r(NULL, " \t\n\r\v\f", &save))
		n++;
	return n;
}

/* Names that would forge a line or a column if they were accepted and printed raw. */
static const char *const hostile[] = {
	"%s forged 4096 0 0 0 0 666 0 0 0 -",
	"%s\n1 forged 4096 0 0 0 0 666 0 0 0 -",
	"%s\tx", "%s\rx", "%s\vx", "%s\fx", "%s\x1b[2Kx", "%s\x7fx",
};

/* A region the test tried to create, and the fd of the handle that made it. */
struct attempt {
	char name[SHMBUS_NAME_MAX];
	int fd;
};

/* Try to create a region named @fmt with @base for its %s. */
static void attempt_create(struct attempt *a, const char *fmt, const char *base)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(a->name, sizeof(a->name), fmt, base);
#pragma GCC diagnostic pop
	a->fd = shmbus_open_bound(a->name, REGION_SIZE,
				  SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, 0600);
}

/* Not inlined: GCC's -Wformat-truncation then takes a->name for the whole array. */
static void __attribute__((noinline)) attempt_undo(struct attempt *a)
{
	if (a->fd < 0)
		return;
	close(a->fd);
	shmbus_unlink(a->name);
}

/*
 * Lines of /proc/shmbus/regions whose number of fields is not the header's
 * (some logged), or -1 if the file cannot be read.
 */
static int count_misshapen_lines(struct __test_metadata *_metadata)
{
	FILE *f = fopen(SHMBUS_REGIONS, "re");
	int header = -1, n, bad = 0;
	char line[512];

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		n = nr_fields(line);
		if (header < 0)
			header = n;
		else if (n != header && bad++ < 4)
			TH_LOG("%d fields, header %d: %s", n, header, line);
	}
	fclose(f);
	return header > 0 ? bad : -1;
}

/*
 * Every line of /proc/shmbus/regions has as many fields as its header, even
 * after binds of names holding whitespace and control characters.
 */
TEST(regions_lines_keep_header_field_count)
{
	struct attempt tries[ARRAY_SIZE(hostile) + 1];
	unsigned int i;
	char base[32];
	int bad;

	snprintf(base, sizeof(base), "nm%d", (int)getpid());
	attempt_create(&tries[0], "%s", base);
	for (i = 0; i < ARRAY_SIZE(hostile); i++)
		attempt_create(&tries[i + 1], hostile[i], base);
	bad = count_misshapen_lines(_metadata);
	for (i = 0; i < ARRAY_SIZE(tries); i++)
		attempt_undo(&tries[i]);
	ASSERT_LE(0, tries[0].fd) TH_LOG("cannot create %s", base);
	ASSERT_LE(0, bad) TH_LOG("cannot read " SHMBUS_REGIONS);
	EXPECT_EQ(0, bad);
}

TEST_HARNESS_MAIN
