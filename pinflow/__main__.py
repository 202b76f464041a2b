from __future__ import annotations

from pinflow._entry import main

if __name__ == "__main__":
    raise SystemExit(main())
