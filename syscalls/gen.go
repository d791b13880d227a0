package syscalls

//go:generate go run ./internal/systab/mksystab
