# xargs: gathering arguments, -n, -I, and an exit status.
seq 1 10 | xargs echo
seq 1 5 | xargs -n 2 echo
echo a b c | xargs -n 1 echo item
printf 'x\ny\n' | xargs -I {} echo "<{}>"
ls /data/dir | xargs -n 1 sh -c 'echo "$0: $(wc -c < /data/dir/$0)"'
seq 1 3 | xargs sh -c 'exit 3'
echo "xargs exit: $?"
