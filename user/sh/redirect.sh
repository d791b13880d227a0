# Redirections: >, >>, <, 2>&1, descriptors of one's own, and a redirected
# compound command.
echo first > /tmp/r
echo second >> /tmp/r
cat < /tmp/r
wc -l < /tmp/r
cat /tmp/nonexistent 2>&1
cat /tmp/nonexistent 2>/dev/null || echo "cat failed with $?"
{ echo out; echo err >&2; } > /tmp/both 2>&1
cat /tmp/both
exec 3< /tmp/r
read line <&3
echo "read from fd 3: $line"
read line <&3
echo "then: $line"
exec 3<&-
echo replaced > /tmp/r
cat /tmp/r
echo to-stderr 1>&2
