# A "#!/bin/sh" script run by path, by sh, and through exec.
/scripts/hello.sh one "two words" three
echo "status: $?"
sh /scripts/hello.sh via sh
echo "status: $?"
cd /scripts && ./hello.sh relative
echo "status: $?"
(exec /scripts/hello.sh exec)
echo "status: $?"
/scripts/nonexistent.sh
echo "missing: $?"
/data/hello.txt
echo "not executable: $?"
