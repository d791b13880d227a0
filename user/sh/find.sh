# find with tests and -exec, the results sorted.
find /data | sort
find /data -type f | sort
find /data -type d | sort
find /data -name 'hello*' -exec cat {} \;
find /data -type f -name '*.txt' -exec wc -c {} \; | sort
find /data/dir -type f -exec echo file: {} + | tr ' ' '\n' | sort
find /data -maxdepth 1 -type l | sort
