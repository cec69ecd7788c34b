from contextlib import ExitStack


def swallow_key_errors(exc_type, exc, tb):
    print("exit function saw", repr(exc))
    return exc_type is not None and issubclass(exc_type, KeyError)


with ExitStack() as stack:
    stack.push(swallow_key_errors)
    stack.callback(print, "cleanup ran")
    raise KeyError("gone")
print("suppressed by the stack")
