// The program of the README's gdb walkthrough: one write(2) straight to
// the kernel (no stdio buffer in between), then exit status 3.
#include <unistd.h>

int main(void) {
	write(1, "hello\n", 6);
	return 3;
}
