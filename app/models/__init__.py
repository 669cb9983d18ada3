"""Getting models onto the machine: what it can run (hardware), and later the catalog and download."""
