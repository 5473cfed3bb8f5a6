"""The command line: click commands that build a Session, call the pipeline and render results."""
