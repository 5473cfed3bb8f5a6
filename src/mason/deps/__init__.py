"""`mason deps`: package installation (packages.yml / dependencies.yml, package-lock.yml)."""
