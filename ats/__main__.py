"""``python -m ats`` — the same CLI as the ``ats`` console script."""

from ats.cli.main import main

if __name__ == "__main__":
    main()
