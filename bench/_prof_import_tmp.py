import sys
FMT = sys.argv.pop(1)
import _addressbook, _setup
from django.db import connection
from import_addressbook import _run
fmt = FMT
content = _addressbook.csv_bytes(100_000) if fmt == "csv" else _addressbook.xlsx_bytes(100_000)
print("generated", flush=True)
_run(fmt, content)
