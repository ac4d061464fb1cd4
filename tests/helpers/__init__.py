"""What the tests share: servers they start, terminals and browsers they drive, boards
they build, and running the command line."""
