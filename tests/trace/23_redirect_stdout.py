import io
from contextlib import redirect_stdout

buf = io.StringIO()
with redirect_stdout(buf):
    print("captured")
print("buffer holds", repr(buf.getvalue()))
