#!/bin/sh
# Run by path by the other scripts and by user/go/exec: prints how it was
# called.
echo "hello from $0 with $# arguments: $*"
for a in "$@"; do
	echo "[$a]"
done
exit 4
