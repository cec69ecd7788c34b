import os
import tempfile

d = tempfile.mkdtemp()
path = os.path.join(d, "notes.txt")
with open(path, "w") as f:
    f.write("first line\n")
with open(path) as f:
    print(f.read().strip())
os.remove(path)
os.rmdir(d)
