# SPDX-License-Identifier: GPL-2.0
#
# shmbus top-level Makefile.
#
#   make             build kmod/shmbus.ko, libshmbus and the selftests
#   make deps        install what the build and the guest need (Debian 12)
#   make check       deps + build + run every selftest in a QEMU guest
#   make demo        deps + build + show the module at work in a guest
#   make lint        checkpatch, sparse, kernel-doc, W=1, -Werror, cppcheck
#                    (after make deps; make, make clean and make lint never
#                    query the package system)
#   make KDIR=/lib/modules/$(uname -r)/build module   build for a real kernel
#
# KERNEL=stock|rt|debug picks the guest kernel lane: Debian's kernel, Debian's
# PREEMPT_RT kernel, or a KASAN/lockdep/kmemleak/UBSAN kernel built once from
# linux-source-6.1 (scripts/build-kernel).  KVER= overrides the release.

KERNEL ?= stock
SHMBUS_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/shmbus
export SHMBUS_CACHE
# The release 'make deps' installed and recorded: building, cleaning and
# linting never ask the package system.
KVER ?= $(shell cat $(SHMBUS_CACHE)/kver-$(KERNEL) 2>/dev/null)
ifeq ($(KERNEL),debug)
KDIR ?= $(SHMBUS_CACHE)/kernel/debug/build
else
KDIR ?= /usr/src/linux-headers-$(KVER)
endif
KSRC ?= $(SHMBUS_CACHE)/linux-source
W ?= 1
VM_TIMEOUT ?= 2400
# The full 10^6-round-trip ping-pong on Debian's kernels; the debug kernel is
# several times slower and runs the 10^5 version.
# The stock lane also runs the library's tests built with ASan and UBSan.
ifeq ($(KERNEL),debug)
CHECK_ENV ?= SHMBUS_STRESS=0
else ifeq ($(KERNEL),stock)
CHECK_ENV ?= SHMBUS_STRESS=1 SHMBUS_SANITIZE=1
else
CHECK_ENV ?= SHMBUS_STRESS=1
endif
T ?=

export KSRC

.PHONY: all module userlib selftests examples deps check demo lint clean

all: module userlib selftests examples

# Objects built for another kernel are cleaned first (kmod/.kdir remembers).
module:
	@test -d "$(KDIR)" || { echo "shmbus: no kernel headers at '$(KDIR)': run 'make deps' or set KDIR=" >&2; exit 1; }
	@if [ "$$(cat kmod/.kdir 2>/dev/null)" != "$(KDIR)" ]; then \
		$(MAKE) -s -C $(KDIR) M=$(CURDIR) clean; echo "$(KDIR)" >kmod/.kdir; fi
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=$(W) modules

userlib:
	$(MAKE) -C userlib

selftests: userlib
	$(MAKE) -C selftests

examples: userlib
	$(MAKE) -C examples

deps:
	scripts/deps $(KERNEL)

check: deps
	$(MAKE) all
	scripts/vm-run --kernel $(KERNEL) --timeout $(VM_TIMEOUT) --append numa=fake=2 \
		--check-counters selftests/check_counters -- env $(CHECK_ENV) selftests/run $(T)

demo: deps
	$(MAKE) all
	scripts/vm-run --kernel $(KERNEL) -- scripts/demo

lint:
	KDIR=$(KDIR) scripts/lint

clean:
	if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; else \
		rm -f kmod/*.o kmod/.*.cmd kmod/*.ko kmod/*.mod kmod/*.mod.c kmod/.kdir \
			modules.order Module.symvers .*.cmd kmod/modules.order; fi
	$(MAKE) -C userlib clean
	$(MAKE) -C selftests clean
	$(MAKE) -C examples clean
