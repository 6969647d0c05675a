/* config/default_toml.S: config/default.toml embedded as sl_default_toml,
   NUL-terminated, so the binary always carries its defaults. The path is
   relative to the repository root, where make runs. */
	.section .rodata
	.globl sl_default_toml
	.type sl_default_toml, @object
	.balign 16
sl_default_toml:
	.incbin "config/default.toml"
	.byte 0
	.size sl_default_toml, . - sl_default_toml

	.section .note.GNU-stack,"",@progbits
