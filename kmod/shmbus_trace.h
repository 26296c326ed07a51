/* SPDX-License-Identifier: GPL-2.0 */
/*
 * shmbus tracepoints: events/shmbus/ in tracefs.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM shmbus

#if !defined(_SHMBUS_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _SHMBUS_TRACE_H

#include <linux/tracepoint.h>

/* An event about one word: its value and one more 32-bit quantity. */
DECLARE_EVENT_CLASS(shmbus_word_class,
		    TP_PROTO(u64 region, u64 offset, u32 value, u32 aux),
		    TP_ARGS(region, offset, value, aux),
		    TP_STRUCT__entry(__field(u64, region)
				     __field(u64, offset)
				     __field(u32, value)
				     __field(u32, aux)),
		    TP_fast_assign(__entry->region = region;
				   __entry->offset = offset;
				   __entry->value = value;
				   __entry->aux = aux;),
		    TP_printk("region=%llu offset=%llu expected=%#x bitset=%#x",
			      __entry->region, __entry->offset, __entry->value,
			      __entry->aux)
);

/* A task starts sleeping on a word holding @value; @aux is its bitset. */
DEFINE_EVENT(shmbus_word_class, shmbus_wait_start,
	     TP_PROTO(u64 region, u64 offset, u32 value, u32 aux),
	     TP_ARGS(region, offset, value, aux));

/* Owner-died recovery set a lock word to @value; @aux was its owner id. */
DEFINE_EVENT_PRINT(shmbus_word_class, shmbus_owner_died,
		   TP_PROTO(u64 region, u64 offset, u32 value, u32 aux),
		   TP_ARGS(region, offset, value, aux),
		   TP_printk("region=%llu offset=%llu value=%#x owner=%u",
			     __entry->region, __entry->offset, __entry->value,
			     __entry->aux));

/* A waiter stops waiting: 1 woken (0 for the other entries of a WAITV), or -errno. */
TRACE_EVENT(shmbus_wait_end,
	    TP_PROTO(u64 region, u64 offset, int result),
	    TP_ARGS(region, offset, result),
	    TP_STRUCT__entry(__field(u64, region)
			     __field(u64, offset)
			     __field(int, result)),
	    TP_fast_assign(__entry->region = region;
			   __entry->offset = offset;
			   __entry->result = result;),
	    TP_printk("region=%llu offset=%llu result=%d",
		      __entry->region, __entry->offset, __entry->result)
);

/* A WAKE (or the wake part of a REQUEUE) woke @woken tasks. */
TRACE_EVENT(shmbus_wake,
	    TP_PROTO(u64 region, u64 offset, u32 count, u32 bitset, int woken),
	    TP_ARGS(region, offset, count, bitset, woken),
	    TP_STRUCT__entry(__field(u64, region)
			     __field(u64, offset)
			     __field(u32, count)
			     __field(u32, bitset)
			     __field(int, woken)),
	    TP_fast_assign(__entry->region = region;
			   __entry->offset = offset;
			   __entry->count = count;
			   __entry->bitset = bitset;
			   __entry->woken = woken;),
	    TP_printk("region=%llu offset=%llu count=%u bitset=%#x woken=%d",
		      __entry->region, __entry->offset, __entry->count,
		      __entry->bitset, __entry->woken)
);

#endif /* _SHMBUS_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE shmbus_trace
#include <trace/define_trace.h>
