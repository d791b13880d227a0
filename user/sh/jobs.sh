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
sh -c 'sleep 5' &
kill $!
wait $!
echo "killed: $?"
