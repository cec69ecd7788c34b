class Database:
    def __init__(self):
        self.rows = []

    def transaction(self):
        return Transaction(self)


class Transaction:
    def __init__(self, db):
        self.db = db
        self.pending = []

    def __enter__(self):
        print("BEGIN")
        return self

    def insert(self, row):
        self.pending.append(row)

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.db.rows.extend(self.pending)
            print("COMMIT", len(self.pending), "rows")
        else:
            print("ROLLBACK because", repr(exc))
        return False


db = Database()
with db.transaction() as tx:
    tx.insert("alice")
    tx.insert("bob")
try:
    with db.transaction() as tx:
        tx.insert("mallory")
        raise ValueError("bad row")
except ValueError:
    pass
print(db.rows)
