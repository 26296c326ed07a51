# SPDX-License-Identifier: GPL-2.0
#
# shmbus top-level Makefile.
#
#   make             build kmod/shmbus.ko, libshmbus and the selftests
#   make deps        install what the build and the guest need (Debian 12)
#   make check       deps + build + run every selftest in a QEMU guest
#   make demo        deps + build + show the module at work in a guest
#   make KDIR=/lib/modules/$(uname -r)/build module   build for a real kernel
#
# KERNEL=stock|rt picks the guest kernel lane; KVER= overrides its release.

KERNEL ?= stock
SHMBUS_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/shmbus
export SHMBUS_CACHE
KVER ?= $(shell . scripts/common.sh; resolve_kver $(KERNEL) 2>/dev/null || \
	cat $(SHMBUS_CACHE)/kver-$(KERNEL) 2>/dev/null)
KDIR ?= /usr/src/linux-headers-$(KVER)
KSRC ?= $(SHMBUS_CACHE)/linux-source
W ?= 1
VM_TIMEOUT ?= 2400
T ?=

export KSRC

.PHONY: all module userlib selftests examples deps check demo clean

all: module userlib selftests examples

module:
	@test -d "$(KDIR)" || { echo "shmbus: no kernel headers at '$(KDIR)': run 'make deps' or set KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=$(W) modules

userlib:
	$(MAKE) -C userlib

selftests: userlib
	$(MAKE) -C selftests

examples:
	$(MAKE) -C examples

deps:
	scripts/deps $(KERNEL)

check: deps
	$(MAKE) all
	scripts/vm-run --kernel $(KERNEL) --timeout $(VM_TIMEOUT) \
		--check-counters selftests/check_counters -- selftests/run $(T)

demo: deps
	$(MAKE) all
	scripts/vm-run --kernel $(KERNEL) -- scripts/demo

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C userlib clean
	$(MAKE) -C selftests clean
	$(MAKE) -C examples clean
