"""``python -m gui`` starts the playground (the same as ``minitorch-playground``)."""

import sys

from gui.app import main

if __name__ == "__main__":
    sys.exit(main())
