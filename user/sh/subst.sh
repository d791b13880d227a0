# Command substitution, old and new style, nested, with exit statuses,
# and arithmetic.
x=$(echo hi | tr a-z A-Z)
echo "x=$x"
y=`expr 2 + 3`
echo "y=$y"
echo "nested: $(echo $(echo deep))"
n=$(seq 1 5 | wc -l)
echo "lines: $n"
out=$(sh -c 'echo inner; exit 6')
echo "out=$out status=$?"
echo "arith: $((6 * 7)) $((100 / 7)) $((100 % 7))"
files=$(ls /data | sort)
echo "ls /data:" $files
