# Here-documents: expanded, quoted (literal), with leading tabs removed,
# and fed to a pipeline.
name=world
cat <<END
hello $name
sum: $((2 + 3))
END
cat <<'END'
literal $name $((2 + 3))
END
cat <<-END
	tabs removed for $name
	END
tr a-z A-Z <<END | sed 's/O/0/g'
shouted $name
END
while read a b; do
	echo "a=$a b=$b"
done <<END
1 one
2 two
END
