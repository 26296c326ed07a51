// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzzer's operations on handles and regions (fuzz_test, see
 * fuzz_test.c): open and close of /dev/shmbus, BIND with boundary names,
 * sizes, flags and modes, REOPEN, UNLINK, CHMOD, CHOWN and INFO, commands
 * shmbus does not know, known ones with bad pointers, and the lines of
 * /proc/shmbus/regions.  Each result is checked against docs/regions.md.
 */
#define _GNU_SOURCE
#define FUZZ_SRC	SRC_REGION

#include "fuzz.h"

#define NR_SEEN		8192	/* region ids a process remembers */

/* Region ids this process has seen: a region it creates must have a new one. */
static __u64 seen_ids[NR_SEEN];

/* Remember @id; whether it was seen before.  Forgets nothing, stops when full. */
static bool seen(__u64 id)
{
	unsigned int i, h = (id * 0x9e3779b97f4a7c15ULL) >> 51;

	for (i = 0; i < NR_SEEN; i++, h = (h + 1) % NR_SEEN) {
		if (seen_ids[h] == id)
			return true;
		if (!seen_ids[h]) {
			seen_ids[h] = id;
			return false;
		}
	}
	return false;
}

/* A name: from the pool, or empty, unterminated, or with a '/'. */
enum name_kind { NAME_POOL, NAME_EMPTY, NAME_LONG, NAME_SLASH };

static enum name_kind pick_name(struct worker *w, char *name)
{
	unsigned int i = below(w, NR_NAMES);

	memset(name, 0, SHMBUS_NAME_MAX);
	switch (below(w, 20)) {
	case 0:
		return NAME_EMPTY;
	case 1:
		memset(name, 'n', SHMBUS_NAME_MAX);
		return NAME_LONG;
	case 2:
		strcpy(name, w->sh->names[i]);
		name[below(w, strlen(name))] = '/';
		return NAME_SLASH;
	default:
		strcpy(name, w->sh->names[i]);
		return NAME_POOL;
	}
}

static __u64 pick_size(struct worker *w)
{
	__u64 max = w->sh->max_region;
	const __u64 sizes[] = {
		0, 1, 4, pg - 1, pg + 1, 3 * pg, 65536, 1 << 20, max, max + 1,
		1ULL << 40, 1ULL << 63, -(__u64)pg, -1ULL,
	};

	if (one_in(w, 2))
		return pg * (1 + below(w, 4));
	return sizes[below(w, ARRAY_SIZE(sizes))];
}

void op_open(struct worker *w)
{
	static const int modes[] = { O_RDWR, O_RDWR, O_RDWR, O_RDWR, O_RDONLY, O_RDONLY, O_WRONLY };
	struct slot *s = free_slot(w);
	int mode = modes[below(w, ARRAY_SIZE(modes))];
	bool nonblock = one_in(w, 4);
	int fd, err;

	if (!s)
		return;
	fd = open(SHMBUS_DEV, mode | O_CLOEXEC | (nonblock ? O_NONBLOCK : 0));
	err = fd < 0 ? errno : 0;
	CHECK(w, OK | E(EMFILE) | E(ENFILE), err, "open mode %d", mode);
	if (fd < 0)
		return;
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->accmode = mode;
	s->nonblock = nonblock;
}

void op_close(struct worker *w)
{
	struct slot *s = any_slot(w);

	if (!s)
		return;
	if (close(s->fd))
		VIOLATION(w, "close(%d): %s", s->fd, strerror(errno));
	s->fd = -1;
}

/* What a BIND with these arguments may give, in the order of regions.md. */
static errset bind_outcomes(struct worker *w, struct slot *s, struct shmbus_bind *b,
			    enum name_kind kind, bool bad)
{
	bool create = b->flags & SHMBUS_BIND_CREATE;
	bool too_big = b->size > w->sh->max_region;
	errset set = 0;

	if (bad || (b->flags & ~BIND_FLAGS_KNOWN) ||
	    ((b->flags & SHMBUS_BIND_EXCL) && !create) || (create && (b->mode & ~0777)))
		return E(EINVAL);
	if (kind == NAME_LONG)
		return E(ENAMETOOLONG);
	if (kind == NAME_SLASH || (kind == NAME_EMPTY && !create))
		return E(EINVAL);
	if (s->bound)
		return E(EBUSY);
	if (s->accmode == O_WRONLY ||
	    (!(b->flags & SHMBUS_BIND_RDONLY) && s->accmode == O_RDONLY))
		return E(EBADF);
	/* Anonymous, or a name that does not exist (yet). */
	if (!create)
		set |= E(ENOENT);
	else if (!b->size)
		set |= E(EINVAL);
	else if (too_big)
		set |= E(EFBIG);
	else
		set |= OK | E(ENOSPC) | (w->root ? 0 : E(EDQUOT));
	if (kind == NAME_EMPTY)
		return set;
	/* A name another worker created. */
	if (b->flags & SHMBUS_BIND_EXCL)
		return set | E(EEXIST);
	set |= OK;
	if (b->size)
		set |= E(EINVAL);
	if (!w->root)
		set |= E(EACCES);
	return set;
}

void op_bind(struct worker *w)
{
	static const __u32 modes[] = { 0600, 0640, 0644, 0660, 0666, 0400, 0444, 0, 0777 };
	struct slot *s = pick_slot(w, false);
	struct shmbus_bind b = { .size = pick_size(w) };
	struct shmbus_info info;
	enum name_kind kind;
	bool bad = false;
	errset set;
	__u64 req;
	int err;

	if (!s)
		return;
	kind = pick_name(w, b.name);
	b.flags = SHMBUS_BIND_CREATE;
	switch (below(w, 8)) {
	case 0:
		b.flags = 0;
		break;
	case 1:
		b.flags |= SHMBUS_BIND_EXCL;
		break;
	case 2:
		b.flags |= SHMBUS_BIND_RDONLY;
		break;
	case 3:
		b.flags = below(w, 8);
		break;
	case 4:
		b.flags |= 1U << below(w, 32);
		break;
	}
	if (s->accmode == O_RDONLY && !one_in(w, 4))
		b.flags |= SHMBUS_BIND_RDONLY;
	b.mode = one_in(w, 16) ? 1U << below(w, 32) : modes[below(w, 9)];
	dirty_reserved(w, b.reserved, 4, &bad);
	if (one_in(w, 32))
		b.id = rnd(w);	/* an output: its input value does not matter */
	set = bind_outcomes(w, s, &b, kind, bad);
	req = b.size;
	err = ioctl(s->fd, SHMBUS_IOC_BIND, &b) ? errno : 0;
	CHECK(w, set, err, "BIND '%.64s' size %#llx flags %#x mode %#o on %s %s fd",
	      b.name, (unsigned long long)b.size, b.flags, b.mode,
	      s->bound ? "a bound" : "an unbound",
	      s->accmode == O_RDWR ? "O_RDWR" : s->accmode == O_RDONLY ? "O_RDONLY" : "O_WRONLY");
	if (err) {
		if (!s->bound && !ioctl(s->fd, SHMBUS_IOC_INFO, &info))
			VIOLATION(w, "BIND failed (%s) but left the handle bound", strerror(err));
		return;
	}
	/* A region this call created has the size asked for, page-aligned. */
	if (b.size % pg || b.size > w->sh->max_region || b.size < req || !b.id ||
	    ((b.flags & SHMBUS_BIND_EXCL || !b.name[0]) && b.size != page_align(req)))
		VIOLATION(w, "BIND of size %#llx returned size %#llx id %llu",
			  (unsigned long long)req, (unsigned long long)b.size,
			  (unsigned long long)b.id);
	if (seen(b.id) && (b.flags & SHMBUS_BIND_EXCL || !b.name[0]))
		VIOLATION(w, "BIND created a region with id %llu, seen before",
			  (unsigned long long)b.id);
	s->bound = true;
	s->rdonly = b.flags & SHMBUS_BIND_RDONLY;
	s->size = b.size;
	s->id = b.id;
	memcpy(s->name, b.name, SHMBUS_NAME_MAX);
}

void op_reopen(struct worker *w)
{
	struct slot *s = pick_slot(w, true), *n = free_slot(w);
	struct shmbus_info info;
	int fd, err;

	if (!s || !n)
		return;
	fd = ioctl(s->fd, SHMBUS_IOC_REOPEN);
	err = fd < 0 ? errno : 0;
	CHECK(w, s->bound ? OK | E(EMFILE) | E(ENFILE) : E(ENXIO), err, "REOPEN of %s handle",
	      s->bound ? "a bound" : "an unbound");
	if (fd < 0)
		return;
	if (!(fcntl(fd, F_GETFD) & FD_CLOEXEC))
		VIOLATION(w, "REOPEN gave a fd without FD_CLOEXEC");
	if (ioctl(fd, SHMBUS_IOC_INFO, &info) || info.id != s->id ||
	    !(info.flags & SHMBUS_INFO_RDONLY) != !s->rdonly)
		VIOLATION(w, "REOPEN gave a handle bound to %llu (flags %#x), not %llu",
			  (unsigned long long)info.id, info.flags, (unsigned long long)s->id);
	*n = *s;
	n->fd = fd;
	n->owner = 0;
	n->nonblock = false;
}

void op_unlink(struct worker *w)
{
	struct slot *s = any_slot(w);
	struct shmbus_unlink a = { .name = "" };
	enum name_kind kind = pick_name(w, a.name);
	bool bad = false;
	errset set;
	int err;

	if (!s)
		return;
	dirty_reserved(w, a.reserved, 1, &bad);
	if (bad)
		set = E(EINVAL);
	else if (kind == NAME_LONG)
		set = E(ENAMETOOLONG);
	else if (kind != NAME_POOL)
		set = E(EINVAL);
	else
		set = OK | E(ENOENT) | (w->root ? 0 : E(EPERM));
	err = ioctl(s->fd, SHMBUS_IOC_UNLINK, &a) ? errno : 0;
	CHECK(w, set, err, "UNLINK '%.64s'", a.name);
}

void op_chmod(struct worker *w)
{
	static const __u32 modes[] = { 0600, 0644, 0666, 0400, 0, 0777, 01000, 0xffffffff };
	struct slot *s = pick_slot(w, true);
	struct shmbus_chmod a = { .mode = modes[below(w, 8)] };
	bool bad = false;
	int err;

	if (!s)
		return;
	a.pad = dirty(w, &bad);
	dirty_reserved(w, a.reserved, 2, &bad);
	bad |= (a.mode & ~0777) != 0;
	err = ioctl(s->fd, SHMBUS_IOC_CHMOD, &a) ? errno : 0;
	CHECK(w, word_outcomes(s, 0, bad, OK | (w->root ? 0 : E(EPERM))), err,
	      "CHMOD %#o on %s handle", a.mode, s->bound ? "a bound" : "an unbound");
}

void op_chown(struct worker *w)
{
	static const __u32 ids[] = { SHMBUS_ID_UNCHANGED, 0, NOBODY, 1000 };
	struct slot *s = pick_slot(w, true);
	struct shmbus_chown a = { .uid = ids[below(w, 4)], .gid = ids[below(w, 4)] };
	bool bad = false;
	int err;

	if (!s)
		return;
	dirty_reserved(w, a.reserved, 2, &bad);
	err = ioctl(s->fd, SHMBUS_IOC_CHOWN, &a) ? errno : 0;
	CHECK(w, word_outcomes(s, 0, bad, OK | (w->root ? 0 : E(EPERM))), err,
	      "CHOWN %d:%d on %s handle", (int)a.uid, (int)a.gid,
	      s->bound ? "a bound" : "an unbound");
}

/* The shmbus-id line of /proc/self/fdinfo/FD: 0 for "none", -1 if missing. */
static long long fdinfo_id(int fd)
{
	char val[64];

	if (fdinfo_value(fd, "shmbus-id", val, sizeof(val)))
		return -1;
	return strcmp(val, "none") ? strtoull(val, NULL, 10) : 0;
}

void op_info(struct worker *w)
{
	struct slot *s = any_slot(w);
	struct shmbus_info info;
	unsigned int i, mine;
	bool anon;
	int err;

	if (!s)
		return;
	if (one_in(w, 8) && fdinfo_id(s->fd) != (long long)(s->bound ? s->id : 0))
		VIOLATION(w, "fdinfo of fd %d: shmbus-id %lld, not %llu", s->fd, fdinfo_id(s->fd),
			  (unsigned long long)s->id);
	memset(&info, 0xa5, sizeof(info));
	err = ioctl(s->fd, SHMBUS_IOC_INFO, &info) ? errno : 0;
	CHECK(w, s->bound ? OK : E(ENXIO), err, "INFO on %s handle",
	      s->bound ? "a bound" : "an unbound");
	if (err || !s->bound)
		return;
	anon = !s->name[0];
	for (i = 0, mine = 0; i < MAX_FDS; i++)
		mine += w->fds[i].fd >= 0 && w->fds[i].bound && w->fds[i].id == s->id;
	if (info.handles < mine)
		VIOLATION(w, "INFO counts %u handles, this process has %u", info.handles, mine);
	if (info.id != s->id || info.size != s->size || info.mode & ~0777 || info.pad ||
	    info.reserved[0] || info.reserved[1] || info.reserved[2] || info.reserved[3] ||
	    !info.handles || info.pages > info.size / pg ||
	    !(info.flags & SHMBUS_INFO_RDONLY) != !s->rdonly ||
	    !(info.flags & SHMBUS_INFO_ANONYMOUS) != !anon ||
	    (anon && !(info.flags & SHMBUS_INFO_UNLINKED)) ||
	    strncmp(info.name, s->name, SHMBUS_NAME_MAX))
		VIOLATION(w, "INFO: id %llu size %#llx name '%.64s' mode %#o flags %#x handles %u pages %llu; expected id %llu size %#llx name '%.64s'",
			  (unsigned long long)info.id, (unsigned long long)info.size, info.name,
			  info.mode, info.flags, info.handles, (unsigned long long)info.pages,
			  (unsigned long long)s->id, (unsigned long long)s->size, s->name);
}

/* Commands shmbus does not know, and known numbers with another size. */
void op_bad_ioctl(struct worker *w)
{
	static const unsigned long cmds[] = {
		_IO(SHMBUS_IOC_MAGIC, 0), _IO(SHMBUS_IOC_MAGIC, 0x1a),
		_IOWR(SHMBUS_IOC_MAGIC, 0xff, __u64), _IOW(SHMBUS_IOC_MAGIC, 0x01, int),
		_IOR(SHMBUS_IOC_MAGIC, 0x02, __u64), _IO(SHMBUS_IOC_MAGIC, 0x10),
		_IOW(SHMBUS_IOC_MAGIC, 0x16, int), _IOW('x', 0x19, int),
	};
	struct slot *s = any_slot(w);
	unsigned long cmd = cmds[below(w, 8)];
	__u64 arg[16] = { 0 };
	int err;

	if (!s)
		return;
	err = ioctl(s->fd, cmd, arg) ? errno : 0;
	CHECK(w, E(ENOTTY), err, "ioctl %#lx", cmd);
}

/* Known commands with a pointer that is not user memory. */
void op_bad_pointer(struct worker *w)
{
	static const unsigned long cmds[] = {
		SHMBUS_IOC_BIND, SHMBUS_IOC_INFO, SHMBUS_IOC_UNLINK, SHMBUS_IOC_CHMOD,
		SHMBUS_IOC_CHOWN, SHMBUS_IOC_WAIT, SHMBUS_IOC_WAKE, SHMBUS_IOC_WAITV,
		SHMBUS_IOC_CMP_REQUEUE, SHMBUS_IOC_WATCH, SHMBUS_IOC_UNWATCH,
		SHMBUS_IOC_LOCK_REGISTER, SHMBUS_IOC_LOCK_UNREGISTER,
	};
	struct slot *s = any_slot(w);
	unsigned long cmd = cmds[below(w, ARRAY_SIZE(cmds))];
	void *ptr = one_in(w, 2) ? NULL : KERNEL_PTR;
	errset set = E(EFAULT);
	int err;

	if (!s)
		return;
	if (!s->bound && cmd != SHMBUS_IOC_BIND && cmd != SHMBUS_IOC_UNLINK)
		set |= E(ENXIO);
	if (s->bound && cmd == SHMBUS_IOC_BIND)
		set |= E(EBUSY);
	if ((cmd == SHMBUS_IOC_CMP_REQUEUE || cmd == SHMBUS_IOC_LOCK_REGISTER ||
	     cmd == SHMBUS_IOC_LOCK_UNREGISTER) && rdonly_refused(s))
		set = rdonly_refused(s);
	err = ioctl(s->fd, cmd, ptr) ? errno : 0;
	CHECK(w, set, err, "ioctl %#lx with pointer %p on %s handle", cmd, ptr,
	      s->bound ? "a bound" : "an unbound");
}

/* /proc/shmbus/regions parses line by line while regions come and go. */
void op_proc(struct worker *w)
{
	char line[256], name[SHMBUS_NAME_MAX + 1], flags[8];
	unsigned long long id, size, pages;
	unsigned int uid, gid, cuid, cgid, mode;
	int handles, mappings, n = 0;
	FILE *f = fopen(SHMBUS_REGIONS, "re");

	if (!f) {
		VIOLATION(w, "%s: %s", SHMBUS_REGIONS, strerror(errno));
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (!n++) {
			if (strcmp(line, "id name size uid gid cuid cgid mode handles mappings pages flags ns\n"))
				VIOLATION(w, "%s header: %s", SHMBUS_REGIONS, line);
			continue;
		}
		if (sscanf(line, "%llu %64s %llu %u %u %u %u %o %d %d %llu %7s", &id, name, &size,
			   &uid, &gid, &cuid, &cgid, &mode, &handles, &mappings, &pages,
			   flags) != 12 || size % pg || mode & ~0777 || handles < 0 ||
		    mappings < 0 || pages > size / pg || strspn(flags, "-ua") != strlen(flags))
			VIOLATION(w, "%s line: %s", SHMBUS_REGIONS, line);
	}
	fclose(f);
	if (shmbus_stat("regions") < 0 || shmbus_stat("pages") < 0 || shmbus_stat("bytes") < 0)
		VIOLATION(w, "%s lacks a counter", SHMBUS_STATS);
}
