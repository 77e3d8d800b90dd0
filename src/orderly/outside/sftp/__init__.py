"""A file exchange over SFTP: what most 3PLs and suppliers without an API accept."""
