// SPDX-License-Identifier: MIT
/*
 * A producer and a consumer in unrelated processes, over a bounded queue in
 * a shmbus region guarded by a mutex and two condition variables.
 *
 *   prodcons consume NAME N   create NAME, take N items, check them, unlink
 *   prodcons produce NAME N   put the items 1..N into NAME's queue
 *
 * Both print how often they entered the kernel: only when the queue was
 * full or empty and someone had to sleep or be woken.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <shmbus.h>

#define SLOTS 64

struct queue {
	struct shmbus_mutex lock;
	struct shmbus_cond not_empty;
	struct shmbus_cond not_full;
	uint64_t head, tail;
	uint64_t items[SLOTS];
};

static int fail(const char *what, int err)
{
	fprintf(stderr, "prodcons: %s: %s\n", what, strerror(-err));
	return 1;
}

static int report(struct shmbus_region *r, const char *who, unsigned long n)
{
	struct shmbus_calls c;
	int ret = shmbus_region_calls(r, &c);

	if (ret)
		return fail("calls", ret);
	printf("%s: %lu items, kernel entered %llu times (%llu waits, %llu wakes, %llu requeues)\n",
	       who, n, (unsigned long long)(c.waits + c.wakes + c.requeues),
	       (unsigned long long)c.waits, (unsigned long long)c.wakes,
	       (unsigned long long)c.requeues);
	return 0;
}

static int produce(struct shmbus_region *r, struct queue *q, unsigned long n)
{
	unsigned long i;
	int ret;

	for (i = 1; i <= n; i++) {
		ret = shmbus_mutex_lock(&q->lock);
		while (!ret && q->tail - q->head == SLOTS)
			ret = shmbus_cond_wait(&q->not_full, &q->lock);
		if (ret)
			return fail("lock", ret);
		q->items[q->tail++ % SLOTS] = i;
		shmbus_cond_signal(&q->not_empty);
		shmbus_mutex_unlock(&q->lock);
	}
	return report(r, "producer", n);
}

static int consume(struct shmbus_region *r, struct queue *q, unsigned long n)
{
	uint64_t sum = 0, item;
	unsigned long i;
	int ret;

	for (i = 1; i <= n; i++) {
		ret = shmbus_mutex_lock(&q->lock);
		while (!ret && q->tail == q->head)
			ret = shmbus_cond_wait(&q->not_empty, &q->lock);
		if (ret)
			return fail("lock", ret);
		item = q->items[q->head++ % SLOTS];
		shmbus_cond_signal(&q->not_full);
		shmbus_mutex_unlock(&q->lock);
		if (item != i) {
			fprintf(stderr, "prodcons: item %lu arrived as %llu\n", i,
				(unsigned long long)item);
			return 1;
		}
		sum += item;
	}
	shmbus_region_unlink(r);
	printf("consumer: all %lu items arrived in order (sum %llu)\n", n,
	       (unsigned long long)sum);
	return report(r, "consumer", n);
}

int main(int argc, char **argv)
{
	bool create = argc == 4 && !strcmp(argv[1], "consume");
	struct shmbus_region *r;
	struct queue *q;
	unsigned long n;
	void *p;
	int ret;

	if (argc != 4 || (!create && strcmp(argv[1], "produce"))) {
		fprintf(stderr, "usage: prodcons consume|produce NAME N\n");
		return 2;
	}
	n = strtoul(argv[3], NULL, 0);
	ret = shmbus_region_open(argv[2], sizeof(*q),
				 create ? SHMBUS_BIND_CREATE | SHMBUS_BIND_EXCL : 0, 0600, &r);
	if (ret)
		return fail("open", ret);
	ret = shmbus_region_map(r, 0, 0, PROT_READ | PROT_WRITE, &p);
	if (ret)
		return fail("map", ret);
	q = p;
	if (create) {
		ret = shmbus_mutex_init(&q->lock);
		if (!ret)
			ret = shmbus_cond_init(&q->not_empty);
		if (!ret)
			ret = shmbus_cond_init(&q->not_full);
		if (ret)
			return fail("init", ret);
		return consume(r, q, n);
	}
	return produce(r, q, n);
}
