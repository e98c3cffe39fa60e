/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The input format of the /dev/ioasid fuzzer, shared by the fuzzer
 * (fuzz.c), the tracer that turns a conformance test's system calls into
 * inputs (trace.c) and the seed generator (seedgen.c).
 *
 * An input is a sequence of commands.  Each begins with an opcode byte:
 * its low seven bits, modulo FZ_NR_OPS, name the command; with bit 7 set
 * one more byte follows, N, and the N-th fallible point of the shim
 * (allocation or user copy) inside that command fails (0 counts as 1).
 * The command's operands follow, each one or a few bytes; when the input
 * runs out, every further byte reads as 0, so a truncated input is still
 * a program, and 0 is always the ordinary choice.
 *
 * Operands are selectors rather than values, so that most mutations keep
 * a command meaningful: a descriptor is picked among the open ones, an
 * IOASID among the numbers earlier commands returned, an address in one
 * of the fuzzer's memory regions, a length or IOVA from small tables of
 * boundaries; the last code of every selector (0xff) takes a raw value
 * from the input instead.  The encodings are those of the FZ_SEL_*
 * comments below.
 *
 * A command on a structure then reads: descriptor, placement of the
 * structure, argsz, flags, the command's own fields in the order of the
 * structure, and a list of tweaks (byte offset + 1, byte value; 0 ends
 * it) applied last, with which reserved fields, tails beyond the
 * structure and anything else can be made nonzero.
 */
#ifndef _FUZZ_FORMAT_H
#define _FUZZ_FORMAT_H

enum fz_op {
	FZ_OPEN_IOASID,		/* open flags byte */
	FZ_OPEN_TESTIF,		/* open flags byte */
	FZ_CLOSE,		/* nth open slot */
	FZ_DUP,			/* source slot, destination (< 0x80: new) */
	FZ_API_VERSION,		/* fd; arg (0, or a raw u64 after 0xff) */
	FZ_CHECK_EXT,		/* fd place argsz flags extension tweaks */
	FZ_REGISTER,		/* fd place argsz flags vaddr length tweaks */
	FZ_UNREGISTER,		/* same */
	FZ_ALLOC,		/* fd place argsz flags tweaks */
	FZ_FREE,		/* fd place argsz flags id tweaks */
	FZ_GET_INFO,		/* fd place argsz flags id count count addr addr tweaks */
	FZ_MAP,			/* fd place argsz flags id vaddr iova length tweaks;
				 * with IOASID_DMA_PARENT_IOVA in the flags,
				 * vaddr is an IOVA selector */
	FZ_UNMAP,		/* fd place argsz flags id iova length tweaks */
	FZ_T_CAPS,		/* fd place argsz flags tweaks */
	FZ_T_CREATE,		/* fd place argsz flags bits class other tweaks;
				 * other: the group's device, or with
				 * IOASID_TEST_DEVICE_MEDIATED alone the
				 * parent */
	FZ_T_PINNED,		/* fd place argsz flags vaddr tweaks */
	FZ_T_FAIL_NEXT,		/* fd place argsz flags op nth tweaks */
	FZ_BIND,		/* fd place argsz flags ioasid-fd tweaks */
	FZ_UNBIND,		/* fd place argsz flags tweaks */
	FZ_ATTACH,		/* fd place argsz flags id pasid tweaks */
	FZ_DETACH,		/* same */
	FZ_T_DMA,		/* fd place argsz flags pasid iova length buffer tweaks */
	FZ_T_IOTLB,		/* fd place argsz flags tweaks */
	FZ_RAW,			/* fd nr dirsize place n bytes[n] */
	FZ_MUNMAP,		/* region first-page pages */
	FZ_REMAP,		/* region first-page pages prot */
	FZ_PROTECT,		/* region first-page pages prot */
	FZ_MREMAP,		/* region first-page pages direction */
	FZ_DONTNEED,		/* region first-page pages */
	FZ_TOUCH,		/* region first-page pages value */
	FZ_LIMIT,		/* b: bit 7 keeps CAP_IPC_LOCK, else dropped;
				 * RLIMIT_MEMLOCK from a table[b & 7];
				 * both restored after the input */
	FZ_RACE,		/* n: the next n bytes (0: 256) are the commands
				 * of a second thread, which runs them while
				 * this one goes on after them; the input's end
				 * or the next FZ_RACE waits for it; ignored in
				 * the second thread */
	FZ_KILL,		/* d: after d * 20 us the process gets a fatal
				 * signal; from then on no command is issued
				 * and the input ends as the exit of a killed
				 * process would: every descriptor closes with
				 * the signal pending */
	FZ_NEST,		/* fd place argsz flags parent-id tweaks */
	FZ_BIND_PGTABLE,	/* fd place argsz flags id format root tweaks;
				 * format: < 0xf0 b % 3, 0xff raw u32, else b */
	FZ_UNBIND_PGTABLE,	/* fd place argsz flags id tweaks */
	FZ_INVALIDATE,		/* fd place argsz flags id entry-len n where
				 * entries tweaks: entry-len < 0xf0 32, else a
				 * table; n entries (n < 0xf0: n % 9, else a
				 * raw u32 count with at most 8 built), each
				 * flags type pasid addr length (type: < 0xf0
				 * b & 1, else b), built in the
				 * output page; where: < 0xf0 the output
				 * page, else an address selector */
	FZ_BIND_PASID_TABLE,	/* fd place argsz flags id format base bits
				 * tweaks; format as FZ_BIND_PGTABLE's, bits
				 * < 0xf0 b % 22, else raw u32 */
	FZ_UNBIND_PASID_TABLE,	/* fd place argsz flags id tweaks */
	FZ_S1_ENTRY,		/* addr value-iova bits: the u64 entry of a
				 * user stage-1 table, (iova & bits 12-51) |
				 * bits, written at the 8-aligned address (if
				 * it is mapped at all, whatever its
				 * protection) */
	FZ_T_MAP_PASID,		/* fd place argsz flags ioasid-fd id vpasid
				 * tweaks */
	FZ_T_UNMAP_PASID,	/* fd place argsz flags vpasid tweaks */
	FZ_NR_OPS
};

#define FZ_OP_FAIL		0x80

/*
 * FZ_SEL_FD: < 0x80 the (b mod n)-th open descriptor of the kind the
 * command expects (any open one when there is none of that kind);
 * 0x80-0xbf slot b & 15, whatever it holds; 0xc0-0xff special: -1, 0 (a
 * descriptor the shim does not model), the number of the descriptor
 * closed last, INT_MAX, or 0xc4-0xc7 a descriptor of another kind.
 */
#define FZ_SLOTS		16
#define FZ_SEL_SLOT(i)		(0x80 | (i))
#define FZ_SEL_FD_NONE		0xc0

/* FZ_SEL_PLACE: < 0xf0 the start of the argument page; 0xf0 NULL, 0xf1
 * the structure ends at the guard page, 0xf2 it straddles it, 0xf3
 * misaligned by one, 0xf4 the guard page itself, 0xf5 a kernel address. */

/* FZ_SEL_ARGSZ: 0 (and >= 10) the structure's size, 1 its minimum, 2 the
 * minimum - 1, 3 zero, 4 four, 5 size + 8 (zero tail), 6 size + 16 with
 * a nonzero tail byte, 7 4096, 8 4097, 9 a raw u32 follows. */
#define FZ_ARGSZ_RAW		9

/* FZ_SEL_FLAGS: < 0x80 b & the defined flags, 0x80-0x9f one undefined
 * bit 1 << (b & 31), 0xa0-0xfe the defined flags | that bit, 0xff raw. */
#define FZ_RAW			0xff

/* FZ_SEL_ID: < 0xc0 the (b mod n)-th most recent number a command
 * returned (IOASIDs, labels); 0xc0-0xfe a table of boundaries; 0xff raw
 * u32. */

/* FZ_SEL_ADDR: < 0x80 region b & 7 (mod FZ_NREGIONS), then a page byte,
 * at sub-page offset {0, 1, 0x800, 0xfff}[(b >> 3) & 15] (0 above 3);
 * 0x80-0x9f the output page, then a byte of 16-byte units; 0xa0-0xfe a
 * table of boundaries; 0xff raw u64. */
#define FZ_NREGIONS		6
#define FZ_SEL_ADDR_OUT		0x80

/* FZ_SEL_LEN: < 0xc0 n pages from a table[b & 15], in 4 KiB units for
 * b >> 6 == 0, 4 KiB units +1/-1 byte for 1, 64 KiB units for 2; 0xc0-0xfe
 * boundaries; 0xff raw u64. */

/* FZ_SEL_IOVA: < 0x40 the (b & 15)-th most recent mapping, at its start,
 * its end, a page into it or a page before it ((b >> 4) & 3); 0x40-0xbf
 * a byte times {4K, 64K, 2M, 1G}[(b >> 3) & 3], + 1 when b & 7 == 7;
 * 0xc0-0xfe boundaries; 0xff raw u64. */

/* FZ_SEL_PASID: < 0xc0 a small table; 0xc0-0xfe boundaries; 0xff raw. */

/* Region sizes in pages; region 0 starts 2 MiB-aligned and may get
 * transparent huge pages, the others do not. */
#define FZ_REGION_PAGES { 512, 64, 16, 4, 2, 1 }

/* the page index of a page byte in a region of @pages pages */
static inline unsigned long fz_page_index(unsigned int b, unsigned long pages)
{
	return (pages > 254 ? 2UL * b : b) % (pages + 2);
}

#endif /* _FUZZ_FORMAT_H */
