// The smallest conformance program: what glibc does to print one line.
#include <stdio.h>

int main(void) {
	printf("hello\n");
	return 0;
}
