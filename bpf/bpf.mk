LIB_SRCS += bpf/bpf_sys.c bpf/bpf_disasm.c bpf/xdp_gen.c bpf/xdp_install.c
UNIT_TESTS += bpf
BPF_OBJS += build/bpfobj/xdp_filter.o

# The reference filter includes its config header.
build/bpfobj/xdp_filter.o: bpf/xdp_filter.h

# test_bpf loads the reference object at run time.
$(BUILD)/tests/test_bpf: build/bpfobj/xdp_filter.o
