"""``python -m actionformer`` (also what ``torchrun -m actionformer train ...`` runs)."""

import sys

from actionformer.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
