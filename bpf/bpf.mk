BPF_LIB_SRCS := bpf/bpf_sys.c bpf/xdp_gen.c bpf/xdp_install.c
LIB_SRCS += $(BPF_LIB_SRCS)
UNIT_TESTS += bpf
BPF_OBJS += build/bpf/xdp_filter.o

# The top Makefile's `build/bpf/%.o: bpf/%.c` rule (clang -target bpf) has a
# shorter stem than `$(BUILD)/%.o: %.c`, so make would pick it for these
# host objects too; a static pattern rule is explicit and wins.
$(patsubst %.c,$(BUILD)/%.o,$(BPF_LIB_SRCS)): $(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The reference filter includes its config header.
build/bpf/xdp_filter.o: bpf/xdp_filter.h

# test_bpf loads the reference object at run time.
$(BUILD)/tests/test_bpf: build/bpf/xdp_filter.o
