"""Writing results: atomic files and directories, the run tables, the manifest."""
