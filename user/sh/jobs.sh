# Background jobs and wait: $!, wait for one job and its status, wait for
# all, and output ordered by sleeps.
(sleep 2; echo slow) &
(sleep 0.1; echo fast) &
wait $!
echo "fast done: $?"
(exit 7) &
wait $!
echo "exit 7 in the background: $?"
false &
wait $!
echo "false: $?"
wait
echo "all done"
# The job tells it started (through a FIFO) before it is killed: a job
# killed while it is still the shell's fork, before it ran anything, is
# reaped without ash's "Terminated" line, and which of the two happens
# would otherwise depend on scheduling, on Linux as on oyako.
mkfifo /tmp/jobs-started
sh -c 'echo >/tmp/jobs-started; exec sleep 5' &
read started </tmp/jobs-started
kill $!
wait $!
echo "killed: $?"
rm /tmp/jobs-started
