# SPDX-License-Identifier: GPL-2.0
#
# Memorizer project Makefile.
#
# The project is an overlay on Linux 6.1: this Makefile prepares a kernel
# tree under $(BUILD_DIR) (upstream source + the project's files + the patch
# series) and forwards every other goal to the kernel's own Makefile, so
# `make defconfig memorizer.config` and `make -j$(nproc)` work from here as
# they would in a kernel tree.

PROJECT_DIR := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
BUILD_DIR ?= $(PROJECT_DIR)/build
TREE := $(BUILD_DIR)/linux
export PROJECT_DIR BUILD_DIR KERNEL_SRC

# ccache when installed: kernel objects are expensive to rebuild on 2 cores.
ifneq ($(shell command -v ccache 2>/dev/null),)
KCC := CC="ccache gcc"
endif
# Fixed build identity so init/version.o and friends stay cacheable.
KENV := KBUILD_BUILD_USER=memorizer KBUILD_BUILD_HOST=memorizer \
	KBUILD_BUILD_TIMESTAMP="$(shell git -C $(PROJECT_DIR) log -1 --format=%cd 2>/dev/null || echo 2026)"

# Goals this Makefile answers itself; everything else goes to the kernel.
OWN_GOALS := tree deps guestconfig test hosttest boottest kmap kmaptool \
	vm vm-test gdbtest distclean-build help-memorizer
KGOALS := $(filter-out $(OWN_GOALS),$(MAKECMDGOALS))

.PHONY: __forward $(OWN_GOALS) $(KGOALS)
__forward: tree
	+$(KENV) $(MAKE) -C $(TREE) $(KCC) $(KGOALS)

ifneq ($(KGOALS),)
$(KGOALS): __forward
	@:
endif

tree:
	@$(PROJECT_DIR)/scripts/memorizer/prepare-tree.sh

deps:
	@$(PROJECT_DIR)/scripts/memorizer/install-deps.sh

# The small guest kernel the tests boot: tinyconfig plus the guest fragment
# plus memorizer.config.  The guest fragment goes again last: its test
# options depend on what memorizer.config turns on.
guestconfig: tree
	+$(KENV) $(MAKE) -C $(TREE) $(KCC) tinyconfig memorizer_guest.config \
		memorizer.config memorizer_guest.config
	@bash -c ". $(PROJECT_DIR)/scripts/memorizer/lib.sh && mz_guest_fragments_sum" > $(BUILD_DIR)/guestconfig.stamp

kmaptool:
	+$(MAKE) -C $(PROJECT_DIR)/scripts/memorizer/kmaptool

# Every test: host tests of the tools and the harness, then the boot test.
test: deps
	@$(PROJECT_DIR)/scripts/memorizer/test-all.sh

hosttest: deps
	@$(PROJECT_DIR)/scripts/memorizer/test-all.sh --host-only

boottest: deps
	@$(PROJECT_DIR)/scripts/memorizer/boottest.sh

# The main job: build, boot, record a demo workload, fetch the kmap.
kmap: deps
	@$(PROJECT_DIR)/scripts/memorizer/kmap-demo.sh

# The guide's Debian 12 VM on the full kernel of $(BUILD_DIR) (make
# defconfig memorizer.config): boot it (console here), or test the guide's
# path end to end.  VM_ARGS passes options (scripts/memorizer/vm.sh -h).
vm: deps
	@$(PROJECT_DIR)/scripts/memorizer/vm.sh $(VM_ARGS) boot

vm-test: deps
	@$(PROJECT_DIR)/scripts/memorizer/vm.sh $(VM_ARGS) test

# gdb on a guest stopped by boottest.sh -i -g (the guide's gdb_doit.sh).
gdbtest: deps
	@$(PROJECT_DIR)/scripts/memorizer/tests/test-gdb.sh

distclean-build:
	rm -rf $(BUILD_DIR)

help-memorizer:
	@echo 'Memorizer targets (all other goals go to the kernel tree):'
	@echo '  tree            unpack Linux 6.1, overlay the project, apply patches/'
	@echo '  guestconfig     tinyconfig + memorizer_guest.config + memorizer.config'
	@echo '  kmap            boot, record a demo workload, copy the kmap to out/'
	@echo '  test            host tests and the QEMU/BATS boot test'
	@echo '  boottest        the boot test only'
	@echo '  vm              Debian 12 guest on the full kernel (the guide'"'"'s VM)'
	@echo '  vm-test         the Debian guest path end to end (not in make test)'
	@echo '  gdbtest         gdb reads the recorder in a stopped guest'
	@echo '  deps            install the Debian packages the project needs'
	@echo '  distclean-build remove $(BUILD_DIR)'
