# config/: TOML 1.0 parser, typed and validated configuration, embedded defaults.
LIB_SRCS += config/toml.c config/config.c config/default_toml.S
UNIT_TESTS += toml config
FUZZ_TARGETS += toml

# The .S embeds default.toml with .incbin, which no depfile records.
$(BUILD)/config/default_toml.o: config/default.toml
build/fuzz/fuzz_toml: config/default.toml
