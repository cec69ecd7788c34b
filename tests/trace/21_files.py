import os

path = "notes-21.tmp"
with open(path, "w") as f:
    f.write("first line\n")
with open(path) as f:
    print(f.read().strip())
leaked = open(path)
print(leaked.readline().strip())
leaked = None
os.remove(path)
