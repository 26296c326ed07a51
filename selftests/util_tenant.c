// SPDX-License-Identifier: GPL-2.0
/*
 * Selftest tenants: /proc/shmbus/regions by column, stats, and peer
 * processes that create regions as another user or namespace.  See util.h.
 */
#define _GNU_SOURCE
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "util.h"

/* ---- Tenants: /proc/shmbus/regions by column, stats, peers ---- */

__u64 shmbus_ns_inode(const char *type)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", type);
	return stat(path, &st) ? 0 : st.st_ino;
}

int shmbus_touch_first_page(int fd)
{
	char *p = mmap(NULL, page_size(), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	p[0] = 1;
	return munmap(p, page_size()) ? -errno : 0;
}

/* Split @line in place at whitespace: the number of words (at most @max). */
static int split_words(char *line, char **words, int max)
{
	char *save, *w;
	int n = 0;

	for (w = strtok_r(line, " \t\n", &save); w && n < max;
	     w = strtok_r(NULL, " \t\n", &save))
		words[n++] = w;
	return n;
}

static int column_of(char **header, int n, const char *column)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(header[i], column))
			return i;
	return -1;
}

int shmbus_regions_open(struct shmbus_regions_file *rf)
{
	rf->f = fopen(SHMBUS_REGIONS, "re");
	if (!rf->f)
		return -errno;
	if (!fgets(rf->header_line, sizeof(rf->header_line), rf->f)) {
		fclose(rf->f);
		return -ENODATA;
	}
	rf->nr_header = split_words(rf->header_line, rf->header, SHMBUS_REGIONS_FIELDS);
	return 0;
}

int shmbus_regions_next(struct shmbus_regions_file *rf)
{
	if (!fgets(rf->line, sizeof(rf->line), rf->f))
		return 0;
	rf->nr_row = split_words(rf->line, rf->row, SHMBUS_REGIONS_FIELDS);
	return 1;
}

const char *shmbus_regions_field(struct shmbus_regions_file *rf, const char *column)
{
	int i = column_of(rf->header, rf->nr_header, column);

	return i >= 0 && i < rf->nr_row ? rf->row[i] : NULL;
}

int shmbus_regions_lookup(__u64 id, const char *column, char *value, size_t len)
{
	struct shmbus_regions_file rf;
	const char *v;
	int ret = shmbus_regions_open(&rf);

	if (ret)
		return ret;
	ret = -ENOENT;
	while (shmbus_regions_next(&rf)) {
		v = shmbus_regions_field(&rf, "id");
		if (!v || strtoull(v, NULL, 10) != id)
			continue;
		v = shmbus_regions_field(&rf, column);
		ret = v ? 0 : -ENODEV;
		if (v)
			snprintf(value, len, "%s", v);
		break;
	}
	fclose(rf.f);
	return ret;
}

int shmbus_regions_lists_id(__u64 id)
{
	char value[32];
	int ret = shmbus_regions_lookup(id, "id", value, sizeof(value));

	return ret == -ENOENT ? 0 : ret ? ret : 1;
}

const char *const shmbus_stat_names[SHMBUS_NR_STATS] = {
	"regions", "pages", "bytes", "all_regions", "all_pages", "all_bytes",
};

/* The peer's own bookkeeping: its names are "prefix-0" .. "prefix-(made-1)". */
struct peer_state {
	char prefix[SHMBUS_NAME_MAX];
	int made;
	int anon_fds[8];
	int nr_anon;
};

void shmbus_peer_name(char *name, const char *prefix, int n)
{
	snprintf(name, SHMBUS_NAME_MAX, "%.40s-%d", prefix, n);
}

static void peer_create(struct shmbus_peer_page *pg, struct peer_state *st)
{
	char name[SHMBUS_NAME_MAX];
	struct shmbus_info info;
	int fd;

	snprintf(st->prefix, sizeof(st->prefix), "%s", pg->name);
	for (pg->created = 0, pg->err = 0; pg->created < pg->max; pg->created++) {
		shmbus_peer_name(name, st->prefix, st->made);
		fd = shmbus_open_bound(name, pg->size,
				       SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL, 0600);
		if (fd < 0) {
			pg->err = -fd;
			return;
		}
		st->made++;
		if (!region_info(fd, &info))
			pg->id = info.id;
		if (pg->touch)
			shmbus_touch_first_page(fd);
		close(fd);
	}
}

static void peer_unlink_own(struct peer_state *st)
{
	char name[SHMBUS_NAME_MAX];
	int n;

	for (n = 0; n < st->made; n++) {
		shmbus_peer_name(name, st->prefix, n);
		shmbus_unlink(name);
	}
}

static void peer_unlink(struct shmbus_peer_page *pg)
{
	pg->err = -shmbus_unlink_ns(pg->name, pg->ns);
}

static void peer_run(struct shmbus_peer_page *pg, struct peer_state *st, char cmd)
{
	struct shmbus_bind b = { .size = page_size(), .flags = SHMBUS_BIND_CREATE,
				 .mode = 0600 };
	int fd, i;

	switch (cmd) {
	case SHMBUS_PEER_CREATE:
		peer_create(pg, st);
		break;
	case SHMBUS_PEER_BIND_ANON:
		fd = shmbus_open_device();
		pg->err = -(fd < 0 ? fd : shmbus_bind(fd, &b));
		pg->id = b.id;
		if (fd >= 0 && st->nr_anon < (int)(sizeof(st->anon_fds) / sizeof(st->anon_fds[0])))
			st->anon_fds[st->nr_anon++] = fd;
		break;
	case SHMBUS_PEER_PROBE:
		fd = shmbus_open_bound(pg->name, 0, SHMBUS_BIND_RDONLY, 0);
		pg->err = fd < 0 ? -fd : 0;
		if (fd >= 0)
			close(fd);
		break;
	case SHMBUS_PEER_UNLINK:
		peer_unlink(pg);
		break;
	case SHMBUS_PEER_UNLINK_OWN:
		peer_unlink_own(st);
		break;
	case SHMBUS_PEER_STATS:
		for (i = 0; i < SHMBUS_NR_STATS; i++)
			pg->stats[i] = shmbus_stat(shmbus_stat_names[i]);
		break;
	case SHMBUS_PEER_LISTS:
		pg->listed = shmbus_regions_lists_id(pg->id);
		break;
	}
}

/*
 * Close every inherited descriptor but stdio and @p's pipes: a peer holding
 * another peer's pipe would keep that one from ever seeing its end.
 */
static void close_inherited(struct shmbus_peer *p)
{
	long fd, max = sysconf(_SC_OPEN_MAX);

	for (fd = 3; fd < max && fd < 65536; fd++)
		if (fd != p->cmd && fd != p->ack)
			close(fd);
}

/* The peer's life: set up, then serve commands until the test closes the pipe. */
static void __attribute__((noreturn)) peer_main(struct shmbus_peer *p, int (*prepare)(void))
{
	struct peer_state st = { .nr_anon = 0 };
	char c = 'R';

	close_inherited(p);
	if (prepare && prepare())
		c = 'F';
	p->page->my_ns = shmbus_ns_inode("ipc");
	if (write(p->ack, &c, 1) != 1 || c == 'F')
		_exit(1);
	while (read(p->cmd, &c, 1) == 1) {
		peer_run(p->page, &st, c);
		if (write(p->ack, &c, 1) != 1)
			break;
	}
	peer_unlink_own(&st);
	while (st.nr_anon)
		close(st.anon_fds[--st.nr_anon]);
	_exit(0);
}

int shmbus_peer_start(struct shmbus_peer *p, int (*prepare)(void))
{
	int to_peer[2], to_test[2];
	char c;

	p->page = mmap(NULL, sizeof(*p->page), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p->page == MAP_FAILED) {
		p->page = NULL;
		return -1;
	}
	if (pipe2(to_peer, O_CLOEXEC) || pipe2(to_test, O_CLOEXEC))
		return -1;
	p->pid = fork();
	if (p->pid < 0)
		return -1;
	if (!p->pid) {
		close(to_peer[1]);
		close(to_test[0]);
		p->cmd = to_peer[0];
		p->ack = to_test[1];
		peer_main(p, prepare);
	}
	close(to_peer[0]);
	close(to_test[1]);
	p->cmd = to_peer[1];
	p->ack = to_test[0];
	return read(p->ack, &c, 1) == 1 && c == 'R' ? 0 : -1;
}

int shmbus_peer_do(struct shmbus_peer *p, enum shmbus_peer_cmd cmd)
{
	char c = cmd;

	if (write(p->cmd, &c, 1) != 1 || read(p->ack, &c, 1) != 1)
		return -1;
	return 0;
}

int shmbus_peer_create_regions(struct shmbus_peer *p, const char *prefix, __u64 size, int max)
{
	snprintf(p->page->name, sizeof(p->page->name), "%s", prefix);
	p->page->size = size;
	p->page->max = max;
	return shmbus_peer_do(p, SHMBUS_PEER_CREATE);
}

void shmbus_peer_stop(struct shmbus_peer *p)
{
	char c;

	if (!p->page)
		return;
	if (p->pid > 0) {
		close(p->cmd);
		while (read(p->ack, &c, 1) > 0)
			;
		close(p->ack);
		waitpid(p->pid, NULL, 0);
	}
	munmap(p->page, sizeof(*p->page));
	p->page = NULL;
}
